// syscall_intent.hpp — what a blocked thread is trying to do to a file, from /proc/TID/syscall.
// Promise: the system call number and arguments come from the registers saved at syscall entry, so
// another thread of the same process cannot change them. classify_open() tells reads from writes of
// an open (O_WRONLY, O_RDWR, O_TRUNC, O_APPEND, O_CREAT, creat); classify_access() does the same
// for a per-access (pre-access) check: read/pread/readv/mmap read-only vs write/truncate/fallocate/
// writable shared mmap/copy or splice into the file. Anything it cannot prove to be a read is
// reported as kind unknown, which callers treat as a write (fail closed).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>

namespace vg::guard {

struct SyscallState {
  long nr = -1; // -1: the thread is not in a system call (e.g. a page fault)
  std::array<std::uint64_t, 6> args{};
};

std::optional<SyscallState> read_syscall_state(pid_t tid);
// Parses the text of /proc/TID/syscall ("running" → nullopt).
std::optional<SyscallState> parse_syscall_state(const std::string &text);

enum class AccessKind { read, write, unknown };

struct Intent {
  AccessKind kind = AccessKind::unknown;
  std::string vector; // e.g. "open(O_WRONLY|O_TRUNC)", "pwrite64", "truncate", "mmap(shared,write)"
};

std::string open_flags_text(std::uint64_t flags);
Intent classify_open(const std::optional<SyscallState> &s);
// `dev`/`ino` name the file the access is about (to tell the source from the target of a copy).
Intent classify_access(const std::optional<SyscallState> &s, pid_t tid, dev_t dev, ino_t ino);

} // namespace vg::guard
