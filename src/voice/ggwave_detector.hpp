// ggwave_detector.hpp — ggwave's audible data-over-sound protocols (github.com/ggerganov/ggwave).
// Promise: fed the power spectra of a Hann STFT (any rate >= 8 kHz, bins <= 31.25 Hz), it reports
// each ggwave transmission of the audible, dual-tone (DT) or mono-tone (MT) protocols as one
// "audio.data-carrier" finding labelled "ggwave audible|DT|MT normal|fast|fastest", with onset and
// duration. ggwave tones sit on a 46.875 Hz grid (48 kHz / 1024-sample frames, or 6 kHz / 128 on
// microcontrollers: the same Hz and ms) from freqStart (bin 40 = 1875 Hz audible, 24 = 1125 Hz
// DT/MT). A variable-length transmission opens with a start marker of 16 tones (bins
// freqStart+2i+(i&1)) held 16 frames and closes with an end marker (freqStart+2i+1-(i&1)); data
// chunks (framesPerTx 9/6/3 frames = 192/128/64 ms) carry one tone per nibble: audible 3 bytes =
// 6 tones (nibble n, value v -> bin 40+16n+v), DT 1 byte = 2 tones (bins 24+v, 40+v), MT half a
// byte = 1 tone (bin 24+v). Fixed-length transmissions (the only mode MT allows, an option for DT)
// have no markers.
// Found: audible and marked DT: >= 150 ms of start marker (its 16 tones >= 30% of the comb band's
// power, >= 4x the interleaved twin comb, 13 of 16 present), then data hops in which every usable
// nibble group has one tone holding >= 30% of the group's power; runs of equal tone sets are the
// chunks and the median spacing of their starts names the speed (end marker optional). Unmarked
// DT/MT: hops whose one tone per group holds >= half its group and, all together, >= 65% of the
// 200-3800 Hz power (each DT tone >= 15%); >= 4 DT / 6 MT chunks with >= 3 / 4 different tone
// sets, chunk frequencies within 2.5 Hz (median) of the grid (scaled by up to +-0.3% for the
// sender's clock; ggwave's own encoder measures <= 0.5 Hz), and chunk starts phase-locked to the
// speed's period (resultant >= 0.75; the period may be off by up to 3%, a sender's clock) — pure
// tones off the grid, glides, speech harmonics and melodies without ggwave's clock are not
// ggwave. Only nibble groups below the Nyquist limit are used (8 kHz G.711 keeps 2 of 6 audible
// groups and all of DT/MT). Not recognised: audible transmissions without a start marker (fixed
// length, or joined mid-way; a DT one joined mid-way is still found from its chunks), DT/MT under
// loud speech or music (the tones must hold the band), DT/MT moved off freqStart 24 (ggwave lets a
// sketch shift it), and unmarked DT of fewer than 4 bytes.
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
  // a transmission may be in progress (a finding may still come for audio already seen)
  bool busy() const;
  std::function<void(const Finding &)> on_confirmed;
  std::vector<Finding> findings;

  struct Family; // a tone layout shared by three speeds (audible, DT, MT)

private:
  enum class Kind { none, start_marker, end_marker, data };
  // one family's transmission in progress
  struct Track {
    const Family *family = nullptr;
    int groups = 0; // nibble groups wholly below the Nyquist limit
    bool active = false;
    std::uint64_t first = 0, last = 0;
    unsigned marker_hops = 0, end_hops = 0, gap = 0;
    std::vector<std::vector<int>> data; // tone set per data hop (empty: not a data hop)
    std::vector<std::uint64_t> data_start;
    std::vector<std::vector<double>> offsets; // measured - grid frequency per tone, Hz
    std::vector<double> levels;
  };
  Kind classify(std::span<const float> p, const Track &t, std::vector<int> &tones,
                std::vector<double> &offsets, double &level) const;
  bool marker_comb(std::span<const float> p, int freq_start, double band, Kind &kind) const;
  double tone_power(std::span<const float> p, int grid_bin) const;
  double lobe_power(std::span<const float> p, int grid_bin) const;
  double grid_offset(std::span<const float> p, int grid_bin) const;
  void step(Track &t, std::uint64_t start, Kind k, std::vector<int> &tones,
            std::vector<double> &offsets, double level);
  void close(Track &t);
  unsigned rate_;
  const Stft &stft_;
  std::size_t n_, hop_;
  double bin_hz_;
  double offset_ = 0;
  std::vector<Track> tracks_;
};

} // namespace vg::voice
