// g722_decoder.hpp — ITU-T G.722 sub-band ADPCM decoder (64 kbit/s, mode 1), written from the
// Recommendation: every octet carries a 6-bit lower-band code (bits 0-5) and a 2-bit higher-band
// code (bits 6-7) and decodes to two 16 kHz samples through the receive QMF.
// Promise: decode() accepts any octet sequence (every octet is a valid G.722 code word), keeps the
// predictor state across calls like a real receiver, and returns 16-bit-scaled samples (the
// convention of 16-bit PCM encoders such as spandsp and ffmpeg), saturated to [-32768, 32767].
// It never reads outside the input and its state stays within the Recommendation's limits.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace vg::voice {

class G722Decoder {
public:
  // Appends two samples per octet to out.
  void decode(std::span<const std::uint8_t> octets, std::vector<std::int16_t> &out);
  void reset() { *this = G722Decoder{}; }

private:
  // One sub-band's ADPCM state (blocks 3, 4 of the Recommendation).
  struct Band {
    int s = 0;  // predicted signal
    int sp = 0; // pole-section prediction
    int sz = 0; // zero-section prediction
    std::array<int, 3> r{}, a{}, ap{}, p{};
    std::array<int, 7> d{}, b{}, bp{};
    int nb = 0;  // log scale factor
    int det = 0; // scale factor
  };
  static void adapt_predictor(Band &band, int dq);

  Band low_{.det = 32};
  Band high_{.det = 8};
  std::array<int, 24> qmf_{}; // receive QMF delay line
};

} // namespace vg::voice
