// elf_header.cpp — ELF32/ELF64 (either byte order) entry point and sections as ClamAV's elf.c
// computes them for signature offsets (cli_elfheader).
#include "engine/exe_info.hpp"

#include <string>

namespace vg {

namespace {

constexpr std::uint32_t kMaxProgramHeaders = 128; // ClamAV: "Suspicious number of program headers"
constexpr std::uint32_t kMaxSections = 256;       // ClamAV: "Suspicious number of sections"

ExeInfo fail(std::string reason) {
  ExeInfo r;
  r.error = "ELF: " + std::move(reason);
  return r;
}

} // namespace

ExeInfo parse_elf_header(std::span<const std::uint8_t> data) {
  const ByteView v(data);
  if (!v.has(0, 52))
    return fail("file header truncated");
  if (data[0] != 0x7f || data[1] != 'E' || data[2] != 'L' || data[3] != 'F')
    return fail("no ELF signature");
  const std::uint8_t cls = data[4];
  if (cls != 1 && cls != 2)
    return fail("unknown ELF class " + std::to_string(cls));
  const bool is64 = cls == 2;
  if (is64 && !v.has(0, 64))
    return fail("64-bit file header truncated");
  const bool be = data[5] != 1; // ClamAV treats anything but ELFDATA2LSB as big-endian
  const unsigned w = is64 ? 8 : 4;

  // Header field offsets differ between the classes only by the width of entry/phoff/shoff.
  const std::uint64_t entry = *v.uint(24, w, be);
  const std::uint64_t phoff = *v.uint(24 + w, w, be);
  const std::uint64_t shoff = *v.uint(24 + 2 * w, w, be);
  const std::uint64_t tail = 24 + 3 * w + 4; // after e_flags
  const std::uint16_t phentsize = *v.u16(tail + 2, be);
  const std::uint16_t phnum = *v.u16(tail + 4, be);
  const std::uint16_t shentsize = *v.u16(tail + 6, be);
  const std::uint16_t shnum = *v.u16(tail + 8, be);
  const std::uint16_t shstrndx = *v.u16(tail + 10, be);

  ExeInfo r;
  // Program headers and the entry point.
  if (phnum > kMaxProgramHeaders)
    return fail("suspicious number of program headers (" + std::to_string(phnum) + ")");
  std::uint64_t ep = 0;
  if (phnum) {
    const std::uint64_t want = is64 ? 56 : 32;
    if (phentsize != want)
      return fail("e_phentsize " + std::to_string(phentsize) + " is not " + std::to_string(want));
    if (phoff > data.size() || want * phnum > data.size() - phoff)
      return fail("program header table extends past the end of the file");
    bool found = !entry;
    for (std::uint32_t i = 0; i < phnum && entry && !found; ++i) {
      const std::uint64_t p = phoff + want * i;
      std::uint64_t offset, vaddr, memsz;
      if (is64) {
        offset = *v.u64(p + 8, be);
        vaddr = *v.u64(p + 16, be);
        memsz = *v.u64(p + 40, be);
      } else {
        offset = *v.u32(p + 4, be);
        vaddr = *v.u32(p + 8, be);
        memsz = *v.u32(p + 20, be);
      }
      if (entry >= vaddr && entry - vaddr < memsz) {
        const std::uint64_t delta = entry - vaddr;
        if (delta > UINT64_MAX - offset)
          return fail("entry point file offset overflows");
        ep = offset + delta;
        found = true;
      }
    }
    if (!found)
      return fail("entry point " + std::to_string(entry) + " is in no segment");
  }
  r.entry_point = ep;

  // Section headers.
  if (shnum > kMaxSections)
    return fail("suspicious number of sections (" + std::to_string(shnum) + ")");
  const std::uint64_t want = is64 ? 64 : 40;
  if (shentsize != want)
    return fail("e_shentsize " + std::to_string(shentsize) + " is not " + std::to_string(want));
  if (shnum == 0)
    return r;
  if (shoff > data.size() || want * shnum > data.size() - shoff)
    return fail("section header table extends past the end of the file");
  // Names come from the section-name string table when it is usable (ClamAV does not read them).
  std::uint64_t names_off = 0, names_size = 0;
  if (shstrndx < shnum) {
    const std::uint64_t s = shoff + want * shstrndx;
    names_off = *v.uint(s + (is64 ? 24 : 16), w, be);
    names_size = *v.uint(s + (is64 ? 32 : 20), w, be);
  }
  for (std::uint32_t i = 0; i < shnum; ++i) {
    const std::uint64_t s = shoff + want * i;
    ExeSection e;
    const std::uint32_t name_idx = *v.u32(s, be);
    e.rva = *v.uint(s + (is64 ? 16 : 12), w, be);
    e.raw_offset = *v.uint(s + (is64 ? 24 : 16), w, be);
    const std::uint64_t size = *v.uint(s + (is64 ? 32 : 20), w, be);
    e.virtual_size = size;
    e.raw_size = e.raw_offset >= data.size() ? 0 : std::min(size, data.size() - e.raw_offset);
    if (names_size && name_idx < names_size && names_off < data.size())
      e.name = v.cstr(names_off + name_idx, static_cast<std::size_t>(names_size - name_idx));
    r.sections.push_back(std::move(e));
  }
  return r;
}

} // namespace vg
