// logical_conditions.hpp — the target description block of a logical signature checked against one
// scanned buffer, after its logical expression held (libclamav's lsig_eval() order and rules).
// Promise: tdb_holds() is true only when every condition ClamAV would check holds:
//  - FileSize: the scanned buffer's size is within the range;
//  - EntryPoint / NumberOfSections: the executable header parsed (facts.exe_parsed) and the entry
//    point's file offset / the number of sections is within the range;
//  - Container: the type of the direct parent in `chain` (the ClamAV types of the containers the
//    buffer was extracted from, outermost first) is that type. As in libclamav, a plain file's
//    parent is CL_TYPE_ANY: Container:CL_TYPE_ANY holds for a plain file only.
//  - Intermediates: libclamav's intermediates_eval(): the chain holds at least as many layers as
//    names; the names are taken from the last to the first and each non-ANY name is compared with
//    the next ancestor upwards, starting at the direct parent (CL_TYPE_ANY is passed over without
//    using up a layer, exactly as ClamAV 1.4 does).
// Every CL_TYPE_* name libclamav accepts is checked against the chain's ClamType values; names of
// types voxguard never produces (CL_TYPE_DMG, CL_TYPE_HFSPLUS, CL_TYPE_SFX, ...) simply never equal
// a layer. Unknown names never reach here: the .ldb parser skips such a signature at load time.
// tdb_evaluable() is false for what voxguard cannot check, so that such a signature never fires
// (documented limitations): IconGroup1/2 (needs .idb icon data) and HandlerType (ClamAV re-scans
// the file as another type instead of alerting).
#pragma once
#include "engine/file_type.hpp"
#include "signatures/target_description.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace vg {

// The ClamAV types of the containers above a buffer, outermost first (empty: a plain file).
using ContainerChain = std::span<const ClamType>;

struct LogicalFileFacts {
  std::uint64_t size = 0;
  bool exe_parsed = false;
  std::uint64_t entry_point = 0;
  std::uint64_t sections = 0;
  ContainerChain chain;
};

bool tdb_evaluable(const TargetDescription &tdb);
bool tdb_holds(const TargetDescription &tdb, const LogicalFileFacts &facts);

// The ClamType named `name` ("CL_TYPE_ZIP" -> ClamType::zip); nullopt for CL_TYPE_ANY, for the
// libclamav types voxguard never produces, and for unknown names.
std::optional<ClamType> clamav_type_from_name(std::string_view name);

// True when the layer at `parent_index` levels above the buffer (1: direct parent) has the type
// `name`, with libclamav's rule that a layer above the outermost file is CL_TYPE_ANY.
bool chain_layer_is(ContainerChain chain, std::size_t parent_index, std::string_view name);

} // namespace vg
