#include "signatures/hash_table.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace vg {

namespace {
int algo_index(const Digest &d) {
  return d.len == 16 ? 0 : d.len == 20 ? 1 : 2;
}

template <typename E> void sort_table(std::vector<E> &t) {
  std::sort(t.begin(), t.end());
  t.shrink_to_fit();
}
} // namespace

void HashTable::own() {
  if (!keep_)
    return;
  md5_.assign(md5_view_.begin(), md5_view_.end());
  sha1_.assign(sha1_view_.begin(), sha1_view_.end());
  sha256_.assign(sha256_view_.begin(), sha256_view_.end());
  names_.assign(names_view_);
  md5_view_ = {};
  sha1_view_ = {};
  sha256_view_ = {};
  names_view_ = {};
  keep_.reset();
  release_ = nullptr;
}

bool operator==(const HashTable &a, const HashTable &b) {
  return std::ranges::equal(a.md5(), b.md5()) && std::ranges::equal(a.sha1(), b.sha1()) &&
         std::ranges::equal(a.sha256(), b.sha256()) && a.names() == b.names() &&
         a.name_offsets_ == b.name_offsets_ && a.lines_ == b.lines_ &&
         a.databases_ == b.databases_ && a.count_ == b.count_;
}

void HashTable::add(const HashSignature &s, std::string_view suffix) {
  own();
  auto id = static_cast<std::uint32_t>(lines_.size());
  name_offsets_.push_back(static_cast<std::uint32_t>(names_.size()));
  names_ += s.name;
  names_ += suffix;
  add_origin(s.origin);
  int a = algo_index(s.digest);
  auto push = [&](auto &table) {
    typename std::remove_reference_t<decltype(table)>::value_type e{};
    e.set_size(s.size);
    std::memcpy(e.digest.data(), s.digest.b.data(), e.digest.size());
    e.sig = id;
    table.push_back(e);
  };
  if (a == 0)
    push(md5_);
  else if (a == 1)
    push(sha1_);
  else
    push(sha256_);
  ++count_;
}

void HashTable::reserve(std::size_t more, std::size_t name_bytes) {
  own();
  // The algorithm of each line is not known yet: MD5 is by far the most common in real databases.
  md5_.reserve(md5_.size() + more);
  lines_.reserve(lines_.size() + more);
  name_offsets_.reserve(name_offsets_.size() + more);
  names_.reserve(names_.size() + name_bytes);
}

void HashTable::finish() {
  if (keep_)
    return; // borrowed tables were checked sorted when read
  sort_table(md5_);
  sort_table(sha1_);
  sort_table(sha256_);
  index_sizes();
  names_.shrink_to_fit();
  lines_.shrink_to_fit();
  databases_.shrink_to_fit();
  name_offsets_.shrink_to_fit();
}

void HashTable::add_origin(const SigOrigin &o) {
  if (databases_.empty() || databases_.back().database != o.database)
    databases_.push_back(DatabaseRun{static_cast<std::uint32_t>(lines_.size()), o.database});
  lines_.push_back(o.line);
}

SigOrigin HashTable::origin(std::uint32_t sig) const {
  static_assert(sizeof(Entry<16>) == 28 && sizeof(Entry<20>) == 32 && sizeof(Entry<32>) == 44);
  auto run = std::upper_bound(databases_.begin(), databases_.end(), sig,
                              [](std::uint32_t s, const DatabaseRun &r) { return s < r.first; });
  return SigOrigin{std::prev(run)->database, lines_[sig]};
}

std::string_view HashTable::name(std::uint32_t sig) const {
  std::uint32_t end = sig + 1 < name_offsets_.size() ? name_offsets_[sig + 1]
                                                     : static_cast<std::uint32_t>(names().size());
  return names().substr(name_offsets_[sig], end - name_offsets_[sig]);
}

namespace {
constexpr std::uint32_t kSizeAbove32 = 0xffffffffu; // 2^32 - 1 and more, in the size index

template <typename E>
void index_table(std::span<const E> table, std::vector<std::uint32_t> &sizes, std::size_t &any_from,
                 std::vector<std::uint32_t> &fence, std::size_t step) {
  sizes.clear();
  fence.clear();
  any_from = table.size();
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (table[i].size() == HashSignature::kAnySize) {
      any_from = i; // `*` sorts last
      break;
    }
    auto s = static_cast<std::uint32_t>(std::min<std::uint64_t>(table[i].size(), kSizeAbove32));
    if (sizes.empty() || sizes.back() != s)
      sizes.push_back(s); // the table is sorted by size
    if (i % step == 0)
      fence.push_back(s);
  }
  sizes.shrink_to_fit();
  fence.shrink_to_fit();
}
} // namespace

void HashTable::index_sizes() {
  index_table(md5(), sizes_[0], any_from_[0], fence_[0], kFenceStep);
  index_table(sha1(), sizes_[1], any_from_[1], fence_[1], kFenceStep);
  index_table(sha256(), sizes_[2], any_from_[2], fence_[2], kFenceStep);
}

bool HashTable::size_listed(int a, std::uint64_t size) const {
  const auto key = static_cast<std::uint32_t>(std::min<std::uint64_t>(size, kSizeAbove32));
  return std::binary_search(sizes_[a].begin(), sizes_[a].end(), key);
}

template <std::size_t N>
bool HashTable::has_size(int a, std::span<const Entry<N>> table, std::uint64_t size) const {
  if (any_from_[a] < table.size())
    return true; // a `*` signature: every size
  if (!size_listed(a, size))
    return false;
  if (size < kSizeAbove32)
    return true;
  const auto part = block_for(a, table.first(any_from_[a]), size);
  auto it = std::lower_bound(part.begin(), part.end(), size,
                             [](const Entry<N> &e, std::uint64_t s) { return e.size() < s; });
  const bool found = it != part.end() && it->size() == size;
  dropped(part);
  return found;
}

template <std::size_t N>
std::span<const HashTable::Entry<N>> HashTable::block_for(int a, std::span<const Entry<N>> sized,
                                                          std::uint64_t size) const {
  const auto key = static_cast<std::uint32_t>(std::min<std::uint64_t>(size, kSizeAbove32));
  const auto &f = fence_[a];
  // Entries of this size start after the last fence below it and end before the first above.
  auto lo = std::lower_bound(f.begin(), f.end(), key);
  auto hi = std::upper_bound(lo, f.end(), key);
  const std::size_t from = lo == f.begin() ? 0 : static_cast<std::size_t>(lo - f.begin() - 1);
  const std::size_t to = static_cast<std::size_t>(hi - f.begin());
  const std::size_t first = std::min(sized.size(), from * kFenceStep);
  const std::size_t last = std::min(sized.size(), to * kFenceStep);
  return sized.subspan(first, last - first);
}

template <std::size_t N> void HashTable::dropped(std::span<const Entry<N>> part) const {
  if (!release_ || part.empty())
    return;
  // A fault may have mapped the whole (large) folio around what was touched: up to 2 MiB,
  // naturally aligned. The hook keeps to the mapping and to whole pages.
  constexpr std::uintptr_t kFolio = std::uintptr_t{2} << 20;
  const auto lo = reinterpret_cast<std::uintptr_t>(part.data()) / kFolio * kFolio;
  const auto hi =
      (reinterpret_cast<std::uintptr_t>(part.data() + part.size()) + kFolio - 1) / kFolio * kFolio;
  release_(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t *>(lo), hi - lo));
}

HashMask HashTable::needs(std::uint64_t size) const {
  HashMask m = 0;
  if (has_size(0, md5(), size))
    m |= hash_bit(HashAlgo::md5);
  if (has_size(1, sha1(), size))
    m |= hash_bit(HashAlgo::sha1);
  if (has_size(2, sha256(), size))
    m |= hash_bit(HashAlgo::sha256);
  return m;
}

template <std::size_t N>
void HashTable::lookup_in(int a, std::span<const Entry<N>> table, std::uint64_t size,
                          const Digest &d, std::vector<Hit> &out) const {
  std::array<std::uint8_t, N> want;
  std::memcpy(want.data(), d.b.data(), N);
  // The sized entries, then the `*` ones (they sort last): each searched only where it can hold
  // the digest, so that a file whose size no signature names touches the `*` entries alone.
  const auto sized = table.first(any_from_[a]), any = table.subspan(any_from_[a]);
  const auto block = size != HashSignature::kAnySize && size_listed(a, size)
                         ? block_for(a, sized, size)
                         : std::span<const Entry<N>>{};
  auto find = [&](std::span<const Entry<N>> part, std::uint64_t key) {
    auto lo = std::lower_bound(part.begin(), part.end(), std::tie(key, want),
                               [](const Entry<N> &e, const auto &k) { return e.key() < k; });
    // Several signatures with the same (size, digest): ClamAV keeps one, the last one loaded
    // (signature indexes grow in load order), whether or not --allmatch is given.
    const Entry<N> *last = nullptr;
    for (auto it = lo; it != part.end() && it->size() == key && it->digest == want; ++it)
      if (!last || it->sig > last->sig)
        last = &*it;
    if (last)
      out.push_back(Hit{name(last->sig), origin(last->sig)});
  };
  if (!block.empty())
    find(block, size);
  if (!any.empty())
    find(any, HashSignature::kAnySize);
  dropped(block);
  dropped(any);
}

void HashTable::lookup(std::uint64_t size, const Digests &d, std::vector<Hit> &out) const {
  if (d.md5 && d.md5->len == 16)
    lookup_in(0, md5(), size, *d.md5, out);
  if (d.sha1 && d.sha1->len == 20)
    lookup_in(1, sha1(), size, *d.sha1, out);
  if (d.sha256 && d.sha256->len == 32)
    lookup_in(2, sha256(), size, *d.sha256, out);
}

} // namespace vg
