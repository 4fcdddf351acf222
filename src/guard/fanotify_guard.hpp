// fanotify_guard.hpp — enforcement where BPF LSM is not available: fanotify permission events deny
// untrusted writers before the write, notification events detect what fanotify cannot stop and
// put the journal's last good copy back at once.
// Promise (what is blocked, what is restored — see docs/guard.md for the full table):
// - blocked (EPERM): open for write/append/O_TRUNC/creat of an asset (incl. /proc/PID/fd re-opens),
//   read of a secret asset, new files in a protected folder; with FAN_PRE_ACCESS (Linux 6.14+, and
//   a filesystem that supports it): truncate(2), ftruncate, write/pwrite through a descriptor
//   opened after the guard started (inherited or stolen with pidfd_getfd/SCM_RIGHTS), writable
//   shared mmap;
// - restored from the journal (and the process answered per policy): rename over / away,
//   RENAME_EXCHANGE, unlink, chmod/chown/utimes, hard links in watched folders, planted names,
//   the asset's folder moved or removed;
// - a process once denied is denied every protected access afterwards;
// - a non-asset file in a protected folder that was opened for reading and has not changed for 2 s
//   gets an ignore mark (IgnoreMarks): its later opens no longer wait for the guard, until it is
//   written, renamed or linked, or its name becomes an asset's. Not in folders an asset glob
//   covers, not for names that start with an asset's name (SQLite -wal/-journal/-shm).
// Trusted writers' changes are journaled and described ("contact \"Bank\": … → …").
#pragma once
#include "guard/executable_digests.hpp"
#include "guard/guard_event.hpp"
#include "guard/ignore_marks.hpp"
#include "guard/journal.hpp"
#include "guard/policy.hpp"
#include "guard/trust.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <sys/stat.h>
#include <sys/types.h>
#include <vector>

struct fanotify_event_metadata;

namespace vg::guard {

class FanotifyGuard {
  using Clock = std::chrono::steady_clock;

public:
  FanotifyGuard(const Policy &policy, EventLog &log);
  ~FanotifyGuard();
  FanotifyGuard(const FanotifyGuard &) = delete;
  FanotifyGuard &operator=(const FanotifyGuard &) = delete;

  // Journals the current assets, creates the fanotify groups and marks. Throws vg::Error.
  void start();
  // One line describing what is enforced and how.
  std::string summary() const;
  // Handles events until `stop` becomes true (checked at least every 200 ms).
  void run(const std::atomic<bool> &stop);
  // One-time allowance (`guard edit`): the process and its descendants write as a trusted writer
  // until revoked. Returns "" or why it was refused.
  std::string allow_editor(pid_t pid, bool allow);

private:
  struct File {
    std::string path;
    std::size_t rule;
    dev_t dev = 0;
    ino_t ino = 0;
    bool present = false;
  };
  struct Dir {
    std::string path;
    std::vector<std::size_t> rules;
    bool protect_names = false;
    std::set<std::string> known_names;
  };
  struct Pending {
    std::chrono::steady_clock::time_point due;
    pid_t tid = 0;
    std::set<std::string> vectors;
  };
  struct Trust {
    TrustVerdict verdict;
    std::optional<ProcessInfo> process;
    std::vector<ProcessInfo> parents;
    bool live = false; // the process was running when identified (it can be signalled)
  };

  struct ExecRecord {
    Clock::time_point when;
    ProcessInfo process;
    std::string sha256;
  };
  void perm_loop(const std::atomic<bool> &stop);
  void exec_loop(const std::atomic<bool> &stop);
  void notify_loop(const std::atomic<bool> &stop);
  void handle_perm(const ::fanotify_event_metadata *m);
  void handle_notify(const ::fanotify_event_metadata *m);
  // After an allowed read of a non-asset file in protected folder `dir`: exempts it (mu_ held).
  void exempt_neighbour(int fd, const struct stat &st, const Dir &dir, const std::string &path);
  bool may_exempt(const Dir &dir, const std::string &path) const;
  void reconcile(const std::string &path, const Pending &why);
  void reconcile_name(const std::string &dir, const std::string &name, const Pending &why);
  // fresh: judge the process now (a permission event); otherwise a verdict cached within 5 s
  // answers (a notification, which may arrive after the process exited).
  Trust identify(pid_t tid, bool fresh = false);
  bool is_own_thread(pid_t tid) const;
  void mark_file(File &f);
  void watch_dir(const std::string &dir);
  void add_file(const std::string &path, std::size_t rule);
  void deny_report(const Trust &who, const std::string &vector, const std::string &hook,
                   const File *file, const std::string &path, const std::string &event,
                   const std::string &decision, std::vector<std::string> changes = {},
                   const std::function<void()> &after_signal = {});

  const Policy &policy_;
  EventLog &log_;
  Journal journal_;
  ExecutableDigests digests_;
  TrustJudge judge_;
  int perm_fd_ = -1, notify_fd_ = -1, exec_fd_ = -1;
  bool pre_access_ = false;
  std::string pre_access_note_;
  pid_t self_ = 0;

  mutable std::mutex mu_;
  std::vector<File> files_;
  std::map<std::pair<dev_t, ino_t>, std::size_t> by_inode_;
  std::map<std::string, std::size_t> by_path_;
  std::map<std::string, Dir> dirs_;
  std::map<std::pair<dev_t, ino_t>, std::string> dir_by_inode_;
  std::map<std::string, std::string> handle_to_path_; // fanotify file handle bytes → path
  std::set<std::pair<dev_t, ino_t>> trusted_exes_;
  std::map<pid_t, std::pair<std::chrono::steady_clock::time_point, Trust>> trust_cache_; // by tid
  std::set<pid_t> tainted_;                                                              // tgids
  std::map<std::string, Pending> pending_; // notify thread only
  // Recent executions (by pid), so a program that renamed or unlinked an asset and exited at once
  // can still be named in the event.
  std::map<pid_t, ExecRecord> recent_execs_;
  std::atomic<bool> exec_busy_{false}; // the exec thread is handling events it has read
  std::set<pid_t> editors_;            // one-time allowances (tgids)
  IgnoreMarks ignore_marks_;           // judged neighbours exempt from permission events
};

} // namespace vg::guard
