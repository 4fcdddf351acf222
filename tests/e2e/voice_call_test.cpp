// Real peers end to end (issue 6, proof 3 a-c): baresip calls sipp inside a private network
// namespace (unshare -n: only loopback) while `voxguard voice watch --iface lo` inspects the call
// live. (a) espeak-ng speech over Opus: no finding; (b) the same plus a 19 kHz tone at -30 dBFS:
// flagged; (c) a minimodem Bell 202 burst mixed into the speech, sent as G.711: data-carrier
// finding; (d) the same burst sent as G.722 (PT 9, decoded at 16 kHz): data-carrier finding, and
// the inaudible-band check says "not applicable: codec G722". Needs root, unshare, baresip, sipp,
// espeak-ng, sox, minimodem and
// ../shared/docs/voip-e2e; skips with the reason otherwise. About 15 s per call.
#include "e2e/voice_peers.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

const char *kCallScript = R"SH(
# usage (inside unshare -n): call.sh OUTDIR CODECMOD ACCOUNT_CODECS WAV VOXGUARD
OUT=$1; MOD=$2; CODECS=$3; WAV=$4; VG=$5
peer_config $OUT $MOD $CODECS $WAV
$VG voice watch --iface lo --json --duration 14 > $OUT/watch.jsonl 2> $OUT/watch.err & VGPID=$!
sleep 1
start_sipp $OUT
sleep 0.5
start_baresip $OUT
trap 'kill $BARESIP $SIPP $VGPID 2>/dev/null' EXIT
python3 $E2E/dial_by_name.py Bank 15 > $OUT/driver.log 2>&1
wait $BARESIP; wait $SIPP
wait $VGPID

)SH";

namespace fs = std::filesystem;

using vg::test::sh;

std::vector<nlohmann::json> findings_of(const fs::path &jsonl) {
  std::vector<nlohmann::json> out;
  std::ifstream in(jsonl);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j["type"] == "finding")
      out.push_back(j);
  }
  return out;
}

class VoiceCallE2E : public ::testing::Test {
protected:
  void SetUp() override {
    if (auto why = vg::test::skip_reason(
            {"unshare", "baresip", "sipp", "espeak-ng", "sox", "minimodem", "python3", "ip"});
        !why.empty())
      GTEST_SKIP() << why;
    dir_ = fs::temp_directory_path() / ("vg-call-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    vg::test::write_script(kCallScript, dir_ / "call.sh");
    ASSERT_EQ(vg::test::make_audio(dir_, "Hello, this is your bank calling about your account. "
                                         "Please confirm the last transaction of forty two "
                                         "euros. Thank you and goodbye."),
              0);
    ASSERT_EQ(sh("cd " + dir_.string() +
                 " && echo 'hello bank this is a modem burst 0123456789' | minimodem --tx 1200 -f "
                 "bell202.wav &&"
                 " sox bell202.wav burst.wav pad 2 0 && sox -m -v 1 speech48.wav -v 0.5 burst.wav "
                 "modem.wav >/dev/null 2>&1"),
              0);
  }
  void TearDown() override {
    if (!dir_.empty())
      fs::remove_all(dir_);
  }
  std::vector<nlohmann::json> call(const std::string &label, const std::string &module,
                                   const std::string &codecs, const std::string &wav) {
    std::string out = (dir_ / label).string();
    sh("timeout 90 unshare -n -- bash " + (dir_ / "call.sh").string() + " " + out + " " + module +
       " " + codecs + " " + (dir_ / wav).string() + " " + VOXGUARD_BINARY + " >/dev/null 2>&1");
    std::ifstream log(dir_ / label / "baresip.log");
    std::string all((std::istreambuf_iterator<char>(log)), {});
    EXPECT_NE(all.find("terminated"), std::string::npos)
        << "the call did not happen: " << all.substr(0, 2000);
    return findings_of(dir_ / label / "watch.jsonl");
  }
  fs::path dir_;
};

int count(const std::vector<nlohmann::json> &fs, const std::string &code) {
  int n = 0;
  for (const auto &f : fs)
    n += f["code"] == code;
  return n;
}

TEST_F(VoiceCallE2E, SpeechOverOpusIsClean) {
  auto f = call("a", "opus.so", "opus/48000/2", "speech48.wav");
  EXPECT_EQ(count(f, "audio.inaudible-band"), 0);
  for (const auto &x : f)
    EXPECT_EQ(x["severity"], "info") << x.dump();
}

TEST_F(VoiceCallE2E, NineteenKilohertzToneOverOpusIsFlagged) {
  auto f = call("b", "opus.so", "opus/48000/2", "mark.wav");
  int live = 0;
  for (const auto &x : f)
    if (x["code"] == "audio.inaudible-band") {
      EXPECT_NEAR(x["frequency_hz"].get<double>(), 19000, 50);
      EXPECT_NEAR(x["level_dbfs"].get<double>(), -30, 3);
      if (x.value("live", false)) {
        ++live;
        EXPECT_LE(x["time_s"].get<double>() - x["onset_s"].get<double>(), 0.2);
      }
    }
  EXPECT_GE(live, 1);
}

TEST_F(VoiceCallE2E, Bell202BurstInG711IsADataCarrier) {
  auto f = call("c", "g711.so", "PCMU/8000/1", "modem.wav");
  bool bell = false;
  for (const auto &x : f)
    if (x["code"] == "audio.data-carrier") {
      bell |= x.value("label", "") == "Bell 202";
      EXPECT_NEAR(x["onset_s"].get<double>(), 2.0, 0.3);
    }
  EXPECT_TRUE(bell);
  EXPECT_GE(count(f, "audio.not-applicable"),
            1); // PCMU cannot carry the inaudible band: said, not silent
}

TEST_F(VoiceCallE2E, Bell202BurstInG722IsADataCarrier) {
  auto f = call("d", "g722.so", "G722/8000/1", "modem.wav");
  bool bell = false, not_applicable = false;
  for (const auto &x : f) {
    if (x["code"] == "audio.data-carrier") {
      bell |= x.value("label", "") == "Bell 202";
      EXPECT_NEAR(x["onset_s"].get<double>(), 2.0, 0.3);
    }
    if (x["code"] == "audio.not-applicable")
      not_applicable |=
          x["message"].get<std::string>().find("not applicable: codec G722") != std::string::npos;
    EXPECT_NE(x["code"], "audio.decode-error") << x.dump();
  }
  EXPECT_TRUE(bell);
  EXPECT_TRUE(not_applicable);
}

} // namespace
