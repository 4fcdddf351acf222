#include "guard/doctor.hpp"

#include "guard/bpf_lsm_guard.hpp"
#include "guard/guard_event.hpp"
#include "guard/ptrace_scope.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <sys/fanotify.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef FAN_PRE_ACCESS
#define FAN_PRE_ACCESS 0x00100000
#endif

namespace vg::guard {

namespace {
DoctorCheck fanotify_check(const char *name, unsigned flags, unsigned event_flags) {
  DoctorCheck c{name, false, ""};
  int fd = fanotify_init(flags | FAN_CLOEXEC, event_flags);
  if (fd < 0) {
    c.detail = std::strerror(errno);
    return c;
  }
  close(fd);
  c.ok = true;
  c.detail = "available";
  return c;
}
} // namespace

DoctorReport run_doctor(const Policy *policy) {
  DoctorReport r;
  struct utsname u {};
  uname(&u);
  r.checks.push_back({"kernel", true, std::string(u.release) + " " + u.version});
  r.checks.push_back({"root", geteuid() == 0,
                      geteuid() == 0 ? "running as root"
                                     : "not root: fanotify permission events and BPF need root"});
  {
    std::ifstream lsm("/sys/kernel/security/lsm");
    std::string list;
    std::getline(lsm, list);
    r.checks.push_back(
        {"lsm list (informational only)", true, list.empty() ? "securityfs not readable" : list});
  }
  r.bpf = probe_bpf_lsm();
  r.checks.push_back({"BPF LSM (trivial program loaded)", r.bpf.usable, r.bpf.reason});
  if (auto pins = BpfLsmGuard::pins(); !pins.empty())
    r.checks.push_back({"pinned guard programs", true,
                        std::to_string(pins.size()) + " in " + kBpfPinDir +
                            ": BPF LSM enforcement stays on (also without a running guard) "
                            "until `voxguard guard stop`"});
  auto content = fanotify_check("fanotify FAN_CLASS_CONTENT + FAN_REPORT_TID",
                                FAN_CLASS_CONTENT | FAN_REPORT_TID, O_RDONLY | O_LARGEFILE);
  auto pre = fanotify_check("fanotify FAN_CLASS_PRE_CONTENT (FAN_PRE_ACCESS, Linux 6.14+)",
                            FAN_CLASS_PRE_CONTENT | FAN_REPORT_TID, O_RDONLY | O_LARGEFILE);
  auto names = fanotify_check(
      "fanotify FAN_REPORT_DFID_NAME (rename/unlink/attrib notifications)",
      FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_REPORT_FID | FAN_REPORT_TID, O_RDONLY);
  r.checks.push_back(content);
  r.checks.push_back(pre);
  r.checks.push_back(names);
  {
    // fanotify cannot see ptrace / process_vm_writev / /proc/PID/mem / pidfd_getfd of a trusted
    // softphone: the guard raises Yama's ptrace_scope to 2 while it runs in fanotify mode.
    auto scope = PtraceScope::read_value(kYamaPtraceScope);
    std::string d;
    if (!scope) {
      d = "Yama is not in this kernel: in fanotify mode nothing stops a process of the "
          "softphone's user from writing into a trusted writer's memory with process_vm_writev or "
          "/proc/PID/mem (no attach needed; a traced softphone is no longer trusted) and making "
          "it save what the attacker wants; fanotify sees only the trusted writer's own, allowed "
          "write. Such a change is flagged after the fact: a trusted writer's change that takes "
          "a number away from an existing contact is reported "
          "with \"" +
          std::string(kNumberChangeAlert) + "\"";
      if (policy)
        d += policy->alert_on_number_change
                 ? " (alert_on_number_change = true in this policy)"
                 : " — but alert_on_number_change = false in this policy: such changes are "
                   "journaled without an alert";
      d += ". Use BPF LSM mode (ptrace_access_check denies it in the kernel) or a kernel with "
           "CONFIG_SECURITY_YAMA=y";
    } else if (*scope >= 2)
      d = "ptrace_scope " + std::to_string(*scope) + ": attaching already needs CAP_SYS_PTRACE";
    else
      d = "ptrace_scope " + std::to_string(*scope) +
          ": the guard sets 2 (attach needs CAP_SYS_PTRACE) while it runs in fanotify mode and "
          "puts " +
          std::to_string(*scope) + " back when it stops; root attackers are not stopped by it";
    r.checks.push_back({"ptrace of trusted processes (Yama, fanotify mode)", scope.has_value(), d});
  }
  if (policy && pre.ok) {
    int fd = fanotify_init(FAN_CLASS_PRE_CONTENT | FAN_CLOEXEC, O_RDONLY);
    std::set<std::string> dirs;
    for (const auto &a : policy->assets)
      dirs.insert(std::filesystem::path(a.path).parent_path().string());
    for (const auto &d : dirs) {
      if (d.find_first_of("*?[") != std::string::npos || fd < 0)
        continue;
      int rc =
          fanotify_mark(fd, FAN_MARK_ADD, FAN_PRE_ACCESS | FAN_EVENT_ON_CHILD, AT_FDCWD, d.c_str());
      r.checks.push_back({"FAN_PRE_ACCESS on " + d, rc == 0,
                          rc == 0 ? "supported by this filesystem"
                                  : std::string(std::strerror(errno)) +
                                        " (writes through already-open descriptors, truncate(2) "
                                        "and shared mmap are then restored, not blocked)"});
    }
    if (fd >= 0)
      close(fd);
  }
  if (r.bpf.usable) {
    r.mode = "bpf-lsm";
    r.why = "the kernel loads and attaches BPF LSM programs";
  } else if (content.ok && names.ok) {
    r.mode = "fanotify";
    r.why = "BPF LSM is not usable (" + r.bpf.reason + ")";
    r.advice = "For in-kernel decisions on every vector (rename, unlink, chmod, ptrace of trusted "
               "softphones, writes through descriptors opened earlier), boot a kernel that has "
               "CONFIG_BPF_LSM=y, \"bpf\" in its lsm= list and BPF trampolines allowed (e.g. "
               "Debian 12's stock 6.1 or 6.12 kernel).";
    if (!pre.ok)
      r.advice += " For per-write checks in fanotify mode, use Linux 6.14 or later.";
  } else {
    r.mode = "none";
    r.why = "neither BPF LSM nor fanotify permission events are available";
    r.advice = "Run the guard as root on Linux 5.9 or later (fanotify with FAN_REPORT_DFID_NAME).";
  }
  return r;
}

std::string DoctorReport::text() const {
  std::string o;
  for (const auto &c : checks)
    o += std::string(c.ok ? "[ ok ] " : "[fail] ") + c.name + ": " + c.detail + "\n";
  o += "mode: " + mode + " (" + why + ")\n";
  if (!advice.empty())
    o += "to get the stronger mode: " + advice + "\n";
  return o;
}

} // namespace vg::guard
