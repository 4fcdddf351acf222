// progress_line.hpp — the one-line progress display on a terminal (files, bytes, rate, current
// file). Promise: draws on stderr only when stderr is a terminal, at most 10 times a second, and
// erases itself before any other output line so results never mix with it.
#pragma once
#include "scan/scanner.hpp"

#include <chrono>
#include <string>

namespace vg {

class ProgressLine {
public:
  explicit ProgressLine(bool enabled);
  void update(const ScanTotals &t, const std::string &current);
  void clear();
  bool enabled() const { return enabled_; }

private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

} // namespace vg
