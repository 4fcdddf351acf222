// file_result.hpp — the verdict on one scanned file, as the reports print it.
#pragma once
#include "engine/engine.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace vg {

struct FileVerdict {
  std::string name;     // signature name as reported
  std::string database; // file it was loaded from
  std::string kind;     // "hash", "body" or "heuristic"
  std::optional<std::uint64_t> offset;
};

struct FileResult {
  enum class Status : std::uint8_t { clean, infected, error, skipped };
  std::string path;
  Status status = Status::clean;
  std::uint64_t size = 0;          // bytes in the file
  std::uint64_t scanned = 0;       // bytes actually scanned
  std::string sha256;              // hex; empty when not computed (errors)
  std::string file_type;
  std::vector<FileVerdict> verdicts;
  std::string reason;              // for error/skipped
  bool allowlisted = false;
};

} // namespace vg
