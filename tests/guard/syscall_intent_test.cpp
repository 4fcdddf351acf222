// Unit tests for reading what a blocked thread is doing (/proc/TID/syscall) and classifying it.
#include "guard/syscall_intent.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/syscall.h>

using namespace vg::guard;

TEST(SyscallIntent, ParsesProcText) {
  auto s = parse_syscall_state("257 0xffffff9c 0x7ffd1234 0x441 0x1b6 0x0 0x0 0x7ffd0000 0x7f00\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->nr, 257);
  EXPECT_EQ(s->args[2], 0x441u);
  EXPECT_FALSE(parse_syscall_state("running\n"));
  EXPECT_FALSE(parse_syscall_state(""));
  EXPECT_FALSE(parse_syscall_state("257 0x1 zz"));
  auto fault = parse_syscall_state("-1 0x7ffd0000 0x401000\n");
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->nr, -1);
}

TEST(SyscallIntent, OpenFlagsTellReadersFromWriters) {
  SyscallState s;
  s.nr = SYS_openat;
  s.args[2] = O_RDONLY;
  EXPECT_EQ(classify_open(s).kind, AccessKind::read);
  for (unsigned long f :
       {O_WRONLY, O_RDWR, O_RDONLY | O_TRUNC, O_WRONLY | O_APPEND, O_RDONLY | O_CREAT}) {
    s.args[2] = f;
    EXPECT_EQ(classify_open(s).kind, AccessKind::write) << open_flags_text(f);
  }
  s.args[2] = O_WRONLY | O_TRUNC;
  EXPECT_EQ(classify_open(s).vector, "openat(O_WRONLY|O_TRUNC)");
  s.nr = SYS_open;
  s.args[1] = O_RDWR;
  EXPECT_EQ(classify_open(s).kind, AccessKind::write);
  s.nr = SYS_creat;
  EXPECT_EQ(classify_open(s).kind, AccessKind::write);
  s.nr = SYS_openat2; // flags in user memory: not verifiable
  EXPECT_EQ(classify_open(s).kind, AccessKind::unknown);
  s.nr = SYS_io_uring_enter;
  EXPECT_EQ(classify_open(s).kind, AccessKind::unknown);
  EXPECT_EQ(classify_open(std::nullopt).kind, AccessKind::unknown);
}

TEST(SyscallIntent, PerAccessChecks) {
  SyscallState s;
  for (long nr : {SYS_read, SYS_pread64, SYS_readv}) {
    s.nr = nr;
    EXPECT_EQ(classify_access(s, 1, 0, 0).kind, AccessKind::read);
  }
  for (long nr :
       {SYS_write, SYS_pwrite64, SYS_writev, SYS_ftruncate, SYS_truncate, SYS_fallocate}) {
    s.nr = nr;
    EXPECT_EQ(classify_access(s, 1, 0, 0).kind, AccessKind::write);
  }
  s.nr = SYS_mmap;
  s.args[2] = PROT_READ | PROT_WRITE;
  s.args[3] = MAP_SHARED;
  EXPECT_EQ(classify_access(s, 1, 0, 0).kind, AccessKind::write);
  s.args[3] = MAP_PRIVATE;
  EXPECT_EQ(classify_access(s, 1, 0, 0).kind, AccessKind::read);
  s.nr = -1;
  EXPECT_EQ(classify_access(s, 1, 0, 0).kind, AccessKind::read);
  s.nr = 9999;
  EXPECT_EQ(classify_access(s, 1, 0, 0).kind, AccessKind::unknown);
}
