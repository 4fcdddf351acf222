// hash_table.hpp — whole-file hash signatures in compact sorted tables keyed by (size, digest).
// Promise: signatures are added one at a time as the parser reads them (no intermediate objects),
// finish() sorts; then needs() tells, from the file size alone, which digests must be computed
// (none for most files); lookup() finds the signatures whose size and digest match, in O(log n):
// per algorithm one for the file's size and one for `*`, the last loaded where several share a
// (size, digest), as ClamAV reports one name for them.
// Entries are fixed, unpadded records per algorithm (28 bytes for MD5, 32 for SHA1, 44 for SHA256),
// searched in place by lookup(); needs() answers from a sorted list of each algorithm's distinct
// sizes (4 bytes each, on the heap), so that a scan of many files touches the entries only for
// the files whose size a signature names; names live in one arena and origins
// are a line per signature plus one record per run of signatures from the same database, so a
// table of hundreds of thousands of signatures costs about 50-75 bytes each, its name included.
// A table read from a mapped signature snapshot borrows its entries and names from the mapping
// (kept alive by the table, shared by its copies): only the pages a lookup touches are resident,
// and, when the snapshot's reader allows it, not for long: a lookup searches only the block of
// entries a heap-side fence (every 64th entry's size) points it to, then drops the pages it
// touched (a file mapping's page faults can map far more than the page touched).
// It is equal to the same table built by add(); an add() or reserve() on it copies it first.
#pragma once
#include "common/digest.hpp"
#include "signatures/sig_origin.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace vg {

struct HashSignature {
  static constexpr std::uint64_t kAnySize = ~std::uint64_t{0};
  Digest digest;
  std::uint64_t size = 0; // kAnySize for `*`
  std::string name;       // as reported (with ".UNOFFICIAL" where ClamAV adds it)
  SigOrigin origin;
};

class HashTable {
public:
  struct Hit {
    std::string_view name;
    SigOrigin origin;
  };

  HashTable() = default;
  // `suffix` is appended to the name (".UNOFFICIAL" for plain database files).
  void add(const HashSignature &sig, std::string_view suffix = {});
  // Makes room for `more` signatures of about `name_bytes` name text in all, so that loading a
  // large file does not double its tables while growing them.
  void reserve(std::size_t more, std::size_t name_bytes);
  // Sorts the tables; call once after the last add() and before needs()/lookup().
  void finish();

  HashMask needs(std::uint64_t size) const;
  void lookup(std::uint64_t size, const Digests &d, std::vector<Hit> &out) const;
  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }
  // Same signatures in the same order (a loaded set and its snapshot read back compare equal),
  // whether owned or borrowed.
  friend bool operator==(const HashTable &a, const HashTable &b);
  // Whether the entries and names are borrowed from a snapshot's bytes (for tests).
  bool borrowed() const { return keep_ != nullptr; }

private:
  friend struct SignatureSnapshotAccess; // signature_snapshot.cpp writes and reads the tables
  template <std::size_t N> struct Entry {
    // The size as two 32-bit words, low first: aligned to 4 bytes, the record has no padding.
    std::array<std::uint32_t, 2> size_words;
    std::array<std::uint8_t, N> digest;
    std::uint32_t sig; // index into name_offsets_/lines_
    std::uint64_t size() const { return size_words[0] | std::uint64_t{size_words[1]} << 32; }
    void set_size(std::uint64_t s) {
      size_words = {static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(s >> 32)};
    }
    std::tuple<std::uint64_t, const std::array<std::uint8_t, N> &> key() const {
      return {size(), digest};
    }
    // The table's order: size, digest, then load order.
    friend bool operator<(const Entry &a, const Entry &b) {
      auto ka = a.key(), kb = b.key();
      return ka != kb ? ka < kb : a.sig < b.sig;
    }
    friend bool operator==(const Entry &, const Entry &) = default;
  };
  // Signatures from `first` on came from `database`, up to the next run's first.
  struct DatabaseRun {
    std::uint32_t first;
    std::uint32_t database;
    friend bool operator==(const DatabaseRun &, const DatabaseRun &) = default;
  };
  // Whether `table` (sorted, algorithm `a`) holds a signature for `size` or for any size.
  template <std::size_t N>
  bool has_size(int a, std::span<const Entry<N>> table, std::uint64_t size) const;
  // Rebuilds sizes_ and any_from_ from the sorted tables (finish() and a snapshot's read).
  void index_sizes();
  template <std::size_t N>
  void lookup_in(int a, std::span<const Entry<N>> table, std::uint64_t size, const Digest &d,
                 std::vector<Hit> &out) const;
  // Whether algorithm `a` has a sized entry that may be for `size` (from sizes_ alone: certain
  // below 2^32 - 1, to be searched in the entries above).
  bool size_listed(int a, std::uint64_t size) const;
  // The part of `sized` (algorithm `a`'s sized entries) that holds every entry of `size`.
  template <std::size_t N>
  std::span<const Entry<N>> block_for(int a, std::span<const Entry<N>> sized,
                                      std::uint64_t size) const;
  // Tells release_ that `part` of the borrowed entries was used.
  template <std::size_t N> void dropped(std::span<const Entry<N>> part) const;
  // The tables in use: the borrowed ones while keep_ is set, else the vectors.
  std::span<const Entry<16>> md5() const { return keep_ ? md5_view_ : md5_; }
  std::span<const Entry<20>> sha1() const { return keep_ ? sha1_view_ : sha1_; }
  std::span<const Entry<32>> sha256() const { return keep_ ? sha256_view_ : sha256_; }
  std::string_view names() const { return keep_ ? names_view_ : std::string_view(names_); }
  void own(); // copies borrowed entries and names into the vectors, and stops borrowing
  std::string_view name(std::uint32_t sig) const;
  SigOrigin origin(std::uint32_t sig) const;
  void add_origin(const SigOrigin &origin); // of the signature added last

  std::vector<Entry<16>> md5_;
  std::vector<Entry<20>> sha1_;
  std::vector<Entry<32>> sha256_;
  std::string names_;                       // every name, back to back
  std::vector<std::uint32_t> name_offsets_; // start of name i; name i ends at offset i+1
  std::vector<std::uint32_t> lines_;        // line of signature i in its database
  std::vector<DatabaseRun> databases_; // by first, ascending; a new run where the database changes
  std::size_t count_ = 0;
  // Per algorithm (MD5, SHA1, SHA256): the distinct sizes of its sized entries, ascending, sizes
  // of 2^32 - 1 and more as 0xffffffff (then searched in the entries); where its `*` entries
  // start (the table's size when it has none); the size (as in sizes_) of every kFenceStep-th
  // sized entry.
  static constexpr std::size_t kFenceStep = 64;
  std::array<std::vector<std::uint32_t>, 3> sizes_;
  std::array<std::size_t, 3> any_from_{};
  std::array<std::vector<std::uint32_t>, 3> fence_;
  // Drops pages of the borrowed bytes after a lookup (empty: they stay).
  std::function<void(std::span<const std::uint8_t>)> release_;
  // Borrowed from a snapshot (see get_hash_table in signature_snapshot.cpp): the bytes stay valid
  // and unchanged while keep_ lives.
  std::span<const Entry<16>> md5_view_;
  std::span<const Entry<20>> sha1_view_;
  std::span<const Entry<32>> sha256_view_;
  std::string_view names_view_;
  std::shared_ptr<const void> keep_;
};

} // namespace vg
