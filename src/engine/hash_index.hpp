// hash_index.hpp — whole-file hash signatures in compact sorted tables keyed by (size, digest).
// Promise: needs() tells, from the file size alone, which digests must be computed (none for most
// files); lookup() finds every signature whose size and digest match, in O(log n).
#pragma once
#include "common/digest.hpp"
#include "signatures/signature_set.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace vg {

class HashIndex {
public:
  struct Hit {
    const std::string *name;
    SigOrigin origin;
  };

  HashIndex() = default;
  explicit HashIndex(const std::vector<HashSignature> &sigs);

  HashMask needs(std::uint64_t size) const;
  void lookup(std::uint64_t size, const Digests &d, std::vector<Hit> &out) const;
  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }

private:
  struct Entry {
    std::uint64_t size;
    Digest digest;
    std::uint32_t sig; // index into names_/origins_
  };
  std::vector<Entry> tables_[3];              // per algorithm, sorted by (size, digest)
  std::vector<std::uint64_t> sizes_[3];       // distinct sizes per algorithm, sorted
  bool any_size_[3] = {false, false, false};  // a `*` signature exists for this algorithm
  std::vector<std::string> names_;
  std::vector<SigOrigin> origins_;
  std::size_t count_ = 0;
};

} // namespace vg
