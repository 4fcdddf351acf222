// libFuzzer target: PE, ELF and Mach-O header parsing on arbitrary bytes.
// Every parser runs on every input (not only on inputs whose magic matches), so the fuzzer can
// reach deep header states from mutated real images. Checks the ExeInfo invariants.
#include "engine/exe_info.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  const vg::ExeInfo all[] = {vg::parse_pe_header(bytes), vg::parse_elf_header(bytes),
                             vg::parse_macho_header(bytes),
                             vg::parse_exe_info(bytes, vg::detect_file_type(bytes))};
  for (const auto &info : all) {
    // A rejected header carries a reason and no offsets.
    if (!info.entry_point && info.sections.empty() && info.members.empty() && info.error.empty() &&
        size > 0) {
      // parse_exe_info on a non-executable kind legitimately returns an empty result.
      continue;
    }
    for (const auto &s : info.sections)
      if (s.raw_size && (s.raw_offset >= size || s.raw_size > size - s.raw_offset))
        std::abort(); // present bytes must lie inside the file
    for (const auto &m : info.members)
      if (m.offset > size || m.size > size - m.offset)
        std::abort();
  }
  return 0;
}
