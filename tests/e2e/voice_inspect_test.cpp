// `voxguard voice inspect` end to end: runs the binary on the recorded calls and RFC 4475 messages
// and reads its --json output (one object per line).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/wait.h>
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
