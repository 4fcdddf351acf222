// data_carrier_detector.hpp — data carried inside the voice band: FSK modems, modem/fax answer
// tones, and infrasound.
// Promise: a streaming detector for audio at any rate >= 8 kHz.
// FSK: per 10 ms hop the mark and space bands of a known modem (Bell 103 originate/answer, Bell
// 202, V.21, V.23, RTTY 170 Hz shift) must hold 70-80% of the 200-3800 Hz energy, for >= 300 ms,
// with both tones in use, the balance between them moving from hop to hop and the burst's spectrum
// spread around the tones (a held note's sharp partials are not data); the modem is named from the
// burst. Answer tone: 2100 Hz holding >= 85% of the energy for >= 500 ms ("ANSam" when
// amplitude-modulated at 15 Hz, else "ANS"). Infrasound: 1-20 Hz above -45 dBFS and above the
// 20-200 Hz band (so not the skirt of a bass note or kick drum) for >= 250 ms. Each event is one
// finding with frequency, level, onset and duration. ggwave's audible, DT and MT protocols are
// recognised by GgwaveDetector (ggwave_detector.hpp) on the same spectra; its findings join
// `findings`, and an FSK burst lying mostly inside a ggwave transmission is not reported again as
// a modem (a burst that ends while a ggwave transmission is open is held until that one closes).
#pragma once
#include "voice/finding.hpp"
#include "voice/ggwave_detector.hpp"
#include "voice/stft.hpp"

#include <functional>
#include <span>
#include <utility>
#include <vector>

namespace vg::voice {

struct Biquad {
  double b0 = 0, b1 = 0, b2 = 0, a1 = 0, a2 = 0;
  double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  double run(double x);
};

class DataCarrierDetector {
public:
  explicit DataCarrierDetector(unsigned sample_rate);
  void push(std::span<const float> samples);
  void flush();
  void set_time_offset(double t) {
    offset_ = t;
    ggwave_.set_time_offset(t);
  }
  std::function<void(const Finding &)> on_confirmed;
  std::vector<Finding> findings;

private:
  void frame(std::uint64_t start, std::span<const float> power);
  void close_fsk();
  void emit_fsk(Finding f);
  void release_fsk();
  void close_tone();
  void infrasound_block(double rms, double bass_rms, double crossings);
  void close_infra();
  unsigned rate_;
  Stft stft_;
  GgwaveDetector ggwave_;
  double offset_ = 0;
  // FSK event
  int fsk_profile_ = -1;
  std::uint64_t fsk_first_ = 0, fsk_last_ = 0;
  unsigned fsk_gap_ = 0;
  std::vector<unsigned> fsk_votes_;
  unsigned fsk_mark_frames_ = 0, fsk_space_frames_ = 0, fsk_frames_ = 0;
  std::vector<double> fsk_levels_;
  std::vector<double> fsk_shares_;   // mark share of mark+space per hop
  std::vector<double> fsk_spectrum_; // summed power spectrum of the current burst
  std::vector<Finding> pending_fsk_; // closed while a ggwave transmission was open
  std::vector<std::pair<double, double>> ggwave_spans_; // onset, end of recent ggwave findings
  // answer tone event
  bool tone_active_ = false;
  std::uint64_t tone_first_ = 0, tone_last_ = 0;
  unsigned tone_gap_ = 0;
  std::vector<double> tone_env_;
  // infrasound: cascaded biquads and block accumulators
  double hp_x1_ = 0, hp_y1_ = 0;
  Biquad lp_[2];   // 4th-order 20 Hz low-pass
  Biquad bass_[2]; // 20-200 Hz band
  double bass_sum_ = 0;
  std::size_t block_len_, block_n_ = 0;
  double block_sum_ = 0, prev_ = 0;
  unsigned block_cross_ = 0;
  std::uint64_t samples_ = 0;
  bool infra_active_ = false;
  std::uint64_t infra_first_ = 0, infra_last_ = 0;
  std::vector<double> infra_levels_, infra_freqs_;
};

} // namespace vg::voice
