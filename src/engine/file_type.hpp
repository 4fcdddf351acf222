// file_type.hpp — what kind of file a buffer holds, as ClamAV's target types see it.
// Promise: detect_file_type() looks only at the bytes (never the name), never reads past the
// buffer, and is cheap (a few hundred bytes of magic checks plus a bounded text sniff).
//
// The detection reproduces ClamAV 1.4.6 (libclamav/filetypes.c cli_filetype2 with the built-in
// magic table of filetypes_int.h, functionality level 210+):
//  1. the fixed-offset magic table (checked newest entry first, as cli_loadftm prepends them);
//  2. if nothing matched: text sniffing of the first 1024 bytes (textdet.c: ASCII, UTF-8, UTF-16)
//     or binary, then the old-tar header checksum test (is_tar);
//  3. for text and binary data only: the "file type recognition" patterns of the table (HTML
//     markers such as "<html>" or "<script", mail header combinations, embedded PE/SFX/PDF markers)
//     searched in the same first 1024 bytes, with ClamAV's precedence (a later SFX/PE marker
//     overrides, otherwise the numerically larger type wins), then HTML in UTF-16 text.
// ClamType names the resulting cli_file_t; FileKind folds it into what the engine needs.
#pragma once
#include "signatures/target_type.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace vg {

enum class FileKind : std::uint8_t {
  binary, // nothing more specific
  pe,     // MZ + PE\0\0
  msdos,  // MZ without a valid PE header
  elf,
  macho, // Mach-O, 32/64, either byte order, and universal (fat) binaries
  ole2,  // compound file (D0 CF 11 E0 A1 B1 1A E1)
  html,
  mail,
  graphics, // PNG, GIF, JPEG, BMP, TIFF, ICO, WebP
  ascii,    // plain text
  pdf,
  flash, // SWF: FWS / CWS / ZWS
  java,  // class file (CA FE BA BE with a class-file version), not a fat Mach-O
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
// Caution: ClamAV runs ascii (7) and html (3) signatures only on normalised text, never on the raw
// bytes, and runs target 14 (other) on plain binary data; scan_buffers() in text_normalize.hpp
// gives the exact (buffer, targets) pairs per file and should drive the matching.
TargetType target_type_for(FileKind k);

// ClamAV's own file types (cli_file_t) that detection can produce, in ClamAV's numeric order:
// precedence between recognition patterns depends on this order, so do not reorder.
enum class ClamType : std::uint8_t {
  text_ascii,
  text_utf8,
  text_utf16le,
  text_utf16be,
  binary_data,
  msexe,
  elf,
  macho,
  macho_unibin,
  posix_tar,
  old_tar,
  cpio_old,
  cpio_odc,
  cpio_newc,
  cpio_crc,
  gz,
  zip,
  bz,
  rar,
  arj,
  msszdd,
  msole2,
  mscab,
  mschm,
  sis,
  screnc,
  graphics,
  gif,
  png,
  jpeg,
  tiff,
  riff,
  binhex,
  tnef,
  cryptff,
  pdf,
  uuencoded,
  script,
  html_utf16,
  rtf,
  sevenzip,
  swf,
  java,
  xar,
  xz,
  ooxml_word,
  ooxml_ppt,
  ooxml_xl,
  internal,
  hwp3,
  ooxml_hwp,
  ps,
  egg,
  onenote,
  python_compiled,
  lha_lzh,
  alz,
  mbr, // recognition-pattern types from here on ("bigger numbers have higher priority")
  html,
  mail,
  zipsfx, // first of the "SFX" group: these always override an earlier recognition
  rarsfx,
  sevenzipsfx,
  cabsfx,
  arjsfx,
  nulsft,
  autoit,
  ishield_msi,
  iso9660,
  gpt,
  apm,
  xdp,
  xml_word,
  xml_xl,
  xml_hwp,
  hwpole2,
  mhtml,
  lnk,
  udf,
  ignored, // ClamAV skips the content scan of these (MP3, Ogg, SQLite, ...)
};
const char *clamav_type_name(ClamType t); // "CL_TYPE_HTML", ...

// The cli_file_t ClamAV 1.4.6 gives these bytes (the file's own type, before any raw-scan
// re-typing; see text_normalize.hpp for what the raw scan adds for text files).
ClamType detect_clamav_type(std::span<const std::uint8_t> data);

// What FileKind a ClamType folds into (pe/msdos decided by the PE header, hence the data).
FileKind kind_of(ClamType t, std::span<const std::uint8_t> data);

// The matcher ClamAV's cli_mtargets table picks for a raw scan of a file of this type
// (nullopt: only the generic target-0 signatures run on the raw bytes).
std::optional<TargetType> clamav_target_of(ClamType t);

// The recognition-pattern pass alone (step 3 above) over `window` (ClamAV's filetype pass hands it
// the first 1024 bytes; its raw scan hands it the whole file). Returns the winning type or nullopt.
std::optional<ClamType> recognize_embedded_type(std::span<const std::uint8_t> window);

// Number of leading bytes ClamAV types a file by (CL_FILE_MBUFF_SIZE).
inline constexpr std::size_t kMagicBufferSize = 1024;

} // namespace vg
