// scan_options.hpp — what a user asks of one `voxguard scan` run.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vg {

struct ScanOptions {
  std::vector<std::string> paths;       // files, directories, "-" for stdin
  std::vector<std::string> exclude;     // globs matched against file paths (fnmatch)
  std::vector<std::string> exclude_dir; // globs matched against directory paths
  bool recursive = true;
  bool follow_symlinks = false; // follow symlinks met inside the tree
  bool allmatch = false;
  unsigned threads = 0;                      // 0: all cores
  std::uint64_t max_filesize = 100ull << 20; // clamscan's defaults
  std::uint64_t max_scansize = 400ull << 20;
  bool want_sha256 = false;       // compute each file's SHA-256 for the report (--json)
  bool alert_exceeds_max = false; // report exceeded limits as Heuristics.Limits.Exceeded.*
  // Containers (archives, mail, documents), with clamscan's defaults. max_filesize also caps each
  // object extracted, max_scansize the bytes scanned per file including everything extracted.
  bool scan_containers = true;
  unsigned max_recursion = 17;            // levels of containers inside the file
  std::uint64_t max_files = 10000;        // objects taken out of one file
  std::uint64_t max_scantime_ms = 120000; // time for one file with all its contents
  double max_ratio = 250;                 // extracted/compressed, checked past ratio_floor bytes
  std::uint64_t ratio_floor = 1ull << 20;
  bool alert_encrypted = false; // report encrypted entries as Heuristics.Encrypted.*
};

} // namespace vg
