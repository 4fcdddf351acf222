#include "guard/bpf_lsm_guard.hpp"

#include "common/error.hpp"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <unistd.h>

#if VOXGUARD_HAVE_BPF
#include "common/digest.hpp"
#include "common/mapped_file.hpp"
#include "guard/assets/asset_format.hpp"
#include "guard/bpf/guard_maps.h"
#include "guard/process_info.hpp"
#include "guard/response.hpp"
#include "guard/trust.hpp"
#include "guard_lsm.skel.h"

#include <bpf/btf.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <dirent.h>
#include <glob.h>
#include <linux/magic.h>
#include <map>
#include <mutex>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <thread>
#include <unistd.h>
#endif

namespace vg::guard {

#if VOXGUARD_HAVE_BPF

namespace {
struct Protected {
  __u32 flags;
  __u32 apps;
};

vg_inode_key key_of(const struct stat &st) {
  vg_inode_key k{};
  k.dev = (static_cast<__u64>(major(st.st_dev)) << 20) | minor(st.st_dev);
  k.ino = st.st_ino;
  return k;
}

const char *hook_name(__u32 h) {
  switch (h) {
  case VG_HOOK_FILE_OPEN:
    return "lsm:file_open";
  case VG_HOOK_FILE_PERMISSION:
    return "lsm:file_permission";
  case VG_HOOK_MMAP_FILE:
    return "lsm:mmap_file";
  case VG_HOOK_FILE_MPROTECT:
    return "lsm:file_mprotect";
  case VG_HOOK_FILE_TRUNCATE:
    return "lsm:file_truncate";
  case VG_HOOK_PATH_TRUNCATE:
    return "lsm:path_truncate";
  case VG_HOOK_INODE_SETATTR:
    return "lsm:inode_setattr";
  case VG_HOOK_INODE_UNLINK:
    return "lsm:inode_unlink";
  case VG_HOOK_INODE_RENAME:
    return "lsm:inode_rename";
  case VG_HOOK_INODE_LINK:
    return "lsm:inode_link";
  case VG_HOOK_INODE_CREATE:
    return "lsm:inode_create";
  case VG_HOOK_PTRACE:
    return "lsm:ptrace_access_check";
  case VG_HOOK_TRUST_DROPPED:
    return "lsm:mmap_file (trust dropped)";
  }
  return "lsm:?";
}

const char *vector_name(__u32 h) {
  switch (h) {
  case VG_HOOK_FILE_OPEN:
    return "open for write (or read of a secret)";
  case VG_HOOK_FILE_PERMISSION:
    return "write through a descriptor";
  case VG_HOOK_MMAP_FILE:
    return "writable shared mmap";
  case VG_HOOK_FILE_MPROTECT:
    return "mprotect to writable shared";
  case VG_HOOK_FILE_TRUNCATE:
    return "ftruncate";
  case VG_HOOK_PATH_TRUNCATE:
    return "truncate";
  case VG_HOOK_INODE_SETATTR:
    return "chmod/chown/utimes/truncate";
  case VG_HOOK_INODE_UNLINK:
    return "unlink";
  case VG_HOOK_INODE_RENAME:
    return "rename";
  case VG_HOOK_INODE_LINK:
    return "hard link";
  case VG_HOOK_INODE_CREATE:
    return "new file in a protected folder";
  case VG_HOOK_PTRACE:
    return "ptrace / process memory of a trusted writer";
  case VG_HOOK_TRUST_DROPPED:
    return "trusted writer mapped untrusted code";
  }
  return "?";
}

// Number of parameters of a kernel function, from the running kernel's BTF (-1: not there).
int btf_param_count(const char *func) {
  struct btf *btf = btf__load_vmlinux_btf();
  if (!btf)
    return -1;
  int id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
  int n = -1;
  if (id > 0) {
    const struct btf_type *f = btf__type_by_id(btf, id);
    const struct btf_type *proto = btf__type_by_id(btf, f->type);
    n = proto ? btf_vlen(proto) : -1;
  }
  btf__free(btf);
  return n;
}
} // namespace

struct BpfLsmGuard::State {
  guard_lsm *skel = nullptr;
  ring_buffer *rb = nullptr;
  struct File {
    std::string path;
    std::size_t rule;
    vg_inode_key key{};
    bool present = false;
  };
  std::vector<File> files;
  std::map<std::string, __u32> app_bits;
  std::map<std::pair<__u64, __u64>, std::string> names; // key → path, for events
  std::size_t trusted_exes = 0, seeded = 0;
  std::string setattr_variant, truncate_note, pin_note;
  BpfLsmGuard *owner = nullptr;
  // `guard edit` allowances: editor tgid → its grant and start time (control thread and run()
  // share them). An ended allowance (revoked, or the editor gone) stays listed, no longer in the
  // kernel, until run() has scanned the files once more, so what the editor saved is journaled
  // and reported as its edit however late the scan comes.
  struct Edit {
    __u64 grant = 0;
    std::uint64_t start_time = 0;
    bool ended = false;
  };
  std::mutex edit_mu;
  std::map<pid_t, Edit> edits;
  __u64 next_grant = 0;
  ~State() {
    if (rb)
      ring_buffer__free(rb);
    if (skel)
      guard_lsm__destroy(skel);
  }
};

#endif

BpfLsmGuard::BpfLsmGuard(const Policy &policy, EventLog &log, std::string pin_dir)
    : policy_(policy), log_(log), journal_(policy.journal, policy.journal_versions),
      pin_dir_(std::move(pin_dir)) {}

std::vector<std::string> BpfLsmGuard::pins(const std::string &pin_dir) {
  std::vector<std::string> out;
  if (DIR *d = opendir(pin_dir.c_str())) {
    while (auto *e = readdir(d))
      if (e->d_name[0] != '.')
        out.push_back(pin_dir + "/" + e->d_name);
    closedir(d);
  }
  return out;
}

std::string BpfLsmGuard::remove_pins(const std::string &pin_dir) {
  auto all = pins(pin_dir);
  std::string err;
  for (const auto &p : all)
    if (unlink(p.c_str()) != 0)
      err += (err.empty() ? "" : "; ") + p + ": " + std::strerror(errno);
  if (!all.empty() || access(pin_dir.c_str(), F_OK) == 0)
    rmdir(pin_dir.c_str());
  return err;
}

BpfLsmGuard::~BpfLsmGuard() = default;

#if VOXGUARD_HAVE_BPF

namespace {
__u32 apps_mask(std::map<std::string, __u32> &bits, const std::string &app) {
  if (app.empty())
    return 0;
  auto [it, inserted] = bits.emplace(app, 0);
  if (inserted)
    it->second = bits.size() <= 32 ? 1u << (bits.size() - 1) : 0xffffffffu;
  return it->second;
}
} // namespace

void BpfLsmGuard::start() {
  state_ = std::make_unique<State>();
  State &s = *state_;
  s.owner = this;
  // What is protected (globs matched now), and the journal's baseline.
  for (std::size_t i = 0; i < policy_.assets.size(); ++i) {
    const auto &rule = policy_.assets[i];
    std::vector<std::string> paths;
    if (rule.path.find_first_of("*?[") != std::string::npos) {
      glob_t g{};
      if (glob(rule.path.c_str(), 0, nullptr, &g) == 0)
        for (std::size_t k = 0; k < g.gl_pathc; ++k)
          paths.emplace_back(g.gl_pathv[k]);
      globfree(&g);
    } else {
      paths.push_back(rule.path);
    }
    for (const auto &p : paths)
      s.files.push_back({p, i, {}, false});
  }
  s.skel = guard_lsm__open();
  if (!s.skel)
    throw Error("bpf-lsm", std::string("cannot open the BPF program: ") + std::strerror(errno));
  int setattr_params = btf_param_count("bpf_lsm_inode_setattr");
  bool three = setattr_params == 3;
  bpf_program__set_autoload(s.skel->progs.vg_inode_setattr_2, !three);
  bpf_program__set_autoload(s.skel->progs.vg_inode_setattr_3, three);
  s.setattr_variant = three ? "inode_setattr(idmap, dentry, attr)" : "inode_setattr(dentry, attr)";
  if (btf_param_count("bpf_lsm_file_truncate") < 0) {
    bpf_program__set_autoload(s.skel->progs.vg_file_truncate, false);
    s.truncate_note = "file_truncate absent (ftruncate checked by path_truncate)";
  }
  if (int err = guard_lsm__load(s.skel))
    throw Error("bpf-lsm",
                std::string("the kernel refused the guard program: ") + std::strerror(-err));
  vg_config c{};
  c.enforce = policy_.action == Action::audit ? 0 : 1;
  c.guard_tgid = static_cast<__u32>(getpid());
  if (auto self = read_process(getpid()))
    c.guard_start_ticks = self->start_time;
  __u32 zero = 0;
  bpf_map__update_elem(s.skel->maps.vg_config_map, &zero, sizeof zero, &c, sizeof c, BPF_ANY);
  for (auto &f : s.files) {
    struct stat st {};
    if (lstat(f.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    const auto &rule = policy_.assets[f.rule];
    f.key = key_of(st);
    f.present = true;
    Protected v{VG_OBJ_ASSET | (rule.secret ? VG_OBJ_SECRET : 0u),
                apps_mask(s.app_bits, rule.owner)};
    bpf_map__update_elem(s.skel->maps.protected_inodes, &f.key, sizeof f.key, &v, sizeof v,
                         BPF_ANY);
    s.names[{f.key.dev, f.key.ino}] = f.path;
    try {
      MappedFile m = MappedFile::open(f.path);
      journal_.record(f.path, m.bytes(), FileMeta::from_stat(st), "initial");
    } catch (const Error &) {
    }
    if (rule.protect_directory) {
      std::string dir = f.path.substr(0, f.path.rfind('/'));
      struct stat dst {};
      if (stat(dir.c_str(), &dst) == 0) {
        vg_inode_key dk = key_of(dst);
        Protected dv{VG_OBJ_DIR, apps_mask(s.app_bits, rule.owner)};
        bpf_map__update_elem(s.skel->maps.protected_inodes, &dk, sizeof dk, &dv, sizeof dv,
                             BPF_ANY);
        s.names[{dk.dev, dk.ino}] = dir;
      }
    }
  }
  // Trusted executables: only the ones whose content matches the policy's digest.
  for (const auto &w : policy_.trusted) {
    struct stat st {};
    if (stat(w.path.c_str(), &st) != 0)
      continue;
    auto digest = digests_.of_path(w.path);
    if (!digest || *digest != w.sha256) {
      log_.emit(GuardEvent{.event = "trusted-mismatch",
                           .decision = "none",
                           .path = w.path,
                           .detail = "SHA-256 differs from the policy: not trusted"});
      continue;
    }
    vg_inode_key k = key_of(st);
    __u32 apps = w.app.empty() ? 0xffffffffu : apps_mask(s.app_bits, w.app);
    bpf_map__update_elem(s.skel->maps.trusted_exes, &k, sizeof k, &apps, sizeof apps, BPF_ANY);
    ++s.trusted_exes;
    // Already running: trusted now if it passes the same checks as at exec (via its pidfd).
    if (DIR *d = opendir("/proc")) {
      while (auto *e = readdir(d)) {
        pid_t pid = static_cast<pid_t>(std::strtol(e->d_name, nullptr, 10));
        if (pid <= 0)
          continue;
        auto p = read_process(pid);
        if (!p || p->exe != w.path || !untrusted_code_mapping(pid).empty())
          continue;
        int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
        if (pidfd < 0)
          continue;
        if (bpf_map__update_elem(s.skel->maps.task_trust, &pidfd, sizeof pidfd, &apps, sizeof apps,
                                 BPF_ANY) == 0)
          ++s.seeded;
        close(pidfd);
      }
      closedir(d);
    }
  }
  s.rb = ring_buffer__new(
      bpf_map__fd(s.skel->maps.events),
      [](void *ctx, void *data, size_t size) -> int {
        if (size < sizeof(vg_event))
          return 0;
        auto *st = static_cast<State *>(ctx);
        const auto *ev = static_cast<const vg_event *>(data);
        GuardEvent e;
        e.event = ev->decision ? "denied" : "audit";
        e.decision = ev->decision ? "deny" : "audit";
        e.hook = hook_name(ev->hook);
        e.vector = vector_name(ev->hook);
        if (auto it = st->names.find({ev->dev, ev->ino}); it != st->names.end())
          e.path = e.asset = it->second;
        e.process = read_process(static_cast<pid_t>(ev->pid));
        if (!e.process) {
          ProcessInfo gone;
          gone.pid = static_cast<pid_t>(ev->pid);
          gone.uid = ev->uid;
          gone.comm = std::string(ev->comm, strnlen(ev->comm, sizeof ev->comm));
          e.process = gone;
        } else {
          e.parents = parent_chain(e.process->ppid);
          if (auto d = st->owner->digests_.of_path("/proc/" + std::to_string(ev->pid) + "/exe"))
            e.exe_sha256 = *d;
        }
        e.action = "none";
        if (ev->decision && ev->hook != VG_HOOK_TRUST_DROPPED)
          e.action = signal_offender(st->owner->policy_.action, static_cast<pid_t>(ev->pid));
        st->owner->log_.emit(e);
        return 0;
      },
      &s, nullptr);
  if (!s.rb)
    throw Error("bpf-lsm", "cannot create the event ring buffer");
  if (int err = guard_lsm__attach(s.skel))
    throw Error("bpf-lsm", std::string("the kernel refused to attach the guard program: ") +
                               std::strerror(-err));
  pin();
}

// Fail closed: every attached link is pinned in bpffs, so the programs stay attached (and keep
// denying) when this process dies, until `guard stop` removes the pins. A previous guard's pins
// are removed only once this guard's own programs are attached and pinned.
void BpfLsmGuard::pin() {
  State &s = *state_;
  struct statfs fs {};
  if (statfs(kBpfFsRoot, &fs) != 0 || fs.f_type != BPF_FS_MAGIC) {
    s.pin_note = std::string("not pinned: ") + kBpfFsRoot +
                 " is not a BPF filesystem (enforcement ends with this process)";
    return;
  }
  mkdir(pin_dir_.c_str(), 0700);
  std::vector<std::string> old = pins(pin_dir_);
  const bpf_object_skeleton *sk = s.skel->skeleton;
  std::string prefix = pin_dir_ + "/" + std::to_string(getpid()) + "-";
  std::size_t pinned = 0;
  for (int i = 0; i < sk->prog_cnt; ++i) {
    bpf_link *link = *sk->progs[i].link;
    if (!link)
      continue;
    if (int err = bpf_link__pin(link, (prefix + sk->progs[i].name).c_str()))
      throw Error(prefix + sk->progs[i].name,
                  std::string("cannot pin the guard program: ") + std::strerror(-err));
    ++pinned;
  }
  for (const auto &o : old)
    unlink(o.c_str());
  s.pin_note =
      "pinned in " + pin_dir_ + " (" + std::to_string(pinned) +
      " programs stay attached if the guard dies, until `guard stop`)" +
      (old.empty() ? "" : "; a previous guard's " + std::to_string(old.size()) + " pins replaced");
}

std::string BpfLsmGuard::summary() const {
  std::size_t present = 0;
  for (const auto &f : state_->files)
    present += f.present ? 1 : 0;
  return "voxguard guard: enforcing (mode bpf-lsm) on " + std::to_string(present) + " files, " +
         std::to_string(state_->trusted_exes) + " trusted executables (" +
         std::to_string(state_->seeded) + " running trusted processes); " +
         state_->setattr_variant +
         (state_->truncate_note.empty() ? "" : "; " + state_->truncate_note) + "; " +
         state_->pin_note;
}

void BpfLsmGuard::run(const std::atomic<bool> &stop) {
  State &s = *state_;
  auto next_scan = std::chrono::steady_clock::now();
  while (!stop) {
    ring_buffer__poll(s.rb, 100);
    if (std::chrono::steady_clock::now() < next_scan)
      continue;
    next_scan = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    // Editors that are gone (`guard edit` killed before it could revoke): their grant ends, so
    // nothing they left running keeps it. Allowances that ended before this scan are dropped
    // after it.
    std::string editor;
    std::vector<pid_t> ended;
    {
      std::lock_guard lock(s.edit_mu);
      for (auto &[pid, edit] : s.edits) {
        auto p = read_process(pid);
        if (!edit.ended && (!p || p->start_time != edit.start_time)) {
          bpf_map__delete_elem(s.skel->maps.edit_grants, &edit.grant, sizeof(__u64), 0);
          edit.ended = true;
        }
        if (edit.ended)
          ended.push_back(pid);
        editor += (editor.empty() ? "" : ", ") + std::to_string(pid);
      }
    }
    // New files that a glob names (a trusted Jami adds a contact profile): protected from now on.
    for (std::size_t i = 0; i < policy_.assets.size(); ++i) {
      const auto &rule = policy_.assets[i];
      if (rule.path.find_first_of("*?[") == std::string::npos)
        continue;
      glob_t g{};
      if (glob(rule.path.c_str(), 0, nullptr, &g) == 0)
        for (std::size_t k = 0; k < g.gl_pathc; ++k) {
          std::string p = g.gl_pathv[k];
          bool known = false;
          for (const auto &f : s.files)
            known = known || f.path == p;
          if (!known)
            s.files.push_back({p, i, {}, false});
        }
      globfree(&g);
    }
    // Owners replace files (temp + rename): keep the map on the current inode, journal the change.
    for (auto &f : s.files) {
      struct stat st {};
      if (lstat(f.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        continue;
      vg_inode_key k = key_of(st);
      const auto &rule = policy_.assets[f.rule];
      bool moved = !f.present || k.dev != f.key.dev || k.ino != f.key.ino;
      auto good = journal_.last_good(f.path);
      std::vector<std::uint8_t> bytes;
      try {
        MappedFile m = MappedFile::open(f.path);
        bytes.assign(m.bytes().begin(), m.bytes().end());
      } catch (const Error &) {
        continue;
      }
      std::string digest = digest_bytes(bytes, hash_bit(HashAlgo::sha256)).sha256->hex();
      if (good && good->sha256 != digest) {
        auto before = journal_.content(*good);
        std::string detail =
            editor.empty() ? "" : "one-time allowance (voxguard guard edit), editor pid " + editor;
        if (policy_.alert_on_number_change && changes_a_number(rule.format, f.path, before, bytes))
          detail += (detail.empty() ? "" : "; ") + std::string(kNumberChangeAlert);
        GuardEvent e{.event = "changed",
                     .decision = "accept",
                     .hook = editor.empty() ? "lsm:trusted-writer" : "lsm:guard-edit",
                     .asset = rule.path,
                     .path = f.path,
                     .changes = describe_change(rule.format, f.path, before, bytes),
                     .detail = detail};
        journal_.record(f.path, bytes, FileMeta::from_stat(st),
                        editor.empty() ? "trusted writer" : "guard edit");
        log_.emit(e);
      } else if (!good) {
        journal_.record(f.path, bytes, FileMeta::from_stat(st), "trusted writer (new file)");
      }
      if (moved) {
        if (f.present)
          bpf_map__delete_elem(s.skel->maps.protected_inodes, &f.key, sizeof f.key, 0);
        Protected v{VG_OBJ_ASSET | (rule.secret ? VG_OBJ_SECRET : 0u),
                    apps_mask(s.app_bits, rule.owner)};
        bpf_map__update_elem(s.skel->maps.protected_inodes, &k, sizeof k, &v, sizeof v, BPF_ANY);
        s.names[{k.dev, k.ino}] = f.path;
        f.key = k;
        f.present = true;
      }
    }
    std::lock_guard lock(s.edit_mu);
    for (pid_t pid : ended)
      if (auto it = s.edits.find(pid); it != s.edits.end() && it->second.ended)
        s.edits.erase(it);
  }
}

std::string BpfLsmGuard::allow_editor(pid_t pid, bool allow) {
  State &s = *state_;
  std::lock_guard lock(s.edit_mu);
  if (!allow) {
    auto it = s.edits.find(pid);
    if (it == s.edits.end() || it->second.ended)
      return "no allowance for pid " + std::to_string(pid);
    // Ending the grant ends it for every task that inherited it; the storage dies with the tasks.
    bpf_map__delete_elem(s.skel->maps.edit_grants, &it->second.grant, sizeof(__u64), 0);
    it->second.ended = true;
    return "";
  }
  auto p = read_process(pid);
  if (!p)
    return "process " + std::to_string(pid) + " is gone";
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0)
    return "pidfd_open(" + std::to_string(pid) + "): " + std::strerror(errno);
  if (auto it = s.edits.find(pid); it != s.edits.end() && !it->second.ended)
    bpf_map__delete_elem(s.skel->maps.edit_grants, &it->second.grant, sizeof(__u64), 0);
  __u64 grant = ++s.next_grant;
  __u32 tgid = static_cast<__u32>(pid);
  std::string err;
  if (bpf_map__update_elem(s.skel->maps.edit_grants, &grant, sizeof grant, &tgid, sizeof tgid,
                           BPF_NOEXIST) != 0)
    err = std::string("cannot record the grant: ") + std::strerror(errno);
  else if (bpf_map__update_elem(s.skel->maps.task_edit, &pidfd, sizeof pidfd, &grant, sizeof grant,
                                BPF_ANY) != 0) {
    err = std::string("cannot mark the editor: ") + std::strerror(errno);
    bpf_map__delete_elem(s.skel->maps.edit_grants, &grant, sizeof grant, 0);
  }
  close(pidfd);
  if (err.empty())
    s.edits[pid] = {grant, p->start_time};
  return err;
}

#else

std::string BpfLsmGuard::allow_editor(pid_t, bool) {
  return "this voxguard was built without the BPF sensor";
}
void BpfLsmGuard::pin() {}
void BpfLsmGuard::start() {
  throw Error("bpf-lsm", "this voxguard was built without the BPF sensor");
}
std::string BpfLsmGuard::summary() const {
  return "BPF LSM unavailable";
}
void BpfLsmGuard::run(const std::atomic<bool> &) {}

#endif

} // namespace vg::guard
