// pe_test_image.hpp — builds small PE32/PE32+ files with chosen section contents and an import
// table, for the section-hash and import-hash tests. Raw data starts at 0x400 (SizeOfHeaders),
// sections are laid out one after the other at FileAlignment 0x200, SectionAlignment 0x1000.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

namespace vg::testing {

using Bytes = std::vector<std::uint8_t>;

inline void put_le(Bytes &d, std::size_t off, std::uint64_t v, unsigned width) {
  if (d.size() < off + width)
    d.resize(off + width, 0);
  for (unsigned i = 0; i < width; ++i)
    d[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

struct TestSection {
  std::string name;
  std::uint32_t rva = 0;
  Bytes data;                     // SizeOfRawData is its size rounded up to 0x200
  std::uint32_t virtual_size = 0; // 0: the data size
};

// One imported DLL: functions by name (std::string) or by ordinal (std::uint16_t).
struct TestImport {
  std::string dll;
  std::vector<std::variant<std::string, std::uint16_t>> functions;
  bool original_first_thunk = true; // false: OriginalFirstThunk 0, names only through FirstThunk
};

struct TestPe {
  bool plus = false;
  std::uint32_t entry = 0x1000;
  std::uint32_t data_directories = 16;
  std::uint32_t import_rva = 0, import_size = 0;
  std::vector<TestSection> sections;

  // An import section at `rva` (descriptors, thunk arrays, hint/name entries, DLL names) added to
  // the sections; the import directory points at its descriptors (including the null one).
  void add_imports(std::uint32_t rva, const std::vector<TestImport> &imports) {
    const unsigned w = plus ? 8 : 4;
    Bytes d((imports.size() + 1) * 20, 0);
    auto append = [&](const Bytes &b) {
      auto at = static_cast<std::uint32_t>(d.size());
      d.insert(d.end(), b.begin(), b.end());
      if (d.size() % 2)
        d.push_back(0);
      return rva + at;
    };
    for (std::size_t i = 0; i < imports.size(); ++i) {
      const auto &imp = imports[i];
      std::vector<std::uint64_t> thunks;
      for (const auto &f : imp.functions) {
        if (const auto *ord = std::get_if<std::uint16_t>(&f)) {
          thunks.push_back((std::uint64_t{1} << (w * 8 - 1)) | *ord);
        } else {
          Bytes hint_name{0x01, 0x00};
          const auto &name = std::get<std::string>(f);
          hint_name.insert(hint_name.end(), name.begin(), name.end());
          hint_name.push_back(0);
          thunks.push_back(append(hint_name));
        }
      }
      Bytes array((thunks.size() + 1) * w, 0);
      for (std::size_t t = 0; t < thunks.size(); ++t)
        put_le(array, t * w, thunks[t], w);
      const std::uint32_t ilt = append(array), iat = append(array);
      Bytes name(imp.dll.begin(), imp.dll.end());
      name.push_back(0);
      const std::uint32_t name_rva = append(name);
      put_le(d, i * 20, imp.original_first_thunk ? ilt : 0, 4);
      put_le(d, i * 20 + 12, name_rva, 4);
      put_le(d, i * 20 + 16, iat, 4);
    }
    // ClamAV passes over a function whose name lies in the file's last 256 bytes: keep clear of it.
    d.resize(d.size() + 0x100, 0);
    import_rva = rva;
    import_size = static_cast<std::uint32_t>((imports.size() + 1) * 20);
    sections.push_back({".idata", rva, d, 0});
  }

  Bytes build() const {
    Bytes d(0x400, 0);
    d[0] = 'M';
    d[1] = 'Z';
    const std::size_t pe = 0x80, fh = pe + 4, opt = fh + 20;
    put_le(d, 0x3c, pe, 4);
    d[pe] = 'P';
    d[pe + 1] = 'E';
    put_le(d, fh, plus ? 0x8664 : 0x14c, 2);
    put_le(d, fh + 2, sections.size(), 2);
    const std::size_t base = plus ? 112 : 96;
    const std::size_t opt_size = base + 8 * data_directories;
    put_le(d, fh + 16, opt_size, 2);
    put_le(d, opt, plus ? 0x20b : 0x10b, 2);
    put_le(d, opt + 16, entry, 4);
    put_le(d, opt + 32, 0x1000, 4);
    put_le(d, opt + 36, 0x200, 4);
    put_le(d, opt + 60, 0x400, 4);
    put_le(d, opt + base - 4, data_directories, 4);
    if (data_directories >= 2) {
      put_le(d, opt + base + 8, import_rva, 4);
      put_le(d, opt + base + 12, import_size, 4);
    }
    std::size_t sh = opt + opt_size;
    std::uint32_t raw = 0x400;
    for (const auto &s : sections) {
      const auto rsz = static_cast<std::uint32_t>((s.data.size() + 0x1ff) / 0x200 * 0x200);
      std::memcpy(&d[sh], s.name.data(), std::min<std::size_t>(8, s.name.size()));
      put_le(d, sh + 8, s.virtual_size ? s.virtual_size : s.data.size(), 4);
      put_le(d, sh + 12, s.rva, 4);
      put_le(d, sh + 16, rsz, 4);
      put_le(d, sh + 20, rsz ? raw : 0, 4);
      d.resize(raw + rsz, 0);
      std::copy(s.data.begin(), s.data.end(), d.begin() + raw);
      raw += rsz;
      sh += 40;
    }
    return d;
  }
};

} // namespace vg::testing
