// doctor.hpp — which enforcement mode the guard can use here, why, and what would make it stronger.
// Promise: every check is actually performed (a trivial LSM program is loaded, fanotify groups are
// created and marks tried on the asset folders), never inferred from configuration files.
#pragma once
#include "guard/bpf_lsm_probe.hpp"
#include "guard/policy.hpp"

#include <optional>
#include <string>
#include <vector>

namespace vg::guard {

struct DoctorCheck {
  std::string name;
  bool ok = false;
  std::string detail;
};

struct DoctorReport {
  std::vector<DoctorCheck> checks;
  std::string mode;   // "bpf-lsm", "fanotify" or "none"
  std::string why;    // why this mode
  std::string advice; // what a user must do to get the stronger mode ("" when already strongest)
  BpfLsmStatus bpf;
  std::string text() const;
};

// `policy` (optional) lets the report check pre-access support on each asset's filesystem.
DoctorReport run_doctor(const Policy *policy);

} // namespace vg::guard
