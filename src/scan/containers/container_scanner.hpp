// container_scanner.hpp — the recursion driver: looks inside a file's containers and scans every
// object found there with the engine, within the scan's limits.
// Promise: each object is typed from its bytes (detect_clamav_type), scanned with the engine like a
// file (with the chain of ClamAV container types above it, outermost first, for the .ldb
// Container/Intermediates keys) and, when it is a container itself, opened in turn. When the
// engine holds .cdb signatures, each archive's entry metadata (archive_entry_metadata.hpp) is
// matched against them in libclamav's order (a zip's whole central directory first, otherwise each
// entry just before its content; a match is a "metadata" verdict whose chain ends with the entry).
// Nothing is written to disk. The limits of ScanOptions hold for the whole file: depth
// (max_recursion), objects (max_files per container), size of each object (max_filesize), bytes
// scanned in all (max_scansize), extracted/compressed ratio (max_ratio) and time (max_scantime_ms).
// Every limit reached, encrypted entry and damaged container becomes a ScanNotice; with
// alert_exceeds_max a limit is also a Heuristics.Limits.Exceeded.<Limit> verdict, with
// alert_encrypted an encrypted entry a Heuristics.Encrypted.<Family> verdict. Without allmatch the
// first verdict ends the file's scan, as clamscan does.
#pragma once
#include "engine/engine.hpp"
#include "scan/file_result.hpp"
#include "scan/scan_options.hpp"

#include <span>

namespace vg {

// Looks inside `data` (the bytes of the file `result` describes, already scanned as a whole) and
// adds to `result` the verdicts, notices, object count and scanned bytes of what is inside.
// `release` (optional) may drop `data`'s pages (MappedFile::release); it is called with the whole
// of `data` as each object of the outermost container is handed over, so a large archive does
// not stay resident while its entries are scanned.
void scan_contents(const Engine &engine, const ScanOptions &opts, Engine::Scratch &scratch,
                   std::span<const std::uint8_t> data, FileResult &result,
                   const ReleaseFn &release = {});

// "a.zip > b.exe" for a chain (names, or the type when an object has no name).
std::string chain_text(const std::vector<ChainLink> &chain);

} // namespace vg
