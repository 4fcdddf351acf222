// level_statistics.hpp — the two level statistics the audio detectors share.
// Promise: median() is the upper median of a sample (the element at index size/2 once sorted; 0
// for an empty sample), taken by value so the caller's order is kept; rms_to_db() is 20·log10 of an
// RMS level, with silence floored at -240 dB instead of -infinity.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

namespace vg::voice {

inline double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

inline double rms_to_db(double rms) {
  return 20.0 * std::log10(std::max(rms, 1e-12));
}

} // namespace vg::voice
