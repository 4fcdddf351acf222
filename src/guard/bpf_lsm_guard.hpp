// bpf_lsm_guard.hpp — enforcement with the BPF LSM program (bpf/guard_lsm.bpf.c): every tampering
// vector is decided in the kernel before it happens, so nothing slips through while user space is
// busy.
// Promise: start() loads the CO-RE program (the inode_setattr variant and file_truncate chosen from
// the running kernel's BTF), fills the protected-inode map from the policy's assets and the
// trusted-executable map with executables whose SHA-256 matches the policy (running trusted
// processes are trusted too, checked like the fanotify mode does), and attaches. run() reports each
// kernel denial as an event, answers the offender per policy, journals trusted writers' changes and
// keeps the maps current when an owner replaces a file (polled every 200 ms). Throws vg::Error when
// the kernel refuses the program. Fail closed: the attached links are pinned in bpffs (pin_dir),
// so the programs keep denying after this process dies (killed, crashed) until remove_pins()
// (`guard stop`); a new guard replaces a previous guard's pins once its own are in place, and the
// guard's own exemption is bound to its pid and start time, so a later process with the same pid
// is not exempt. allow_editor() gives one `guard edit` editor (and its threads and children) a
// one-time allowance in the kernel, bound to that task, not to its pid; it ends on revoke or when
// the editor is gone (checked every 200 ms), and the editor's changes are journaled and reported
// like a trusted writer's. A trusted writer that replaces an asset by rename while this process is
// dead keeps it protected: the kernel program moves the protection to the new inode itself.
#pragma once
#include "guard/executable_digests.hpp"
#include "guard/guard_event.hpp"
#include "guard/journal.hpp"
#include "guard/policy.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace vg::guard {

inline constexpr const char *kBpfFsRoot = "/sys/fs/bpf";
inline constexpr const char *kBpfPinDir = "/sys/fs/bpf/voxguard";

class BpfLsmGuard {
public:
  BpfLsmGuard(const Policy &policy, EventLog &log, std::string pin_dir = kBpfPinDir);
  ~BpfLsmGuard();
  BpfLsmGuard(const BpfLsmGuard &) = delete;
  BpfLsmGuard &operator=(const BpfLsmGuard &) = delete;

  void start();
  std::string summary() const;
  void run(const std::atomic<bool> &stop);
  // Grants (allow) or ends the allowance of editor process `pid`; "" or why it was refused.
  // Thread-safe (called from the control socket's thread while run() works).
  std::string allow_editor(pid_t pid, bool allow);

  // The pinned objects in `pin_dir` (enforcement left by a guard, running or not).
  static std::vector<std::string> pins(const std::string &pin_dir = kBpfPinDir);
  // Unpins everything in `pin_dir` (the programs detach once no process holds them); "" or what
  // could not be removed.
  static std::string remove_pins(const std::string &pin_dir = kBpfPinDir);

  struct State; // the loaded skeleton and what the maps hold (defined where libbpf is available)

private:
  const Policy &policy_;
  EventLog &log_;
  Journal journal_;
  ExecutableDigests digests_;
  std::string pin_dir_;
  std::unique_ptr<State> state_;
  void pin();
};

} // namespace vg::guard
