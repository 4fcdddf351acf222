#include "guard/response.hpp"

#include "common/error.hpp"
#include "common/mapped_file.hpp"
#include "guard/guard_event.hpp"
#include "guard/journal.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

namespace vg::guard {

namespace fs = std::filesystem;

namespace {
std::string errno_text() {
  return std::strerror(errno);
}
std::string failed(const char *sig) {
  if (errno == ESRCH)
    return "none (process already exited)";
  return std::string("none (") + sig + " failed: " + errno_text() + ")";
}
} // namespace

std::string signal_offender(Action action, pid_t pid) {
  if (pid <= 1 || pid == getpid())
    return "none";
  switch (action) {
  case Action::audit:
  case Action::deny:
    return "none";
  case Action::deny_stop:
    return kill(pid, SIGSTOP) == 0 ? "stopped" : failed("SIGSTOP");
  case Action::deny_kill:
  case Action::deny_kill_quarantine:
    return kill(pid, SIGKILL) == 0 ? "killed" : failed("SIGKILL");
  }
  return "none";
}

namespace {
bool system_path(const std::string &p) {
  for (const char *prefix :
       {"/usr/", "/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/etc/", "/boot/"})
    if (p.starts_with(prefix))
      return true;
  return false;
}
} // namespace

std::string quarantine_executable(const std::string &exe, const std::string &sha256,
                                  const std::string &dir, const ProcessInfo &who) {
  if (exe.empty() || exe.front() != '/' || exe.ends_with(" (deleted)"))
    return "not quarantined: executable path unknown or already deleted";
  if (system_path(exe))
    return "not quarantined: " + exe + " is a system path";
  if (sha256.size() != 64)
    return "not quarantined: digest unknown";
  struct stat st {};
  if (stat(exe.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return "not quarantined: " + exe + " is not a regular file";
  try {
    std::error_code ec;
    fs::create_directories(dir, ec);
    chmod(dir.c_str(), 0700);
    MappedFile m = MappedFile::open(exe);
    write_file_atomically(dir + "/" + sha256, m.bytes(), 0400);
    nlohmann::json meta = {
        {"path", exe},      {"sha256", sha256},      {"mode", st.st_mode & 07777},
        {"uid", st.st_uid}, {"gid", st.st_gid},      {"time", utc_now_iso()},
        {"pid", who.pid},   {"cmdline", who.cmdline}};
    std::string text = meta.dump(2) + "\n";
    write_file_atomically(dir + "/" + sha256 + ".json",
                          {reinterpret_cast<const std::uint8_t *>(text.data()), text.size()}, 0600);
    if (unlink(exe.c_str()) != 0)
      return "copied to " + dir + "/" + sha256 + " but could not remove " + exe;
    return "quarantined as " + dir + "/" + sha256;
  } catch (const Error &e) {
    return std::string("not quarantined: ") + e.what();
  }
}

std::string unquarantine(const std::string &dir, const std::string &sha256) {
  std::string meta_path = dir + "/" + sha256 + ".json";
  auto meta = nlohmann::json::parse(read_text_file(meta_path), nullptr, false);
  if (meta.is_discarded() || !meta.contains("path") || !meta["path"].is_string())
    throw Error(meta_path, "bad quarantine metadata");
  std::string path = meta["path"].get<std::string>();
  MappedFile m = MappedFile::open(dir + "/" + sha256);
  FileMeta fm;
  fm.mode = meta.value("mode", 0700u);
  fm.uid = meta.value("uid", 0u);
  fm.gid = meta.value("gid", 0u);
  write_file_atomically(path, m.bytes(), fm.mode);
  if (chown(path.c_str(), fm.uid, fm.gid) != 0)
    throw Error(path, "restored, but chown failed");
  unlink((dir + "/" + sha256).c_str());
  unlink(meta_path.c_str());
  return path;
}

} // namespace vg::guard
