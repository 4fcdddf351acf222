// Codec front ends: G.711 tables, L16 framing, Opus on hostile payloads.
#include "common/error.hpp"
#include "voice/audio_codec.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace {

std::unique_ptr<vg::voice::AudioDecoder> decoder(const char *name, unsigned rate, unsigned ch) {
  vg::voice::SdpCodec c;
  c.encoding = name;
  c.clock_rate = rate;
  c.channels = ch;
  return vg::voice::AudioDecoder::create(vg::voice::codec_info(c));
}

TEST(G711, KnownCodeWords) {
  EXPECT_EQ(vg::voice::ulaw_to_float(0xff), 0.0f);
  EXPECT_FLOAT_EQ(vg::voice::ulaw_to_float(0x00), -32124.0f / 32768.0f);
  EXPECT_FLOAT_EQ(vg::voice::ulaw_to_float(0x80), 32124.0f / 32768.0f);
  EXPECT_FLOAT_EQ(vg::voice::alaw_to_float(0xd5), 8.0f / 32768.0f);
  EXPECT_FLOAT_EQ(vg::voice::alaw_to_float(0x2a), -32256.0f / 32768.0f);
  for (int i = -30000; i <= 30000; i += 997) {
    float x = static_cast<float>(i) / 32768.0f;
    float y = vg::voice::ulaw_to_float(vg::voice::float_to_ulaw(x));
    EXPECT_NEAR(y, x, std::fabs(x) * 0.07 + 0.0005) << i;
  }
}

TEST(L16, FramesMustBeWhole) {
  auto d = decoder("L16", 48000, 2);
  ASSERT_NE(d, nullptr);
  std::vector<std::uint8_t> ok = {0x40, 0x00, 0xc0, 0x00};
  auto pcm = d->decode(ok);
  ASSERT_EQ(pcm.size(), 1u);
  EXPECT_FLOAT_EQ(pcm[0], 0.0f); // (0.5 + -0.5) / 2
  std::vector<std::uint8_t> odd = {1, 2, 3};
  EXPECT_THROW(d->decode(odd), vg::Error);
}

TEST(Opus, HostilePayloadsGiveBoundedSamplesOrAReason) {
  auto d = decoder("opus", 48000, 2);
  ASSERT_NE(d, nullptr);
  // found by fuzz/rtp_codec_fuzz.cpp: decodes to samples far outside [-1, 1]
  std::vector<std::uint8_t> crash = {0xff, 0x01, 0x7d, 0xff, 0x00};
  try {
    auto pcm = d->decode(crash);
    for (float v : pcm)
      ASSERT_TRUE(std::isfinite(v) && v >= -1.0f && v <= 1.0f) << v;
  } catch (const vg::Error &e) {
    EXPECT_FALSE(e.reason().empty());
  }
  std::vector<std::uint8_t> big(2000, 0x55);
  EXPECT_THROW(d->decode(big), vg::Error);
  EXPECT_THROW(d->decode({}), vg::Error);
  EXPECT_EQ(d->conceal(960).size(), 960u);
}

TEST(Codecs, NotApplicableBandsAndUndecodedCodecs) {
  vg::voice::SdpCodec pcmu{0, "PCMU", 8000, 1};
  EXPECT_EQ(vg::voice::codec_info(pcmu).max_frequency_hz(), 4000);
  vg::voice::SdpCodec gsm{3, "GSM", 8000, 1};
  EXPECT_EQ(vg::voice::AudioDecoder::create(vg::voice::codec_info(gsm)), nullptr);
}

} // namespace
