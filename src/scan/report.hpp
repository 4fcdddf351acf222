// report.hpp — prints scan results the way clamscan users read them, or as JSON for machines.
// Promise: text mode prints `PATH: NAME FOUND`, `PATH: OK` (unless infected_only), `PATH: REASON
// ERROR`, `PATH: REASON SKIPPED`, then clamscan's `----------- SCAN SUMMARY -----------` block.
// JSON mode prints one object per line per file and one summary object at the end (schema in
// docs/scan-json.md); a verdict found inside a container carries its chain ("container_path":
// "mail.eml > a.zip > x.exe", "chain": each level's name, ClamAV type and how it was extracted),
// and the file's container notices (limits, encrypted entries, damage) are listed. In text mode the
// limits reached and encrypted entries are printed to standard error as `WARNING: PATH > CHAIN:
// ...`, so standard output stays exactly clamscan's.
#pragma once
#include "scan/file_result.hpp"
#include "scan/scanner.hpp"

#include <chrono>
#include <cstdio>
#include <string>

namespace vg {

struct ReportOptions {
  bool json = false;
  bool infected_only = false;
  bool summary = true;
};

struct SummaryInfo {
  std::uint64_t known_signatures = 0;
  std::string engine_version;
  double seconds = 0;
  std::chrono::system_clock::time_point start, end;
  std::vector<std::string> databases;
};

class Report {
public:
  Report(std::FILE *out, ReportOptions opts) : out_(out), opts_(opts) {}
  void file(const FileResult &r);
  void summary(const ScanTotals &t, const SummaryInfo &info);
  // A fatal error before scanning (e.g. a malformed database): text to stderr, JSON to out.
  void fatal(const std::string &input, const std::string &reason);

private:
  std::FILE *out_;
  ReportOptions opts_;
};

// "0.07 MB" style, as clamscan prints data sizes.
std::string format_megabytes(std::uint64_t bytes);

} // namespace vg
