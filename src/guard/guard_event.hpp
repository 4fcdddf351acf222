// guard_event.hpp — one thing the guard did or saw, and where it is reported.
// Promise: every event becomes exactly one JSON line (time, event, decision, vector, hook, asset,
// path, pid, ppid, uid, exe, exe_sha256, exe_scan, cmdline, parent chain to pid 1, action, changes)
// written to stdout, to the policy's JSON-lines file and to syslog (authpriv); sinks are
// thread-safe and a failing sink never stops enforcement. With an executable scanner set, every
// denial, restore or audit names the signature engine's verdict on the offending executable.
#pragma once
#include "guard/process_info.hpp"

#include <cstdio>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace vg::guard {

struct GuardEvent {
  std::string event;    // "denied", "restored", "changed", "planted-removed", "started", ...
  std::string decision; // "deny", "allow", "restore", "audit", "accept"
  std::string vector;   // what was tried: "openat(O_WRONLY|O_TRUNC)", "rename", "unlink", ...
  std::string hook;     // where it was seen: "fanotify:FAN_OPEN_PERM", "lsm:file_open", ...
  std::string asset;    // the policy asset path (or glob) it is about
  std::string path;     // the concrete file
  std::optional<ProcessInfo> process;
  std::string exe_sha256;
  std::string exe_scan; // the signature engine's verdict on the executable ("clean", "infected: …")
  std::vector<ProcessInfo> parents; // parent chain, nearest first, up to pid 1
  std::string action;               // "none", "stopped", "killed", "quarantined"
  std::vector<std::string> changes; // what the change means ("contact \"Bank\": … → …")
  std::string detail;
  nlohmann::json to_json() const;
};

class EventLog {
public:
  EventLog(std::FILE *out, std::string file, bool syslog);
  ~EventLog();
  EventLog(const EventLog &) = delete;
  EventLog &operator=(const EventLog &) = delete;
  void emit(const GuardEvent &e);
  // A plain line on stdout (the "enforcing" banner).
  void say(const std::string &line);
  // Verdict on an executable (path, SHA-256), asked for the offender of every denial, restore
  // and audit before the event is written. Set before events flow.
  using ExeScanFn = std::function<std::string(const std::string &, const std::string &)>;
  void scan_executables_with(ExeScanFn fn) { scan_ = std::move(fn); }

private:
  void write_line(const GuardEvent &e);
  ExeScanFn scan_;
  std::mutex mu_;
  std::FILE *out_;
  std::FILE *file_ = nullptr;
  bool syslog_;
};

std::string utc_now_iso();

// The detail of a "changed" event whose trusted writer gave an existing contact another number
// (policy switch alert_on_number_change): a hijacked trusted writer is still a trusted writer.
inline constexpr const char *kNumberChangeAlert =
    "alert: a trusted writer changed an existing contact's number";

} // namespace vg::guard
