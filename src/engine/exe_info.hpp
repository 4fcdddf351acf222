// exe_info.hpp — the parts of PE, ELF and Mach-O headers that signature offsets refer to.
// Promise: parse_exe_info() never reads outside the buffer, never throws, and on a malformed header
// returns what it could establish plus a reason; a missing EP or section makes only the signatures
// that need it unable to match (it never hides a match that does not need them).
//
// The values are the ones ClamAV 1.4.6 computes for EP+n / Sx+n / SL+n / SEx offsets:
//  - PE (pe.c cli_peheader): section rva/vsz aligned to SectionAlignment, raw/rsz to FileAlignment
//    (with ClamAV's fallback to 0x200 for misaligned sections), rsz clipped to the file, sections
//    that start beyond the end of the file dropped; EP = cli_rawaddr(AddressOfEntryPoint): inside
//    the aligned headers it is the RVA itself, otherwise the last section whose raw data covers it.
//  - ELF (elf.c): EP = e_entry mapped through the first program header whose [p_vaddr, +p_memsz)
//    holds it (0 when e_entry is 0 or there are no program headers); sections from the section
//    header table (sh_offset/sh_size/sh_addr).
//  - Mach-O (macho.c): sections from LC_SEGMENT(_64) (size rounded up to the section alignment);
//    EP only from the srr0 register of LC_THREAD/LC_UNIXTHREAD in PPC and PPC64 images, mapped
//    through the section that holds it. ClamAV ignores LC_MAIN and never takes eip from an i386
//    thread state, so i386, x86_64 and arm64 images have EP 0 (clamscan 1.4.6 matches EP+0 at
//    file offset 0 of such images; this reproduces it). Universal (fat) files have no EP or
//    sections of their own: ClamAV scans each member as a file; `members` lists them.
// Whenever ClamAV would reject the header (and so resolve no EP/section offset at all) the result
// has no entry point and no sections, and `error` says why.
#pragma once
#include "engine/file_type.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace vg {

struct ExeSection {
  std::string name;
  std::uint64_t raw_offset = 0; // file offset of the section's data
  std::uint64_t raw_size = 0;   // bytes of it present in the file (clipped to the file size)
  std::uint64_t rva = 0;        // virtual address (relative to image base for PE)
  std::uint64_t virtual_size = 0;
};

// One architecture slice of a universal (fat) Mach-O file.
struct ExeMember {
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

// What ClamAV keeps of a PE header besides the sections (cli_exe_info), for the import table.
struct PeLayout {
  bool pe32plus = false;
  std::uint32_t header_size = 0; // SizeOfHeaders aligned up to SectionAlignment (hdr_size)
  std::uint32_t import_rva = 0;  // data directory 1; 0 when NumberOfRvaAndSizes < 2
  std::uint32_t import_size = 0;
};

struct ExeInfo {
  std::optional<std::uint64_t> entry_point; // file offset of the entry point, as ClamAV computes it
  std::vector<ExeSection> sections;         // in header order (S0 is sections[0])
  std::vector<ExeMember> members;           // fat Mach-O slices (empty otherwise)
  std::string error;                        // why parsing stopped early, if it did
  std::optional<PeLayout> pe;               // PE files whose header parsed
};

// Parses the executable header of a PE, ELF or Mach-O file (kind as detect_file_type() says).
// Other kinds give an empty ExeInfo.
ExeInfo parse_exe_info(std::span<const std::uint8_t> data, FileKind kind);

// The format parsers behind parse_exe_info (each checks its own magic).
ExeInfo parse_pe_header(std::span<const std::uint8_t> data);
ExeInfo parse_elf_header(std::span<const std::uint8_t> data);
ExeInfo parse_macho_header(std::span<const std::uint8_t> data);

// ClamAV's cli_rawaddr: the file offset of a PE RVA. Inside the (aligned) headers the RVA is its
// own offset (if inside the file); otherwise the last section whose raw data covers it maps it.
// nullopt where ClamAV reports an error.
std::optional<std::uint64_t> pe_rva_to_offset(const std::vector<ExeSection> &sections,
                                              std::uint32_t header_size, std::uint64_t file_size,
                                              std::uint64_t rva);

// Bounded little/big-endian reads shared by the parsers: nullopt when [off, off+N) is not inside.
class ByteView {
public:
  explicit ByteView(std::span<const std::uint8_t> d) : d_(d) {}
  std::size_t size() const { return d_.size(); }
  bool has(std::uint64_t off, std::uint64_t len) const {
    return off <= d_.size() && len <= d_.size() - off;
  }
  std::optional<std::uint64_t> uint(std::uint64_t off, unsigned width, bool big_endian) const {
    if (!has(off, width))
      return std::nullopt;
    std::uint64_t v = 0;
    for (unsigned i = 0; i < width; ++i) {
      const std::uint64_t b = d_[static_cast<std::size_t>(off) + (big_endian ? i : width - 1 - i)];
      v = (v << 8) | b;
    }
    return v;
  }
  std::optional<std::uint16_t> u16(std::uint64_t off, bool be = false) const {
    auto v = uint(off, 2, be);
    return v ? std::optional<std::uint16_t>(static_cast<std::uint16_t>(*v)) : std::nullopt;
  }
  std::optional<std::uint32_t> u32(std::uint64_t off, bool be = false) const {
    auto v = uint(off, 4, be);
    return v ? std::optional<std::uint32_t>(static_cast<std::uint32_t>(*v)) : std::nullopt;
  }
  std::optional<std::uint64_t> u64(std::uint64_t off, bool be = false) const {
    return uint(off, 8, be);
  }
  // Up to max_len bytes at off, stopping at the first NUL (empty when off is outside).
  std::string cstr(std::uint64_t off, std::size_t max_len) const {
    std::string s;
    for (std::size_t i = 0; i < max_len && has(off + i, 1); ++i) {
      const char c = static_cast<char>(d_[static_cast<std::size_t>(off + i)]);
      if (c == '\0')
        break;
      s.push_back(c);
    }
    return s;
  }

private:
  std::span<const std::uint8_t> d_;
};

} // namespace vg
