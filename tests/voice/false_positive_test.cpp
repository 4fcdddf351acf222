// False positives (issue 6, proof 4): no inaudible-band finding, and no modem or answer-tone
// finding, on more than 30 minutes of speech and music with real high-frequency content. Speech:
// espeak-ng in five voices reading the GPL; music: every sample of lmms-common (drums, cymbals,
// breaks, basses, instruments, effects) at three speeds, alone and under speech. Built here with
// sox; skips when the tools or lmms-common are missing.
#include "voice/data_carrier_detector.hpp"
#include "voice/inaudible_band_detector.hpp"
#include "voice/wav_file.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

int sh(const std::string &c) {
  return std::system(c.c_str());
}

TEST(SlowFalsePositives, ThirtyMinutesOfSpeechAndMusic) {
  for (const char *tool : {"sox", "espeak-ng"})
    if (sh(std::string("command -v ") + tool + " >/dev/null 2>&1") != 0)
      GTEST_SKIP() << tool << " is not installed";
  if (!fs::exists("/usr/share/lmms/samples") || !fs::exists("/usr/share/common-licenses/GPL-3"))
    GTEST_SKIP() << "needs lmms-common (music samples) and base-files' GPL-3 text";
  fs::path dir = fs::temp_directory_path() / ("vg-fp-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::string d = dir.string();
  // speech: five voices, about three minutes each
  int n = 0;
  for (const char *voice : {"en-us", "en-gb", "de", "fr", "es"}) {
    std::string text = d + "/text" + std::to_string(n);
    ASSERT_EQ(sh("head -c 14000 /usr/share/common-licenses/GPL-3 | tail -c 11000 > " + text), 0);
    ASSERT_EQ(sh("espeak-ng -v " + std::string(voice) + " -f " + text + " -w " + d + "/s" +
                 std::to_string(n) + ".wav && sox " + d + "/s" + std::to_string(n) +
                 ".wav -r 48000 -c 1 -b 16 " + d + "/speech" + std::to_string(n) +
                 ".wav >/dev/null 2>&1"),
              0);
    ++n;
  }
  // music: every lmms sample at 0.8x, 1x and 1.25x speed, then all of it under speech
  ASSERT_EQ(
      sh("cd " + d +
         " && i=0; for f in $(find /usr/share/lmms/samples -type f \\( -name '*.ogg' -o -name "
         "'*.wav' -o "
         "-name '*.flac' \\) | sort); do i=$((i+1)); for s in 0.8 1 1.25; do sox \"$f\" -r 48000 "
         "-c 1 -b 16 "
         "m_${i}_$s.wav speed $s 2>/dev/null; done; done; sox m_*_1.wav music.wav 2>/dev/null;"
         " sox -m -v 1 speech0.wav -v 0.5 music.wav under.wav 2>/dev/null; rm -f m_*_1.wav"),
      0);
  double seconds = 0;
  int inaudible = 0, carriers = 0;
  std::string first;
  for (const auto &e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    bool raw_speech =
        name.rfind("s", 0) == 0 && name.rfind("speech", 0) != 0; // espeak's 22 kHz originals
    if (e.path().extension() != ".wav" || raw_speech)
      continue;
    auto a = vg::voice::read_wav(e.path().string());
    seconds += static_cast<double>(a.frames()) / a.sample_rate;
    vg::voice::InaudibleBandDetector ib(a.sample_rate);
    vg::voice::DataCarrierDetector dc(a.sample_rate);
    ib.push(a.channels[0]);
    ib.flush();
    dc.push(a.channels[0]);
    dc.flush();
    for (const auto &f : ib.findings) {
      ++inaudible;
      if (first.empty())
        first = e.path().filename().string() + ": " + f.message;
    }
    for (const auto &f : dc.findings)
      if (f.code !=
          "audio.infrasound") { // LFO shapes in lmms's samples/shapes really are infrasound
        ++carriers;
        if (first.empty())
          first = e.path().filename().string() + ": " + f.message;
      }
  }
  std::printf("false-positive corpus: %.1f minutes, %d inaudible-band and %d carrier findings\n",
              seconds / 60, inaudible, carriers);
  EXPECT_GE(seconds, 30 * 60.0);
  EXPECT_EQ(inaudible, 0) << first;
  EXPECT_EQ(carriers, 0) << first;
  fs::remove_all(dir);
}

} // namespace
