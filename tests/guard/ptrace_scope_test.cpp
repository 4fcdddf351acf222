// Unit tests for PtraceScope on a stand-in sysctl file: raise records and sets 2, restore puts the
// previous value back (only if still ours), stricter settings are left alone, a missing Yama is
// reported, and a crashed guard's state is undone by restore_after_crash.
#include "guard/ptrace_scope.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

using namespace vg::guard;
namespace fs = std::filesystem;

namespace {
struct Files {
  fs::path dir, sysctl, state;
  Files() {
    char tmpl[] = "/tmp/vg-ptrace-XXXXXX";
    dir = mkdtemp(tmpl);
    sysctl = dir / "ptrace_scope";
    state = dir / "guard.pid.ptrace_scope";
  }
  ~Files() { fs::remove_all(dir); }
  void set(const std::string &v) const { std::ofstream(sysctl) << v; }
  std::optional<int> value() const { return PtraceScope::read_value(sysctl); }
};
} // namespace

TEST(PtraceScope, RaisesToTwoAndRestoresThePreviousValue) {
  Files f;
  f.set("0\n");
  {
    PtraceScope ps(f.sysctl, f.state);
    EXPECT_EQ(ps.raise(), "ptrace limited to CAP_SYS_PTRACE (Yama ptrace_scope 0 -> 2 while the "
                          "guard runs)");
    EXPECT_TRUE(ps.active());
    EXPECT_EQ(f.value(), 2);
    EXPECT_TRUE(fs::exists(f.state));
  }
  EXPECT_EQ(f.value(), 0);
  EXPECT_FALSE(fs::exists(f.state));
}

TEST(PtraceScope, LeavesAStricterSettingAlone) {
  Files f;
  f.set("3\n");
  PtraceScope ps(f.sysctl, f.state);
  EXPECT_EQ(ps.raise(), "ptrace limited to CAP_SYS_PTRACE (Yama ptrace_scope already 3)");
  EXPECT_FALSE(ps.active());
  EXPECT_EQ(ps.restore(), "");
  EXPECT_EQ(f.value(), 3);
  EXPECT_FALSE(fs::exists(f.state));
}

TEST(PtraceScope, AnAdministratorsLaterChangeWins) {
  Files f;
  f.set("1\n");
  PtraceScope ps(f.sysctl, f.state);
  ps.raise();
  f.set("3\n");
  EXPECT_EQ(ps.restore(), "");
  EXPECT_EQ(f.value(), 3);
}

TEST(PtraceScope, MissingYamaIsReported) {
  Files f;
  PtraceScope ps(f.sysctl, f.state);
  EXPECT_TRUE(ps.raise().starts_with("ptrace of trusted processes not blocked: Yama is not in "
                                     "this kernel"));
  EXPECT_FALSE(ps.active());
  f.set("garbage");
  EXPECT_FALSE(PtraceScope::read_value(f.sysctl));
}

TEST(PtraceScope, ACrashedGuardsSettingIsUndoneFromItsStateFile) {
  Files f;
  f.set("1\n");
  {
    PtraceScope ps(f.sysctl, f.state);
    ps.raise();
    EXPECT_EQ(f.value(), 2);
    // A crash: the destructor never runs. Simulated by copying the state aside and back.
    fs::copy_file(f.state, f.dir / "saved");
  }
  fs::copy_file(f.dir / "saved", f.state);
  f.set("2\n");
  EXPECT_EQ(PtraceScope::restore_after_crash(f.sysctl, f.state), "");
  EXPECT_EQ(f.value(), 1);
  EXPECT_FALSE(fs::exists(f.state));
  EXPECT_EQ(PtraceScope::restore_after_crash(f.sysctl, f.state), ""); // nothing to do
  std::ofstream(f.state) << "nonsense";
  EXPECT_NE(PtraceScope::restore_after_crash(f.sysctl, f.state).find("unreadable state"),
            std::string::npos);
}
