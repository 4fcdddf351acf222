#include "guard/guard_event.hpp"

#include <chrono>
#include <ctime>
#include <syslog.h>
#include <unistd.h>

namespace vg::guard {

std::string utc_now_iso() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

namespace {
nlohmann::json process_json(const ProcessInfo &p) {
  return {{"pid", p.pid}, {"ppid", p.ppid}, {"uid", p.uid},
          {"exe", p.exe}, {"comm", p.comm}, {"cmdline", p.cmdline}};
}
} // namespace

nlohmann::json GuardEvent::to_json() const {
  nlohmann::json j = {
      {"time", utc_now_iso()}, {"module", "guard"}, {"event", event}, {"decision", decision}};
  if (!vector.empty())
    j["vector"] = vector;
  if (!hook.empty())
    j["hook"] = hook;
  if (!asset.empty())
    j["asset"] = asset;
  if (!path.empty())
    j["path"] = path;
  if (process) {
    j["pid"] = process->pid;
    j["ppid"] = process->ppid;
    j["uid"] = process->uid;
    j["exe"] = process->exe;
    j["exe_sha256"] = exe_sha256;
    if (!exe_scan.empty())
      j["exe_scan"] = exe_scan;
    j["cmdline"] = process->cmdline;
    auto chain = nlohmann::json::array();
    for (const auto &p : parents)
      chain.push_back(process_json(p));
    j["parents"] = chain;
  }
  if (!action.empty())
    j["action"] = action;
  if (!changes.empty())
    j["changes"] = changes;
  if (!detail.empty())
    j["detail"] = detail;
  return j;
}

EventLog::EventLog(std::FILE *out, std::string file, bool syslog) : out_(out), syslog_(syslog) {
  if (!file.empty())
    file_ = std::fopen(file.c_str(), "ae");
  if (syslog_)
    openlog("voxguard-guard", LOG_PID, LOG_AUTHPRIV);
}

EventLog::~EventLog() {
  if (file_)
    std::fclose(file_);
  if (syslog_)
    closelog();
}

void EventLog::emit(const GuardEvent &e) {
  if (scan_ && e.exe_scan.empty() && e.process && !e.process->exe.empty() &&
      (e.decision == "deny" || e.decision == "restore" || e.decision == "audit")) {
    GuardEvent scanned = e;
    // The file on disk; if it is gone (deleted after it started), the live process's image.
    std::string path = e.process->exe;
    if (access(path.c_str(), R_OK) != 0)
      path = "/proc/" + std::to_string(e.process->pid) + "/exe";
    scanned.exe_scan = scan_(path, e.exe_sha256);
    write_line(scanned);
    return;
  }
  write_line(e);
}

void EventLog::write_line(const GuardEvent &e) {
  std::string line = e.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard lock(mu_);
  if (out_) {
    std::fputs(line.c_str(), out_);
    std::fputc('\n', out_);
    std::fflush(out_);
  }
  if (file_) {
    std::fputs(line.c_str(), file_);
    std::fputc('\n', file_);
    std::fflush(file_);
  }
  if (syslog_)
    ::syslog(e.decision == "deny" || e.decision == "restore" ? LOG_WARNING : LOG_NOTICE, "%s",
             line.c_str());
}

void EventLog::say(const std::string &line) {
  std::lock_guard lock(mu_);
  if (out_) {
    std::fputs(line.c_str(), out_);
    std::fputc('\n', out_);
    std::fflush(out_);
  }
}

} // namespace vg::guard
