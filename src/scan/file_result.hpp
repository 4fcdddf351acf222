// file_result.hpp — the verdict on one scanned file, as the reports print it.
#pragma once
#include "engine/engine.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vg {

// One level of the way down to an object inside a container (outermost first; the outer file itself
// is not a link).
struct ChainLink {
  std::string name;   // entry/part/stream name inside its parent ("" when it has none)
  std::string type;   // ClamAV type name of the object ("CL_TYPE_ZIP", ...)
  std::string method; // how it was obtained ("zip", "mime:base64", "ole2:stream", ...)
};

// Something about a container that the verdict alone does not say: a limit stopped the extraction,
// an entry is encrypted, the container is damaged. Never silent: the report prints every one.
struct ScanNotice {
  enum class Kind : std::uint8_t { limit, encrypted, damaged };
  Kind kind = Kind::damaged;
  std::string limit;            // for limits: ClamAV's name ("MaxFiles", "MaxRecursion", ...)
  std::vector<ChainLink> where; // the object concerned (empty: the outer file)
  std::string detail;
};

struct FileVerdict {
  std::string name;     // signature name as reported
  std::string database; // file it was loaded from
  std::string kind;     // "hash", "body" or "heuristic"
  std::optional<std::uint64_t> offset;
  std::vector<ChainLink> chain; // where inside the file it matched (empty: the file itself)
};

struct FileResult {
  enum class Status : std::uint8_t { clean, infected, error, skipped };
  std::string path;
  Status status = Status::clean;
  std::uint64_t size = 0;    // bytes in the file
  std::uint64_t scanned = 0; // bytes actually scanned
  std::string sha256;        // hex; empty when not computed (errors)
  std::string file_type;
  std::vector<FileVerdict> verdicts;
  std::string reason; // for error/skipped
  bool allowlisted = false;
  std::uint64_t objects = 0;       // objects scanned inside the file (containers)
  std::vector<ScanNotice> notices; // limits, encrypted entries, damage met inside containers
};

} // namespace vg
