// audio_codec.hpp — RTP audio payload decoders: G.711 µ-law/A-law, G.722, L16, Opus (libopus).
// Promise: AudioDecoder::create() returns a decoder for a codec named in SDP, or nullptr when the
// codec is not decoded here (then CodecInfo::name says which). decode() turns one RTP payload into
// mono float samples in [-1, 1] at sample_rate(); a payload the codec rejects throws vg::Error with
// the reason. conceal() produces the samples of a lost packet (Opus PLC, silence otherwise).
#pragma once
#include "voice/sdp.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace vg::voice {

enum class CodecKind { pcmu, pcma, g722, l16, opus, other };

struct CodecInfo {
  CodecKind kind = CodecKind::other;
  std::string name;            // "PCMU", "opus", ...
  unsigned rtp_clock = 8000;   // RTP timestamp rate
  unsigned sample_rate = 8000; // audio sample rate after decoding
  unsigned channels = 1;
  // Highest frequency the codec can carry (Nyquist of its audio band).
  double max_frequency_hz() const;
};

CodecInfo codec_info(const SdpCodec &c);

class AudioDecoder {
public:
  virtual ~AudioDecoder() = default;
  static std::unique_ptr<AudioDecoder> create(const CodecInfo &info);
  virtual std::vector<float> decode(std::span<const std::uint8_t> payload) = 0;
  virtual std::vector<float> conceal(unsigned samples);
  virtual unsigned sample_rate() const = 0;
  // For Opus: the audio bandwidth of the last packet (Hz of its upper edge); else the Nyquist rate.
  virtual double last_bandwidth_hz() const { return sample_rate() / 2.0; }
};

float ulaw_to_float(std::uint8_t u);
float alaw_to_float(std::uint8_t a);
std::uint8_t float_to_ulaw(float x);

} // namespace vg::voice
