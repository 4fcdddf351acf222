// exe_info.hpp — the parts of PE, ELF and Mach-O headers that signature offsets refer to.
// Promise: parse_exe_info() never reads outside the buffer, never throws, and on a malformed header
// returns what it could establish plus a reason; a missing EP or section makes only the signatures
// that need it unable to match (it never hides a match that does not need them).
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

struct ExeInfo {
  std::optional<std::uint64_t> entry_point; // file offset of the entry point, as ClamAV computes it
  std::vector<ExeSection> sections;         // in header order (S0 is sections[0])
  std::string error;                        // why parsing stopped early, if it did
};

// Parses the executable header of a PE, ELF or Mach-O file (kind as detect_file_type() says).
// Other kinds give an empty ExeInfo.
ExeInfo parse_exe_info(std::span<const std::uint8_t> data, FileKind kind);

} // namespace vg
