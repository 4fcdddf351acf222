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

template <std::size_t N>
bool HashTable::has_size(std::span<const Entry<N>> table, std::uint64_t size) {
  if (table.empty())
    return false;
  if (table.back().size() == HashSignature::kAnySize)
    return true;
  auto it = std::lower_bound(table.begin(), table.end(), size,
                             [](const Entry<N> &e, std::uint64_t s) { return e.size() < s; });
  return it != table.end() && it->size() == size;
}

HashMask HashTable::needs(std::uint64_t size) const {
  HashMask m = 0;
  if (has_size(md5(), size))
    m |= hash_bit(HashAlgo::md5);
  if (has_size(sha1(), size))
    m |= hash_bit(HashAlgo::sha1);
  if (has_size(sha256(), size))
    m |= hash_bit(HashAlgo::sha256);
  return m;
}

template <std::size_t N>
void HashTable::lookup_in(std::span<const Entry<N>> table, std::uint64_t size, const Digest &d,
                          const HashTable &self, std::vector<Hit> &out) {
  std::array<std::uint8_t, N> want;
  std::memcpy(want.data(), d.b.data(), N);
  for (std::uint64_t key : {size, HashSignature::kAnySize}) {
    auto lo = std::lower_bound(table.begin(), table.end(), std::tie(key, want),
                               [](const Entry<N> &e, const auto &k) { return e.key() < k; });
    // Several signatures with the same (size, digest): ClamAV keeps one, the last one loaded
    // (signature indexes grow in load order), whether or not --allmatch is given.
    const Entry<N> *last = nullptr;
    for (auto it = lo; it != table.end() && it->size() == key && it->digest == want; ++it)
      if (!last || it->sig > last->sig)
        last = &*it;
    if (last)
      out.push_back(Hit{self.name(last->sig), self.origin(last->sig)});
  }
}

void HashTable::lookup(std::uint64_t size, const Digests &d, std::vector<Hit> &out) const {
  if (d.md5 && d.md5->len == 16)
    lookup_in(md5(), size, *d.md5, *this, out);
  if (d.sha1 && d.sha1->len == 20)
    lookup_in(sha1(), size, *d.sha1, *this, out);
  if (d.sha256 && d.sha256->len == 32)
    lookup_in(sha256(), size, *d.sha256, *this, out);
}

} // namespace vg
