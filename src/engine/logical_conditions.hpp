// logical_conditions.hpp — the target description block of a logical signature checked against one
// scanned buffer, after its logical expression held (libclamav's lsig_eval() order and rules).
// Promise: tdb_holds() is true only when every condition ClamAV would check holds:
//  - FileSize: the scanned buffer's size is within the range;
//  - EntryPoint / NumberOfSections: the executable header parsed (facts.exe_parsed) and the entry
//    point's file offset / the number of sections is within the range;
//  - Container: the direct parent in `chain` (outermost first) has that type; an empty chain (a
//    plain file) never satisfies it, as in clamscan;
//  - Intermediates: the chain ends with those types (CL_TYPE_ANY matches any one layer).
// tdb_evaluable() is false for what voxguard cannot check, so that such a signature never fires
// (documented limitations): IconGroup1/2 (needs .idb icon data), HandlerType (ClamAV re-scans the
// file as another type instead of alerting), and Container/Intermediates names that FileKind cannot
// tell apart from other ClamAV types (FileKind::zip also covers OOXML, FileKind::mail also MHTML,
// FileKind::html also HTML_UTF16, FileKind::macho also universal binaries, ...). The types that are
// checked: CL_TYPE_MSEXE ELF MSOLE2 PDF SWF JAVA GZ BZ XZ 7Z RAR MSCAB (and ANY in Intermediates).
#pragma once
#include "engine/file_type.hpp"
#include "signatures/target_description.hpp"

#include <cstdint>
#include <optional>
#include <span>

namespace vg {

struct LogicalFileFacts {
  std::uint64_t size = 0;
  bool exe_parsed = false;
  std::uint64_t entry_point = 0;
  std::uint64_t sections = 0;
  std::span<const FileKind> chain; // containers, outermost first
};

bool tdb_evaluable(const TargetDescription &tdb);
bool tdb_holds(const TargetDescription &tdb, const LogicalFileFacts &facts);

// True when `kind` is certainly ClamAV's type `name`; nullopt when FileKind cannot tell.
std::optional<bool> clamav_type_is(std::string_view name, FileKind kind);

} // namespace vg
