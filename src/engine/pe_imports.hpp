// pe_imports.hpp — a PE file's import table as the text ClamAV's .imp signatures hash.
// Promise: import_table_text() walks the import directory the way libclamav 1.4 does (pe.c
// hash_imptbl / hash_impfns) and returns the text whose MD5/SHA1/SHA256 and length an .imp
// signature names: one "dll.function" entry per imported function, lowercased (ASCII), joined by
// ',' with nothing around them; the DLL part loses an extension that starts with .dll, .ocx or .sys
// at its first '.'; imports by ordinal are named by pe_ordinal_name(). Like ClamAV it stops at the
// first descriptor whose Name is 0, after 1024 descriptors, or when fewer than 21 bytes of the
// directory are left; a function name read within the last 256 bytes of the file is passed over.
// Where ClamAV computes no import hash (no import directory, a directory outside the file, a DLL
// name or thunk RVA it cannot map, a function name with a character outside [0-9A-Za-z_.]) the
// result has no text and says why. It never reads outside the buffer, and its work is bounded
// (kMaxImportThunks thunks, kMaxImportText bytes of text): a hostile file past those bounds gets no
// import hash rather than an unbounded walk.
#pragma once
#include "engine/exe_info.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace vg {

constexpr std::uint64_t kMaxImportThunks = std::uint64_t{1} << 22;
constexpr std::uint64_t kMaxImportText = std::uint64_t{16} << 20;

struct ImportTableText {
  std::optional<std::string> text; // nullopt: ClamAV computes no import hash for this file
  std::string reason;              // why there is no text
};

// `exe` is parse_pe_header(data); a result without a PE layout gives no text.
ImportTableText import_table_text(std::span<const std::uint8_t> data, const ExeInfo &exe);

} // namespace vg
