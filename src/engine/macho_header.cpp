// macho_header.cpp — Mach-O (32/64, either byte order) and universal binaries, as ClamAV's
// macho.c (cli_scanmacho / cli_scanmacho_unibin) reads them.
#include "engine/exe_info.hpp"

#include <string>

namespace vg {

namespace {

constexpr std::uint32_t kMaxLoadCommands = 1024;
constexpr std::uint32_t kMaxSegmentSections = 255;
constexpr std::uint32_t kMaxFatArchs = 32;

ExeInfo fail(std::string reason) {
  ExeInfo r;
  r.error = "Mach-O: " + std::move(reason);
  return r;
}

ExeInfo parse_fat(const ByteView &v) {
  const auto magic = v.u32(0, true);
  const auto nfat = v.u32(4, true);
  if (!magic || !nfat)
    return fail("universal header truncated");
  // 0xcafebabe with a small count is a fat binary; ClamAV also accepts the swapped magic.
  const bool be = *magic == 0xcafebabe;
  const std::uint32_t count = be ? *nfat : __builtin_bswap32(*nfat);
  ExeInfo r;
  if ((count & 0xffff) >= 39)
    return fail("universal header is a Java class file");
  if (count > kMaxFatArchs)
    return fail("universal binary claims " + std::to_string(count) + " architectures");
  std::uint64_t at = 8;
  for (std::uint32_t i = 0; i < count; ++i) {
    const auto off = v.u32(at + 8, be);
    const auto size = v.u32(at + 12, be);
    if (!off || !size)
      return fail("fat_arch " + std::to_string(i) + " truncated");
    at += 20;
    if (*off < at) {
      r.error = "Mach-O: fat_arch " + std::to_string(i) + " offset overlaps the header";
      return r;
    }
    if (static_cast<std::uint64_t>(*off) + *size > v.size()) {
      r.error = "Mach-O: fat_arch " + std::to_string(i) + " extends past the end of the file";
      return r;
    }
    r.members.push_back({*off, *size});
  }
  r.error = "Mach-O: universal binary (entry point and sections belong to its members)";
  return r;
}

} // namespace

ExeInfo parse_macho_header(std::span<const std::uint8_t> data) {
  const ByteView v(data);
  const auto magic_be = v.u32(0, true);
  if (!magic_be)
    return fail("header truncated");
  if (*magic_be == 0xcafebabe || *magic_be == 0xbebafeca)
    return parse_fat(v);
  bool be, m64;
  switch (*magic_be) {
  case 0xfeedface:
    be = true, m64 = false;
    break;
  case 0xcefaedfe:
    be = false, m64 = false;
    break;
  case 0xfeedfacf:
    be = true, m64 = true;
    break;
  case 0xcffaedfe:
    be = false, m64 = true;
    break;
  default:
    return fail("bad magic");
  }
  if (!v.has(0, 28))
    return fail("header truncated");
  const std::uint32_t cpu = *v.u32(4, be);
  // ClamAV parses a thread state only for these CPUs (and takes the entry point only for PPC).
  enum { kNone, kX86, kPpc, kPpc64 } arch = kNone;
  if (cpu == 7)
    arch = kX86;
  else if (cpu == 18)
    arch = kPpc;
  else if (cpu == (18 | 0x1000000))
    arch = kPpc64;
  const std::uint32_t ncmds = *v.u32(16, be);
  if (ncmds == 0 || ncmds > kMaxLoadCommands)
    return fail("invalid number of load commands (" + std::to_string(ncmds) + ")");

  ExeInfo r;
  std::uint64_t at = m64 ? 32 : 28;
  std::uint64_t ep = 0;
  for (std::uint32_t i = 0; i < ncmds; ++i) {
    const auto cmd = v.u32(at, be);
    const auto cmdsize = v.u32(at + 4, be);
    if (!cmd || !cmdsize)
      return fail("load command " + std::to_string(i) + " truncated");
    at += 8;
    if ((m64 && *cmd == 0x19) || (!m64 && *cmd == 0x1)) { // LC_SEGMENT(_64)
      const std::uint64_t seg_size = m64 ? 64 : 48;
      if (!v.has(at, seg_size))
        return fail("segment command truncated");
      const std::uint32_t nsects = *v.u32(at + (m64 ? 56 : 40), be);
      at += seg_size;
      if (nsects > kMaxSegmentSections)
        return fail("invalid number of sections (" + std::to_string(nsects) + ")");
      for (std::uint32_t j = 0; j < nsects; ++j) {
        const std::uint64_t sect_size = m64 ? 80 : 68;
        if (!v.has(at, sect_size))
          return fail("section header truncated");
        ExeSection e;
        e.name = v.cstr(at, 16);
        const std::uint32_t align_exp = *v.u32(at + (m64 ? 52 : 44), be);
        if (m64) {
          e.rva = *v.u64(at + 32, be);
          e.virtual_size = *v.u64(at + 40, be);
          e.raw_offset = *v.u32(at + 48, be);
        } else {
          e.rva = *v.u32(at + 32, be);
          e.virtual_size = *v.u32(at + 36, be);
          e.raw_offset = *v.u32(at + 40, be);
        }
        if (align_exp >= 32)
          return fail("section alignment exponent " + std::to_string(align_exp) + " is malformed");
        const std::uint64_t align = std::uint64_t{1} << align_exp;
        const std::uint64_t padding = (align - e.virtual_size % align) % align;
        if (e.virtual_size > UINT64_MAX - padding ||
            (!m64 && e.virtual_size + padding > UINT32_MAX))
          return fail("section size alignment overflows");
        e.raw_size = e.virtual_size + padding;
        if (e.raw_offset >= data.size())
          e.raw_size = 0;
        else if (e.raw_size > data.size() - e.raw_offset)
          e.raw_size = data.size() - e.raw_offset;
        r.sections.push_back(std::move(e));
        at += sect_size;
      }
    } else if (arch != kNone && (*cmd == 0x4 || *cmd == 0x5)) { // LC_THREAD / LC_UNIXTHREAD
      at += 8;                                                  // flavor, count
      switch (arch) {
      case kX86:
        // ClamAV reads the i386 thread state but never takes eip from it (observed with clamscan
        // 1.4.6: EP+0 of an i386 image is file offset 0).
        if (!v.has(at, 64))
          return fail("x86 thread state truncated");
        at += 64;
        break;
      case kPpc:
        if (!v.has(at, 160))
          return fail("PPC thread state truncated");
        ep = *v.u32(at, be); // srr0
        at += 160;
        break;
      case kPpc64:
        if (!v.has(at, 312))
          return fail("PPC64 thread state truncated");
        ep = *v.u64(at, be); // srr0
        at += 312;
        break;
      case kNone:
        break;
      }
    } else if (*cmdsize > 8) {
      at += *cmdsize - 8;
    }
  }

  if (ep && !r.sections.empty()) {
    bool found = false;
    for (const auto &s : r.sections) {
      if (s.rva <= ep && ep - s.rva < s.virtual_size) {
        if (UINT64_MAX - s.raw_offset < ep - s.rva ||
            (!m64 && s.raw_offset + (ep - s.rva) > UINT32_MAX))
          break;
        ep = s.raw_offset + (ep - s.rva);
        found = true;
        break;
      }
    }
    if (!found)
      return fail("entry point address is in no section");
  }
  // Without sections ClamAV keeps the address itself; without a thread state it is 0.
  r.entry_point = ep;
  return r;
}

} // namespace vg
