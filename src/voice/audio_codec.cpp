// audio_codec.cpp — G.711, G.722, L16 and Opus decoding.
#include "voice/audio_codec.hpp"

#include "common/error.hpp"
#include "voice/g722_decoder.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <opus/opus.h>

namespace vg::voice {
namespace {

std::string lower(std::string s) {
  for (auto &c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class G711Decoder : public AudioDecoder {
public:
  explicit G711Decoder(bool ulaw) : ulaw_(ulaw) {}
  std::vector<float> decode(std::span<const std::uint8_t> p) override {
    std::vector<float> out(p.size());
    for (std::size_t i = 0; i < p.size(); ++i)
      out[i] = ulaw_ ? ulaw_to_float(p[i]) : alaw_to_float(p[i]);
    return out;
  }
  unsigned sample_rate() const override { return 8000; }

private:
  bool ulaw_;
};

// G.722: one octet per two 16 kHz samples (the RTP clock says 8000; see codec_info).
class G722AudioDecoder : public AudioDecoder {
public:
  std::vector<float> decode(std::span<const std::uint8_t> p) override {
    pcm_.clear();
    g722_.decode(p, pcm_);
    std::vector<float> out(pcm_.size());
    for (std::size_t i = 0; i < pcm_.size(); ++i)
      out[i] = static_cast<float>(pcm_[i]) / 32768.0f;
    return out;
  }
  unsigned sample_rate() const override { return 16000; }

private:
  G722Decoder g722_;
  std::vector<std::int16_t> pcm_;
};

class L16Decoder : public AudioDecoder {
public:
  L16Decoder(unsigned rate, unsigned ch) : rate_(rate), ch_(ch ? ch : 1) {}
  std::vector<float> decode(std::span<const std::uint8_t> p) override {
    if (p.size() % (2 * ch_) != 0)
      throw Error("L16", "payload of " + std::to_string(p.size()) +
                             " bytes is not a whole number of " + std::to_string(ch_) +
                             "-channel 16-bit frames");
    std::size_t frames = p.size() / (2 * ch_);
    std::vector<float> out(frames);
    for (std::size_t i = 0; i < frames; ++i) {
      float acc = 0;
      for (unsigned c = 0; c < ch_; ++c) {
        std::size_t o = (i * ch_ + c) * 2;
        acc += static_cast<float>(static_cast<std::int16_t>(p[o] << 8 | p[o + 1])) / 32768.0f;
      }
      out[i] = acc / static_cast<float>(ch_);
    }
    return out;
  }
  unsigned sample_rate() const override { return rate_; }

private:
  unsigned rate_, ch_;
};

class OpusDecoderImpl : public AudioDecoder {
public:
  explicit OpusDecoderImpl(unsigned ch) : ch_(ch == 2 ? 2 : 1) {
    int err = 0;
    dec_ = opus_decoder_create(48000, static_cast<int>(ch_), &err);
    if (!dec_ || err != OPUS_OK)
      throw Error("opus", std::string("cannot create decoder: ") + opus_strerror(err));
  }
  ~OpusDecoderImpl() override { opus_decoder_destroy(dec_); }
  std::vector<float> decode(std::span<const std::uint8_t> p) override {
    if (p.empty())
      throw Error("opus", "empty payload");
    if (p.size() > 1500)
      throw Error("opus", "payload of " + std::to_string(p.size()) +
                              " bytes is larger than any Opus packet in RTP");
    int bw = opus_packet_get_bandwidth(p.data());
    switch (bw) {
    case OPUS_BANDWIDTH_NARROWBAND:
      bandwidth_ = 4000;
      break;
    case OPUS_BANDWIDTH_MEDIUMBAND:
      bandwidth_ = 6000;
      break;
    case OPUS_BANDWIDTH_WIDEBAND:
      bandwidth_ = 8000;
      break;
    case OPUS_BANDWIDTH_SUPERWIDEBAND:
      bandwidth_ = 12000;
      break;
    case OPUS_BANDWIDTH_FULLBAND:
      bandwidth_ = 20000;
      break;
    default:
      throw Error("opus", std::string("invalid TOC: ") + opus_strerror(bw));
    }
    return run(p.data(), static_cast<opus_int32>(p.size()), 5760);
  }
  std::vector<float> conceal(unsigned samples) override {
    return run(nullptr, 0, static_cast<int>(std::min(samples, 5760u)));
  }
  unsigned sample_rate() const override { return 48000; }
  double last_bandwidth_hz() const override { return bandwidth_; }

private:
  std::vector<float> run(const unsigned char *data, opus_int32 len, int max_frames) {
    std::vector<float> pcm(static_cast<std::size_t>(max_frames) * ch_);
    int n = opus_decode_float(dec_, data, len, pcm.data(), max_frames, 0);
    if (n < 0)
      throw Error("opus", std::string("packet rejected by the decoder: ") + opus_strerror(n));
    // crafted packets can decode to samples far outside [-1, 1] (and float decoding does not clip):
    // keep the promise of the interface
    for (auto &v : pcm)
      v = std::isfinite(v) ? std::clamp(v, -1.0f, 1.0f) : 0.0f;
    std::vector<float> out(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
      out[static_cast<std::size_t>(i)] = ch_ == 2
                                             ? 0.5f * (pcm[2 * static_cast<std::size_t>(i)] +
                                                       pcm[2 * static_cast<std::size_t>(i) + 1])
                                             : pcm[static_cast<std::size_t>(i)];
    return out;
  }
  OpusDecoder *dec_ = nullptr;
  unsigned ch_;
  double bandwidth_ = 20000;
};

} // namespace

float ulaw_to_float(std::uint8_t u) {
  u = static_cast<std::uint8_t>(~u);
  int sign = u & 0x80, exponent = (u >> 4) & 7, mantissa = u & 0x0f;
  int sample = ((mantissa << 3) + 0x84) << exponent;
  sample -= 0x84;
  return static_cast<float>(sign ? -sample : sample) / 32768.0f;
}

float alaw_to_float(std::uint8_t a) {
  a ^= 0x55;
  int sign = a & 0x80, exponent = (a >> 4) & 7, mantissa = a & 0x0f;
  int sample = exponent == 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return static_cast<float>(sign ? sample : -sample) / 32768.0f;
}

std::uint8_t float_to_ulaw(float x) {
  int s = static_cast<int>(std::lround(std::clamp(x, -1.0f, 1.0f) * 32767.0f));
  int sign = s < 0 ? 0x80 : 0;
  if (s < 0)
    s = -s;
  s = std::min(s + 0x84, 32635 + 0x84);
  int exponent = 7;
  for (int mask = 0x4000; (s & mask) == 0 && exponent > 0; mask >>= 1)
    --exponent;
  int mantissa = (s >> (exponent + 3)) & 0x0f;
  return static_cast<std::uint8_t>(~(sign | (exponent << 4) | mantissa));
}

double CodecInfo::max_frequency_hz() const {
  switch (kind) {
  case CodecKind::pcmu:
  case CodecKind::pcma:
    return 4000;
  case CodecKind::g722:
    return 8000;
  case CodecKind::opus:
    return 20000;
  case CodecKind::l16:
    return sample_rate / 2.0;
  default:
    return 0;
  }
}

CodecInfo codec_info(const SdpCodec &c) {
  CodecInfo i;
  i.name = c.encoding;
  i.rtp_clock = c.clock_rate ? c.clock_rate : 8000;
  i.channels = c.channels ? c.channels : 1;
  std::string n = lower(c.encoding);
  if (n == "pcmu") {
    i.kind = CodecKind::pcmu;
    i.sample_rate = 8000;
  } else if (n == "pcma") {
    i.kind = CodecKind::pcma;
    i.sample_rate = 8000;
  } else if (n == "g722") {
    i.kind = CodecKind::g722;
    i.sample_rate = 16000; // RTP clock 8000 by RFC 3551's historical error
  } else if (n == "l16") {
    i.kind = CodecKind::l16;
    i.sample_rate = i.rtp_clock;
  } else if (n == "opus") {
    i.kind = CodecKind::opus;
    i.sample_rate = 48000;
  } else {
    i.sample_rate = i.rtp_clock;
  }
  return i;
}

std::unique_ptr<AudioDecoder> AudioDecoder::create(const CodecInfo &info) {
  switch (info.kind) {
  case CodecKind::pcmu:
    return std::make_unique<G711Decoder>(true);
  case CodecKind::pcma:
    return std::make_unique<G711Decoder>(false);
  case CodecKind::g722:
    return std::make_unique<G722AudioDecoder>();
  case CodecKind::l16:
    if (info.sample_rate < 8000 || info.sample_rate > 192000 || info.channels > 8)
      return nullptr;
    return std::make_unique<L16Decoder>(info.sample_rate, info.channels);
  case CodecKind::opus:
    return std::make_unique<OpusDecoderImpl>(info.channels);
  default:
    return nullptr;
  }
}

std::vector<float> AudioDecoder::conceal(unsigned samples) {
  return std::vector<float>(std::min(samples, 48000u), 0.0f);
}

} // namespace vg::voice
