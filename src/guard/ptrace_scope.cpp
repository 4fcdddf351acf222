#include "guard/ptrace_scope.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <unistd.h>

namespace vg::guard {

namespace {
constexpr int kAdminOnly = 2;

std::string write_value(const std::string &path, int value) {
  std::ofstream out(path, std::ios::trunc);
  out << value << "\n";
  out.flush();
  if (!out)
    return path + ": cannot write " + std::to_string(value) + " (" + std::strerror(errno) + ")";
  return "";
}

// The state file holds "PREVIOUS SET".
bool read_state(const std::string &state, int &previous, int &set) {
  std::ifstream in(state);
  return static_cast<bool>(in >> previous >> set) && previous >= 0 && previous <= 3 && set >= 0 &&
         set <= 3;
}
} // namespace

PtraceScope::PtraceScope(std::string sysctl_path, std::string state_path)
    : sysctl_(std::move(sysctl_path)), state_(std::move(state_path)) {}

PtraceScope::~PtraceScope() {
  restore();
}

std::optional<int> PtraceScope::read_value(const std::string &sysctl_path) {
  std::ifstream in(sysctl_path);
  int v = -1;
  if (!(in >> v) || v < 0 || v > 3)
    return std::nullopt;
  return v;
}

std::string PtraceScope::raise() {
  auto now = read_value(sysctl_);
  if (!now)
    return "ptrace of trusted processes not blocked: Yama is not in this kernel (" + sysctl_ +
           " missing); only traced writers are refused";
  if (*now >= kAdminOnly)
    return "ptrace limited to CAP_SYS_PTRACE (Yama ptrace_scope already " + std::to_string(*now) +
           ")";
  {
    std::ofstream st(state_, std::ios::trunc);
    st << *now << " " << kAdminOnly << "\n";
    st.flush();
    if (!st)
      return "ptrace not limited: cannot record the previous ptrace_scope in " + state_;
  }
  if (std::string err = write_value(sysctl_, kAdminOnly); !err.empty()) {
    unlink(state_.c_str());
    return "ptrace not limited: " + err;
  }
  raised_ = true;
  return "ptrace limited to CAP_SYS_PTRACE (Yama ptrace_scope " + std::to_string(*now) + " -> " +
         std::to_string(kAdminOnly) + " while the guard runs)";
}

std::string PtraceScope::restore() {
  if (!raised_)
    return "";
  raised_ = false;
  return restore_after_crash(sysctl_, state_);
}

std::string PtraceScope::restore_after_crash(const std::string &sysctl_path,
                                             const std::string &state_path) {
  int previous = 0, set = 0;
  if (!read_state(state_path, previous, set))
    return access(state_path.c_str(), F_OK) == 0 ? state_path + ": unreadable state, left alone"
                                                 : "";
  std::string err;
  // Someone changed it since (an administrator): theirs wins.
  if (read_value(sysctl_path) == set)
    err = write_value(sysctl_path, previous);
  if (err.empty())
    unlink(state_path.c_str());
  return err;
}

} // namespace vg::guard
