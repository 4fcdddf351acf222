// inaudible_band_filter.hpp — removes the inaudible band (above ~15.9 kHz) from audio, keeps the
// rest. Promise: a linear-phase Kaiser-window FIR low-pass (pass band to 15 kHz within 0.01 dB,
// stop band from 16.8 kHz at least 90 dB down), streaming with state so consecutive blocks (RTP
// packets) join without clicks. delay() is its group delay in samples. At sample rates below 33.6
// kHz the band does not exist and the filter passes audio through unchanged (active() is false).
#pragma once
#include <span>
#include <vector>

namespace vg::voice {

class InaudibleBandFilter {
public:
  explicit InaudibleBandFilter(unsigned sample_rate, double pass_hz = 15000, double stop_hz = 16800,
                               double attenuation_db = 90);
  // Filters `x` in place (one channel).
  void process(std::span<float> x);
  bool active() const { return !taps_.empty(); }
  std::size_t delay() const { return taps_.empty() ? 0 : (taps_.size() - 1) / 2; }
  std::size_t taps() const { return taps_.size(); }

private:
  std::vector<float> taps_;
  std::vector<float> history_; // last taps-1 inputs, oldest first
};

// RMS level in dBFS of the part of `x` between lo and hi Hz (FFT of the whole signal, Hann windowed
// blocks of 8192); used to prove what a scrub removed and kept.
double band_level_dbfs(std::span<const float> x, unsigned sample_rate, double lo_hz, double hi_hz);

} // namespace vg::voice
