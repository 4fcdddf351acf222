// The recorded calls of ../shared/data/pcap: call and stream facts, and the inaudible-band
// verdicts.
#include "voice/audio_codec.hpp"
#include "voice/pcap_reader.hpp"
#include "voice/rtp_packet.hpp"
#include "voice/voice_inspector.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

namespace {

const std::string kDir = std::string(VOXGUARD_SHARED_DATA) + "/pcap";

std::unique_ptr<vg::voice::VoiceInspector> inspect(const std::string &name) {
  auto vi = std::make_unique<vg::voice::VoiceInspector>();
  auto r = vg::voice::PcapReader::open_file(kDir + "/" + name);
  r.run([&](const vg::voice::UdpDatagram &d) { vi->add(d); },
        [&](std::size_t f, double t, const std::string &w) { vi->malformed_frame(f, t, w); });
  vi->finish();
  return vi;
}

std::vector<vg::voice::Finding> with_code(const vg::voice::VoiceInspector &vi,
                                          const std::string &code) {
  std::vector<vg::voice::Finding> out;
  for (const auto &f : vi.findings())
    if (f.code == code)
      out.push_back(f);
  return out;
}

// Independent reference: the capture time of the first RTP packet (to port 20000) whose decoded
// Opus audio has a 19 kHz component above -50 dBFS (Goertzel over the packet's samples).
double first_packet_with_tone(const std::string &name) {
  auto r = vg::voice::PcapReader::open_file(kDir + "/" + name);
  vg::voice::SdpCodec c;
  c.encoding = "opus";
  c.clock_rate = 48000;
  c.channels = 2;
  auto dec = vg::voice::AudioDecoder::create(vg::voice::codec_info(c));
  double t0 = -1, found = -1;
  r.run(
      [&](const vg::voice::UdpDatagram &d) {
        if (t0 < 0)
          t0 = d.time_s;
        if (found >= 0 || d.dst.port != 20000)
          return;
        auto p = vg::voice::parse_rtp(d.payload);
        if (!std::holds_alternative<vg::voice::RtpPacket>(p))
          return;
        auto pcm = dec->decode(std::get<vg::voice::RtpPacket>(p).payload);
        double w = 2 * M_PI * 19000.0 / 48000.0, s1 = 0, s2 = 0;
        for (float x : pcm) {
          double s0 = x + 2 * std::cos(w) * s1 - s2;
          s2 = s1;
          s1 = s0;
        }
        double power = s1 * s1 + s2 * s2 - 2 * std::cos(w) * s1 * s2;
        double rms = std::sqrt(2 * power) / static_cast<double>(pcm.size());
        if (20 * std::log10(rms + 1e-12) > -50)
          found = d.time_s - t0;
      },
      [](std::size_t, double, const std::string &) {});
  return found;
}

class PcapData : public ::testing::Test {
protected:
  void SetUp() override {
    if (!std::filesystem::exists(kDir))
      GTEST_SKIP() << "shared test data missing: " << kDir;
  }
};

TEST_F(PcapData, DialCaptureShowsTheInviteToTheBank) {
  auto vi = inspect("baresip-dial-bank.pcap");
  ASSERT_EQ(vi->calls().size(), 1u);
  EXPECT_EQ(vi->calls()[0].request_uri, "sip:1234567@127.0.0.1:5070");
  EXPECT_EQ(vi->calls()[0].answered_codecs.at(0), "audio PT 0 PCMU/8000");
  ASSERT_EQ(vi->streams().size(), 2u);
  for (const auto &s : vi->streams()) {
    EXPECT_EQ(s->codec, "PCMU/8000");
    EXPECT_EQ(s->stats->lost(), 0);
    EXPECT_GT(s->stats->packets(), 100u);
    EXPECT_LT(s->stats->jitter_ms(), 20.0);
  }
  EXPECT_TRUE(with_code(*vi, "rtcp.malformed").empty());
  EXPECT_TRUE(with_code(*vi, "sip.invalid").empty());
}

TEST_F(PcapData, OpusNineteenKilohertzToneIsFlagged) {
  auto vi = inspect("baresip-opus128k-19khz-tone.pcap");
  auto hits = with_code(*vi, "audio.inaudible-band");
  ASSERT_FALSE(hits.empty());
  double reference = first_packet_with_tone("baresip-opus128k-19khz-tone.pcap");
  ASSERT_GE(reference, 0.0);
  for (const auto &f : hits) {
    EXPECT_NEAR(*f.frequency_hz, 19000.0, 50.0);
    EXPECT_NEAR(*f.onset_s, reference, 0.1);
    EXPECT_NEAR(*f.level_dbfs, -29.0, 3.0);
    EXPECT_GT(*f.duration_s, 5.0);
    EXPECT_NE(f.label.find("Lisnr"), std::string::npos);
  }
}

TEST_F(PcapData, CleanOpusIsNotFlagged) {
  auto vi = inspect("baresip-opus28k-clean.pcap");
  EXPECT_EQ(vi->streams().size(), 2u);
  EXPECT_TRUE(with_code(*vi, "audio.inaudible-band").empty());
  EXPECT_TRUE(with_code(*vi, "audio.not-applicable").empty());
  for (const auto &f : vi->findings())
    EXPECT_EQ(f.severity, vg::voice::Severity::info) << f.code << ": " << f.message;
}

TEST_F(PcapData, PcmuSaysNotApplicable) {
  auto vi = inspect("baresip-pcmu.pcap");
  auto na = with_code(*vi, "audio.not-applicable");
  ASSERT_EQ(na.size(), 2u);
  EXPECT_NE(na[0].message.find("codec PCMU"), std::string::npos);
  EXPECT_TRUE(with_code(*vi, "audio.inaudible-band").empty());
}

} // namespace
