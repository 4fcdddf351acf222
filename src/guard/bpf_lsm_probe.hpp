// bpf_lsm_probe.hpp — is BPF LSM usable on this kernel? Decided by loading and attaching a trivial
// LSM program (never by reading /sys/kernel/security/lsm, which lists "bpf" on kernels that still
// refuse the programs).
// Promise: probe_bpf_lsm() never throws; it says usable or why not (the errno of the step that
// failed, and the libbpf log lines).
#pragma once
#include <string>

namespace vg::guard {

struct BpfLsmStatus {
  bool built = false;  // this voxguard was built with the BPF sensor
  bool usable = false; // a trivial LSM program loaded and attached
  std::string reason;  // why not, or "loaded and attached lsm/file_open"
};

BpfLsmStatus probe_bpf_lsm();

} // namespace vg::guard
