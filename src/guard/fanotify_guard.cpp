#include "guard/fanotify_guard.hpp"

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/mapped_file.hpp"
#include "guard/response.hpp"
#include "guard/syscall_intent.hpp"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <fnmatch.h>
#include <glob.h>
#include <poll.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#ifndef FAN_PRE_ACCESS
#define FAN_PRE_ACCESS 0x00100000
#endif

namespace vg::guard {

namespace fs = std::filesystem;
namespace {

constexpr std::uint64_t kDirEvents = FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO |
                                     FAN_RENAME | FAN_ATTRIB | FAN_EVENT_ON_CHILD | FAN_ONDIR |
                                     FAN_DELETE_SELF | FAN_MOVE_SELF;
// A neighbour is exempted only when it has not changed for this long (see exempt_neighbour).
constexpr long kNeighbourSettleSeconds = 2;
constexpr std::uint64_t kFileEvents =
    FAN_ATTRIB | FAN_MODIFY | FAN_DELETE_SELF |
    FAN_MOVE_SELF; // (no CLOSE_WRITE: a close changes nothing, and a dead trusted holder would look
                   // untrusted)

std::string errno_text() {
  return std::strerror(errno);
}

bool has_glob(const std::string &p) {
  return p.find_first_of("*?[") != std::string::npos;
}

std::string parent_of(const std::string &p) {
  auto slash = p.rfind('/');
  return slash == 0 ? "/" : p.substr(0, slash);
}
std::string base_of(const std::string &p) {
  return p.substr(p.rfind('/') + 1);
}

std::optional<std::string> handle_key(const std::string &path) {
  alignas(struct file_handle) unsigned char space[sizeof(struct file_handle) + MAX_HANDLE_SZ];
  auto *fh = reinterpret_cast<struct file_handle *>(space);
  fh->handle_bytes = MAX_HANDLE_SZ;
  int mount_id = 0;
  if (name_to_handle_at(AT_FDCWD, path.c_str(), fh, &mount_id, 0) != 0)
    return std::nullopt;
  std::string key(reinterpret_cast<const char *>(&fh->handle_type), sizeof fh->handle_type);
  key.append(reinterpret_cast<const char *>(fh->f_handle), fh->handle_bytes);
  return key;
}

std::string vector_of_mask(std::uint64_t mask) {
  std::string out;
  auto add = [&](const char *w) { out += (out.empty() ? "" : "+") + std::string(w); };
  if (mask & FAN_RENAME)
    add("rename");
  else if (mask & FAN_MOVED_FROM)
    add("rename-away");
  else if (mask & FAN_MOVED_TO)
    add("rename-over");
  if (mask & FAN_DELETE)
    add("unlink");
  if (mask & FAN_CREATE)
    add("create/link");
  if (mask & FAN_ATTRIB)
    add("chmod/chown/utimes");
  if (mask & (FAN_MODIFY | FAN_CLOSE_WRITE))
    add("write");
  if (mask & (FAN_DELETE_SELF | FAN_MOVE_SELF))
    add("folder-or-file-moved/removed");
  return out.empty() ? "change" : out;
}

std::vector<std::uint8_t> read_all(const std::string &path) {
  MappedFile m = MappedFile::open(path);
  return {m.bytes().begin(), m.bytes().end()};
}

std::string sha256_hex(std::span<const std::uint8_t> b) {
  return digest_bytes(b, hash_bit(HashAlgo::sha256)).sha256->hex();
}

} // namespace

FanotifyGuard::FanotifyGuard(const Policy &policy, EventLog &log)
    : policy_(policy), log_(log), journal_(policy.journal, policy.journal_versions),
      judge_(policy_, digests_) {}

FanotifyGuard::~FanotifyGuard() {
  if (perm_fd_ >= 0)
    close(perm_fd_);
  if (notify_fd_ >= 0)
    close(notify_fd_);
  if (exec_fd_ >= 0)
    close(exec_fd_);
}

bool FanotifyGuard::is_own_thread(pid_t tid) const {
  if (tid == self_)
    return true;
  struct stat st {};
  return stat(("/proc/self/task/" + std::to_string(tid)).c_str(), &st) == 0;
}

void FanotifyGuard::add_file(const std::string &path, std::size_t rule) {
  if (by_path_.contains(path))
    return;
  File f;
  f.path = path;
  f.rule = rule;
  struct stat st {};
  f.present = lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  by_path_[path] = files_.size();
  files_.push_back(f);
  Dir &d = dirs_[parent_of(path)];
  d.path = parent_of(path);
  if (std::find(d.rules.begin(), d.rules.end(), rule) == d.rules.end())
    d.rules.push_back(rule);
  d.protect_names = d.protect_names || policy_.assets[rule].protect_directory;
}

void FanotifyGuard::mark_file(File &f) {
  struct stat st {};
  if (lstat(f.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    f.present = false;
    return;
  }
  ignore_marks_.revoke(f.path); // an inode that was an exempt neighbour is an asset now
  by_inode_.erase({f.dev, f.ino});
  f.dev = st.st_dev;
  f.ino = st.st_ino;
  f.present = true;
  by_inode_[{f.dev, f.ino}] = by_path_[f.path];
  std::uint64_t mask = FAN_OPEN_PERM;
  if (pre_access_) {
    if (fanotify_mark(perm_fd_, FAN_MARK_ADD, mask | FAN_PRE_ACCESS, AT_FDCWD, f.path.c_str()) == 0)
      mask = 0;
    else if (pre_access_note_.empty())
      pre_access_note_ = "FAN_PRE_ACCESS refused on " + f.path + " (" + errno_text() +
                         "): per-write checks off for it";
  }
  if (mask && fanotify_mark(perm_fd_, FAN_MARK_ADD, mask, AT_FDCWD, f.path.c_str()) != 0)
    throw Error(f.path, "fanotify permission mark failed: " + errno_text());
  if (fanotify_mark(notify_fd_, FAN_MARK_ADD, kFileEvents, AT_FDCWD, f.path.c_str()) != 0)
    throw Error(f.path, "fanotify notification mark failed: " + errno_text());
  if (auto key = handle_key(f.path))
    handle_to_path_[*key] = f.path;
}

void FanotifyGuard::watch_dir(const std::string &dir) {
  Dir &d = dirs_[dir];
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return;
  if (fanotify_mark(notify_fd_, FAN_MARK_ADD, kDirEvents, AT_FDCWD, dir.c_str()) != 0)
    throw Error(dir, "fanotify folder mark failed: " + errno_text());
  if (d.protect_names && fanotify_mark(perm_fd_, FAN_MARK_ADD, FAN_OPEN_PERM | FAN_EVENT_ON_CHILD,
                                       AT_FDCWD, dir.c_str()) != 0)
    throw Error(dir, "fanotify folder permission mark failed: " + errno_text());
  dir_by_inode_[{st.st_dev, st.st_ino}] = dir;
  if (auto key = handle_key(dir))
    handle_to_path_[*key] = dir;
  if (DIR *dp = opendir(dir.c_str())) {
    while (auto *e = readdir(dp))
      if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
        d.known_names.insert(e->d_name);
    closedir(dp);
  }
}

void FanotifyGuard::start() {
  self_ = getpid();
  // 1. What is protected: every file the policy's paths and globs name now.
  for (std::size_t i = 0; i < policy_.assets.size(); ++i) {
    const auto &rule = policy_.assets[i];
    if (has_glob(rule.path)) {
      glob_t g{};
      if (glob(rule.path.c_str(), GLOB_NOSORT, nullptr, &g) == 0)
        for (std::size_t k = 0; k < g.gl_pathc; ++k)
          add_file(g.gl_pathv[k], i);
      globfree(&g);
    } else {
      add_file(rule.path, i);
    }
  }
  // 2. Journal baseline: the current content is the last good copy; differences from the journal
  //    (changed while the guard was not running) are reported.
  for (auto &f : files_) {
    const auto &rule = policy_.assets[f.rule];
    auto good = journal_.last_good(f.path);
    if (!f.present) {
      if (good && !has_glob(rule.path)) {
        journal_.restore(f.path, *good);
        f.present = true;
        GuardEvent e{.event = "restored-at-start",
                     .decision = "restore",
                     .asset = rule.path,
                     .path = f.path,
                     .detail = "missing when the guard started; journal version " +
                               std::to_string(good->number) + " put back"};
        log_.emit(e);
      }
      continue;
    }
    auto bytes = read_all(f.path);
    struct stat st {};
    lstat(f.path.c_str(), &st);
    if (good && good->sha256 != sha256_hex(bytes)) {
      GuardEvent e{.event = "changed-while-stopped",
                   .decision = "accept",
                   .asset = rule.path,
                   .path = f.path,
                   .changes = describe_change(rule.format, f.path, journal_.content(*good), bytes),
                   .detail = "changed while the guard was not running; kept, previous version " +
                             std::to_string(good->number) + " stays in the journal"};
      log_.emit(e);
    }
    journal_.record(f.path, bytes, FileMeta::from_stat(st), good ? "found at start" : "initial");
  }
  // 3. fanotify groups: permission (pre-content when the kernel has it) and notification.
  perm_fd_ =
      fanotify_init(FAN_CLASS_PRE_CONTENT | FAN_CLOEXEC | FAN_REPORT_TID | FAN_UNLIMITED_QUEUE,
                    O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  pre_access_ = perm_fd_ >= 0;
  if (perm_fd_ < 0) {
    pre_access_note_ = "FAN_CLASS_PRE_CONTENT unavailable (" + errno_text() +
                       "): no per-write checks (kernel before 6.14)";
    perm_fd_ = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_REPORT_TID | FAN_UNLIMITED_QUEUE,
                             O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  }
  if (perm_fd_ < 0)
    throw Error("fanotify", "fanotify_init (permission events) failed: " + errno_text() +
                                (errno == EPERM ? " (needs root / CAP_SYS_ADMIN)" : ""));
  ignore_marks_.attach(perm_fd_);
  notify_fd_ = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_REPORT_TID | FAN_REPORT_DFID_NAME |
                                 FAN_REPORT_FID | FAN_UNLIMITED_QUEUE,
                             O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (notify_fd_ < 0)
    throw Error("fanotify", "fanotify_init (notifications with names) failed: " + errno_text());
  // Executions on the filesystems involved (asynchronous, never blocks a program): lets events name
  // a program that changed an asset and exited before the guard could look at it.
  exec_fd_ = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_REPORT_TID | FAN_UNLIMITED_QUEUE,
                           O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (exec_fd_ >= 0) {
    std::set<std::string> roots{"/", "/usr"};
    for (const auto &f : files_)
      roots.insert(parent_of(f.path));
    for (const auto &r : roots)
      fanotify_mark(exec_fd_, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC, AT_FDCWD,
                    r.c_str());
  }
  std::lock_guard lock(mu_);
  for (auto &f : files_)
    mark_file(f);
  for (auto &[path, d] : dirs_)
    watch_dir(path);
  for (const auto &w : policy_.trusted) {
    struct stat st {};
    if (stat(w.path.c_str(), &st) != 0)
      continue;
    if (fanotify_mark(perm_fd_, FAN_MARK_ADD, FAN_OPEN_EXEC_PERM, AT_FDCWD, w.path.c_str()) == 0)
      trusted_exes_.insert({st.st_dev, st.st_ino});
  }
}

std::string FanotifyGuard::summary() const {
  std::lock_guard lock(mu_);
  std::size_t present = 0;
  for (const auto &f : files_)
    present += f.present ? 1 : 0;
  std::string s = "voxguard guard: enforcing (mode fanotify) on " + std::to_string(present) +
                  " files in " + std::to_string(dirs_.size()) + " folders, " +
                  std::to_string(trusted_exes_.size()) + " trusted executables; per-write checks " +
                  (pre_access_ && pre_access_note_.empty() ? "on (FAN_PRE_ACCESS)" : "partial");
  if (!pre_access_note_.empty())
    s += " [" + pre_access_note_ + "]";
  if (policy_.exempt_neighbours)
    s += "; unchanged neighbours in protected folders exempt after one check (up to " +
         std::to_string(ignore_marks_.cap()) + " ignore marks)";
  return s;
}

FanotifyGuard::Trust FanotifyGuard::identify(pid_t tid, bool fresh) {
  Trust t;
  if (tid <= 0) {
    t.verdict.reason = "process unknown";
    return t;
  }
  if (!fresh) {
    std::lock_guard lock(mu_);
    auto it = trust_cache_.find(tid);
    if (it != trust_cache_.end() && Clock::now() - it->second.first < std::chrono::seconds(5))
      return it->second.second;
  }
  auto tgid = thread_group_of(tid);
  if (tgid)
    t.process = read_process(*tgid);
  if (!t.process || t.process->exe.empty()) {
    // Gone already, or exiting (a zombie has no executable link): name it from its execution
    // record. The exec thread may still be reading or hashing that execution (a `bash -c "exec
    // ln …"` child has an older record, for bash): let it catch up first, then wait briefly.
    for (int i = 0; i < 20 && exec_fd_ >= 0; ++i) {
      struct pollfd p {
        exec_fd_, POLLIN, 0
      };
      if (poll(&p, 1, 0) <= 0 && !exec_busy_)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::optional<ExecRecord> rec;
    for (int attempt = 0; attempt < 30 && !rec; ++attempt) {
      {
        std::lock_guard lock(mu_);
        if (auto it = recent_execs_.find(tid); it != recent_execs_.end())
          rec = it->second;
      }
      if (!rec)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!t.process) {
      if (!rec) {
        t.verdict.reason =
            "process " + std::to_string(tid) + " exited before it could be identified";
        ProcessInfo gone; // at least the pid the kernel reported
        gone.pid = tid;
        t.process = gone;
        return t;
      }
      t.process = rec->process;
      t.verdict.exe_sha256 = rec->sha256;
      t.verdict.reason = "process exited before it could be checked; named from its execution";
      return t;
    }
    t.live = true;
    if (rec) {
      t.process->exe = rec->process.exe;
      if (t.process->cmdline.empty())
        t.process->cmdline = rec->process.cmdline;
      t.verdict.exe_sha256 = rec->sha256;
      t.verdict.reason = "process exiting; named from its execution";
      return t;
    }
  }
  t.live = true;
  t.parents = parent_chain(t.process->ppid);
  t.verdict = judge_.judge(*t.process);
  if (!t.verdict.trusted && !fresh &&
      access(("/proc/" + std::to_string(tid) + "/exe").c_str(), F_OK) != 0) {
    // It exited while being judged, so what was unreadable proves nothing: a verdict its permission
    // event got meanwhile answers instead.
    std::lock_guard lock(mu_);
    if (auto it = trust_cache_.find(tid);
        it != trust_cache_.end() && Clock::now() - it->second.first < std::chrono::seconds(5))
      return it->second.second;
  }
  {
    std::lock_guard lock(mu_);
    bool editor = editors_.contains(t.process->pid);
    for (const auto &parent : t.parents)
      editor = editor || editors_.contains(parent.pid);
    if (editor && !t.verdict.trusted) {
      static const TrustedWriter kEdit{"(guard edit)", "", "", std::nullopt, 0};
      t.verdict.trusted = true;
      t.verdict.writer = &kEdit;
      t.verdict.reason = "one-time allowance (voxguard guard edit)";
    }
  }
  if (t.verdict.exe_sha256.empty()) {
    // Exited while being judged (another event's action may have killed it): the digest taken at
    // its execution, or by the event judged just before, still names it.
    std::lock_guard lock(mu_);
    if (auto it = recent_execs_.find(tid);
        it != recent_execs_.end() && it->second.process.exe == t.process->exe)
      t.verdict.exe_sha256 = it->second.sha256;
    else if (auto c = trust_cache_.find(tid); c != trust_cache_.end() && c->second.second.process &&
                                              c->second.second.process->exe == t.process->exe)
      t.verdict.exe_sha256 = c->second.second.verdict.exe_sha256;
  }
  if (t.verdict.exe_sha256.empty() && !t.process->exe.empty()) {
    // Last resort: the executable file the process was started from, hashed by its path.
    if (auto d = digests_.of_path(t.process->exe))
      t.verdict.exe_sha256 = *d;
  }
  std::lock_guard lock(mu_);
  if (trust_cache_.size() > 4096)
    trust_cache_.clear();
  trust_cache_[tid] = {Clock::now(), t};
  return t;
}

void FanotifyGuard::deny_report(const Trust &who, const std::string &vector,
                                const std::string &hook, const File *file, const std::string &path,
                                const std::string &event, const std::string &decision,
                                std::vector<std::string> changes,
                                const std::function<void()> &after_signal) {
  GuardEvent e;
  e.event = event;
  e.decision = decision;
  e.vector = vector;
  e.hook = hook;
  e.asset = file ? policy_.assets[file->rule].path : parent_of(path);
  e.path = path;
  e.process = who.process;
  e.exe_sha256 = who.verdict.exe_sha256;
  e.parents = who.parents;
  e.changes = std::move(changes);
  e.detail = who.verdict.reason;
  e.action = "none";
  if (decision != "audit" && who.process) {
    e.action = who.live ? signal_offender(policy_.action, who.process->pid)
                        : std::string("none (process already exited)");
    {
      std::lock_guard lock(mu_);
      tainted_.insert(who.process->pid);
    }
    if (after_signal)
      after_signal();
    if (policy_.action == Action::deny_kill_quarantine)
      e.action += "; " + quarantine_executable(who.process->exe, who.verdict.exe_sha256,
                                               policy_.quarantine, *who.process);
  } else if (after_signal)
    after_signal();
  log_.emit(e);
}

void FanotifyGuard::handle_perm(const struct fanotify_event_metadata *m) {
  auto respond = [&](bool allow) {
    struct fanotify_response r {};
    r.fd = m->fd;
    r.response = allow ? FAN_ALLOW : FAN_DENY;
    // ENOENT: the process was killed while it waited, the kernel dropped its event.
    if (write(perm_fd_, &r, sizeof r) != static_cast<ssize_t>(sizeof r) && errno != ENOENT)
      log_.emit(GuardEvent{.event = "error",
                           .decision = "allow",
                           .detail = "fanotify response failed: " + errno_text()});
  };
  pid_t tid = m->pid;
  if (m->fd < 0 || is_own_thread(tid)) {
    respond(true);
    return;
  }
  struct stat st {};
  if (fstat(m->fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    respond(true);
    return;
  }
  std::optional<File> file;
  std::optional<Dir> dir;
  std::string path;
  bool trusted_exe = false, tainted = false;
  pid_t tgid_hint = 0;
  {
    std::lock_guard lock(mu_);
    if (m->mask & FAN_OPEN_PERM)
      ignore_marks_.forget(m->fd, st.st_dev, st.st_ino); // judged afresh below
    if (auto it = by_inode_.find({st.st_dev, st.st_ino}); it != by_inode_.end()) {
      file = files_[it->second];
      path = file->path;
    }
    trusted_exe = trusted_exes_.contains({st.st_dev, st.st_ino});
    tainted = !tainted_.empty();
  }
  if (m->mask & FAN_OPEN_EXEC_PERM) {
    if (trusted_exe)
      digests_.of_fd(m->fd); // the digest is checked when the program is loaded
    if (!file) {
      respond(true);
      return;
    }
  }
  if (!file) {
    char link[4096];
    ssize_t n = readlink(("/proc/self/fd/" + std::to_string(m->fd)).c_str(), link, sizeof link - 1);
    if (n > 0)
      path.assign(link, static_cast<std::size_t>(n));
    std::lock_guard lock(mu_);
    if (auto it = dirs_.find(parent_of(path)); it != dirs_.end() && it->second.protect_names)
      dir = it->second;
  }
  if (!file && !dir) {
    respond(true);
    return;
  }
  if (tainted) {
    if (auto tg = thread_group_of(tid)) {
      tgid_hint = *tg;
      std::lock_guard lock(mu_);
      tainted = tainted_.contains(tgid_hint);
    } else {
      tainted = false;
    }
  }
  Intent intent;
  std::string hook;
  if (m->mask & FAN_PRE_ACCESS) {
    intent = classify_access(read_syscall_state(tid), tid, st.st_dev, st.st_ino);
    hook = "fanotify:FAN_PRE_ACCESS";
  } else if (m->mask & FAN_OPEN_EXEC_PERM) {
    intent = {AccessKind::read, "exec"};
    hook = "fanotify:FAN_OPEN_EXEC_PERM";
  } else {
    intent = classify_open(read_syscall_state(tid));
    hook = "fanotify:FAN_OPEN_PERM";
  }
  bool secret = file && policy_.assets[file->rule].secret;
  if (intent.kind == AccessKind::read && !secret && !tainted) {
    respond(true);
    if (!file && (m->mask & FAN_OPEN_PERM)) {
      std::lock_guard lock(mu_);
      exempt_neighbour(m->fd, st, *dir, path);
    }
    return;
  }
  // A write, a secret read or a tainted process: only a trusted writer of this asset may. Judged
  // afresh (trust can be lost: a library mapped since), but the cached verdict stays until the new
  // one replaces it: the notification of an earlier write may be handled meanwhile, after the
  // writer exited, and must find the verdict its open was given.
  Trust who = identify(tid, true);
  bool covered = false;
  if (file)
    covered = TrustJudge::covers(who.verdict, policy_.assets[file->rule]);
  else
    for (std::size_t r : dir->rules)
      covered = covered || TrustJudge::covers(who.verdict, policy_.assets[r]);
  if (covered && !tainted) {
    respond(true);
    return;
  }
  if (policy_.action == Action::audit) {
    respond(true);
    deny_report(who, intent.vector, hook, file ? &*file : nullptr, path, "audit", "audit");
    return;
  }
  if (tainted && !who.verdict.reason.empty())
    who.verdict.reason = "denied before; " + who.verdict.reason;
  // Stop the offender before it learns the answer, then deny.
  std::string vector = intent.vector +
                       (secret && intent.kind == AccessKind::read ? " (secret)" : "") +
                       (file ? "" : " (new or foreign file in a protected folder)");
  deny_report(who, vector, hook, file ? &*file : nullptr, path, "denied", "deny", {},
              [&] { respond(false); });
}

void FanotifyGuard::exempt_neighbour(int fd, const struct stat &st, const Dir &dir,
                                     const std::string &path) {
  // Only a file nobody is writing: a trusted writer's temp file (about to replace an asset) or a
  // file an attacker is preparing has changed within the last seconds, and the first write to an
  // exempt inode ends its exemption in the kernel.
  if (!policy_.exempt_neighbours)
    return;
  struct timespec now {};
  clock_gettime(CLOCK_REALTIME, &now);
  if (!S_ISREG(st.st_mode) || now.tv_sec - st.st_ctim.tv_sec < kNeighbourSettleSeconds)
    return;
  if (by_inode_.contains({st.st_dev, st.st_ino}) || !may_exempt(dir, path))
    return;
  if (!ignore_marks_.add(fd, st.st_dev, st.st_ino, path))
    return;
  // The judgement above used a status read before mu_ was taken (by_inode_ cannot change while it
  // is held, and was looked at above): a link or rename since (ctime moves) may be on its way to
  // making this inode an asset. Look again now that the mark is in place.
  struct stat again {};
  if (fstat(fd, &again) != 0 || again.st_ctim.tv_sec != st.st_ctim.tv_sec ||
      again.st_ctim.tv_nsec != st.st_ctim.tv_nsec) {
    ignore_marks_.forget(fd, st.st_dev, st.st_ino);
    return;
  }
  // A rename may have given the file another name (an asset's) since it was judged; the notify
  // thread takes exemptions back under mu_, so looking once more here closes the gap.
  char link[4096];
  ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), link, sizeof link - 1);
  std::string now_at = n > 0 ? std::string(link, static_cast<std::size_t>(n)) : "";
  if (now_at != path)
    ignore_marks_.name_changed(now_at.empty() ? path : now_at);
}

bool FanotifyGuard::may_exempt(const Dir &dir, const std::string &path) const {
  std::string name = base_of(path);
  if (parent_of(path) != dir.path)
    return false;
  for (std::size_t r : dir.rules) {
    const std::string &asset = policy_.assets[r].path;
    // A folder an asset glob covers: any name in it may become an asset (a new Jami profile).
    if (has_glob(asset))
      return false;
    // The asset's companions carry its content (SQLite friends.db-wal/-journal/-shm).
    if (name.starts_with(base_of(asset)))
      return false;
  }
  return !by_path_.contains(path);
}

void FanotifyGuard::perm_loop(const std::atomic<bool> &stop) {
  alignas(struct fanotify_event_metadata) char buf[16384];
  while (!stop) {
    struct pollfd p {
      perm_fd_, POLLIN, 0
    };
    int r = poll(&p, 1, 200);
    if (r <= 0)
      continue;
    ssize_t len = read(perm_fd_, buf, sizeof buf);
    if (len <= 0)
      continue;
    auto *m = reinterpret_cast<const struct fanotify_event_metadata *>(buf);
    for (; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
      if (m->vers != FANOTIFY_METADATA_VERSION)
        throw Error("fanotify", "unexpected metadata version");
      handle_perm(m);
      if (m->fd >= 0)
        close(m->fd);
    }
  }
}

void FanotifyGuard::handle_notify(const struct fanotify_event_metadata *m) {
  pid_t tid = m->pid;
  if (m->mask & FAN_Q_OVERFLOW) {
    std::lock_guard lock(mu_);
    ignore_marks_.clear(); // a rename of an exempt file may be among the lost events
    for (const auto &f : files_)
      pending_[f.path] = Pending{Clock::now(), 0, {"(event queue overflow)"}};
    return;
  }
  if (is_own_thread(tid))
    return;
  std::vector<std::string> touched;
  const char *p = reinterpret_cast<const char *>(m) + m->metadata_len;
  const char *end = reinterpret_cast<const char *>(m) + m->event_len;
  while (p + sizeof(struct fanotify_event_info_header) <= end) {
    auto *hdr = reinterpret_cast<const struct fanotify_event_info_header *>(p);
    if (hdr->len == 0 || p + hdr->len > end)
      break;
    if (hdr->info_type == FAN_EVENT_INFO_TYPE_FID || hdr->info_type == FAN_EVENT_INFO_TYPE_DFID ||
        hdr->info_type == FAN_EVENT_INFO_TYPE_DFID_NAME ||
        hdr->info_type == FAN_EVENT_INFO_TYPE_OLD_DFID_NAME ||
        hdr->info_type == FAN_EVENT_INFO_TYPE_NEW_DFID_NAME) {
      auto *fid = reinterpret_cast<const struct fanotify_event_info_fid *>(p);
      auto *fh = reinterpret_cast<const struct file_handle *>(fid->handle);
      std::string key(reinterpret_cast<const char *>(&fh->handle_type), sizeof fh->handle_type);
      key.append(reinterpret_cast<const char *>(fh->f_handle), fh->handle_bytes);
      std::string name;
      if (hdr->info_type == FAN_EVENT_INFO_TYPE_DFID_NAME ||
          hdr->info_type == FAN_EVENT_INFO_TYPE_OLD_DFID_NAME ||
          hdr->info_type == FAN_EVENT_INFO_TYPE_NEW_DFID_NAME) {
        const char *n = reinterpret_cast<const char *>(fh->f_handle) + fh->handle_bytes;
        name.assign(n, strnlen(n, static_cast<std::size_t>(end - n)));
      }
      std::lock_guard lock(mu_);
      auto it = handle_to_path_.find(key);
      if (it != handle_to_path_.end()) {
        if (name.empty() || name == ".")
          touched.push_back(it->second);
        else
          touched.push_back(it->second + "/" + name);
      }
    }
    p += hdr->len;
  }
  if (touched.empty())
    return;
  {
    // Before anything slow: a neighbour renamed or linked (over an asset, into a glob's folder,
    // anywhere) loses its exemption at once, and an asset's name never carries one.
    std::lock_guard lock(mu_);
    for (const auto &t : touched) {
      ignore_marks_.name_changed(t);
      if (by_path_.contains(t))
        ignore_marks_.revoke(t);
    }
  }
  Trust who = identify(tid);
  bool trusted = who.verdict.trusted;
  auto due =
      Clock::now() + (trusted ? std::chrono::milliseconds(150) : std::chrono::milliseconds(0));
  std::string vector = vector_of_mask(m->mask);
  std::lock_guard lock(mu_);
  for (const auto &t : touched) {
    std::vector<std::string> targets{t};
    // A folder that was moved or removed: every asset in it must be checked.
    if (auto d = dirs_.find(t); d != dirs_.end())
      for (const auto &f : files_)
        if (parent_of(f.path) == t)
          targets.push_back(f.path);
    for (const auto &target : targets) {
      auto &pd = pending_[target];
      if (pd.tid == 0 || !trusted) {
        pd.tid = tid;
        pd.due = due;
      } else if (pd.due < due) {
        pd.due = due;
      }
      pd.vectors.insert(vector);
    }
  }
}

void FanotifyGuard::reconcile(const std::string &path, const Pending &why) {
  File f;
  {
    std::lock_guard lock(mu_);
    f = files_[by_path_.at(path)];
  }
  const AssetRule &rule = policy_.assets[f.rule];
  Trust who = identify(why.tid);
  bool trusted = TrustJudge::covers(who.verdict, rule);
  std::string vector;
  for (const auto &v : why.vectors)
    vector += (vector.empty() ? "" : ", ") + v;
  struct stat st {};
  bool exists = lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  auto good = journal_.last_good(path);
  std::vector<std::uint8_t> bytes;
  if (exists) {
    try {
      bytes = read_all(path);
    } catch (const Error &) {
      exists = false;
    }
  }
  FileMeta meta = exists ? FileMeta::from_stat(st) : FileMeta{};
  if (exists && good && sha256_hex(bytes) == good->sha256 && meta.mode == good->meta.mode &&
      meta.uid == good->meta.uid && meta.gid == good->meta.gid &&
      (trusted || meta.mtime_ns == good->meta.mtime_ns)) {
    std::lock_guard lock(mu_);
    File &live = files_[by_path_.at(path)];
    if (live.ino != st.st_ino || live.dev != st.st_dev || !live.present)
      mark_file(live);
    return;
  }
  if (!exists && !good)
    return;
  std::vector<std::uint8_t> before = good ? journal_.content(*good) : std::vector<std::uint8_t>{};
  if (trusted) {
    GuardEvent e{.event = exists ? "changed" : "removed",
                 .decision = "accept",
                 .vector = vector,
                 .hook = "fanotify:notification",
                 .asset = rule.path,
                 .path = path,
                 .process = who.process,
                 .exe_sha256 = who.verdict.exe_sha256,
                 .parents = who.parents};
    std::string writer = who.process
                             ? who.process->exe + " (pid " + std::to_string(who.process->pid) + ")"
                             : "trusted writer";
    if (exists) {
      e.changes = describe_change(rule.format, path, before, bytes);
      journal_.record(path, bytes, meta, writer);
      if (good && policy_.alert_on_number_change &&
          changes_a_number(rule.format, path, before, bytes))
        e.detail = kNumberChangeAlert;
    }
    std::lock_guard lock(mu_);
    File &live = files_[by_path_.at(path)];
    if (exists)
      mark_file(live);
    else
      live.present = false;
    if (!e.changes.empty() || !exists)
      log_.emit(e);
    return;
  }
  // Untrusted (or unknown) change: keep the tampered bytes for the record, put the good copy back.
  std::vector<std::string> changes;
  if (exists) {
    changes = describe_change(rule.format, path, before, bytes);
    if (changes.empty())
      changes.push_back("attributes changed (mode " + std::to_string(meta.mode) + ", uid " +
                        std::to_string(meta.uid) + ")");
    journal_.record(path, bytes, meta,
                    "untrusted: " + (who.process ? who.process->exe : std::string("unknown")),
                    false);
  } else {
    changes.push_back("asset removed or renamed away");
  }
  if (policy_.action == Action::audit) {
    deny_report(who, vector, "fanotify:notification", &f, path, "audit", "audit", changes);
    return;
  }
  if (!good) {
    deny_report(who, vector, "fanotify:notification", &f, path, "unrestorable", "deny", changes);
    return;
  }
  journal_.restore(path, *good);
  {
    std::lock_guard lock(mu_);
    File &live = files_[by_path_.at(path)];
    std::string dir = parent_of(path);
    struct stat dst {};
    if (stat(dir.c_str(), &dst) == 0 && !dir_by_inode_.contains({dst.st_dev, dst.st_ino})) {
      // The folder itself was moved or removed and has been recreated (a folder swap): what the
      // new folder holds besides the assets put back was planted with it.
      watch_dir(dir);
      Dir &d = dirs_[dir];
      for (auto it = d.known_names.begin(); it != d.known_names.end();) {
        std::string full = dir + "/" + *it;
        if (by_path_.contains(full)) {
          ++it;
          continue;
        }
        pending_[full] = Pending{Clock::now(), why.tid, {"folder swapped"}};
        it = d.known_names.erase(it);
      }
    }
    mark_file(live);
  }
  deny_report(who, vector, "fanotify:notification", &f, path, "restored", "restore", changes);
}

void FanotifyGuard::reconcile_name(const std::string &dir, const std::string &name,
                                   const Pending &why) {
  std::string full = dir + "/" + name;
  struct stat st {};
  bool exists = lstat(full.c_str(), &st) == 0;
  std::optional<Dir> d;
  bool link_to_asset = false;
  {
    std::lock_guard lock(mu_);
    auto it = dirs_.find(dir);
    if (it == dirs_.end())
      return;
    if (!exists) {
      it->second.known_names.erase(name);
      return;
    }
    if (it->second.known_names.contains(name) && !(S_ISREG(st.st_mode) && st.st_nlink > 1))
      return;
    link_to_asset = S_ISREG(st.st_mode) && by_inode_.contains({st.st_dev, st.st_ino});
    d = it->second;
  }
  if (!link_to_asset && !d->protect_names)
    return;
  Trust who = identify(why.tid);
  bool covered = false;
  for (std::size_t r : d->rules)
    covered = covered || TrustJudge::covers(who.verdict, policy_.assets[r]);
  if (covered) {
    std::lock_guard lock(mu_);
    dirs_[dir].known_names.insert(name);
    for (std::size_t r : d->rules)
      if (has_glob(policy_.assets[r].path) &&
          fnmatch(policy_.assets[r].path.c_str(), full.c_str(), FNM_PATHNAME) == 0 &&
          S_ISREG(st.st_mode)) {
        add_file(full, r);
        File &nf = files_[by_path_.at(full)];
        mark_file(nf);
        try {
          journal_.record(full, read_all(full), FileMeta::from_stat(st), "trusted writer");
        } catch (const Error &) {
        }
      }
    return;
  }
  std::string vector;
  for (const auto &v : why.vectors)
    vector += (vector.empty() ? "" : ", ") + v;
  if (policy_.action == Action::audit) {
    deny_report(who, vector, "fanotify:notification", nullptr, full, "audit", "audit");
    return;
  }
  std::error_code ec;
  fs::remove_all(full, ec);
  deny_report(who, vector, "fanotify:notification", nullptr, full,
              link_to_asset ? "link-removed" : "planted-removed", "restore",
              {ec ? "could not remove " + full + ": " + ec.message()
                  : std::string(link_to_asset ? "hard link to a protected asset removed"
                                              : "new name in a protected folder removed")});
}

void FanotifyGuard::notify_loop(const std::atomic<bool> &stop) {
  alignas(struct fanotify_event_metadata) char buf[65536];
  while (!stop) {
    int timeout = 200;
    {
      std::lock_guard lock(mu_);
      auto now = Clock::now();
      for (const auto &[path, pd] : pending_) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(pd.due - now).count();
        timeout = std::min<int>(timeout, static_cast<int>(std::max<long long>(ms, 0)));
      }
    }
    struct pollfd p {
      notify_fd_, POLLIN, 0
    };
    if (poll(&p, 1, timeout) > 0) {
      ssize_t len = read(notify_fd_, buf, sizeof buf);
      // Events that carry file names have lengths that are not multiples of 8, so the next event
      // can start misaligned: copy each one into aligned storage before reading it.
      alignas(struct fanotify_event_metadata) char event[8192];
      std::size_t off = 0;
      while (len > 0 && static_cast<std::size_t>(len) - off >= FAN_EVENT_METADATA_LEN) {
        struct fanotify_event_metadata head;
        std::memcpy(&head, buf + off, sizeof head);
        if (head.event_len < FAN_EVENT_METADATA_LEN ||
            head.event_len > static_cast<std::size_t>(len) - off || head.event_len > sizeof event)
          break;
        std::memcpy(event, buf + off, head.event_len);
        const auto *m = reinterpret_cast<const struct fanotify_event_metadata *>(event);
        handle_notify(m);
        if (m->fd >= 0)
          close(m->fd);
        off += head.event_len;
      }
    }
    std::vector<std::pair<std::string, Pending>> due;
    {
      std::lock_guard lock(mu_);
      auto now = Clock::now();
      for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->second.due <= now) {
          due.emplace_back(it->first, it->second);
          it = pending_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (const auto &[path, why] : due) {
      try {
        bool asset;
        {
          std::lock_guard lock(mu_);
          asset = by_path_.contains(path);
        }
        if (asset)
          reconcile(path, why);
        else
          reconcile_name(parent_of(path), base_of(path), why);
      } catch (const std::exception &e) {
        log_.emit(GuardEvent{.event = "error",
                             .decision = "restore",
                             .path = path,
                             .detail = std::string("could not reconcile: ") + e.what()});
      }
    }
  }
}

std::string FanotifyGuard::allow_editor(pid_t pid, bool allow) {
  std::lock_guard lock(mu_);
  // Verdicts already cached stay: what the editor did while allowed is judged as allowed even when
  // the notification is handled after the revocation.
  if (allow) {
    editors_.insert(pid);
    trust_cache_.clear();
  } else {
    editors_.erase(pid);
  }
  return "";
}

void FanotifyGuard::exec_loop(const std::atomic<bool> &stop) {
  alignas(struct fanotify_event_metadata) char buf[16384];
  while (!stop && exec_fd_ >= 0) {
    struct pollfd p {
      exec_fd_, POLLIN, 0
    };
    if (poll(&p, 1, 200) <= 0)
      continue;
    exec_busy_ = true;
    ssize_t len = read(exec_fd_, buf, sizeof buf);
    auto *m = reinterpret_cast<const struct fanotify_event_metadata *>(buf);
    for (; len > 0 && FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
      if (m->fd < 0)
        continue;
      ExecRecord rec;
      rec.when = Clock::now();
      char link[4096];
      ssize_t n =
          readlink(("/proc/self/fd/" + std::to_string(m->fd)).c_str(), link, sizeof link - 1);
      std::string file = n > 0 ? std::string(link, static_cast<std::size_t>(n)) : "";
      // The kernel also opens the ELF interpreter (ld-linux) for exec: that event names the
      // loader, not the program, so it only refreshes what /proc says now.
      bool interpreter = base_of(file).starts_with("ld-linux") || base_of(file).starts_with("ld-");
      auto live = read_process(m->pid);
      if (live)
        rec.process = *live;
      rec.process.pid = m->pid;
      if (!interpreter && !file.empty())
        rec.process.exe = file;
      if (interpreter && live && live->exe != file) {
        if (auto d = digests_.of_path("/proc/" + std::to_string(m->pid) + "/exe"))
          rec.sha256 = *d;
      } else if (auto d = digests_.of_fd(m->fd)) {
        rec.sha256 = *d;
      }
      close(m->fd);
      std::lock_guard lock(mu_);
      if (interpreter && recent_execs_.contains(m->pid) &&
          Clock::now() - recent_execs_[m->pid].when < std::chrono::seconds(2))
        continue; // keep the program's own record
      if (recent_execs_.size() >= 4096) {
        auto cutoff = Clock::now() - std::chrono::seconds(30);
        std::erase_if(recent_execs_, [&](const auto &kv) { return kv.second.when < cutoff; });
        if (recent_execs_.size() >= 4096)
          recent_execs_.clear();
      }
      recent_execs_[m->pid] = std::move(rec);
    }
    exec_busy_ = false;
  }
}

void FanotifyGuard::run(const std::atomic<bool> &stop) {
  std::thread execs([&] { exec_loop(stop); });
  std::exception_ptr perm_error;
  std::thread perm([&] {
    try {
      perm_loop(stop);
    } catch (...) {
      perm_error = std::current_exception();
    }
  });
  try {
    notify_loop(stop);
  } catch (...) {
    perm.join();
    execs.join();
    throw;
  }
  perm.join();
  execs.join();
  if (perm_error)
    std::rethrow_exception(perm_error);
}

} // namespace vg::guard
