// End to end with real programs (baresip 1.0.0, sipp) on loopback in a private network namespace:
// with `voxguard guard start` on, an unknown program tries to point "Bank" at 987-65-43 and fails;
// baresip then dials "Bank" by name and the real bank (:5070) gets the INVITE, the attacker (:5071)
// nothing; the events name the attacker's executable and its SHA-256.
// Script: tests/guard/scripts/bank_call_under_guard.sh. Needs root, baresip, sipp, unshare.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>
#include <map>
#include <string>
#include <sys/fanotify.h>
#include <unistd.h>

namespace fs = std::filesystem;

TEST(GuardVoipCall, BankStillRingsTheRealBankAfterAnAttack) {
  const std::string e2e = std::string(VOXGUARD_SOURCE_DIR) + "/../shared/docs/voip-e2e";
  const std::string script =
      std::string(VOXGUARD_SOURCE_DIR) + "/tests/guard/scripts/bank_call_under_guard.sh";
  if (geteuid() != 0)
    GTEST_SKIP() << "needs root (fanotify, network namespace)";
  for (const char *tool :
       {"/usr/bin/baresip", "/usr/bin/sipp", "/usr/bin/unshare", "/usr/bin/python3"})
    if (!fs::exists(tool))
      GTEST_SKIP() << tool << " is not installed (apt-get install baresip sip-tester)";
  if (!fs::exists(e2e + "/contacts.orig"))
    GTEST_SKIP() << "shared recipe missing: " << e2e;
  int fd = fanotify_init(FAN_CLASS_CONTENT, 0);
  if (fd < 0)
    GTEST_SKIP() << "fanotify is not available";
  close(fd);
  char tmpl[] = "/tmp/vg-guard-call-XXXXXX";
  std::string work = mkdtemp(tmpl);
  std::string cmd = "timeout 120 unshare -n -- bash '" + script + "' '" + VOXGUARD_BINARY + "' '" +
                    e2e + "' '" + work + "' 2>&1";
  std::map<std::string, std::string> result;
  std::string all;
  if (FILE *p = popen(cmd.c_str(), "r")) {
    std::array<char, 4096> line{};
    while (fgets(line.data(), line.size(), p)) {
      std::string l = line.data();
      all += l;
      if (l.starts_with("RESULT ")) {
        l = l.substr(7);
        while (!l.empty() && (l.back() == '\n' || l.back() == '\r'))
          l.pop_back();
        auto sp = l.find(' ');
        result[l.substr(0, sp)] = sp == std::string::npos ? "" : l.substr(sp + 1);
      }
    }
    pclose(p);
  }
  fs::remove_all(work);
  ASSERT_TRUE(result.contains("guard-started")) << all;
  EXPECT_EQ(result["attack-write"], "status=137") << all; // denied and killed
  EXPECT_TRUE(result.contains("contacts-intact")) << all;
  EXPECT_EQ(result["uas5070"], "INVITE sip:1234567@127.0.0.1:5070 SIP/2.0") << all;
  EXPECT_EQ(result["uas5071"], "none") << all;
  EXPECT_NE(result["events-naming-attacker"], "0") << all;
  EXPECT_EQ(result["events-denying-baresip"], "0") << all;
}
