// file_type.hpp — what kind of file a buffer holds, as ClamAV's target types see it.
// Promise: detect_file_type() looks only at the bytes (never the name), never reads past the buffer,
// and is cheap (a few hundred bytes of magic checks plus a bounded text sniff).
#pragma once
#include "signatures/target_type.hpp"

#include <cstdint>
#include <span>

namespace vg {

enum class FileKind : std::uint8_t {
  binary,    // nothing more specific
  pe,        // MZ + PE\0\0
  msdos,     // MZ without a valid PE header
  elf,
  macho,     // Mach-O, 32/64, either byte order, and universal (fat) binaries
  ole2,      // compound file (D0 CF 11 E0 A1 B1 1A E1)
  html,
  mail,
  graphics,  // PNG, GIF, JPEG, BMP, TIFF, ICO, WebP
  ascii,     // plain text
  pdf,
  flash,     // SWF: FWS / CWS / ZWS
  java,      // class file (CA FE BA BE with a class-file version), not a fat Mach-O
  zip,
  gzip,
  bzip2,
  xz,
  sevenzip,
  rar,
  cab,
  tar,
};
const char *file_kind_name(FileKind k);

FileKind detect_file_type(std::span<const std::uint8_t> data);

// The signature target type that applies to a file of this kind, besides TargetType::any.
// (mail/html/ascii files are "text" types whose signatures ClamAV runs on normalised text.)
TargetType target_type_for(FileKind k);

} // namespace vg
