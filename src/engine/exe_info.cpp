// exe_info.cpp — dispatch to the PE, ELF and Mach-O header parsers.
#include "engine/exe_info.hpp"

namespace vg {

ExeInfo parse_exe_info(std::span<const std::uint8_t> data, FileKind kind) {
  switch (kind) {
  case FileKind::pe:
  case FileKind::msdos:
    return parse_pe_header(data);
  case FileKind::elf:
    return parse_elf_header(data);
  case FileKind::macho:
    return parse_macho_header(data);
  default:
    return {};
  }
}

} // namespace vg
