// wav_file.hpp — RIFF/WAVE audio files (PCM 8/16/24/32-bit, IEEE float 32/64,
// WAVE_FORMAT_EXTENSIBLE). Promise: read_wav() checks every chunk size against the file and throws
// vg::Error naming the file and the fault (truncated, unsupported format, zero channels, ...);
// samples come back as floats in
// [-1, 1], one vector per channel. write_wav() writes 16-bit PCM with TPDF-free rounding and
// clipping.
#pragma once
#include <string>
#include <vector>

namespace vg::voice {

struct WavAudio {
  unsigned sample_rate = 0;
  std::vector<std::vector<float>> channels;
  std::size_t frames() const { return channels.empty() ? 0 : channels[0].size(); }
};

WavAudio read_wav(const std::string &path);
void write_wav(const std::string &path, const WavAudio &audio);

} // namespace vg::voice
