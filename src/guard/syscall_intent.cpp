#include "guard/syscall_intent.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace vg::guard {

std::optional<SyscallState> parse_syscall_state(const std::string &text) {
  if (text.empty() || text.starts_with("running"))
    return std::nullopt;
  SyscallState s;
  const char *p = text.c_str();
  char *end = nullptr;
  s.nr = std::strtol(p, &end, 10);
  if (end == p)
    return std::nullopt;
  if (s.nr < 0)
    return s;
  p = end;
  for (auto &a : s.args) {
    a = std::strtoull(p, &end, 16);
    if (end == p)
      return std::nullopt;
    p = end;
  }
  return s;
}

std::optional<SyscallState> read_syscall_state(pid_t tid) {
  std::string path = "/proc/" + std::to_string(tid) + "/syscall";
  // The event reaches us a moment before the thread is asleep waiting for the answer; until then
  // the kernel reports "running". Retry briefly (bounded: ~20 ms) instead of guessing.
  for (int attempt = 0; attempt < 400; ++attempt) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return std::nullopt; // the thread is gone
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
      return std::nullopt;
    std::string text(buf, static_cast<std::size_t>(n));
    if (!text.starts_with("running"))
      return parse_syscall_state(text);
    if (attempt < 50)
      sched_yield();
    else
      usleep(50);
  }
  return std::nullopt;
}

std::string open_flags_text(std::uint64_t flags) {
  std::string out;
  switch (flags & O_ACCMODE) {
  case O_RDONLY:
    out = "O_RDONLY";
    break;
  case O_WRONLY:
    out = "O_WRONLY";
    break;
  case O_RDWR:
    out = "O_RDWR";
    break;
  default:
    out = "O_ACCMODE3";
    break;
  }
  if (flags & O_CREAT)
    out += "|O_CREAT";
  if (flags & O_TRUNC)
    out += "|O_TRUNC";
  if (flags & O_APPEND)
    out += "|O_APPEND";
  if (flags & O_EXCL)
    out += "|O_EXCL";
  if (flags & __O_TMPFILE)
    out += "|O_TMPFILE";
  return out;
}

namespace {
Intent open_intent(const char *call, std::uint64_t flags) {
  bool write = (flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_APPEND | O_CREAT));
  return {write ? AccessKind::write : AccessKind::read,
          std::string(call) + "(" + open_flags_text(flags) + ")"};
}

bool fd_is(pid_t tid, std::uint64_t fd, dev_t dev, ino_t ino) {
  struct stat st {};
  std::string p = "/proc/" + std::to_string(tid) + "/fd/" + std::to_string(fd);
  return stat(p.c_str(), &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

std::optional<unsigned long> fd_flags(pid_t tid, std::uint64_t fd) {
  std::string p = "/proc/" + std::to_string(tid) + "/fdinfo/" + std::to_string(fd);
  int f = open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (f < 0)
    return std::nullopt;
  char buf[1024];
  ssize_t n = read(f, buf, sizeof buf - 1);
  close(f);
  if (n <= 0)
    return std::nullopt;
  buf[n] = '\0';
  std::string text(buf);
  auto pos = text.find("flags:");
  if (pos == std::string::npos)
    return std::nullopt;
  return std::strtoul(text.c_str() + pos + 6, nullptr, 8);
}
} // namespace

Intent classify_open(const std::optional<SyscallState> &s) {
  if (!s)
    return {AccessKind::unknown, "open (syscall state unreadable)"};
  switch (s->nr) {
  case SYS_open:
    return open_intent("open", s->args[1]);
  case SYS_openat:
    return open_intent("openat", s->args[2]);
  case SYS_creat:
    return open_intent("creat", O_WRONLY | O_CREAT | O_TRUNC);
  case SYS_open_by_handle_at:
    return open_intent("open_by_handle_at", s->args[2]);
  case SYS_execve:
  case SYS_execveat:
  case SYS_uselib:
    return {AccessKind::read, "exec"};
  case SYS_openat2:
    // The flags live in user memory (struct open_how) that another thread can change after the
    // kernel copied them: they cannot be verified, so the open counts as a write.
    return {AccessKind::unknown, "openat2 (flags in user memory, not verifiable)"};
  default:
    return {AccessKind::unknown, "open from syscall " + std::to_string(s->nr)};
  }
}

Intent classify_access(const std::optional<SyscallState> &s, pid_t tid, dev_t dev, ino_t ino) {
  if (!s)
    return {AccessKind::unknown, "access (syscall state unreadable)"};
  const auto &a = s->args;
  switch (s->nr) {
  case -1:
    // A page fault on a mapping: mappings are checked when they are made (mmap below), so a fault
    // only reaches pages the mapping was allowed to reach.
    return {AccessKind::read, "page fault"};
  case SYS_read:
    return {AccessKind::read, "read"};
  case SYS_pread64:
    return {AccessKind::read, "pread64"};
  case SYS_readv:
    return {AccessKind::read, "readv"};
  case SYS_preadv:
    return {AccessKind::read, "preadv"};
  case SYS_preadv2:
    return {AccessKind::read, "preadv2"};
  case SYS_write:
    return {AccessKind::write, "write"};
  case SYS_pwrite64:
    return {AccessKind::write, "pwrite64"};
  case SYS_writev:
    return {AccessKind::write, "writev"};
  case SYS_pwritev:
    return {AccessKind::write, "pwritev"};
  case SYS_pwritev2:
    return {AccessKind::write, "pwritev2"};
  case SYS_truncate:
    return {AccessKind::write, "truncate"};
  case SYS_ftruncate:
    return {AccessKind::write, "ftruncate"};
  case SYS_fallocate:
    return {AccessKind::write, "fallocate"};
  case SYS_sendfile:
    return fd_is(tid, a[0], dev, ino) ? Intent{AccessKind::write, "sendfile (into the asset)"}
                                      : Intent{AccessKind::read, "sendfile"};
  case SYS_splice:
  case SYS_copy_file_range: {
    const char *name = s->nr == SYS_splice ? "splice" : "copy_file_range";
    return fd_is(tid, a[2], dev, ino)
               ? Intent{AccessKind::write, std::string(name) + " (into the asset)"}
               : Intent{AccessKind::read, name};
  }
  case SYS_mmap: {
    bool shared = (a[3] & MAP_TYPE) != MAP_PRIVATE;
    if (!shared)
      return {AccessKind::read, "mmap(private)"};
    if (a[2] & PROT_WRITE)
      return {AccessKind::write, "mmap(shared,write)"};
    // A read-only shared mapping of a writable descriptor can be made writable later with
    // mprotect, which has no fanotify event: count it as a write.
    auto flags = fd_flags(tid, a[4]);
    if (!flags || (*flags & O_ACCMODE) != O_RDONLY)
      return {AccessKind::write, "mmap(shared, writable descriptor)"};
    return {AccessKind::read, "mmap(shared,read)"};
  }
  default:
    return {AccessKind::unknown, "access from syscall " + std::to_string(s->nr)};
  }
}

} // namespace vg::guard
