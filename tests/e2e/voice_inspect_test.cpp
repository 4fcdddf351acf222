// `voxguard voice inspect` end to end: runs the binary on the recorded calls and RFC 4475 messages
// and reads its --json output (one object per line).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

struct Run {
  int status = -1;
  std::vector<nlohmann::json> lines;
};

Run voxguard(const std::string &args) {
  Run r;
  std::string cmd = std::string(VOXGUARD_BINARY) + " " + args + " 2>/dev/null";
  FILE *p = popen(cmd.c_str(), "r");
  if (!p)
    return r;
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), p))
    out.append(buf.data(), n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::size_t pos = 0;
  while (pos < out.size()) {
    auto nl = out.find('\n', pos);
    std::string line = out.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? out.size() : nl + 1;
    if (!line.empty())
      r.lines.push_back(nlohmann::json::parse(line));
  }
  return r;
}

const std::string kPcap = std::string(VOXGUARD_SHARED_DATA) + "/pcap/";

class VoiceInspectE2E : public ::testing::Test {
protected:
  void SetUp() override {
    if (!std::filesystem::exists(kPcap))
      GTEST_SKIP() << "shared test data missing: " << kPcap;
  }
};

TEST_F(VoiceInspectE2E, DialCaptureReportsTheInvite) {
  auto r = voxguard("voice inspect --json " + kPcap + "baresip-dial-bank.pcap");
  bool call = false;
  for (const auto &j : r.lines)
    if (j["type"] == "call") {
      call = true;
      EXPECT_EQ(j["request_uri"], "sip:1234567@127.0.0.1:5070");
    }
  EXPECT_TRUE(call);
}

TEST_F(VoiceInspectE2E, ToneFlaggedCleanNotPcmuNotApplicable) {
  auto tone = voxguard("voice inspect --json " + kPcap + "baresip-opus128k-19khz-tone.pcap");
  EXPECT_EQ(tone.status, 1);
  int flagged = 0;
  for (const auto &j : tone.lines)
    if (j["type"] == "finding" && j["code"] == "audio.inaudible-band") {
      ++flagged;
      EXPECT_NEAR(j["frequency_hz"].get<double>(), 19000, 50);
      EXPECT_LT(j["onset_s"].get<double>(), 0.2);
      EXPECT_TRUE(j.contains("level_dbfs") && j.contains("duration_s"));
    }
  EXPECT_GT(flagged, 0);

  auto clean = voxguard("voice inspect --json " + kPcap + "baresip-opus28k-clean.pcap");
  EXPECT_EQ(clean.status, 0);
  for (const auto &j : clean.lines)
    EXPECT_NE(j.value("code", ""), "audio.inaudible-band");

  auto pcmu = voxguard("voice inspect --json " + kPcap + "baresip-pcmu.pcap");
  int na = 0;
  for (const auto &j : pcmu.lines)
    if (j["type"] == "stream")
      na += j.value("inaudible_band", "").find("not applicable: codec PCMU") != std::string::npos;
  EXPECT_EQ(na, 2);
}

TEST_F(VoiceInspectE2E, SipMessageVerdicts) {
  std::string dir = std::string(VOXGUARD_SHARED_DATA) + "/sip/rfc4475/";
  auto bad = voxguard("voice inspect --json --sip-message " + dir + "clerr.dat");
  ASSERT_EQ(bad.lines.size(), 1u);
  EXPECT_EQ(bad.lines[0]["verdict"], "invalid");
  EXPECT_NE(bad.lines[0]["reason"].get<std::string>().find("Content-Length"), std::string::npos);
  EXPECT_EQ(bad.status, 1);
  auto good = voxguard("voice inspect --json --sip-message " + dir + "esc01.dat");
  EXPECT_EQ(good.lines.at(0)["verdict"], "valid");
  EXPECT_EQ(good.status, 0);
  auto missing = voxguard("voice inspect --sip-message /nonexistent/x.sip");
  EXPECT_EQ(missing.status, 2);
}

} // namespace

namespace {

TEST(VoiceScrubE2E, WavScrubReportsBandRemovedAndVoiceKept) {
  // a 48 kHz WAV with voice-band partials and a 19 kHz tone, written by hand (no helpers linked
  // here)
  auto dir = std::filesystem::temp_directory_path();
  std::string in = (dir / ("vg-e2e-in-" + std::to_string(::getpid()) + ".wav")).string();
  std::string out = (dir / ("vg-e2e-out-" + std::to_string(::getpid()) + ".wav")).string();
  const unsigned rate = 48000, n = rate;
  std::vector<std::int16_t> pcm(n);
  for (unsigned i = 0; i < n; ++i) {
    double t = static_cast<double>(i) / rate;
    double v = 0.1 * std::sin(2 * M_PI * 440 * t) + 0.05 * std::sin(2 * M_PI * 1250 * t) +
               0.05 * std::sin(2 * M_PI * 19000 * t);
    pcm[i] = static_cast<std::int16_t>(std::lround(v * 32767));
  }
  FILE *f = std::fopen(in.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  auto w32 = [&](std::uint32_t v) { std::fwrite(&v, 4, 1, f); };
  auto w16 = [&](std::uint16_t v) { std::fwrite(&v, 2, 1, f); };
  std::fwrite("RIFF", 1, 4, f);
  w32(36 + n * 2);
  std::fwrite("WAVEfmt ", 1, 8, f);
  w32(16);
  w16(1);
  w16(1);
  w32(rate);
  w32(rate * 2);
  w16(2);
  w16(16);
  std::fwrite("data", 1, 4, f);
  w32(n * 2);
  std::fwrite(pcm.data(), 2, n, f);
  std::fclose(f);
  std::string cmd = std::string(VOXGUARD_BINARY) + " voice scrub " + in + " " + out;
  FILE *p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char line[512] = {0};
  ASSERT_NE(std::fgets(line, sizeof line, p), nullptr);
  EXPECT_EQ(pclose(p), 0);
  double band_before, band_after, voice_before, voice_after;
  const char *s = std::strstr(line, "inaudible band 16.8-24 kHz");
  ASSERT_NE(s, nullptr) << line;
  ASSERT_EQ(std::sscanf(
                s, "inaudible band 16.8-24 kHz %lf -> %lf dBFS; voice band 300-3400 Hz %lf -> %lf",
                &band_before, &band_after, &voice_before, &voice_after),
            4)
      << line;
  EXPECT_GT(band_before, -35);
  EXPECT_LT(band_after, -80);
  EXPECT_NEAR(voice_before, voice_after, 0.2);
  EXPECT_TRUE(std::filesystem::exists(out));
  std::filesystem::remove(in);
  std::filesystem::remove(out);
}

} // namespace
