// guard_command.cpp — `voxguard guard SUBCOMMAND`: the behaviour guard (doctor, discover, start,
// stop, history, restore, unquarantine, check).
#include "cli/bundled_databases.hpp"
#include "cli/command.hpp"
#include "cli/option_parser.hpp"
#include "common/error.hpp"
#include "engine/compiled_cache.hpp"
#include "guard/bpf_lsm_guard.hpp"
#include "guard/control_socket.hpp"
#include "guard/discover.hpp"
#include "guard/doctor.hpp"
#include "guard/executable_scan.hpp"
#include "guard/fanotify_guard.hpp"
#include "guard/guard_event.hpp"
#include "guard/journal.hpp"
#include "guard/policy.hpp"
#include "guard/ptrace_scope.hpp"
#include "guard/response.hpp"
#include "scan/database_locator.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fnmatch.h>
#include <fstream>
#include <memory>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace vg::guard;

const char *kUsage =
    "usage: voxguard guard SUBCOMMAND [OPTIONS]\n"
    "\n"
    "SUBCOMMANDS\n"
    "  doctor [--policy FILE]            which enforcement mode works here, why, how to get a "
    "stronger one\n"
    "  discover [--home DIR]... [--output FILE] [--journal DIR] [--action ACTION]\n"
    "                                    find softphone files and executables, write a policy\n"
    "  check --policy FILE               parse a policy and list what it protects\n"
    "  start --policy FILE               enforce in the foreground: one line, then one JSON event "
    "a line\n"
    "        [--cache-dir DIR] [--no-cache] [--cache-max-size SIZE]\n"
    "                                    the cache of the compiled signatures offenders are\n"
    "                                    scanned with (see voxguard scan --help, COMPILED CACHE)\n"
    "  stop [--policy FILE]              stop the running guard (root only)\n"
    "  history ASSET --policy FILE       journal versions of an asset, with what changed\n"
    "  restore ASSET [--version N] --policy FILE\n"
    "                                    put a journal version back (the guard must be stopped)\n"
    "  edit ASSET --policy FILE          change an asset in $EDITOR with a one-time allowance\n"
    "  unquarantine SHA256 --policy FILE put a quarantined executable back\n"
    "\n"
    "Exit status: 0 ok, 2 error. See docs/guard.md for the policy format.\n";

struct Args {
  std::vector<std::string> positional;
  std::string policy, output, journal, action, mode;
  std::vector<std::string> homes;
  std::optional<unsigned> version;
  vg::CompiledCacheSettings cache;
};

Args parse_args(int argc, char **argv, int first) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string s = argv[i];
    auto value = [&](const char *name) -> std::string {
      if (i + 1 >= argc)
        throw vg::Error(name, "needs a value");
      return argv[++i];
    };
    if (s == "--policy")
      a.policy = value("--policy");
    else if (s == "--output" || s == "-o")
      a.output = value("--output");
    else if (s == "--home")
      a.homes.push_back(value("--home"));
    else if (s == "--journal")
      a.journal = value("--journal");
    else if (s == "--action")
      a.action = value("--action");
    else if (s == "--mode")
      a.mode = value("--mode");
    else if (s == "--no-cache")
      a.cache.enabled = false;
    else if (s == "--cache-dir")
      a.cache.dir = value("--cache-dir");
    else if (s == "--cache-max-size")
      a.cache.max_bytes = vg::cli::parse_size("--cache-max-size", value("--cache-max-size"));
    else if (s == "--version") {
      std::string v = value("--version");
      char *end = nullptr;
      unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end || n == 0 || n > 1000000)
        throw vg::Error("--version", "expects a version number, got '" + v + "'");
      a.version = static_cast<unsigned>(n);
    } else if (s.starts_with("--"))
      throw vg::Error(s, "unknown option (see voxguard guard --help)");
    else
      a.positional.push_back(s);
  }
  return a;
}

Policy need_policy(const Args &a) {
  if (a.policy.empty())
    throw vg::Error("--policy", "this subcommand needs --policy FILE");
  return load_policy(a.policy);
}

std::optional<pid_t> running_guard(const Policy &p) {
  std::ifstream in(p.pid_file);
  long pid = 0;
  if (!(in >> pid) || pid <= 1)
    return std::nullopt;
  if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
    return std::nullopt;
  return static_cast<pid_t>(pid);
}

std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_stop = true;
}

// The databases offending executables are scanned with: the policy's, else the scanner's search
// order ($VOXGUARD_DB, /var/lib/voxguard, /var/lib/clamav, then the bundled database).
std::vector<std::string> scan_databases(const Policy &p) {
  if (!p.signatures.empty())
    return p.signatures;
  return vg::locate_databases({}, vg::cli::bundled_database_dirs()).paths;
}

int cmd_start(const Args &a) {
  Policy p = need_policy(a);
  std::string mode = a.mode.empty() ? p.mode : a.mode;
  if (auto other = running_guard(p))
    throw vg::Error(p.pid_file, "a guard is already running (pid " + std::to_string(*other) + ")");
  bool use_bpf = false;
  std::string note;
  if (mode == "bpf-lsm" || mode == "auto") {
    BpfLsmStatus bpf = probe_bpf_lsm();
    if (mode == "bpf-lsm" && !bpf.usable)
      throw vg::Error("mode bpf-lsm", "BPF LSM is not usable here: " + bpf.reason);
    use_bpf = bpf.usable;
    if (!bpf.usable)
      note = "BPF LSM not usable: " + bpf.reason;
  }
  EventLog log(stdout, p.events_file, p.syslog);
  vg::install_compiled_cache(a.cache);
  ExecutableScan exe_scan(scan_databases(p));
  log.scan_executables_with([&exe_scan](const std::string &path, const std::string &sha256) {
    return exe_scan.verdict(path, sha256);
  });
  std::unique_ptr<FanotifyGuard> fan;
  std::unique_ptr<BpfLsmGuard> lsm;
  std::unique_ptr<PtraceScope> ptrace_scope;
  std::string summary;
  if (use_bpf) {
    lsm = std::make_unique<BpfLsmGuard>(p, log);
    lsm->start();
    summary = lsm->summary();
  } else {
    fan = std::make_unique<FanotifyGuard>(p, log);
    fan->start();
    summary = fan->summary();
    // fanotify cannot see ptrace of a trusted softphone: Yama's ptrace_scope while it runs.
    std::string state = p.pid_file + ".ptrace_scope";
    PtraceScope::restore_after_crash(kYamaPtraceScope, state); // a previous guard that died
    ptrace_scope = std::make_unique<PtraceScope>(kYamaPtraceScope, state);
    summary += "; " + ptrace_scope->raise();
  }
  {
    std::ofstream pid(p.pid_file, std::ios::trunc);
    pid << getpid() << "\n";
    if (!pid)
      throw vg::Error(p.pid_file, "cannot write the pid file");
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  log.say(summary + (note.empty() ? "" : "; " + note) +
          (exe_scan.loaded() ? "; offenders scanned with " : "; offenders not scanned, ") +
          exe_scan.summary());
  ControlSocket control(p.pid_file + ".sock", [&](pid_t pid, bool allow) -> std::string {
    return fan ? fan->allow_editor(pid, allow) : lsm->allow_editor(pid, allow);
  });
  std::thread control_thread([&] { control.serve(g_stop); });
  int rc = 0;
  try {
    if (lsm)
      lsm->run(g_stop);
    else
      fan->run(g_stop);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "voxguard guard: %s\n", e.what());
    rc = 2;
  }
  g_stop = true;
  control_thread.join();
  std::string ptrace_note = ptrace_scope ? ptrace_scope->restore() : "";
  unlink(p.pid_file.c_str());
  log.emit(GuardEvent{.event = "stopped",
                      .decision = "none",
                      .detail = std::string(rc ? "stopped on an error" : "stopped by signal") +
                                (ptrace_note.empty() ? "" : "; " + ptrace_note)});
  return rc;
}

int cmd_stop(const Args &a) {
  Policy p = a.policy.empty() ? Policy{} : load_policy(a.policy);
  if (geteuid() != 0)
    throw vg::Error("guard stop", "only root may stop the guard");
  auto pid = running_guard(p);
  if (!pid) {
    std::printf("no guard running (pid file %s)\n", p.pid_file.c_str());
  } else {
    if (kill(*pid, SIGTERM) != 0)
      throw vg::Error("pid " + std::to_string(*pid),
                      std::string("cannot signal: ") + std::strerror(errno));
    for (int i = 0; i < 100 && kill(*pid, 0) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::printf("guard (pid %d) stopped\n", *pid);
  }
  // A guard that died could not put Yama's ptrace_scope back: do it now.
  if (std::string err =
          PtraceScope::restore_after_crash(kYamaPtraceScope, p.pid_file + ".ptrace_scope");
      !err.empty())
    std::fprintf(stderr, "voxguard guard stop: %s\n", err.c_str());
  // BPF LSM programs stay pinned (enforcing) after the guard exits, until this authorised stop.
  if (auto pins = BpfLsmGuard::pins(); !pins.empty()) {
    if (std::string err = BpfLsmGuard::remove_pins(); !err.empty())
      throw vg::Error("guard stop", "cannot remove the pinned BPF programs: " + err);
    std::printf("removed %zu pinned BPF LSM programs from %s: enforcement is off\n", pins.size(),
                kBpfPinDir);
  }
  return 0;
}

int cmd_discover(const Args &a) {
  DiscoverResult r = discover(a.homes);
  if (!a.journal.empty())
    r.policy.journal = a.journal;
  if (!a.action.empty()) {
    auto act = action_from_name(a.action);
    if (!act)
      throw vg::Error("--action", "unknown action '" + a.action + "'");
    r.policy.action = *act;
  }
  std::string text = r.policy.to_toml();
  parse_policy(text, "(generated policy)"); // what we write must read back
  for (const auto &n : r.notes)
    std::fprintf(stderr, "%s\n", n.c_str());
  if (a.output.empty()) {
    std::fputs(text.c_str(), stdout);
  } else {
    write_file_atomically(a.output,
                          {reinterpret_cast<const std::uint8_t *>(text.data()), text.size()}, 0600);
    std::fprintf(stderr, "policy written to %s (%zu assets, %zu trusted writers)\n",
                 a.output.c_str(), r.policy.assets.size(), r.policy.trusted.size());
  }
  return 0;
}

int cmd_check(const Args &a) {
  Policy p = need_policy(a);
  std::printf("%s: mode %s, action %s, journal %s\n", a.policy.c_str(), p.mode.c_str(),
              action_name(p.action), p.journal.c_str());
  for (const auto &as : p.assets)
    std::printf("  asset %s (%s%s%s)\n", as.path.c_str(), asset_format_name(as.format),
                as.secret ? ", secret" : "", as.protect_directory ? ", folder protected" : "");
  for (const auto &w : p.trusted)
    std::printf("  trusted %s sha256 %s%s\n", w.path.c_str(), w.sha256.c_str(),
                w.app.empty() ? "" : (" app " + w.app).c_str());
  return 0;
}

int cmd_history(const Args &a) {
  Policy p = need_policy(a);
  if (a.positional.size() != 1)
    throw vg::Error("guard history", "needs exactly one ASSET path");
  const std::string &asset = a.positional[0];
  Journal j(p.journal, p.journal_versions);
  auto h = j.history(asset);
  if (h.empty())
    throw vg::Error(asset, "no journal entries (is it an asset of " + a.policy + "?)");
  AssetFormat fmt = AssetFormat::opaque;
  for (const auto &r : p.assets)
    if (r.path == asset)
      fmt = r.format;
  std::vector<std::uint8_t> prev;
  for (std::size_t i = 0; i < h.size(); ++i) {
    const auto &v = h[i];
    std::printf("version %u  %s  %s  %llu bytes  %s%s\n", v.number, v.time.c_str(),
                v.sha256.substr(0, 16).c_str(), static_cast<unsigned long long>(v.size),
                v.writer.c_str(), v.good ? "" : "  [untrusted, not restored]");
    auto cur = j.content(v);
    if (i > 0)
      for (const auto &c : describe_change(fmt, asset, prev, cur))
        std::printf("    %s\n", c.c_str());
    prev = std::move(cur);
  }
  return 0;
}

int cmd_restore(const Args &a) {
  Policy p = need_policy(a);
  if (a.positional.size() != 1)
    throw vg::Error("guard restore", "needs exactly one ASSET path");
  if (auto pid = running_guard(p))
    throw vg::Error("guard restore", "the guard is running (pid " + std::to_string(*pid) +
                                         ") and already restores the last good version; stop it "
                                         "first to put back an older one");
  const std::string &asset = a.positional[0];
  Journal j(p.journal, p.journal_versions);
  std::optional<JournalVersion> v;
  if (a.version) {
    for (const auto &x : j.history(asset))
      if (x.number == *a.version)
        v = x;
    if (!v)
      throw vg::Error(asset, "no journal version " + std::to_string(*a.version));
  } else {
    v = j.last_good(asset);
    if (!v)
      throw vg::Error(asset, "no good version in the journal");
  }
  j.restore(asset, *v);
  std::printf("%s: version %u restored (%s)\n", asset.c_str(), v->number, v->sha256.c_str());
  return 0;
}

int cmd_edit(const Args &a) {
  Policy p = need_policy(a);
  if (a.positional.size() != 1)
    throw vg::Error("guard edit", "needs exactly one ASSET path");
  const std::string &asset = a.positional[0];
  bool listed = false;
  for (const auto &r : p.assets)
    listed = listed || r.path == asset || fnmatch(r.path.c_str(), asset.c_str(), FNM_PATHNAME) == 0;
  if (!listed)
    throw vg::Error(asset, "is not an asset of " + a.policy);
  const char *env = std::getenv("EDITOR");
  std::string editor = env && *env ? env : "vi";
  auto guard = running_guard(p);
  pid_t child = fork();
  if (child < 0)
    throw vg::Error("guard edit", std::string("fork failed: ") + std::strerror(errno));
  if (child == 0) {
    if (guard)
      raise(SIGSTOP); // wait until the guard knows this process
    execl("/bin/sh", "sh", "-c", (editor + " \"$1\"").c_str(), "sh", asset.c_str(), nullptr);
    _exit(127);
  }
  std::string sock = p.pid_file + ".sock";
  if (guard) {
    int st = 0;
    waitpid(child, &st, WUNTRACED);
    std::string answer = control_request(sock, "allow " + std::to_string(child));
    if (answer != "ok") {
      kill(child, SIGKILL);
      waitpid(child, nullptr, 0);
      throw vg::Error("guard edit", "the guard refused: " + answer);
    }
    kill(child, SIGCONT);
  }
  int st = 0;
  while (waitpid(child, &st, 0) < 0 && errno == EINTR) {
  }
  if (guard) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400)); // the guard journals the change
    control_request(sock, "revoke " + std::to_string(child));
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

int cmd_unquarantine(const Args &a) {
  Policy p = need_policy(a);
  if (a.positional.size() != 1)
    throw vg::Error("guard unquarantine", "needs the SHA256 of the quarantined executable");
  std::printf("restored %s\n", unquarantine(p.quarantine, a.positional[0]).c_str());
  return 0;
}

int run_guard(int argc, char **argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string sub = argv[1];
  try {
    Args a = parse_args(argc, argv, 2);
    if (sub == "doctor") {
      std::optional<Policy> p;
      if (!a.policy.empty())
        p = load_policy(a.policy);
      auto r = run_doctor(p ? &*p : nullptr);
      std::fputs(r.text().c_str(), stdout);
      return r.mode == "none" ? 2 : 0;
    }
    if (sub == "discover")
      return cmd_discover(a);
    if (sub == "check")
      return cmd_check(a);
    if (sub == "start")
      return cmd_start(a);
    if (sub == "stop")
      return cmd_stop(a);
    if (sub == "history")
      return cmd_history(a);
    if (sub == "restore")
      return cmd_restore(a);
    if (sub == "edit")
      return cmd_edit(a);
    if (sub == "unquarantine")
      return cmd_unquarantine(a);
    std::fprintf(stderr, "voxguard guard: unknown subcommand '%s'\n%s", sub.c_str(), kUsage);
    return 2;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "voxguard guard %s: %s\n", sub.c_str(), e.what());
    return 2;
  }
}

} // namespace

VOXGUARD_COMMAND(guard, "guard", "behaviour guard: protect softphone address books and settings",
                 run_guard);
