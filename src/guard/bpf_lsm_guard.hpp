// bpf_lsm_guard.hpp — enforcement with the BPF LSM program (bpf/guard_lsm.bpf.c): every tampering
// vector is decided in the kernel before it happens, so nothing slips through while user space is
// busy.
// Promise: start() loads the CO-RE program (the inode_setattr variant and file_truncate chosen from
// the running kernel's BTF), fills the protected-inode map from the policy's assets and the
// trusted-executable map with executables whose SHA-256 matches the policy (running trusted
// processes are trusted too, checked like the fanotify mode does), and attaches. run() reports each
// kernel denial as an event, answers the offender per policy, journals trusted writers' changes and
// keeps the maps current when an owner replaces a file (polled every 200 ms). Throws vg::Error when
// the kernel refuses the program.
#pragma once
#include "guard/executable_digests.hpp"
#include "guard/guard_event.hpp"
#include "guard/journal.hpp"
#include "guard/policy.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace vg::guard {

class BpfLsmGuard {
public:
  BpfLsmGuard(const Policy &policy, EventLog &log);
  ~BpfLsmGuard();
  BpfLsmGuard(const BpfLsmGuard &) = delete;
  BpfLsmGuard &operator=(const BpfLsmGuard &) = delete;

  void start();
  std::string summary() const;
  void run(const std::atomic<bool> &stop);

  struct State; // the loaded skeleton and what the maps hold (defined where libbpf is available)

private:
  const Policy &policy_;
  EventLog &log_;
  Journal journal_;
  ExecutableDigests digests_;
  std::unique_ptr<State> state_;
};

} // namespace vg::guard
