// Scrubbing: the inaudible band is removed, the voice band is kept (WAV and capture to capture).
#include "common/error.hpp"
#include "voice/audio_codec.hpp"
#include "voice/inaudible_band_filter.hpp"
#include "voice/pcap_reader.hpp"
#include "voice/pcap_scrubber.hpp"
#include "voice/rtp_packet.hpp"
#include "voice/voice_inspector.hpp"
#include "voice/wav_file.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

namespace {

std::vector<float> voice_plus_tone(unsigned rate, double seconds, double tone_hz, double tone_amp) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> fr(300, 3400), ph(0, 2 * M_PI);
  std::vector<std::pair<double, double>> partials(30);
  for (auto &p : partials)
    p = {fr(rng), ph(rng)};
  std::vector<float> x(static_cast<std::size_t>(rate * seconds));
  for (std::size_t i = 0; i < x.size(); ++i) {
    double t = static_cast<double>(i) / rate, v = 0;
    for (auto &[f, p] : partials)
      v += 0.01 * std::sin(2 * M_PI * f * t + p);
    x[i] = static_cast<float>(v + tone_amp * std::sin(2 * M_PI * tone_hz * t));
  }
  return x;
}

// best normalised correlation of a and b over lags 0..max_lag (b delayed)
double correlation(const std::vector<float> &a, const std::vector<float> &b, std::size_t max_lag) {
  double best = -1;
  for (std::size_t lag = 0; lag <= max_lag; ++lag) {
    double ab = 0, aa = 0, bb = 0;
    for (std::size_t i = 0; i + lag < b.size() && i < a.size(); ++i) {
      ab += static_cast<double>(a[i]) * b[i + lag];
      aa += static_cast<double>(a[i]) * a[i];
      bb += static_cast<double>(b[i + lag]) * b[i + lag];
    }
    best = std::max(best, ab / std::sqrt(aa * bb + 1e-30));
  }
  return best;
}

TEST(Scrub, FilterRemovesTheBandAndKeepsTheVoice) {
  auto x = voice_plus_tone(48000, 2.0, 19000, 0.05);
  auto clean = voice_plus_tone(48000, 2.0, 19000, 0.0);
  EXPECT_GT(vg::voice::band_level_dbfs(x, 48000, 18500, 19500), -35);
  vg::voice::InaudibleBandFilter f(48000);
  ASSERT_TRUE(f.active());
  auto y = x;
  f.process(y);
  EXPECT_LT(vg::voice::band_level_dbfs(y, 48000, 16800, 24000), -80);
  EXPECT_NEAR(vg::voice::band_level_dbfs(y, 48000, 300, 3400),
              vg::voice::band_level_dbfs(clean, 48000, 300, 3400), 0.1);
  EXPECT_GT(correlation(clean, y, f.delay() + 2), 0.999);
  vg::voice::InaudibleBandFilter narrow(16000);
  EXPECT_FALSE(narrow.active()); // 16 kHz audio has no inaudible band
}

TEST(Scrub, WavRoundTripAndErrors) {
  auto dir = std::filesystem::temp_directory_path() / ("vg-scrub-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  vg::voice::WavAudio a;
  a.sample_rate = 48000;
  a.channels = {voice_plus_tone(48000, 0.5, 19000, 0.05), voice_plus_tone(48000, 0.5, 18000, 0.05)};
  write_wav((dir / "a.wav").string(), a);
  auto b = vg::voice::read_wav((dir / "a.wav").string());
  ASSERT_EQ(b.channels.size(), 2u);
  EXPECT_EQ(b.frames(), a.frames());
  EXPECT_NEAR(b.channels[1][100], a.channels[1][100], 1.0 / 32768);
  // truncated file: the data chunk claims more than is there
  {
    std::ifstream in(dir / "a.wav", std::ios::binary);
    std::string s((std::istreambuf_iterator<char>(in)), {});
    std::ofstream out(dir / "t.wav", std::ios::binary);
    out << s.substr(0, 30);
  }
  try {
    vg::voice::read_wav((dir / "t.wav").string());
    ADD_FAILURE() << "truncated WAV accepted";
  } catch (const vg::Error &e) {
    EXPECT_NE(std::string(e.what()).find("t.wav"), std::string::npos);
    EXPECT_NE(e.reason().find("truncated"), std::string::npos) << e.reason();
  }
  std::filesystem::remove_all(dir);
}

std::vector<float> decode_port(const std::string &pcap, std::uint16_t port) {
  vg::voice::SdpCodec c{96, "opus", 48000, 2};
  auto dec = vg::voice::AudioDecoder::create(vg::voice::codec_info(c));
  std::vector<float> out;
  auto r = vg::voice::PcapReader::open_file(pcap);
  r.run(
      [&](const vg::voice::UdpDatagram &d) {
        if (d.dst.port != port)
          return;
        auto p = vg::voice::parse_rtp(d.payload);
        if (auto *rtp = std::get_if<vg::voice::RtpPacket>(&p)) {
          auto pcm = dec->decode(rtp->payload);
          out.insert(out.end(), pcm.begin(), pcm.end());
        }
      },
      [](std::size_t, double, const std::string &) {});
  return out;
}

TEST(Scrub, CaptureToCaptureRemovesTheToneFromOpus) {
  std::string in = std::string(VOXGUARD_SHARED_DATA) + "/pcap/baresip-opus128k-19khz-tone.pcap";
  if (!std::filesystem::exists(in))
    GTEST_SKIP() << "shared test data missing: " << in;
  auto out =
      std::filesystem::temp_directory_path() / ("vg-scrub-" + std::to_string(::getpid()) + ".pcap");
  auto st = vg::voice::scrub_pcap(in, out.string());
  EXPECT_GT(st.rtp_rewritten, 500u);
  EXPECT_EQ(st.rtp_failed, 0u);
  auto before = decode_port(in, 20000);
  auto after = decode_port(out.string(), 20000);
  EXPECT_GT(vg::voice::band_level_dbfs(before, 48000, 18500, 19500), -32);
  EXPECT_LT(vg::voice::band_level_dbfs(after, 48000, 18500, 19500), -80);
  EXPECT_NEAR(vg::voice::band_level_dbfs(after, 48000, 300, 3400),
              vg::voice::band_level_dbfs(before, 48000, 300, 3400), 1.0);
  vg::voice::InaudibleBandFilter f(48000);
  f.process(before); // compare voice with voice
  EXPECT_GT(correlation(before, after, 1200), 0.9);
  // and the inspector no longer flags it
  vg::voice::VoiceInspector vi;
  auto r = vg::voice::PcapReader::open_file(out.string());
  r.run([&](const vg::voice::UdpDatagram &d) { vi.add(d); },
        [](std::size_t, double, const std::string &) {});
  vi.finish();
  for (const auto &fi : vi.findings())
    EXPECT_NE(fi.code, "audio.inaudible-band");
  std::filesystem::remove(out);
}

} // namespace
