// section_hash_check.hpp — the PE section hash (.mdb/.msb) and import-table hash (.imp) signatures.
// Promise: check_pe_hashes() does for these signatures what libclamav 1.4's cli_scanpe does on a PE
// file whose header parses (parse_pe_header; a header ClamAV rejects gives no hits, never a throw):
//  - each section with raw data (its size aligned and clipped to the file, as ExeInfo gives it) is
//    hashed only when some signature names that size or a `*` signature of that algorithm exists,
//    every needed digest in one pass over the section, then looked up by (size, digest);
//  - then, for PE32 files only (ClamAV stops before its import scan on PE32+), the import-table
//  text
//    of pe_imports.hpp is hashed and looked up by its length.
// Hits come in ClamAV's order: sections in header order, within one MD5, SHA1, SHA256, each sized
// before `*`; imports last. Without allmatch it stops at the first hit.
#pragma once
#include "common/digest.hpp"
#include "signatures/hash_table.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace vg {

// Sections larger than this are never hashed (ClamAV's CLI_MAX_ALLOCATION).
constexpr std::uint64_t kMaxHashedSection = std::uint64_t{1} << 30;

// Hits are appended to `out`. `release`, if given, is told of byte ranges of `data` the section
// hashing has finished with.
void check_pe_hashes(std::span<const std::uint8_t> data, const HashTable &sections,
                     const HashTable &imports, bool allmatch, std::vector<HashTable::Hit> &out,
                     const ReleaseFn &release = {});

} // namespace vg
