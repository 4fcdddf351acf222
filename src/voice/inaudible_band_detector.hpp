// inaudible_band_detector.hpp — near-ultrasonic carriers (16.8-24 kHz) in decoded audio.
// Promise: a streaming STFT (N=2048, hop 960 at 48 kHz, scaled for other rates) looks in every
// frame for a tonal peak in the band (peak over the band's median by `tonality_db`, tone level
// above `min_level_dbfs`, holding `min_band_share` of the band's energy, a local maximum standing
// `tonality_db` over the 15.3-16.8 kHz neighbourhood below the band, at the same frequency
// (+-2 bins) as in the previous frame); tonal frames that persist for `min_duration_s` (gaps up to
// `max_gap_frames`) become one finding with frequency (median of the frames), level (RMS dBFS of
// the tone), onset and duration, plus its energy relative to the voice band and any known beacon
// grid it fits. Only meaningful for audio sampled at >= 44.1 kHz; the caller says "not applicable"
// otherwise.
#pragma once
#include "voice/finding.hpp"
#include "voice/stft.hpp"

#include <functional>
#include <span>
#include <vector>

namespace vg::voice {

struct InaudibleBandConfig {
  double band_low_hz = 16800;
  double band_high_hz = 24000;
  double tonality_db = 20;      // peak over the median of the band
  double min_level_dbfs = -70;  // RMS of the tone
  double min_duration_s = 0.12; // persistence gate
  double min_band_share = 0.5;  // the line's share of the band's energy
  unsigned max_gap_frames = 2;
};

// Names of known beacon grids compatible with the frequencies (Hz), or "" when none fits.
std::string beacon_grid_label(const std::vector<double> &frequencies);

class InaudibleBandDetector {
public:
  InaudibleBandDetector(unsigned sample_rate, InaudibleBandConfig cfg = {});
  // `time_offset_s` is the capture time of sample 0 (added to onsets).
  void push(std::span<const float> samples);
  void flush();
  void set_time_offset(double t) { offset_ = t; }
  // Called once when an event passes the persistence gate (live alerts), with onset and level.
  std::function<void(const Finding &)> on_confirmed;
  std::vector<Finding> findings;
  std::uint64_t frames() const { return frames_; }

private:
  void frame(std::uint64_t start, std::span<const float> power);
  void close_event();
  unsigned rate_;
  InaudibleBandConfig cfg_;
  Stft stft_;
  double offset_ = 0;
  std::uint64_t frames_ = 0;
  // current event
  bool active_ = false;
  bool confirmed_ = false;
  std::uint64_t first_start_ = 0, last_start_ = 0;
  unsigned gap_ = 0;
  std::size_t prev_peak_ = 0; // peak bin of the previous frame if it was a candidate, else 0
  std::vector<double> freqs_, levels_, ratios_;
};

} // namespace vg::voice
