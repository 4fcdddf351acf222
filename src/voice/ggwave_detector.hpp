// ggwave_detector.hpp — ggwave's audible data-over-sound protocols (github.com/ggerganov/ggwave).
// Promise: fed the power spectra of a Hann STFT (any rate >= 8 kHz, bins <= 31.25 Hz), it reports
// each ggwave audible transmission as one "audio.data-carrier" finding labelled "ggwave audible
// normal", "ggwave audible fast" or "ggwave audible fastest", with onset and duration. ggwave tones
// sit on a 46.875 Hz grid (48 kHz / 1024-sample frames) from bin 40 (1875 Hz): a start marker of
// 16 tones (bins 40+2i+(i&1)) held for 16 frames, then data with one tone per nibble (nibble n,
// value v -> bin 40+16n+v) held 9/6/3 frames per 3-byte chunk, then an end marker (bins
// 40+2i+1-(i&1)). Found: >= 150 ms of start marker (at its 16 tones >= 30% of the 1.8-3.4 kHz
// power, >= 4x the power at its interleaved twin comb, 13 of 16 tones present), then data hops in
// which every usable nibble group has one tone holding >= 30% of the group's power; runs of equal
// tone sets are the chunks and the median spacing of their starts names the speed (end marker
// optional). Only nibble groups below the Nyquist limit are used, so 8 kHz G.711 audio (2 of 6
// groups) still carries enough to recognise it. Not recognised: the DT/MT variants, and a
// transmission whose start marker was missed.
#pragma once
#include "voice/finding.hpp"
#include "voice/stft.hpp"

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace vg::voice {

class GgwaveDetector {
public:
  // `stft` is the transform whose frames are passed to frame(); it must outlive the detector
  GgwaveDetector(unsigned sample_rate, const Stft &stft);
  void frame(std::uint64_t start, std::span<const float> power);
  void flush();
  void set_time_offset(double t) { offset_ = t; }
  std::function<void(const Finding &)> on_confirmed;
  std::vector<Finding> findings;

private:
  enum class Kind { none, start_marker, end_marker, data };
  Kind classify(std::span<const float> p, std::vector<int> &tones, double &level) const;
  double tone_power(std::span<const float> p, int grid_bin) const;
  void close();
  unsigned rate_;
  const Stft &stft_;
  std::size_t n_, hop_;
  int groups_; // nibble groups wholly below the Nyquist limit (at most 6)
  double offset_ = 0;
  // current transmission
  bool active_ = false;
  std::uint64_t first_ = 0, last_ = 0, marker_last_ = 0;
  unsigned marker_hops_ = 0, end_hops_ = 0, gap_ = 0;
  std::vector<std::vector<int>> data_; // tone set per data hop (empty: not a data hop)
  std::vector<std::uint64_t> data_start_;
  std::vector<double> levels_;
};

} // namespace vg::voice
