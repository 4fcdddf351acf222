// process_info.hpp — who a process is, read from /proc: executable, command line, user, parents.
// Promise: read_process() never throws; a process that is gone (or unreadable) gives nullopt.
// parent_chain() walks ppid links up to pid 1 (bounded, loop-safe).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace vg::guard {

struct ProcessInfo {
  pid_t pid = 0; // thread group id
  pid_t ppid = 0;
  uid_t uid = 0; // real uid
  uid_t euid = 0;
  std::string exe; // readlink(/proc/PID/exe); " (deleted)" kept when the file was removed
  std::string comm;
  std::vector<std::string> cmdline;
  std::uint64_t start_time = 0; // clock ticks after boot (field 22 of /proc/PID/stat)
};

std::optional<ProcessInfo> read_process(pid_t pid);
// The thread group (process) a thread belongs to; nullopt when the thread is gone.
std::optional<pid_t> thread_group_of(pid_t tid);
std::vector<ProcessInfo> parent_chain(pid_t pid, std::size_t max_depth = 64);

} // namespace vg::guard
