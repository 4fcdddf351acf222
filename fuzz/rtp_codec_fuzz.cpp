// libFuzzer target: the codec front ends (Opus, G.711, G.722, L16 decoding) and the audio detectors
// they feed. The first byte picks the codec, the rest is a sequence of length-prefixed RTP
// payloads.
#include "common/error.hpp"
#include "voice/audio_codec.hpp"
#include "voice/data_carrier_detector.hpp"
#include "voice/inaudible_band_detector.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  vg::voice::SdpCodec c;
  switch (data[0] % 6) {
  case 0:
    c = {0, "PCMU", 8000, 1};
    break;
  case 1:
    c = {8, "PCMA", 8000, 1};
    break;
  case 2:
    c = {96, "L16", 48000, 1};
    break;
  case 3:
    c = {97, "L16", 16000, 2};
    break;
  case 4:
    c = {9, "G722", 8000, 1};
    break;
  default:
    c = {111, "opus", 48000, 2};
    break;
  }
  auto info = vg::voice::codec_info(c);
  auto dec = vg::voice::AudioDecoder::create(info);
  if (!dec)
    std::abort();
  vg::voice::InaudibleBandDetector inaudible(dec->sample_rate());
  vg::voice::DataCarrierDetector carriers(dec->sample_rate());
  std::size_t off = 1;
  while (off < size) {
    std::size_t len = data[off++] * 8u;
    if (len > size - off)
      len = size - off;
    try {
      auto pcm = len == 0 ? dec->conceal(960) : dec->decode({data + off, len});
      for (float x : pcm)
        if (!std::isfinite(x) || std::fabs(x) > 4.0f)
          std::abort();
      inaudible.push(pcm);
      carriers.push(pcm);
    } catch (const vg::Error &e) {
      if (e.reason().empty())
        std::abort();
    }
    off += len;
  }
  inaudible.flush();
  carriers.flush();
  return 0;
}
