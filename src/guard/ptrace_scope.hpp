// ptrace_scope.hpp — the kernel-enforced ptrace fallback of fanotify mode: Yama's ptrace_scope.
// fanotify cannot see ptrace, process_vm_writev, /proc/PID/mem or pidfd_getfd, so an untrusted
// program of the softphone's user could make the trusted softphone write for it. While the guard
// runs in fanotify mode it raises kernel.yama.ptrace_scope to 2 (attaching needs CAP_SYS_PTRACE;
// Yama applies it to every PTRACE_MODE_ATTACH check: ptrace, process_vm_readv/writev,
// /proc/PID/mem, pidfd_getfd) and puts the previous value back when it stops.
// Promise: raise() records the previous value in a state file before changing anything and never
// sets 3 (irreversible until reboot) nor lowers a stricter setting; restore() (also run by the
// destructor) puts the recorded value back only while the setting is still the one set here, and
// removes the state file; restore_after_crash() does the same from the state file alone (for
// `guard stop` after a guard that died). Errors are returned as text, never thrown.
#pragma once
#include <optional>
#include <string>

namespace vg::guard {

inline constexpr const char *kYamaPtraceScope = "/proc/sys/kernel/yama/ptrace_scope";

class PtraceScope {
public:
  PtraceScope(std::string sysctl_path, std::string state_path);
  ~PtraceScope();
  PtraceScope(const PtraceScope &) = delete;
  PtraceScope &operator=(const PtraceScope &) = delete;

  // One line saying what was done ("ptrace_scope 0 -> 2 while the guard runs", "Yama not in
  // this kernel: ...", ...).
  std::string raise();
  // "" or what went wrong.
  std::string restore();
  bool active() const { return raised_; }

  static std::optional<int> read_value(const std::string &sysctl_path);
  static std::string restore_after_crash(const std::string &sysctl_path,
                                         const std::string &state_path);

private:
  std::string sysctl_, state_;
  bool raised_ = false;
};

} // namespace vg::guard
