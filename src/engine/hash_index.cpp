#include "engine/hash_index.hpp"

#include <algorithm>

namespace vg {

namespace {
int algo_index(const Digest &d) { return d.len == 16 ? 0 : d.len == 20 ? 1 : 2; }
} // namespace

HashIndex::HashIndex(const std::vector<HashSignature> &sigs) {
  names_.reserve(sigs.size());
  origins_.reserve(sigs.size());
  for (const auto &s : sigs) {
    auto id = static_cast<std::uint32_t>(names_.size());
    names_.push_back(s.name);
    origins_.push_back(s.origin);
    int a = algo_index(s.digest);
    tables_[a].push_back(Entry{s.size, s.digest, id});
    if (s.size == HashSignature::kAnySize)
      any_size_[a] = true;
    else
      sizes_[a].push_back(s.size);
  }
  for (int a = 0; a < 3; ++a) {
    std::sort(tables_[a].begin(), tables_[a].end(), [](const Entry &x, const Entry &y) {
      return std::tie(x.size, x.digest, x.sig) < std::tie(y.size, y.digest, y.sig);
    });
    std::sort(sizes_[a].begin(), sizes_[a].end());
    sizes_[a].erase(std::unique(sizes_[a].begin(), sizes_[a].end()), sizes_[a].end());
    sizes_[a].shrink_to_fit();
    tables_[a].shrink_to_fit();
  }
  count_ = sigs.size();
}

HashMask HashIndex::needs(std::uint64_t size) const {
  HashMask m = 0;
  for (int a = 0; a < 3; ++a)
    if (any_size_[a] || std::binary_search(sizes_[a].begin(), sizes_[a].end(), size))
      m |= static_cast<HashMask>(1u << a);
  return m;
}

void HashIndex::lookup(std::uint64_t size, const Digests &d, std::vector<Hit> &out) const {
  for (int a = 0; a < 3; ++a) {
    const auto &digest = d.get(static_cast<HashAlgo>(a));
    if (!digest)
      continue;
    for (std::uint64_t key : {size, HashSignature::kAnySize}) {
      auto lo = std::lower_bound(tables_[a].begin(), tables_[a].end(), std::pair{key, *digest},
                                 [](const Entry &e, const std::pair<std::uint64_t, Digest> &k) {
                                   return std::tie(e.size, e.digest) < std::tie(k.first, k.second);
                                 });
      for (auto it = lo; it != tables_[a].end() && it->size == key && it->digest == *digest; ++it)
        out.push_back(Hit{&names_[it->sig], origins_[it->sig]});
    }
  }
}

} // namespace vg
