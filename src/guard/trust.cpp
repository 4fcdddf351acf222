#include "guard/trust.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace vg::guard {

std::string untrusted_code_mapping(pid_t pid) {
  std::string base = "/proc/" + std::to_string(pid);
  std::ifstream maps(base + "/maps");
  if (!maps)
    return "(maps unreadable)";
  std::string line;
  while (std::getline(maps, line)) {
    // "start-end perms offset dev inode path"
    std::istringstream in(line);
    std::string range, perms, offset, dev, inode, path;
    in >> range >> perms >> offset >> dev >> inode;
    std::getline(in, path);
    if (perms.size() < 3 || perms[2] != 'x' || inode == "0")
      continue;
    // map_files/ names the inode actually mapped, not whatever the path names now.
    // map_files/ names ranges without zero padding ("41f000-6d2000"), maps pads them.
    char name[64];
    unsigned long lo = std::strtoul(range.c_str(), nullptr, 16);
    unsigned long hi = std::strtoul(range.c_str() + range.find('-') + 1, nullptr, 16);
    std::snprintf(name, sizeof name, "%lx-%lx", lo, hi);
    struct stat st {};
    if (stat((base + "/map_files/" + name).c_str(), &st) != 0)
      return "(mapping " + range + " unreadable)";
    if (st.st_uid != 0 || (st.st_mode & 022)) {
      std::size_t first = path.find_first_not_of(' ');
      return first == std::string::npos ? range : path.substr(first);
    }
  }
  return "";
}

pid_t traced_by(pid_t pid) {
  std::error_code ec;
  for (const auto &task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream status(task.path() / "status");
    std::string line;
    while (std::getline(status, line))
      if (line.starts_with("TracerPid:")) {
        pid_t tracer = static_cast<pid_t>(std::strtol(line.c_str() + 10, nullptr, 10));
        if (tracer > 0)
          return tracer;
        break;
      }
  }
  return 0;
}

TrustVerdict TrustJudge::judge(const ProcessInfo &p) {
  TrustVerdict v;
  if (p.exe.empty()) {
    v.reason = "executable unknown";
    return v;
  }
  auto digest = digests_.of_path("/proc/" + std::to_string(p.pid) + "/exe");
  if (digest)
    v.exe_sha256 = *digest;
  const TrustedWriter *listed = nullptr;
  for (const auto &w : policy_.trusted)
    if (w.path == p.exe) {
      listed = &w;
      if (digest && w.sha256 == *digest && (!w.uid || *w.uid == p.euid))
        break;
    }
  if (!listed) {
    v.reason = "executable not in the policy's trusted writers";
    return v;
  }
  if (!digest || listed->sha256 != *digest) {
    v.reason = "executable's SHA-256 differs from the policy's";
    return v;
  }
  if (listed->uid && *listed->uid != p.euid) {
    v.reason = "runs as uid " + std::to_string(p.euid) + ", policy trusts uid " +
               std::to_string(*listed->uid);
    return v;
  }
  if (pid_t tracer = traced_by(p.pid)) {
    auto who = read_process(tracer);
    v.reason = "traced by pid " + std::to_string(tracer) + " (" +
               (who && !who->exe.empty() ? who->exe : std::string("unknown")) +
               "): a traced process writes for its tracer";
    return v;
  }
  if (std::string bad = untrusted_code_mapping(p.pid); !bad.empty()) {
    v.reason = "maps code from a user-writable or non-root file: " + bad;
    return v;
  }
  v.trusted = true;
  v.writer = listed;
  return v;
}

bool TrustJudge::covers(const TrustVerdict &v, const AssetRule &asset) {
  return v.trusted && v.writer &&
         (v.writer->app.empty() || asset.owner.empty() || v.writer->app == asset.owner);
}

} // namespace vg::guard
