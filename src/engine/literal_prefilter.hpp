// literal_prefilter.hpp — finds every occurrence of a set of exact byte strings (atoms) with
// Vectorscan. Promise: scan() reports each (literal id, start offset) occurrence in the buffer, in
// increasing end order, for buffers of any size (scanned in overlapping 4 MiB blocks, so a caller
// can release what lies behind). The compiled database is immutable and shared by threads; each
// thread brings its own Scratch. When a process-wide CompiledCache is set (compiled_cache.hpp), the
// compiled database is taken from it if an entry for exactly these literals, flags, platform and
// Vectorscan version is there, else compiled and stored in it. The cache holds Vectorscan's
// in-memory database image (what hs_deserialize_database_at() makes at a 64-byte-aligned address),
// and a hit is used in place from the read-only mapping of the entry, after its digest was checked
// and Vectorscan accepted it (hs_database_size, hs_database_info): no copy, and only the pages a
// scan touches become resident. The prefilter (and its moves) keeps the mapping. The literals come
// as one flat LiteralList (bytes back to back), so that a set of ~10^5 atoms costs a few
// allocations, not one per literal.
#pragma once
#include "engine/compiled_cache.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

struct hs_database;
struct hs_scratch;

namespace vg {

// The literals a prefilter compiles, stored back to back: literal i is the bytes from ends[i-1]
// (0 for the first) up to ends[i], with a flag saying whether it is caseless.
class LiteralList {
public:
  void reserve(std::size_t literals, std::size_t bytes);
  // Appends a literal. Throws std::length_error past 4 GiB of literal bytes in all.
  void add(std::span<const std::uint8_t> literal, bool caseless = false);
  std::size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  std::span<const std::uint8_t> operator[](std::size_t i) const {
    const std::uint32_t from = i == 0 ? 0 : ends_[i - 1];
    return {bytes_.data() + from, ends_[i] - from};
  }
  bool caseless(std::size_t i) const { return caseless_[i]; }
  std::size_t total_bytes() const { return bytes_.size(); }

private:
  std::vector<std::uint8_t> bytes_;
  std::vector<std::uint32_t> ends_;
  std::vector<bool> caseless_;
};

class LiteralPrefilter {
public:
  LiteralPrefilter() = default;
  // Compiles the literals; ids in callbacks are indexes into `literals`. A caseless literal
  // matches ASCII letters in either case (HS_FLAG_CASELESS). Throws std::runtime_error for an
  // empty literal or if Vectorscan refuses them.
  explicit LiteralPrefilter(const LiteralList &literals);
  // A cached database for some literals, looked up and its digest check started (on its own
  // thread): several prefilters built in a row check their entries at once instead of in turn.
  class Lookup {
  private:
    friend class LiteralPrefilter;
    bool done_ = false;
    CacheKey key_{};
    std::shared_ptr<CompiledCache::MappedEntry> entry_;
  };
  static Lookup look_up(const LiteralList &literals);
  // The same as LiteralPrefilter(literals), with look_up(literals) done before.
  LiteralPrefilter(const LiteralList &literals, Lookup lookup);
  // The same from one vector per literal; `caseless` may be shorter (or empty): unset flags.
  // Equal literals and flags give the same compiled database and cache key either way.
  explicit LiteralPrefilter(const std::vector<std::vector<std::uint8_t>> &literals,
                            const std::vector<bool> &caseless = {});
  LiteralPrefilter(LiteralPrefilter &&) noexcept = default;
  LiteralPrefilter &operator=(LiteralPrefilter &&) noexcept = default;

  class Scratch {
  public:
    Scratch() = default;
    Scratch(Scratch &&o) noexcept : s_(o.s_) { o.s_ = nullptr; }
    Scratch &operator=(Scratch &&o) noexcept;
    ~Scratch();
    void prepare(const LiteralPrefilter &p); // grows the scratch so it serves p as well
  private:
    friend class LiteralPrefilter;
    hs_scratch *s_ = nullptr;
  };

  // Return false from the callback to stop scanning.
  using Callback = std::function<bool(std::uint32_t id, std::size_t start)>;
  // `release`, if given, is told of bytes the scan has left behind (all but a look-back margin).
  void scan(std::span<const std::uint8_t> data, Scratch &scratch, const Callback &cb,
            const std::function<void(std::size_t, std::size_t)> &release = {}) const;

  bool empty() const { return !db_; }
  // True when the database is used in place from a mapped cache entry.
  bool mapped() const { return mapped_; }
  std::size_t literal_count() const { return lengths_.size(); }

private:
  struct DbFree {
    void operator()(hs_database *db) const;
  };
  // Owns either a database Vectorscan allocated (DbFree) or the mapped cache entry it lies in.
  std::shared_ptr<const hs_database> db_;
  bool mapped_ = false;
  // A mapped database's pages may be dropped (read back from the cache file when touched):
  // allocating a scratch reads the whole database (~9 MB for the full one's largest group),
  // scanning a part of it. Told so after each allocation; empty when not mapped.
  std::function<void()> drop_pages_;
  std::vector<std::uint32_t> lengths_;
  std::size_t max_length_ = 0;
};

} // namespace vg
