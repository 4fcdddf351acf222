// rtp_audio_rewriter.hpp — rewrites RTP audio payloads with the inaudible band removed.
// Promise: for L16 (>= 33.6 kHz) the samples are filtered in place (same size); for Opus each
// packet is decoded, filtered and re-encoded with the same channel count, frame duration, audio
// bandwidth (from the TOC) and bitrate (from the packet size). Filter state is kept across packets,
// so a stream is filtered continuously. create() returns nullptr for codecs that cannot carry the
// band (G.711, G.722, L16 below 33.6 kHz): those need no rewriting. A payload that cannot be
// rewritten throws vg::Error with the reason (callers fail open: they forward the original).
#pragma once
#include "voice/audio_codec.hpp"
#include "voice/inaudible_band_filter.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace vg::voice {

class RtpAudioRewriter {
public:
  virtual ~RtpAudioRewriter() = default;
  static std::unique_ptr<RtpAudioRewriter> create(const CodecInfo &info);
  virtual std::vector<std::uint8_t> rewrite(std::span<const std::uint8_t> payload) = 0;
};

} // namespace vg::voice
