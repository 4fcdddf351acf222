// ggwave's audible, dual-tone and mono-tone protocols (issue 6): a test-side encoder written from
// ggwave's published encoding (src/ggwave.cpp GGWave::encode, include/ggwave/ggwave.h protocol
// table) produces the nine protocols, with and without markers, and an Arduino buzzer's MT; each
// must be found and named with its onset at 48, 16 and 8 kHz (and through RTP/G.711), while speech,
// music, DTMF, steady tones, Bell 202, melodies, MFSK, SIT and glides are not called ggwave.
#include "voice/audio_codec.hpp"
#include "voice/data_carrier_detector.hpp"
#include "voice/udp_datagram.hpp"
#include "voice/voice_inspector.hpp"
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

// ggwave's protocol table (include/ggwave/ggwave.h): name, freqStart, framesPerTx, bytesPerTx,
// extra (2: mono-tone, one nibble per Tx)
struct Protocol {
  const char *label; // the finding's expected label
  int freq_start, frames_per_tx, bytes_per_tx, extra;
};
const Protocol kAudible[] = {{"ggwave audible normal", 40, 9, 3, 1},
                             {"ggwave audible fast", 40, 6, 3, 1},
                             {"ggwave audible fastest", 40, 3, 3, 1}};
const Protocol kDualTone[] = {{"ggwave DT normal", 24, 9, 1, 1},
                              {"ggwave DT fast", 24, 6, 1, 1},
                              {"ggwave DT fastest", 24, 3, 1, 1}};
const Protocol kMonoTone[] = {{"ggwave MT normal", 24, 9, 1, 2},
                              {"ggwave MT fast", 24, 6, 1, 2},
                              {"ggwave MT fastest", 24, 3, 1, 2}};

// ggwave's Tx (src/ggwave.cpp GGWave::encode): 48 kHz base rate, 1024-sample frames (46.875 Hz per
// bin; microcontrollers use 6 kHz / 128, the same grid and frame time). Variable length
// (fixed_length 0): 16-frame start/end markers of 16 tones (freqStart + 2i + (i&1), then
// + 2i + 1 - (i&1)) around 3 bytes of Reed-Solomon-coded length, the payload and its ECC bytes
// (len < 4 ? 2 : max(4, 2 (len/5))); fixed length: no markers and no length bytes, the payload
// padded to fixed_length. Data: bytesPerTx bytes per Tx held framesPerTx frames; extra 1: nibble
// n of the chunk, value v -> bin freqStart + 16 n + v; extra 2 (MT): one nibble per Tx, low then
// high, on bin freqStart + v. dataBits[k] -> the bit1 tone of bit k/2 (even k) or its bit0 tone
// one bin up, phase pi (k/2) / (8 bytesPerTx); each frame's sum of tones is scaled by
// 1/number-of-tones and faded in and out over the first/last 15% of the marker or Tx
// (addAmplitudeSmooth). The ECC bytes are not computed here (the detector does not decode): fixed
// filler stands in. `buzzer`: what ggwave's arduino-tx sketch plays through tone() — a full-scale
// square wave at the integer Hz of each tone, no fades; `clock` scales the sender's clock (tones
// up, frames shorter).
std::vector<float> ggwave(unsigned rate, const std::string &payload, const Protocol &pr,
                          std::size_t fixed_length = 0, double volume = 0.25, bool buzzer = false,
                          double clock = 1.0) {
  const double grid = 46.875 * clock, frame_s = 1024.0 / 48000.0 / clock;
  std::string data = payload;
  std::vector<std::uint8_t> bytes;
  if (fixed_length == 0)
    bytes = {static_cast<std::uint8_t>(payload.size()), 0x5a, 0xc3};
  else
    data.resize(fixed_length, '\0');
  bytes.insert(bytes.end(), data.begin(), data.end());
  const std::size_t len = data.size();
  const std::size_t ecc = len < 4 ? 2 : std::max<std::size_t>(4, 2 * (len / 5));
  for (std::size_t i = 0; i < ecc; ++i)
    bytes.push_back(static_cast<std::uint8_t>(0x37 * (i + 1)));
  const auto bpt = static_cast<std::size_t>(pr.bytes_per_tx);
  const std::size_t txs = static_cast<std::size_t>(pr.extra) * ((bytes.size() + bpt - 1) / bpt);
  bytes.resize(bytes.size() + bpt, 0);
  const double bits = 8.0 * pr.bytes_per_tx;
  struct Block {
    std::vector<std::pair<int, double>> tones; // grid bin, phase
    int frames;
  };
  std::vector<Block> blocks;
  Block start, end;
  for (int i = 0; i < 16; ++i) {
    const double phase = M_PI * i / bits;
    start.tones.push_back({pr.freq_start + 2 * i + (i & 1), phase});
    end.tones.push_back({pr.freq_start + 2 * i + 1 - (i & 1), phase});
  }
  start.frames = end.frames = 16;
  if (fixed_length == 0)
    blocks.push_back(start);
  for (std::size_t t = 0; t < txs; ++t) {
    Block b;
    b.frames = pr.frames_per_tx;
    const std::size_t offset = t * bpt;
    std::vector<int> ks;
    for (std::size_t j = 0; j < bpt; ++j) {
      const int jj = static_cast<int>(j);
      if (pr.extra == 1) {
        ks.push_back(2 * jj * 16 + (bytes[offset + j] & 15));
        ks.push_back((2 * jj + 1) * 16 + (bytes[offset + j] >> 4));
      } else {
        const std::uint8_t byte = bytes[offset / 2 + j];
        ks.push_back(2 * jj * 16 + (offset % 2 == 0 ? byte & 15 : byte >> 4));
      }
    }
    std::sort(ks.begin(), ks.end());
    for (int k : ks)
      b.tones.push_back({pr.freq_start + k, M_PI * (k / 2) / bits});
    blocks.push_back(b);
  }
  if (fixed_length == 0)
    blocks.push_back(end);
  std::vector<float> out;
  double t0 = 0;
  for (const auto &b : blocks) {
    const double dur = b.frames * frame_s;
    const auto n = static_cast<std::size_t>(std::llround(dur * rate));
    for (std::size_t i = 0; i < n; ++i) {
      const double tl = static_cast<double>(i) / rate, t = t0 + tl;
      if (buzzer) { // the square wave's odd harmonics, as far as the audio band carries them
        const double hz = std::floor(grid * b.tones[0].first);
        double s = 0;
        for (int h = 1; h * hz < rate / 2.0 - 100; h += 2)
          s += 4 / M_PI * std::sin(2 * M_PI * h * hz * t) / h;
        out.push_back(static_cast<float>(volume * s));
        continue;
      }
      const double ramp = std::min({1.0, tl / (0.15 * dur), (dur - tl) / (0.15 * dur)});
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

std::string messages(const std::vector<vg::voice::Finding> &f) {
  std::string m;
  for (const auto &x : f)
    m += "\n  " + x.label + ": " + x.message;
  return m;
}

// the transmission between 0.7 s of silence and 0.5 s of silence: one finding, named, with its
// onset and duration
void expect_named(unsigned rate, const std::vector<float> &g, const std::string &label) {
  auto a = silence(rate, 0.7);
  a.insert(a.end(), g.begin(), g.end());
  auto tail = silence(rate, 0.5);
  a.insert(a.end(), tail.begin(), tail.end());
  auto f = analyse(rate, a);
  ASSERT_EQ(f.size(), 1u) << messages(f);
  EXPECT_EQ(f[0].code, "audio.data-carrier");
  EXPECT_EQ(f[0].label, label) << f[0].message;
  EXPECT_NEAR(*f[0].onset_s, 0.7, 0.05);
  const double expected = static_cast<double>(g.size()) / rate;
  EXPECT_NEAR(*f[0].duration_s, expected, 0.1);
}

TEST(Ggwave, EachAudibleSpeedIsNamedWithItsOnset) {
  for (unsigned rate : {48000u, 16000u, 8000u})
    for (const auto &c : kAudible)
      for (const std::string payload : {"hi", "hello ggwave"}) {
        SCOPED_TRACE(std::to_string(rate) + " Hz, " + c.label + ", \"" + payload + "\"");
        expect_named(rate, ggwave(rate, payload, c), c.label);
      }
}

// DT: variable length (markers, ggwave's default) and fixed length (no markers); the whole
// 1125-2578 Hz band fits G.711
TEST(Ggwave, EachDualToneSpeedIsNamedWithItsOnset) {
  for (unsigned rate : {48000u, 16000u, 8000u})
    for (const auto &c : kDualTone) {
      for (const std::string payload : {"hi", "hello ggwave"}) {
        SCOPED_TRACE(std::to_string(rate) + " Hz, " + c.label + ", \"" + payload + "\"");
        expect_named(rate, ggwave(rate, payload, c), c.label);
      }
      for (std::size_t fixed : {4u, 16u}) {
        SCOPED_TRACE(std::to_string(rate) + " Hz, " + c.label + ", fixed length " +
                     std::to_string(fixed));
        expect_named(rate, ggwave(rate, "ping", c, fixed), c.label);
      }
    }
}

// a call joined after a DT transmission's start marker: the chunks alone still name it
TEST(Ggwave, DualToneJoinedMidwayIsFoundFromItsChunks) {
  for (unsigned rate : {48000u, 8000u}) {
    SCOPED_TRACE(std::to_string(rate) + " Hz");
    auto g = ggwave(rate, "hello ggwave", kDualTone[1]);
    g.erase(g.begin(), g.begin() + static_cast<long>(0.45 * rate)); // marker and 1 chunk gone
    expect_named(rate, g, "ggwave DT fast");
  }
}

// MT: fixed length only (ggwave refuses variable-length mono-tone); 2 bytes is 8 tones
TEST(Ggwave, EachMonoToneSpeedIsNamedWithItsOnset) {
  for (unsigned rate : {48000u, 16000u, 8000u})
    for (const auto &c : kMonoTone)
      for (std::size_t fixed : {2u, 4u, 16u}) {
        SCOPED_TRACE(std::to_string(rate) + " Hz, " + c.label + ", fixed length " +
                     std::to_string(fixed));
        expect_named(rate, ggwave(rate, "Hello!", c, fixed), c.label);
      }
}

// ggwave's arduino-tx sketch: MT fastest, 16 bytes, through a buzzer (square wave, no fades),
// the board's resonator exact, 0.25% fast or 0.25% slow
TEST(Ggwave, MonoToneFromAnArduinoBuzzer) {
  for (unsigned rate : {48000u, 16000u, 8000u})
    for (double clock : {1.0, 1.0025, 0.9975}) {
      SCOPED_TRACE(std::to_string(rate) + " Hz, clock x" + std::to_string(clock));
      expect_named(rate, ggwave(rate, "Hello!", kMonoTone[2], 16, 0.3, true, clock),
                   "ggwave MT fastest");
    }
}

TEST(Ggwave, OnsetCarriesTheStreamOffsetAndSurvivesBackgroundNoise) {
  const unsigned rate = 8000;
  auto a = silence(rate, 0.3);
  auto g = ggwave(rate, "abc", kAudible[1]);
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

// the path of `voice inspect`: MT fastest (16 bytes) at 8 kHz in 20 ms µ-law RTP packets (static
// PT 0, no SDP) one second into the stream: one ggwave finding for the stream, at its onset
TEST(Ggwave, MonoToneInsideAPcmuRtpStreamIsFound) {
  auto audio = silence(8000, 1.0);
  const auto g = ggwave(8000, "Hello!", kMonoTone[2], 16);
  audio.insert(audio.end(), g.begin(), g.end());
  const auto tail = silence(8000, 0.5);
  audio.insert(audio.end(), tail.begin(), tail.end());
  vg::voice::VoiceInspector inspector;
  std::vector<std::uint8_t> packet(12 + 160);
  for (std::size_t i = 0, off = 0; off + 160 <= audio.size(); ++i, off += 160) {
    // RTP version 2, PT 0, sequence i, timestamp = sample offset, SSRC 0x11223344 (big-endian)
    const std::uint64_t fields[] = {0x8000u, i, off, 0x11223344u};
    const std::size_t at[] = {0, 2, 4, 8}, width[] = {2, 2, 4, 4};
    for (std::size_t f = 0; f < 4; ++f)
      for (std::size_t b = 0; b < width[f]; ++b)
        packet[at[f] + b] = static_cast<std::uint8_t>(fields[f] >> (8 * (width[f] - 1 - b)));
    for (std::size_t k = 0; k < 160; ++k)
      packet[12 + k] = vg::voice::float_to_ulaw(audio[off + k]);
    vg::voice::UdpDatagram d;
    d.time_s = 1000.0 + 0.02 * static_cast<double>(i);
    d.frame = i + 1;
    d.src = {"192.0.2.1", 40000};
    d.dst = {"192.0.2.2", 20000};
    d.payload = packet;
    inspector.add(d);
  }
  inspector.finish();
  std::vector<vg::voice::Finding> found;
  for (const auto &f : inspector.findings())
    if (f.label.rfind("ggwave", 0) == 0)
      found.push_back(f);
  ASSERT_EQ(found.size(), 1u) << messages(inspector.findings());
  EXPECT_EQ(found[0].label, "ggwave MT fastest");
  EXPECT_NEAR(*found[0].onset_s, 1.0, 0.05);
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

// a keyed tone sequence: symbol i's tones (Hz) held durations[i] seconds, continuous phase
std::vector<float> keyed(unsigned rate, const std::vector<std::vector<double>> &symbols,
                         const std::vector<double> &durations) {
  std::vector<float> out;
  std::vector<double> phase(4, 0.0);
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    const auto n = static_cast<std::size_t>(durations[i % durations.size()] * rate);
    for (std::size_t k = 0; k < n; ++k) {
      double s = 0;
      for (std::size_t j = 0; j < symbols[i].size(); ++j) {
        phase[j] += 2 * M_PI * symbols[i][j] / rate;
        s += std::sin(phase[j]);
      }
      out.push_back(static_cast<float>(0.25 * s / static_cast<double>(symbols[i].size())));
    }
  }
  return out;
}

// ggwave's neighbours among pure-tone sequences in 1.1-2.6 kHz: each lacks ggwave's 46.875 Hz grid
// or its clock, and none may be called ggwave
TEST(Ggwave, ToneSequencesOffTheGridOrOffTheClockAreNotGgwave) {
  std::uint32_t seed = 12345;
  auto next = [&](unsigned m) {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) % m;
  };
  std::vector<std::pair<std::string, std::vector<float>>> cases;
  for (unsigned rate : {8000u, 16000u, 48000u}) {
    const std::string r = " at " + std::to_string(rate) + " Hz";
    // a melody of equal-tempered notes D6..A#6 (chiptune) on a strict 64 ms and 128 ms clock
    for (double d : {0.064, 0.128}) {
      std::vector<std::vector<double>> notes;
      for (int i = 0; i < 40; ++i)
        notes.push_back({1174.66 * std::pow(2.0, next(9) / 12.0)});
      cases.push_back({"melody" + r, keyed(rate, notes, {d})});
    }
    // tones on ggwave's grid (bins 24-39) without its clock: 40-250 ms each
    std::vector<std::vector<double>> grid;
    std::vector<double> durations;
    for (int i = 0; i < 30; ++i) {
      grid.push_back({46.875 * (24 + next(16))});
      durations.push_back(0.04 + 0.01 * next(21));
    }
    cases.push_back({"unclocked grid tones" + r, keyed(rate, grid, durations)});
    // 16-ary FSK on a 50 Hz raster from 1100 Hz, 64 ms symbols; and two-tone chords off the grid
    std::vector<std::vector<double>> mfsk, chords;
    for (int i = 0; i < 40; ++i) {
      mfsk.push_back({1100.0 + 50.0 * next(16)});
      chords.push_back({1150.0 + 50.0 * next(16), 1900.0 + 50.0 * next(16)});
    }
    cases.push_back({"50 Hz MFSK" + r, keyed(rate, mfsk, {0.064})});
    cases.push_back({"off-grid chords" + r, keyed(rate, chords, {0.128})});
    // fldigi's MFSK16: 15.625 Hz tone spacing from 1500 Hz (every third tone on ggwave's grid),
    // 64 ms symbols — ggwave MT fastest's symbol time
    std::vector<std::vector<double>> mfsk16;
    for (int i = 0; i < 60; ++i)
      mfsk16.push_back({1500.0 + 15.625 * next(16)});
    cases.push_back({"MFSK16" + r, keyed(rate, mfsk16, {0.064})});
    // special information tones (913.8, 1370.6, 1776.7 Hz), three times
    std::vector<std::vector<double>> sit;
    for (int i = 0; i < 3; ++i)
      for (double f : {913.8, 1370.6, 1776.7})
        sit.push_back({f});
    cases.push_back({"SIT" + r, keyed(rate, sit, {0.274, 0.274, 0.380})});
    // a whistle gliding 1.1-1.9 kHz, 20 ms steps
    std::vector<std::vector<double>> glide;
    for (int i = 0; i < 150; ++i)
      glide.push_back({1100.0 + 16.0 * (i % 50)});
    cases.push_back({"glide" + r, keyed(rate, glide, {0.02})});
  }
  for (const auto &[name, audio] : cases) {
    const unsigned rate = name.find("8000 Hz") != std::string::npos    ? 8000u
                          : name.find("16000 Hz") != std::string::npos ? 16000u
                                                                       : 48000u;
    auto f = analyse(rate, audio);
    EXPECT_FALSE(any_ggwave(f)) << name << messages(f);
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
