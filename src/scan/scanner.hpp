// scanner.hpp — scans files with an Engine on N worker threads.
// Promise: every file the walk yields gets exactly one FileResult, delivered to the sink on the
// calling thread in walk order (whatever the thread count); files are read with mmap; files over
// --max-filesize are reported (skipped, or a Heuristics.Limits.Exceeded verdict with
// alert_exceeds_max), and only the first --max-scansize bytes of a file are scanned, which is
// reported too. Containers inside a file (archives, mail, documents) are opened and their objects
// scanned within the container limits (containers/container_scanner.hpp) unless scan_containers is
// off; a plain file's result is what scan_buffer gives. Errors on one file never stop the scan.
#pragma once
#include "engine/engine.hpp"
#include "scan/file_result.hpp"
#include "scan/scan_options.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace vg {

struct ScanTotals {
  std::uint64_t directories = 0;
  std::uint64_t files = 0; // files scanned (not counting errors and skipped)
  std::uint64_t infected = 0;
  std::uint64_t errors = 0;
  std::uint64_t skipped = 0;
  std::uint64_t bytes_scanned = 0;
  std::uint64_t bytes_read = 0;
};

// Called on the scanning thread while files are in flight: files done, bytes done, current path.
using ProgressFn = std::function<void(const ScanTotals &, const std::string &current)>;

// Scans one buffer: the verdicts for it (used for single files and by tests).
FileResult scan_buffer(const Engine &engine, std::span<const std::uint8_t> data, bool allmatch,
                       Engine::Scratch &scratch, const ReleaseFn &release = {});

ScanTotals run_scan(const Engine &engine, const ScanOptions &opts,
                    const std::function<void(const FileResult &)> &sink,
                    const ProgressFn &progress = {});

} // namespace vg
