#include "guard/bpf_lsm_probe.hpp"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#if VOXGUARD_HAVE_BPF
#include "probe_lsm.skel.h"
#endif

namespace vg::guard {

#if VOXGUARD_HAVE_BPF
namespace {
thread_local std::string *g_log = nullptr;
int collect(enum libbpf_print_level level, const char *fmt, va_list ap) {
  if (!g_log || level == LIBBPF_DEBUG)
    return 0;
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  if (g_log->size() < 4096)
    *g_log += buf;
  return 0;
}
} // namespace

BpfLsmStatus probe_bpf_lsm() {
  BpfLsmStatus s;
  s.built = true;
  std::string log;
  g_log = &log;
  auto previous = libbpf_set_print(collect);
  probe_lsm *skel = probe_lsm__open();
  if (!skel) {
    s.reason = std::string("cannot open the probe program: ") + std::strerror(errno);
  } else if (int err = probe_lsm__load(skel); err) {
    s.reason = std::string("the kernel refused to load an LSM program: ") + std::strerror(-err) +
               " (errno " + std::to_string(-err) + ")";
  } else if (int err = probe_lsm__attach(skel); err) {
    s.reason = std::string("the kernel refused to attach an LSM program: ") + std::strerror(-err) +
               " (errno " + std::to_string(-err) + ")";
  } else {
    s.usable = true;
    s.reason = "loaded and attached lsm/file_open";
  }
  if (skel)
    probe_lsm__destroy(skel);
  libbpf_set_print(previous);
  g_log = nullptr;
  while (!log.empty() && (log.back() == '\n' || log.back() == ' '))
    log.pop_back();
  if (!s.usable && !log.empty()) {
    for (auto &c : log)
      if (c == '\n')
        c = ' ';
    s.reason += "; " + log.substr(0, 600);
  }
  return s;
}
#else
BpfLsmStatus probe_bpf_lsm() {
  BpfLsmStatus s;
  s.reason = "this voxguard was built without the BPF sensor (needs libbpf, clang, bpftool and "
             "kernel BTF at build time)";
  return s;
}
#endif

} // namespace vg::guard
