#include "engine/pe_version_info.hpp"

#include <algorithm>
#include <optional>
#include <set>

namespace vg {

namespace {

struct Reader {
  std::span<const std::uint8_t> d;
  std::optional<std::uint32_t> u32(std::uint64_t off) const {
    if (off > d.size() || d.size() - off < 4)
      return std::nullopt;
    return static_cast<std::uint32_t>(d[off] | d[off + 1] << 8 | d[off + 2] << 16 |
                                      static_cast<std::uint32_t>(d[off + 3]) << 24);
  }
  std::optional<std::uint16_t> u16(std::uint64_t off) const {
    if (off > d.size() || d.size() - off < 2)
      return std::nullopt;
    return static_cast<std::uint16_t>(d[off] | d[off + 1] << 8);
  }
};

std::optional<std::uint64_t> rva_to_offset(const ExeInfo &pe, std::uint64_t rva) {
  for (const auto &s : pe.sections) {
    std::uint64_t span = std::max(s.virtual_size, s.raw_size);
    if (rva >= s.rva && rva < s.rva + span) {
      std::uint64_t delta = rva - s.rva;
      if (delta >= s.raw_size)
        return std::nullopt; // in the section's uninitialised tail
      return s.raw_offset + delta;
    }
  }
  return std::nullopt;
}

// Skips a NUL-terminated UTF-16 key starting at `off` within [off, end); returns the offset after
// it.
std::optional<std::uint64_t> skip_key(const Reader &r, std::uint64_t off, std::uint64_t end) {
  for (std::uint64_t p = off; p + 2 <= end; p += 2) {
    auto c = r.u16(p);
    if (!c)
      return std::nullopt;
    if (*c == 0)
      return p + 2;
  }
  return std::nullopt;
}

std::uint64_t align4(std::uint64_t base, std::uint64_t off) {
  return base + ((off - base + 3) & ~std::uint64_t{3});
}

// Walks one VS_VERSIONINFO block at file offset `start` of `size` bytes.
void walk_version_info(const Reader &r, std::uint64_t start, std::uint64_t size,
                       std::vector<std::uint64_t> &out) {
  std::uint64_t end = std::min<std::uint64_t>(start + size, r.d.size());
  auto len = r.u16(start);
  auto vlen = r.u16(start + 2);
  if (!len || !vlen || *len < 6 || start + *len > end)
    return;
  end = start + *len;
  auto after_key = skip_key(r, start + 6, end);
  if (!after_key)
    return;
  std::uint64_t child = align4(start, align4(start, *after_key) + *vlen);
  // Children: StringFileInfo and VarFileInfo blocks.
  for (int blocks = 0; child + 6 <= end && blocks < 64; ++blocks) {
    auto blen = r.u16(child);
    if (!blen || *blen < 6 || child + *blen > end)
      return;
    std::uint64_t bend = child + *blen;
    static const char kSfi[] = "StringFileInfo";
    bool is_sfi = true;
    for (std::size_t i = 0; i < sizeof kSfi; ++i) {
      auto c = r.u16(child + 6 + 2 * i);
      if (!c || *c != static_cast<std::uint16_t>(i + 1 < sizeof kSfi ? kSfi[i] : 0)) {
        is_sfi = false;
        break;
      }
    }
    if (is_sfi) {
      std::uint64_t table = align4(start, child + 6 + 2 * sizeof kSfi);
      // StringTable blocks, each holding String entries.
      for (int tables = 0; table + 6 <= bend && tables < 64; ++tables) {
        auto tlen = r.u16(table);
        if (!tlen || *tlen < 6 || table + *tlen > bend)
          break;
        std::uint64_t tend = table + *tlen;
        auto tkey_end = skip_key(r, table + 6, tend);
        if (!tkey_end)
          break;
        std::uint64_t str = align4(start, *tkey_end);
        for (int strings = 0; str + 6 <= tend && strings < 1024; ++strings) {
          auto slen = r.u16(str);
          if (!slen || *slen < 6 || str + *slen > tend)
            break;
          out.push_back(str + 6); // the String's key, where a VI signature starts
          str = align4(start, str + *slen);
        }
        table = align4(start, tend);
      }
    }
    child = align4(start, bend);
  }
}

} // namespace

std::vector<std::uint64_t> version_info_offsets(std::span<const std::uint8_t> data,
                                                const ExeInfo &pe) {
  std::vector<std::uint64_t> out;
  Reader r{data};
  auto lfanew = r.u32(0x3c);
  if (!lfanew)
    return out;
  std::uint64_t coff = std::uint64_t{*lfanew} + 4;
  auto opt_size = r.u16(coff + 16);
  std::uint64_t opt = coff + 20;
  auto magic = r.u16(opt);
  if (!opt_size || !magic)
    return out;
  std::uint64_t dirs = *magic == 0x20b ? opt + 112 : opt + 96;
  if (dirs + 3 * 8 > opt + *opt_size)
    return out;
  auto res_rva = r.u32(dirs + 2 * 8);
  if (!res_rva || *res_rva == 0)
    return out;
  auto root = rva_to_offset(pe, *res_rva);
  if (!root)
    return out;
  std::set<std::uint64_t> visited;
  // Resource tree: type (RT_VERSION = 16) -> name -> language -> data entry.
  struct Frame {
    std::uint64_t dir;
    int level;
  };
  std::vector<Frame> stack{{*root, 0}};
  while (!stack.empty() && visited.size() < 4096) {
    Frame f = stack.back();
    stack.pop_back();
    if (!visited.insert(f.dir).second)
      continue;
    auto named = r.u16(f.dir + 12), ids = r.u16(f.dir + 14);
    if (!named || !ids)
      continue;
    unsigned count = std::min<unsigned>(unsigned{*named} + *ids, 4096);
    for (unsigned i = 0; i < count; ++i) {
      std::uint64_t e = f.dir + 16 + 8ull * i;
      auto name = r.u32(e), target = r.u32(e + 4);
      if (!name || !target)
        break;
      if (f.level == 0 && *name != 16)
        continue; // not RT_VERSION
      std::uint64_t where = *root + (*target & 0x7fffffffu);
      if (*target & 0x80000000u) {
        if (f.level < 2)
          stack.push_back({where, f.level + 1});
        continue;
      }
      if (f.level != 2)
        continue;
      auto data_rva = r.u32(where), data_size = r.u32(where + 4);
      if (!data_rva || !data_size)
        continue;
      if (auto off = rva_to_offset(pe, *data_rva))
        walk_version_info(r, *off, *data_size, out);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

} // namespace vg
