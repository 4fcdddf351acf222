// tree_walker.hpp — turns the paths a user named into the files to scan.
// Promise: walks directories depth-first in name order (so output is reproducible), applies
// --exclude/--exclude-dir globs, never follows a symlink met inside a tree unless asked (symlinks
// named on the command line are followed), never loops (directories are remembered by device and
// inode), and reports unreadable entries through on_error instead of stopping.
#pragma once
#include "scan/scan_options.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace vg {

struct WalkCounters {
  std::uint64_t directories = 0;
};

void walk_paths(const ScanOptions &opts, const std::function<void(const std::string &)> &on_file,
                const std::function<void(const std::string &, const std::string &)> &on_error,
                WalkCounters &counters);

} // namespace vg
