// pe_header.cpp — PE32/PE32+ entry point and section table as ClamAV's cli_peheader computes them.
#include "engine/exe_info.hpp"

#include <string>

namespace vg {

namespace {

constexpr std::uint32_t kMaxSections = 96; // ClamAV's PE_MAXSECTIONS
constexpr std::uint64_t kSectionHeaderSize = 40;

// ClamAV's PEALIGN (round down) and PESALIGN (round up) on its 32-bit fields: an alignment of 0
// leaves the value as is, and rounding up wraps (SizeOfHeaders 0xffffffff aligns to 0).
std::uint32_t align_down(std::uint32_t v, std::uint32_t a) {
  return a ? (v / a) * a : v;
}
std::uint32_t align_up(std::uint32_t v, std::uint32_t a) {
  return a ? static_cast<std::uint32_t>((v / a + (v % a != 0)) * a) : v;
}

ExeInfo fail(std::string reason) {
  ExeInfo r;
  r.error = "PE: " + std::move(reason);
  return r;
}

struct RawSection {
  std::string name;
  std::uint32_t vsz, rva, rsz, raw;
};

} // namespace

ExeInfo parse_pe_header(std::span<const std::uint8_t> data) {
  const ByteView v(data);
  const std::uint64_t fsize = data.size();
  if (!v.has(0, 2) || data[0] != 'M' || data[1] != 'Z')
    return fail("no MZ signature");
  const auto lfanew = v.u32(0x3c);
  if (!lfanew)
    return fail("DOS header truncated (no e_lfanew)");
  if (*lfanew == 0)
    return fail("e_lfanew is 0");
  const std::uint64_t pe = *lfanew;
  if (!v.has(pe, 4) || data[pe] != 'P' || data[pe + 1] != 'E' || data[pe + 2] != 0 ||
      data[pe + 3] != 0)
    return fail("no PE\\0\\0 signature at e_lfanew " + std::to_string(pe));
  const std::uint64_t fh = pe + 4;
  const auto nsections = v.u16(fh + 2);
  const auto opt_size = v.u16(fh + 16);
  if (!nsections || !opt_size)
    return fail("file header truncated");
  if (*nsections == 0)
    return fail("NumberOfSections is 0");
  if (*nsections > kMaxSections)
    return fail("NumberOfSections " + std::to_string(*nsections) + " exceeds " +
                std::to_string(kMaxSections));
  const std::uint64_t opt = fh + 20;
  const auto magic = v.u16(opt);
  if (!magic)
    return fail("optional header truncated");
  // ClamAV reads anything but the PE32+ magic as a PE32 optional header.
  const bool plus = *magic == 0x20b;
  const std::uint64_t base_size = plus ? 112 : 96; // optional header without data directories
  if (*opt_size < base_size)
    return fail("SizeOfOptionalHeader " + std::to_string(*opt_size) + " too small");
  if (!v.has(opt, base_size))
    return fail("optional header truncated");
  const std::uint32_t vep = *v.u32(opt + 16);
  const std::uint32_t valign = *v.u32(opt + 32);
  std::uint32_t falign = *v.u32(opt + 36);
  const std::uint32_t size_of_headers = *v.u32(opt + 60);
  std::uint32_t ndirs = *v.u32(opt + (plus ? 108 : 92));
  if (ndirs > 16)
    ndirs = 16;
  if (*opt_size < base_size + 8ull * ndirs)
    return fail("SizeOfOptionalHeader too small for " + std::to_string(ndirs) +
                " data directories");

  const std::uint64_t sh = opt + *opt_size;
  if (!v.has(sh, kSectionHeaderSize * *nsections))
    return fail("section table (" + std::to_string(*nsections) + " entries at " +
                std::to_string(sh) + ") extends past the end of the file");

  std::vector<RawSection> raw_sections;
  for (std::uint32_t i = 0; i < *nsections; ++i) {
    const std::uint64_t s = sh + kSectionHeaderSize * i;
    raw_sections.push_back(
        {v.cstr(s, 8), *v.u32(s + 8), *v.u32(s + 12), *v.u32(s + 16), *v.u32(s + 20)});
  }
  // "File alignment fallback mode": a section not aligned to FileAlignment but aligned to 0x200.
  for (const auto &s : raw_sections) {
    if (falign == 0x200)
      break;
    if (falign && s.rsz && s.raw % falign && !(s.raw % 0x200))
      falign = 0x200;
  }
  const std::uint32_t hdr_size = align_up(size_of_headers, valign);

  ExeInfo r;
  for (std::size_t i = 0; i < raw_sections.size(); ++i) {
    const auto &s = raw_sections[i];
    ExeSection e;
    e.name = s.name;
    e.rva = align_down(s.rva, valign);
    e.virtual_size = align_up(s.vsz, valign);
    e.raw_offset = align_down(s.raw, falign);
    e.raw_size = align_up(s.rsz, falign);
    if (!e.virtual_size && e.raw_size)
      e.virtual_size = align_up(s.rsz, valign);
    std::uint64_t unaligned_rsz = s.rsz;
    if (e.raw_size) {
      if (e.raw_offset >= fsize || s.raw >= fsize) {
        // ClamAV drops such a section (and gives up if it was the only one).
        if (raw_sections.size() == 1)
          return fail("the only section starts beyond the end of the file");
        r.error = "PE: section " + std::to_string(i) + " starts beyond the end of the file";
        continue;
      }
      if (e.raw_size > fsize - e.raw_offset)
        e.raw_size = fsize - e.raw_offset;
      if (unaligned_rsz > fsize - s.raw) // ClamAV clips the header value too
        unaligned_rsz = fsize - s.raw;
    }
    // A header value with the sign bit set rejects the whole header (a misaligned VirtualAddress
    // is only reported by ClamAV, not fatal).
    if ((s.rva >> 31) || (s.vsz >> 31) || (e.raw_size && (s.raw >> 31)) || (unaligned_rsz >> 31))
      return fail("section " + std::to_string(i) + " has a value with the sign bit set");
    r.sections.push_back(std::move(e));
  }

  r.entry_point = pe_rva_to_offset(r.sections, hdr_size, fsize, vep);
  if (!r.entry_point) {
    if (vep < hdr_size)
      return fail("entry point " + std::to_string(vep) + " lies beyond the end of the file");
    return fail("entry point RVA " + std::to_string(vep) + " is not backed by file data");
  }
  PeLayout layout;
  layout.pe32plus = plus;
  layout.header_size = hdr_size;
  if (ndirs >= 2) {
    // Directory 1 (imports) follows directory 0, right after the fixed optional header.
    layout.import_rva = *v.u32(opt + base_size + 8);
    layout.import_size = *v.u32(opt + base_size + 12);
  }
  r.pe = layout;
  return r;
}

std::optional<std::uint64_t> pe_rva_to_offset(const std::vector<ExeSection> &sections,
                                              std::uint32_t header_size, std::uint64_t file_size,
                                              std::uint64_t rva) {
  if (rva < header_size) {
    if (rva >= file_size)
      return std::nullopt;
    return rva;
  }
  // From the last section to the first, the first whose raw data covers the RVA.
  for (std::size_t i = sections.size(); i-- > 0;) {
    const auto &s = sections[i];
    if (s.raw_size && s.rva <= rva && s.raw_size > rva - s.rva)
      return rva - s.rva + s.raw_offset;
  }
  return std::nullopt;
}

} // namespace vg
