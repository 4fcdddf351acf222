// ggwave's audible protocols (issue 6): a test-side encoder written from ggwave's published
// encoding (src/ggwave.cpp GGWave::encode, include/ggwave/ggwave.h protocol table) produces the
// three audible speeds; each must be found and named with its onset, at 48 kHz and at 8 kHz
// (G.711), while speech, music, DTMF, a steady tone and Bell 202 are not called ggwave.
#include "voice/data_carrier_detector.hpp"
#include "voice/wav_file.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

// ggwave's Tx: 48 kHz base rate, 1024-sample frames (46.875 Hz per bin), freqStart bin 40 for the
// audible protocols, 16-frame start/end markers of 16 tones, data in 3-byte chunks with one tone
// per nibble (nibble n of the chunk, value v -> bin 40 + 16 n + v), each chunk held framesPerTx
// frames; each frame's sum of tones is scaled by 1/number-of-tones and faded in and out over the
// first/last 15% of the marker or chunk (addAmplitudeSmooth). Bytes sent: 3 bytes of the
// Reed-Solomon-coded length, the payload, then its ECC bytes (len < 4 ? 2 : max(4, 2 (len/5))).
// The ECC bytes are not computed here (the detector does not decode): fixed filler stands in.
std::vector<float> ggwave(unsigned rate, const std::string &payload, int frames_per_tx,
                          double volume = 0.25) {
  const double grid = 46.875, frame_s = 1024.0 / 48000.0;
  std::vector<std::uint8_t> bytes = {static_cast<std::uint8_t>(payload.size()), 0x5a, 0xc3};
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  const std::size_t len = payload.size();
  const std::size_t ecc = len < 4 ? 2 : std::max<std::size_t>(4, 2 * (len / 5));
  for (std::size_t i = 0; i < ecc; ++i)
    bytes.push_back(static_cast<std::uint8_t>(0x37 * (i + 1)));
  while (bytes.size() % 3)
    bytes.push_back(0);
  struct Block {
    std::vector<std::pair<int, double>> tones; // grid bin, phase
    int frames;
  };
  std::vector<Block> blocks;
  Block start, end;
  for (int i = 0; i < 16; ++i) {
    const double phase = M_PI * i / 24.0;
    start.tones.push_back({40 + 2 * i + (i & 1), phase});
    end.tones.push_back({40 + 2 * i + 1 - (i & 1), phase});
  }
  start.frames = end.frames = 16;
  blocks.push_back(start);
  for (std::size_t c = 0; c < bytes.size(); c += 3) {
    Block b;
    b.frames = frames_per_tx;
    for (int j = 0; j < 3; ++j)
      for (int half = 0; half < 2; ++half) {
        int k = (2 * j + half) * 16 + ((bytes[c + static_cast<std::size_t>(j)] >> (4 * half)) & 15);
        // ggwave: dataBits[k] -> bit1 tone of bit k/2 (even k) or its bit0 tone one bin up
        b.tones.push_back({40 + k, M_PI * (k / 2) / 24.0});
      }
    blocks.push_back(b);
  }
  blocks.push_back(end);
  std::vector<float> out;
  double t0 = 0;
  for (const auto &b : blocks) {
    const double dur = b.frames * frame_s;
    const auto n = static_cast<std::size_t>(std::llround(dur * rate));
    for (std::size_t i = 0; i < n; ++i) {
      const double tl = static_cast<double>(i) / rate, t = t0 + tl;
      double ramp = std::min({1.0, tl / (0.15 * dur), (dur - tl) / (0.15 * dur)});
      double s = 0;
      for (auto [bin, phase] : b.tones)
        if (grid * bin < rate / 2.0 - 100)
          s += std::sin(2 * M_PI * grid * bin * t + phase);
      out.push_back(static_cast<float>(volume * ramp * s / static_cast<double>(b.tones.size())));
    }
    t0 += dur;
  }
  return out;
}

std::vector<float> silence(unsigned rate, double s) {
  return std::vector<float>(static_cast<std::size_t>(s * rate), 0.0f);
}

std::vector<vg::voice::Finding> analyse(unsigned rate, const std::vector<float> &a) {
  vg::voice::DataCarrierDetector d(rate);
  d.push(a);
  d.flush();
  return d.findings;
}

bool any_ggwave(const std::vector<vg::voice::Finding> &f) {
  for (const auto &x : f)
    if (x.label.rfind("ggwave", 0) == 0)
      return true;
  return false;
}

struct Case {
  int frames;
  const char *label;
};
const Case kCases[] = {
    {9, "ggwave audible normal"}, {6, "ggwave audible fast"}, {3, "ggwave audible fastest"}};

TEST(Ggwave, EachAudibleSpeedIsNamedWithItsOnset) {
  for (unsigned rate : {48000u, 16000u, 8000u})
    for (const auto &c : kCases)
      for (const std::string payload : {"hi", "hello ggwave"}) {
        auto a = silence(rate, 0.7);
        auto g = ggwave(rate, payload, c.frames);
        a.insert(a.end(), g.begin(), g.end());
        auto tail = silence(rate, 0.5);
        a.insert(a.end(), tail.begin(), tail.end());
        auto f = analyse(rate, a);
        SCOPED_TRACE(std::to_string(rate) + " Hz, " + c.label + ", \"" + payload + "\"");
        ASSERT_EQ(f.size(), 1u) << (f.empty() ? "" : f[0].message);
        EXPECT_EQ(f[0].code, "audio.data-carrier");
        EXPECT_EQ(f[0].label, c.label) << f[0].message;
        EXPECT_NEAR(*f[0].onset_s, 0.7, 0.05);
        const double expected = static_cast<double>(g.size()) / rate;
        EXPECT_NEAR(*f[0].duration_s, expected, 0.1);
      }
}

TEST(Ggwave, OnsetCarriesTheStreamOffsetAndSurvivesBackgroundNoise) {
  const unsigned rate = 8000;
  auto a = silence(rate, 0.3);
  auto g = ggwave(rate, "abc", 6);
  a.insert(a.end(), g.begin(), g.end());
  std::uint32_t s = 1;
  for (auto &x : a) { // white noise 30 dB below the carrier's tones
    s = s * 1664525u + 1013904223u;
    x += static_cast<float>(0.0005 * ((s >> 8) / 8388608.0 - 1.0));
  }
  vg::voice::DataCarrierDetector d(rate);
  d.set_time_offset(12.0);
  d.push(a);
  d.flush();
  ASSERT_EQ(d.findings.size(), 1u);
  EXPECT_EQ(d.findings[0].label, "ggwave audible fast");
  EXPECT_NEAR(*d.findings[0].onset_s, 12.3, 0.05);
}

std::vector<float> tones(unsigned rate, std::initializer_list<double> freqs, double seconds) {
  std::vector<float> out(static_cast<std::size_t>(seconds * rate));
  for (std::size_t i = 0; i < out.size(); ++i) {
    double s = 0;
    for (double f : freqs)
      s += 0.2 * std::sin(2 * M_PI * f * static_cast<double>(i) / rate);
    out[i] = static_cast<float>(s);
  }
  return out;
}

TEST(Ggwave, SteadyToneDtmfAndBell202AreNotGgwave) {
  for (unsigned rate : {8000u, 48000u}) {
    EXPECT_FALSE(any_ggwave(analyse(rate, tones(rate, {1875}, 3.0))));
    EXPECT_FALSE(any_ggwave(analyse(rate, tones(rate, {2062.5}, 3.0))));
    // DTMF: digits 1-9 (70 ms on, 70 ms off), twice
    std::vector<float> dtmf;
    const double row[] = {697, 770, 852}, col[] = {1209, 1336, 1477};
    for (int rep = 0; rep < 2; ++rep)
      for (double r : row)
        for (double c : col) {
          auto t = tones(rate, {r, c}, 0.07);
          dtmf.insert(dtmf.end(), t.begin(), t.end());
          auto z = silence(rate, 0.07);
          dtmf.insert(dtmf.end(), z.begin(), z.end());
        }
    EXPECT_FALSE(any_ggwave(analyse(rate, dtmf)));
    // Bell 202 (1200/2200 Hz, 1200 baud, continuous phase), pseudo-random bits
    std::vector<float> fsk(static_cast<std::size_t>(1.5 * rate));
    double ph = 0;
    std::uint32_t s = 7;
    bool bit = false;
    for (std::size_t i = 0; i < fsk.size(); ++i) {
      if (i % (rate / 1200) == 0) {
        s = s * 1103515245u + 12345u;
        bit = (s >> 16) & 1;
      }
      ph += 2 * M_PI * (bit ? 1200.0 : 2200.0) / rate;
      fsk[i] = static_cast<float>(0.3 * std::sin(ph));
    }
    auto f = analyse(rate, fsk);
    EXPECT_FALSE(any_ggwave(f));
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].label, "Bell 202");
  }
}

// a 16-tone comb on every other grid bin (a 93.75 Hz harmonic series) is not a start marker
TEST(Ggwave, HarmonicSeriesIsNotAMarker) {
  std::vector<float> a(static_cast<std::size_t>(2.0 * 48000));
  for (std::size_t i = 0; i < a.size(); ++i) {
    double s = 0;
    for (int h = 1; h <= 40; ++h)
      s += 0.02 * std::sin(2 * M_PI * 93.75 * h * static_cast<double>(i) / 48000);
    a[i] = static_cast<float>(s);
  }
  EXPECT_FALSE(any_ggwave(analyse(48000, a)));
}

int sh(const std::string &c) {
  return std::system(c.c_str());
}

// speech (espeak-ng) and music (lmms-common samples) through the whole detector: no ggwave finding
TEST(Ggwave, SpeechAndMusicAreNotGgwave) {
  for (const char *tool : {"sox", "espeak-ng"})
    if (sh(std::string("command -v ") + tool + " >/dev/null 2>&1") != 0)
      GTEST_SKIP() << tool << " is not installed";
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("vg-ggwave-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string d = dir.string();
  ASSERT_EQ(sh("espeak-ng -v en-us -w " + d +
               "/s.wav 'The quick brown fox jumps over the lazy dog. Please send the data over "
               "the phone line at nine thirty, and call me back when the transfer is done.' && "
               "sox " +
               d + "/s.wav -r 8000 -c 1 -b 16 " + d + "/speech8k.wav && sox " + d +
               "/s.wav -r 48000 -c 1 -b 16 " + d + "/speech48k.wav"),
            0);
  std::vector<std::string> files = {d + "/speech8k.wav", d + "/speech48k.wav"};
  if (fs::exists("/usr/share/lmms/samples")) {
    ASSERT_EQ(sh("cd " + d +
                 " && i=0; for f in $(find /usr/share/lmms/samples -type f \\( -name "
                 "'*.ogg' -o -name '*.wav' \\) | sort | head -80); do i=$((i+1)); sox \"$f\" -r "
                 "48000 -c 1 -b 16 m_$i.wav 2>/dev/null; done; sox m_*.wav music48k.wav "
                 "2>/dev/null; sox music48k.wav -r 8000 music8k.wav"),
              0);
    files.push_back(d + "/music48k.wav");
    files.push_back(d + "/music8k.wav");
  }
  for (const auto &file : files) {
    auto a = vg::voice::read_wav(file);
    auto f = analyse(a.sample_rate, a.channels[0]);
    for (const auto &x : f)
      EXPECT_EQ(x.label.rfind("ggwave", 0), std::string::npos) << file << ": " << x.message;
  }
  fs::remove_all(dir);
}

} // namespace
