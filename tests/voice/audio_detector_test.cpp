// Audio detectors on synthetic signals generated here: inaudible-band tones and beacon grids, FSK
// modems, the 2100 Hz answer tone and infrasound; and that voice-like audio stays clean.
#include "voice/data_carrier_detector.hpp"
#include "voice/inaudible_band_detector.hpp"
#include "voice/wav_file.hpp"

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace {

// voice-like: many random partials between 300 and 3400 Hz with a syllable-rate envelope
std::vector<float> voice(unsigned rate, double seconds, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> fr(300, 3400), ph(0, 2 * M_PI);
  std::vector<std::pair<double, double>> partials(40);
  for (auto &p : partials)
    p = {fr(rng), ph(rng)};
  std::vector<float> out(static_cast<std::size_t>(rate * seconds));
  for (std::size_t i = 0; i < out.size(); ++i) {
    double t = static_cast<double>(i) / rate, v = 0;
    for (auto &[f, p] : partials)
      v += std::sin(2 * M_PI * f * t + p);
    out[i] = static_cast<float>(0.01 * v * (0.6 + 0.4 * std::sin(2 * M_PI * 4 * t)));
  }
  return out;
}

void add_tone(std::vector<float> &x, unsigned rate, double f, double dbfs_rms, double from,
              double to) {
  double a = std::sqrt(2.0) * std::pow(10.0, dbfs_rms / 20.0);
  for (auto i = static_cast<std::size_t>(from * rate);
       i < std::min(x.size(), static_cast<std::size_t>(to * rate)); ++i)
    x[i] += static_cast<float>(a * std::sin(2 * M_PI * f * static_cast<double>(i) / rate));
}

std::vector<float> fsk(unsigned rate, double mark, double space, double baud, double seconds,
                       double amp) {
  std::mt19937 rng(7);
  std::vector<float> out(static_cast<std::size_t>(rate * seconds));
  double phase = 0;
  bool bit = true;
  auto per_bit = static_cast<std::size_t>(rate / baud);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i % std::max<std::size_t>(per_bit, 1) == 0)
      bit = rng() & 1;
    phase += 2 * M_PI * (bit ? mark : space) / rate;
    out[i] = static_cast<float>(amp * std::sin(phase));
  }
  return out;
}

std::vector<vg::voice::Finding> inaudible(const std::vector<float> &x, unsigned rate = 48000) {
  vg::voice::InaudibleBandDetector d(rate);
  for (std::size_t i = 0; i < x.size(); i += 960)
    d.push(std::span<const float>(x).subspan(i, std::min<std::size_t>(960, x.size() - i)));
  d.flush();
  return d.findings;
}

std::vector<vg::voice::Finding> carriers(const std::vector<float> &x, unsigned rate) {
  vg::voice::DataCarrierDetector d(rate);
  d.push(x);
  d.flush();
  return d.findings;
}

TEST(InaudibleBand, ToneIsFoundWithFrequencyLevelOnsetDuration) {
  auto x = voice(48000, 3.0);
  add_tone(x, 48000, 19500, -40, 1.0, 2.5);
  auto f = inaudible(x);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NEAR(*f[0].frequency_hz, 19500, 10);
  EXPECT_NEAR(*f[0].level_dbfs, -40, 1.5);
  EXPECT_NEAR(*f[0].onset_s, 1.0, 0.05);
  EXPECT_NEAR(*f[0].duration_s, 1.5, 0.1);
}

TEST(InaudibleBand, VoiceAloneBroadbandHissAndShortBlipsAreClean) {
  EXPECT_TRUE(inaudible(voice(48000, 3.0)).empty());
  auto x = voice(48000, 3.0);
  std::mt19937 rng(3);
  std::normal_distribution<double> n(0, 0.01);
  for (auto &v : x) // white noise reaches up to 24 kHz, but it is not tonal
    v += static_cast<float>(n(rng));
  EXPECT_TRUE(inaudible(x).empty());
  auto y = voice(48000, 2.0);
  add_tone(y, 48000, 18000, -30, 1.0, 1.06); // 60 ms: below the persistence gate
  EXPECT_TRUE(inaudible(y).empty());
  auto z = voice(48000, 2.0);
  add_tone(z, 48000, 19000, -90, 0.5, 1.8); // below the level gate
  EXPECT_TRUE(inaudible(z).empty());
}

TEST(InaudibleBand, HoppingBeaconOnTheSilverPushGridIsLabelled) {
  auto x = voice(48000, 3.0);
  const double grid[] = {18075, 18450, 19125, 18750};
  for (int i = 0; i < 12; ++i)
    add_tone(x, 48000, grid[i % 4], -35, 0.5 + i * 0.15, 0.5 + (i + 1) * 0.15);
  auto f = inaudible(x);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].label.find("SilverPush"), std::string::npos) << f[0].label;
  EXPECT_EQ(vg::voice::beacon_grid_label({19000}).find("SilverPush"), std::string::npos);
}

TEST(DataCarrier, Bell202AndBell103AreRecognised) {
  auto b202 = voice(8000, 2.0);
  auto m = fsk(8000, 1200, 2200, 1200, 1.0, 0.3);
  for (std::size_t i = 0; i < m.size(); ++i)
    b202[8000 / 2 + i] = m[i]; // the modem replaces the voice for one second
  auto f = carriers(b202, 8000);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].code, "audio.data-carrier");
  EXPECT_EQ(f[0].label, "Bell 202");
  EXPECT_NEAR(*f[0].onset_s, 0.5, 0.05);
  EXPECT_NEAR(*f[0].duration_s, 1.0, 0.1);

  auto b103 = fsk(48000, 1270, 1070, 300, 1.0, 0.3);
  auto g = carriers(b103, 48000);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].label, "Bell 103 originate");
}

TEST(DataCarrier, V23IsToldFromBell202) {
  auto v23 = fsk(8000, 1300, 2100, 1200, 1.0, 0.3);
  auto f = carriers(v23, 8000);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].label, "V.23");
}

// the real modem: minimodem's own transmitter (skipped when minimodem is not installed)
TEST(DataCarrier, MinimodemBursts) {
  if (std::system("command -v minimodem >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "minimodem not installed";
  auto dir = std::filesystem::temp_directory_path() / ("vg-minimodem-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::pair<const char *, const char *> modes[] = {{"1200", "Bell 202"},
                                                         {"300", "Bell 103 originate"}};
  for (auto [mode, label] : modes) {
    std::string wav = (dir / (std::string(mode) + ".wav")).string();
    std::string cmd =
        "echo 'the quick brown fox 0123456789 jumps over the lazy dog' | minimodem --tx " +
        std::string(mode) + " -f " + wav + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    auto a = vg::voice::read_wav(wav);
    auto f = carriers(a.channels[0], a.sample_rate);
    ASSERT_EQ(f.size(), 1u) << mode;
    EXPECT_EQ(f[0].label, label) << mode;
  }
  std::filesystem::remove_all(dir);
}

TEST(DataCarrier, VoiceIsNotAModem) {
  EXPECT_TRUE(carriers(voice(8000, 4.0, 5), 8000).empty());
  EXPECT_TRUE(carriers(voice(48000, 2.0, 9), 48000).empty());
}

TEST(DataCarrier, AnswerToneAnsamAndAns) {
  std::vector<float> ansam(8000 * 2);
  for (std::size_t i = 0; i < ansam.size(); ++i) {
    double t = static_cast<double>(i) / 8000;
    ansam[i] = static_cast<float>(0.2 * (1 + 0.2 * std::sin(2 * M_PI * 15 * t)) *
                                  std::sin(2 * M_PI * 2100 * t));
  }
  auto f = carriers(ansam, 8000);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].code, "audio.answer-tone");
  EXPECT_EQ(f[0].label, "ANSam");
  std::vector<float> ans(8000 * 2, 0.0f);
  add_tone(ans, 8000, 2100, -20, 0.0, 2.0);
  auto g = carriers(ans, 8000);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].label, "ANS");
}

TEST(DataCarrier, InfrasoundHeldForAQuarterSecond) {
  auto x = voice(48000, 2.0);
  add_tone(x, 48000, 12, -20, 0.5, 1.2);
  auto f = carriers(x, 48000);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].code, "audio.infrasound");
  EXPECT_NEAR(*f[0].frequency_hz, 12, 3);
  EXPECT_GE(*f[0].duration_s, 0.5);
  auto y = voice(48000, 2.0);
  add_tone(y, 48000, 12, -20, 0.5, 0.6); // 100 ms: too short
  EXPECT_TRUE(carriers(y, 48000).empty());
}

} // namespace
