// rtp_audio_rewriter.cpp — L16 in-place filtering and Opus decode/filter/re-encode.
#include "voice/rtp_audio_rewriter.hpp"

#include "common/error.hpp"

#include <algorithm>
#include <cmath>
#include <opus/opus.h>

namespace vg::voice {
namespace {

class L16Rewriter : public RtpAudioRewriter {
public:
  L16Rewriter(unsigned rate, unsigned ch) : ch_(ch ? ch : 1) {
    for (unsigned c = 0; c < ch_; ++c)
      filters_.emplace_back(rate);
  }
  std::vector<std::uint8_t> rewrite(std::span<const std::uint8_t> p) override {
    if (p.size() % (2 * ch_) != 0)
      throw Error("L16", "payload is not a whole number of frames");
    std::size_t frames = p.size() / (2 * ch_);
    std::vector<std::uint8_t> out(p.begin(), p.end());
    std::vector<float> x(frames);
    for (unsigned c = 0; c < ch_; ++c) {
      for (std::size_t i = 0; i < frames; ++i) {
        std::size_t o = (i * ch_ + c) * 2;
        x[i] = static_cast<float>(static_cast<std::int16_t>(p[o] << 8 | p[o + 1])) / 32768.0f;
      }
      filters_[c].process(x);
      for (std::size_t i = 0; i < frames; ++i) {
        auto s = static_cast<std::int16_t>(
            std::lround(std::clamp(x[i], -1.0f, 32767.0f / 32768.0f) * 32768.0f));
        std::size_t o = (i * ch_ + c) * 2;
        out[o] = static_cast<std::uint8_t>(static_cast<std::uint16_t>(s) >> 8);
        out[o + 1] = static_cast<std::uint8_t>(s & 0xff);
      }
    }
    return out;
  }

private:
  unsigned ch_;
  std::vector<InaudibleBandFilter> filters_;
};

class OpusRewriter : public RtpAudioRewriter {
public:
  explicit OpusRewriter(unsigned ch) : ch_(ch == 2 ? 2 : 1) {
    int err = 0;
    dec_ = opus_decoder_create(48000, static_cast<int>(ch_), &err);
    if (!dec_ || err != OPUS_OK)
      throw Error("opus", std::string("cannot create decoder: ") + opus_strerror(err));
    enc_ = opus_encoder_create(48000, static_cast<int>(ch_), OPUS_APPLICATION_AUDIO, &err);
    if (!enc_ || err != OPUS_OK) {
      opus_decoder_destroy(dec_);
      throw Error("opus", std::string("cannot create encoder: ") + opus_strerror(err));
    }
    opus_encoder_ctl(enc_, OPUS_SET_COMPLEXITY(5));
    for (unsigned c = 0; c < ch_; ++c)
      filters_.emplace_back(48000);
  }
  ~OpusRewriter() override {
    opus_decoder_destroy(dec_);
    opus_encoder_destroy(enc_);
  }
  std::vector<std::uint8_t> rewrite(std::span<const std::uint8_t> p) override {
    if (p.empty() || p.size() > 1500)
      throw Error("opus", "payload size " + std::to_string(p.size()) + " is not an Opus packet");
    int bw = opus_packet_get_bandwidth(p.data());
    if (bw < 0)
      throw Error("opus", std::string("invalid TOC: ") + opus_strerror(bw));
    std::vector<float> pcm(5760 * ch_);
    int n =
        opus_decode_float(dec_, p.data(), static_cast<opus_int32>(p.size()), pcm.data(), 5760, 0);
    if (n < 0)
      throw Error("opus", std::string("packet rejected by the decoder: ") + opus_strerror(n));
    std::vector<float> x(static_cast<std::size_t>(n));
    for (unsigned c = 0; c < ch_; ++c) {
      for (int i = 0; i < n; ++i)
        x[static_cast<std::size_t>(i)] = pcm[static_cast<std::size_t>(i) * ch_ + c];
      filters_[c].process(x);
      for (int i = 0; i < n; ++i)
        pcm[static_cast<std::size_t>(i) * ch_ + c] = x[static_cast<std::size_t>(i)];
    }
    // same bandwidth and bitrate as the sender chose for this packet
    int bitrate = static_cast<int>(p.size() * 8 * 48000 / static_cast<std::size_t>(n));
    opus_encoder_ctl(enc_, OPUS_SET_BITRATE(std::clamp(bitrate, 6000, 510000)));
    opus_encoder_ctl(enc_, OPUS_SET_BANDWIDTH(bw));
    std::vector<std::uint8_t> out(1500);
    int m = opus_encode_float(enc_, pcm.data(), n, out.data(), static_cast<opus_int32>(out.size()));
    if (m < 0)
      throw Error("opus", std::string("re-encoding failed: ") + opus_strerror(m) + " (frame of " +
                              std::to_string(n) + " samples)");
    out.resize(static_cast<std::size_t>(m));
    return out;
  }

private:
  unsigned ch_;
  OpusDecoder *dec_ = nullptr;
  OpusEncoder *enc_ = nullptr;
  std::vector<InaudibleBandFilter> filters_;
};

} // namespace

std::unique_ptr<RtpAudioRewriter> RtpAudioRewriter::create(const CodecInfo &info) {
  if (info.kind == CodecKind::l16 && info.sample_rate >= 33600 && info.sample_rate <= 192000 &&
      info.channels <= 8)
    return std::make_unique<L16Rewriter>(info.sample_rate, info.channels);
  if (info.kind == CodecKind::opus)
    return std::make_unique<OpusRewriter>(info.channels);
  return nullptr;
}

} // namespace vg::voice
