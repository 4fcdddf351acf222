// BPF LSM mode, tested where the kernel allows it: a stock Debian 12 kernel (6.1 and the 6.12
// backport) booted under QEMU (TCG) with the host root shared read-only over 9p; the guest runs
// this build's voxguard with `mode = "bpf-lsm"` against every tampering vector on a baresip
// contacts file, a Linphone friends.db and a Jami profiles folder (the profile swap), checks that
// the owners still write their way (in place, SQLite journal and WAL, Jami's lock + rewrite), that
// `guard edit` lets its editor (a script as $EDITOR) change the contact while an attacker running
// at the same time is denied, that enforcement stays when the guard is killed (pinned programs)
// until `guard stop` and follows a file the owner replaces by temp + rename meanwhile (re-keyed in
// the kernel, the replaced inode's entry dropped), and that the
// fanotify mode raises Yama's ptrace_scope while it runs. Script:
// tests/guard/scripts/qemu_bpf_lsm.sh (skips with exit 77 when qemu, busybox-static or the kernel
// package are not available). Bounded: 900 s per kernel (TCG on a shared 2-core machine).
#include <array>
#include <cstdio>
#include <filesystem>
#include <gtest/gtest.h>
#include <map>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

struct VmRun {
  int exit_code = -1;
  std::string output;
  std::map<std::string, std::string> vectors;
  std::map<std::string, std::string> result;
};

VmRun run_vm(const std::string &kernel) {
  VmRun r;
  std::string cmd = "VMTIMEOUT=840 timeout 900 bash '" + std::string(VOXGUARD_SOURCE_DIR) +
                    "/tests/guard/scripts/qemu_bpf_lsm.sh' '" + VOXGUARD_BINARY + "' '" + kernel +
                    "' 2>&1";
  FILE *p = popen(cmd.c_str(), "r");
  if (!p)
    return r;
  std::array<char, 8192> line{};
  while (fgets(line.data(), line.size(), p)) {
    std::string l = line.data();
    r.output += l;
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r'))
      l.pop_back();
    if (l.starts_with("RESULT vector ")) {
      l = l.substr(14);
      auto sp = l.find(' ');
      r.vectors[l.substr(0, sp)] = l.substr(sp + 1);
    } else if (l.starts_with("RESULT ")) {
      l = l.substr(7);
      auto sp = l.find(' ');
      r.result[l.substr(0, sp)] = sp == std::string::npos ? "" : l.substr(sp + 1);
    }
  }
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

void check_kernel(const std::string &kernel) {
  if (geteuid() != 0)
    GTEST_SKIP() << "needs root (QEMU with 9p, apt-get download)";
  VmRun r = run_vm(kernel);
  if (r.exit_code == 77)
    GTEST_SKIP() << r.output;
  ASSERT_NE(r.result["banner"].find("enforcing (mode bpf-lsm)"), std::string::npos) << r.output;
  const char *expected[] = {
      "append", "trunc-open", "sed-i", "cp-over", "truncate", "python-truncate", "mv-over",
      "mv-away", "exchange", "unlink", "chmod", "link", "plant", "mmap", "procfd",
      // friends.db
      "f-sqlite3", "f-plant-journal", "f-plant-wal", "f-move-journal-in", "f-mv-over", "f-unlink",
      // Jami profiles folder
      "j-plant", "j-move-in", "j-rename-to-attacker", "j-mv-over", "j-link-in", "j-symlink-in",
      "j-mkdir", "j-swap-folder", "j-unlink", "j-sed-i", "j-new-profile-sed-i",
      // once `guard edit` is over, its editor's command is an attack again
      "after-edit-sed-i",
      // after the guard was killed (pinned programs), and after the owner's temp + rename then
      "after-kill-append", "after-kill-unlink", "after-kill-jami-plant", "after-kill-rekey-append",
      "after-kill-rekey-sed-i", "after-kill-rekey-truncate"};
  for (const char *v : expected) {
    ASSERT_TRUE(r.vectors.contains(v)) << v << "\n" << r.output;
    EXPECT_TRUE(r.vectors[v].ends_with(" blocked")) << v << ": " << r.vectors[v];
    EXPECT_FALSE(r.vectors[v].starts_with("rc=0 ")) << v << " reported success";
  }
  EXPECT_EQ(r.result["trusted"], "rc=0 wrote") << r.output;
  EXPECT_EQ(r.result["trusted-friends-journal"], "rc=0 wrote leftover=0") << r.output;
  EXPECT_EQ(r.result["trusted-friends-wal"], "rc=0 wrote leftover=0") << r.output;
  EXPECT_EQ(r.result["trusted-jami"], "rc=0 wrote") << r.output;
  EXPECT_TRUE(r.result["preload"].ends_with(" refused")) << r.output;
  EXPECT_FALSE(r.result.contains("planted-exists")) << r.output;
  EXPECT_GE(std::stoi(r.result["events"].empty() ? "0" : r.result["events"]), 30) << r.output;
  // guard edit: the editor wrote, the attacker at the same time did not, the edit was reported.
  EXPECT_TRUE(r.result["edit"].starts_with("rc=0 wrote")) << r.output;
  EXPECT_TRUE(r.result["edit-attacker"].ends_with(" blocked")) << r.output;
  EXPECT_FALSE(r.result["edit-attacker"].starts_with("rc=0,") ||
               r.result["edit-attacker"].ends_with(",0 blocked"))
      << r.output;
  EXPECT_NE(r.result["edit-event"].find("sip:7654321@127.0.0.1:5070"), std::string::npos)
      << r.output;
  // Re-keyed in the kernel while no guard runs: the new inode protected, the old entry dropped.
  EXPECT_EQ(r.result["after-kill-rekey-trusted"], "rc=0 wrote") << r.output;
  EXPECT_FALSE(r.result["rekey-map-before"].empty()) << r.output;
  EXPECT_EQ(r.result["rekey-map-after"], r.result["rekey-map-before"]) << r.output;
  // Fail closed: pinned while running, still enforcing after SIGKILL, removed by `guard stop`.
  EXPECT_NE(r.result["banner"].find("pinned in /sys/fs/bpf/voxguard"), std::string::npos);
  EXPECT_GT(std::stoi(r.result["pins-before-kill"].empty() ? "0" : r.result["pins-before-kill"]),
            10)
      << r.output;
  EXPECT_EQ(r.result["after-kill-trusted"], "rc=0 wrote") << r.output;
  EXPECT_TRUE(r.result["stop"].starts_with("rc=0 ")) << r.output;
  EXPECT_NE(r.result["stop"].find("enforcement is off"), std::string::npos) << r.output;
  EXPECT_EQ(r.result["pins-after-stop"], "0") << r.output;
  EXPECT_TRUE(r.result["after-stop"].starts_with("writable")) << r.output;
  // fanotify mode's ptrace fallback: Yama's ptrace_scope is 2 while the guard runs, then restored.
  ASSERT_NE(r.result["yama-before"], "none") << "Debian's kernel has Yama\n" << r.output;
  EXPECT_NE(r.result["fan-banner"].find("enforcing (mode fanotify)"), std::string::npos)
      << r.output;
  EXPECT_EQ(r.result["yama-during"], "2") << r.output;
  EXPECT_EQ(r.result["yama-attach-during"], "-1 1") << r.output;  // EPERM
  EXPECT_EQ(r.result["yama-vmwrite-during"], "-1 1") << r.output; // EPERM, not EFAULT
  EXPECT_EQ(r.result["yama-after"], r.result["yama-before"]) << r.output;
  if (r.result["yama-before"] == "0") {
    EXPECT_EQ(r.result["yama-attach-after"], "0 0") << r.output;
  }
  std::printf("%s", r.output.c_str());
}

} // namespace

TEST(GuardBpfLsmQemu, Debian12Kernel61BlocksEveryVectorAndFailsClosed) {
  check_kernel("6.1.0-56-amd64");
}

TEST(GuardBpfLsmQemu, Debian12Kernel612BlocksEveryVectorAndFailsClosed) {
  check_kernel("6.12.100+deb12-amd64");
}
