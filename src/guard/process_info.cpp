#include "guard/process_info.hpp"

#include <cstdio>
#include <fcntl.h>
#include <set>
#include <unistd.h>

namespace vg::guard {

namespace {
std::optional<std::string> slurp(const std::string &path, std::size_t limit = 65536) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return std::nullopt;
  std::string out;
  char buf[4096];
  while (out.size() < limit) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0)
      break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return out;
}
} // namespace

std::optional<pid_t> thread_group_of(pid_t tid) {
  auto status = slurp("/proc/" + std::to_string(tid) + "/status", 4096);
  if (!status)
    return std::nullopt;
  auto pos = status->find("\nTgid:");
  if (pos == std::string::npos)
    return std::nullopt;
  return static_cast<pid_t>(std::strtol(status->c_str() + pos + 6, nullptr, 10));
}

std::optional<ProcessInfo> read_process(pid_t pid) {
  std::string base = "/proc/" + std::to_string(pid);
  auto stat = slurp(base + "/stat", 4096);
  auto status = slurp(base + "/status", 8192);
  if (!stat || !status)
    return std::nullopt;
  ProcessInfo p;
  p.pid = pid;
  // comm may contain spaces and parentheses: the fields after it start after the LAST ')'.
  auto open_paren = stat->find('('), close_paren = stat->rfind(')');
  if (open_paren == std::string::npos || close_paren == std::string::npos ||
      close_paren < open_paren)
    return std::nullopt;
  p.comm = stat->substr(open_paren + 1, close_paren - open_paren - 1);
  {
    // Fields from 3 (state) on; ppid is field 4, starttime field 22.
    std::vector<std::string> f;
    std::size_t i = close_paren + 2;
    while (i < stat->size()) {
      std::size_t sp = stat->find(' ', i);
      f.push_back(stat->substr(i, sp == std::string::npos ? std::string::npos : sp - i));
      if (sp == std::string::npos)
        break;
      i = sp + 1;
    }
    if (f.size() < 20)
      return std::nullopt;
    p.ppid = static_cast<pid_t>(std::strtol(f[1].c_str(), nullptr, 10));
    p.start_time = std::strtoull(f[19].c_str(), nullptr, 10);
  }
  if (auto pos = status->find("\nUid:"); pos != std::string::npos) {
    unsigned r = 0, e = 0;
    if (std::sscanf(status->c_str() + pos + 5, "%u %u", &r, &e) == 2) {
      p.uid = r;
      p.euid = e;
    }
  }
  char link[4096];
  ssize_t n = readlink((base + "/exe").c_str(), link, sizeof link - 1);
  if (n > 0)
    p.exe.assign(link, static_cast<std::size_t>(n));
  if (auto cmd = slurp(base + "/cmdline", 16384)) {
    std::size_t i = 0;
    while (i < cmd->size()) {
      std::size_t z = cmd->find('\0', i);
      p.cmdline.push_back(cmd->substr(i, z == std::string::npos ? std::string::npos : z - i));
      if (z == std::string::npos)
        break;
      i = z + 1;
    }
  }
  return p;
}

std::vector<ProcessInfo> parent_chain(pid_t pid, std::size_t max_depth) {
  std::vector<ProcessInfo> out;
  std::set<pid_t> seen;
  while (pid > 0 && out.size() < max_depth && seen.insert(pid).second) {
    auto p = read_process(pid);
    if (!p)
      break;
    out.push_back(*p);
    if (pid == 1)
      break;
    pid = p->ppid;
  }
  return out;
}

} // namespace vg::guard
