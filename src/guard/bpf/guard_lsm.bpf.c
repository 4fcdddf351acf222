// guard_lsm.bpf.c — the in-kernel guard: every tampering vector against a protected inode is
// decided here, before the change, for processes that are not trusted writers.
// Promise: protected objects are (dev, inode) keys in `protected_inodes` kept current by user
// space; a task becomes trusted when it execs an allow-listed executable (inode in `trusted_exes`,
// digest checked by user space when it fills the map) and loses the trust as soon as it maps code
// from a file that is not root-owned or is group/other-writable; trusted tasks cannot be ptraced
// (nor /proc/PID/mem, pidfd_getfd) by untrusted ones. Denials return -EPERM and are reported on
// `events`. A `guard edit` editor gets a one-time allowance: user space stores a grant number on
// the editor's task (`task_edit`, set through its pidfd), the editor's threads and children inherit
// it at task_alloc, and it counts only while the grant is in `edit_grants` (revoked: the whole
// family loses it at once; the storage dies with each task, so pid reuse inherits nothing).
// Protection follows the file without user space: when a trusted writer renames a file over a
// protected inode, the renamed inode is protected with the same flags, and a protected key is
// forgotten when its inode is freed with no name left (so a reused inode number is not protected by
// accident).
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "guard_maps.h"

char LICENSE[] SEC("license") = "GPL";

#define EPERM 1
#define FMODE_WRITE 0x2
#define O_TRUNC 00001000
#define MAY_WRITE 0x2
#define MAY_APPEND 0x8
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4
#define MAP_SHARED 0x01
#define MAP_SHARED_VALIDATE 0x03
#define VM_SHARED 0x00000008
#define ATTR_MODE (1 << 0)
#define ATTR_UID (1 << 1)
#define ATTR_GID (1 << 2)
#define ATTR_SIZE (1 << 3)
#define ATTR_MTIME (1 << 5)

struct vg_protected {
  __u32 flags; // VG_OBJ_*
  __u32 apps;  // bit mask of apps whose trusted writers may change it; 0 = any trusted writer
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);
  __type(key, struct vg_inode_key);
  __type(value, struct vg_protected);
} protected_inodes SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, struct vg_inode_key);
  __type(value, __u32); // apps mask this executable writes for (never 0)
} trusted_exes SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, __u32); // apps mask; 0 = not trusted
} task_trust SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, __u64); // grant number of a `guard edit` allowance (inherited by children)
} task_edit SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, __u64);   // grant number
  __type(value, __u32); // the editor's tgid (for user space)
} edit_grants SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct vg_config);
} vg_config_map SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 20);
} events SEC(".maps");

static __always_inline struct vg_inode_key key_of(struct inode *inode) {
  struct vg_inode_key k = {};
  k.dev = BPF_CORE_READ(inode, i_sb, s_dev);
  k.ino = BPF_CORE_READ(inode, i_ino);
  return k;
}

static __always_inline struct vg_protected *protected_of(struct inode *inode) {
  if (!inode)
    return 0;
  struct vg_inode_key k = key_of(inode);
  return bpf_map_lookup_elem(&protected_inodes, &k);
}

static __always_inline struct vg_config *cfg(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&vg_config_map, &zero);
}

static __always_inline __u32 trust_of(struct task_struct *task) {
  __u32 *t = bpf_task_storage_get(&task_trust, task, 0, 0);
  return t ? *t : 0;
}

// Whether the current task belongs to the running guard (same tgid and the same start time, so a
// process that reuses a dead guard's pid is not exempt while the programs stay pinned).
static __always_inline int is_guard(void) {
  struct vg_config *c = cfg();
  if (!c || !c->guard_tgid || (bpf_get_current_pid_tgid() >> 32) != c->guard_tgid)
    return 0;
  struct task_struct *t = bpf_get_current_task_btf();
  __u64 start = BPF_CORE_READ(t, group_leader, start_boottime);
  return start / 10000000ULL == c->guard_start_ticks; // USER_HZ = 100
}

// Whether `task` carries a `guard edit` grant that is still in force.
static __always_inline int editing(struct task_struct *task) {
  __u64 *grant = bpf_task_storage_get(&task_edit, task, 0, 0);
  return grant && bpf_map_lookup_elem(&edit_grants, grant) != 0;
}

// Whether the current task may change an object with protection `p`.
static __always_inline int may_change(struct vg_protected *p) {
  if (is_guard())
    return 1;
  struct task_struct *task = bpf_get_current_task_btf();
  if (editing(task))
    return 1;
  __u32 trust = trust_of(task);
  if (!trust)
    return 0;
  return p->apps == 0 || (trust & p->apps) != 0;
}

// Reports and returns the decision: -EPERM when enforcing, 0 in audit mode.
static __always_inline int deny(enum vg_hook hook, struct inode *inode, __u32 mask) {
  struct vg_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  struct vg_config *c = cfg();
  int enforce = c ? c->enforce : 1;
  if (e) {
    __u64 id = bpf_get_current_pid_tgid();
    e->time_ns = bpf_ktime_get_ns();
    if (inode) {
      struct vg_inode_key k = key_of(inode);
      e->dev = k.dev;
      e->ino = k.ino;
    } else {
      e->dev = 0;
      e->ino = 0;
    }
    e->pid = id >> 32;
    e->tid = (__u32)id;
    e->uid = (__u32)bpf_get_current_uid_gid();
    e->hook = hook;
    e->decision = enforce ? -EPERM : 0;
    e->mask = mask;
    bpf_get_current_comm(e->comm, sizeof(e->comm));
    bpf_ringbuf_submit(e, 0);
  }
  int ret = enforce ? -EPERM : 0;
  // clang 14 folds `cond ? -EPERM : 0` into arithmetic the 6.12 verifier rejects for LSM returns.
  asm volatile("" : "+r"(ret));
  return ret;
}

// Trust is given at exec (allow-listed executable) and taken at exec otherwise.
SEC("lsm/bprm_committed_creds")
void BPF_PROG(vg_bprm_committed_creds, struct linux_binprm *bprm) {
  struct vg_inode_key k = key_of(BPF_CORE_READ(bprm, file, f_inode));
  __u32 *apps = bpf_map_lookup_elem(&trusted_exes, &k);
  struct task_struct *task = bpf_get_current_task_btf();
  if (apps) {
    __u32 *t = bpf_task_storage_get(&task_trust, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
    if (t)
      *t = *apps;
  } else {
    bpf_task_storage_delete(&task_trust, task);
  }
}

// Threads and children of a `guard edit` editor share its allowance (as in the fanotify mode, where
// the editor's descendants are allowed too); trust of a trusted writer passes to its threads and
// forks (an exec of anything else takes it away again).
SEC("lsm/task_alloc")
int BPF_PROG(vg_task_alloc, struct task_struct *task, unsigned long clone_flags) {
  struct task_struct *cur = bpf_get_current_task_btf();
  __u64 *grant = bpf_task_storage_get(&task_edit, cur, 0, 0);
  if (grant && bpf_map_lookup_elem(&edit_grants, grant)) {
    __u64 g = *grant;
    __u64 *child = bpf_task_storage_get(&task_edit, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
    if (child)
      *child = g;
  }
  __u32 trust = trust_of(cur);
  if (trust) {
    __u32 *t = bpf_task_storage_get(&task_trust, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
    if (t)
      *t = trust;
  }
  return 0;
}

SEC("lsm/file_open")
int BPF_PROG(vg_file_open, struct file *file) {
  struct inode *inode = BPF_CORE_READ(file, f_inode);
  struct vg_protected *p = protected_of(inode);
  if (!p)
    return 0;
  unsigned int fmode = BPF_CORE_READ(file, f_mode);
  unsigned int flags = BPF_CORE_READ(file, f_flags);
  int write = (fmode & FMODE_WRITE) || (flags & O_TRUNC);
  if (!write && !(p->flags & VG_OBJ_SECRET))
    return 0;
  if (may_change(p))
    return 0;
  return deny(VG_HOOK_FILE_OPEN, inode, flags);
}

SEC("lsm/file_permission")
int BPF_PROG(vg_file_permission, struct file *file, int mask) {
  if (!(mask & (MAY_WRITE | MAY_APPEND)))
    return 0;
  struct inode *inode = BPF_CORE_READ(file, f_inode);
  struct vg_protected *p = protected_of(inode);
  if (!p || may_change(p))
    return 0;
  return deny(VG_HOOK_FILE_PERMISSION, inode, mask);
}

SEC("lsm/mmap_file")
int BPF_PROG(vg_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
             unsigned long flags) {
  if (!file)
    return 0;
  struct inode *inode = BPF_CORE_READ(file, f_inode);
  if (prot & PROT_EXEC) {
    // A trusted task that maps code from a user-writable or non-root file loses its trust.
    unsigned int uid = BPF_CORE_READ(inode, i_uid.val);
    unsigned short mode = BPF_CORE_READ(inode, i_mode);
    if (uid != 0 || (mode & 0022)) {
      struct task_struct *task = bpf_get_current_task_btf();
      if (trust_of(task)) {
        bpf_task_storage_delete(&task_trust, task);
        deny(VG_HOOK_TRUST_DROPPED, inode, 0);
      }
    }
  }
  if (!(prot & PROT_WRITE) ||
      !((flags & 0x0f) == MAP_SHARED || (flags & 0x0f) == MAP_SHARED_VALIDATE))
    return 0;
  struct vg_protected *p = protected_of(inode);
  if (!p || may_change(p))
    return 0;
  return deny(VG_HOOK_MMAP_FILE, inode, (__u32)prot);
}

SEC("lsm/file_mprotect")
int BPF_PROG(vg_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
             unsigned long prot) {
  if (!(prot & PROT_WRITE) || !(BPF_CORE_READ(vma, vm_flags) & VM_SHARED))
    return 0;
  struct file *file = BPF_CORE_READ(vma, vm_file);
  if (!file)
    return 0;
  struct inode *inode = BPF_CORE_READ(file, f_inode);
  struct vg_protected *p = protected_of(inode);
  if (!p || may_change(p))
    return 0;
  return deny(VG_HOOK_FILE_MPROTECT, inode, (__u32)prot);
}

SEC("lsm/path_truncate")
int BPF_PROG(vg_path_truncate, const struct path *path) {
  struct inode *inode = BPF_CORE_READ(path, dentry, d_inode);
  struct vg_protected *p = protected_of(inode);
  if (!p || may_change(p))
    return 0;
  return deny(VG_HOOK_PATH_TRUNCATE, inode, 0);
}

// Linux 6.2+ (ftruncate no longer goes through path_truncate); not loaded where BTF lacks it.
SEC("lsm/file_truncate")
int BPF_PROG(vg_file_truncate, struct file *file) {
  struct inode *inode = BPF_CORE_READ(file, f_inode);
  struct vg_protected *p = protected_of(inode);
  if (!p || may_change(p))
    return 0;
  return deny(VG_HOOK_FILE_TRUNCATE, inode, 0);
}

static __always_inline int setattr(struct dentry *dentry, struct iattr *attr) {
  struct inode *inode = BPF_CORE_READ(dentry, d_inode);
  struct vg_protected *p = protected_of(inode);
  if (!p || may_change(p))
    return 0;
  unsigned int valid = BPF_CORE_READ(attr, ia_valid);
  if (!(valid & (ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_SIZE | ATTR_MTIME)))
    return 0;
  return deny(VG_HOOK_INODE_SETATTR, inode, valid);
}

// inode_setattr gained an idmap argument (6.3+); user space loads the variant BTF says matches.
SEC("lsm/inode_setattr")
int BPF_PROG(vg_inode_setattr_2, struct dentry *dentry, struct iattr *attr) {
  return setattr(dentry, attr);
}

SEC("lsm/inode_setattr")
int BPF_PROG(vg_inode_setattr_3, void *idmap, struct dentry *dentry, struct iattr *attr) {
  return setattr(dentry, attr);
}

static __always_inline int name_change(enum vg_hook hook, struct inode *dir, struct dentry *d) {
  struct inode *inode = d ? BPF_CORE_READ(d, d_inode) : 0;
  struct vg_protected *p = protected_of(inode);
  if (p && !may_change(p))
    return deny(hook, inode, 0);
  // (A branch, not `pd = cond ? pd : 0`: clang turns that into a mask on the pointer, which the
  // verifier rejects.)
  struct vg_protected *pd = protected_of(dir);
  if (!pd)
    return 0;
  __u32 dflags = pd->flags;
  if (!(dflags & VG_OBJ_DIR))
    return 0;
  if (!may_change(pd))
    return deny(hook, dir, 0);
  return 0;
}

SEC("lsm/inode_unlink")
int BPF_PROG(vg_inode_unlink, struct inode *dir, struct dentry *dentry) {
  return name_change(VG_HOOK_INODE_UNLINK, dir, dentry);
}

SEC("lsm/inode_rename")
int BPF_PROG(vg_inode_rename, struct inode *old_dir, struct dentry *old_dentry,
             struct inode *new_dir, struct dentry *new_dentry, unsigned int flags) {
  int r = name_change(VG_HOOK_INODE_RENAME, old_dir, old_dentry);
  if (r)
    return r;
  r = name_change(VG_HOOK_INODE_RENAME, new_dir, new_dentry); // over an asset, or exchange
  if (r)
    return r;
  // Allowed (a trusted writer, an editor, the guard): if the name it replaces is a protected file,
  // the file taking its place is protected from now on, by the kernel, whether the user-space
  // guard is alive or not. The replaced inode keeps its entry until it is freed (vg_inode_free).
  struct inode *target = BPF_CORE_READ(new_dentry, d_inode);
  struct vg_protected *p = protected_of(target);
  if (!p)
    return 0;
  struct vg_protected v = *p;
  if (!(v.flags & VG_OBJ_ASSET))
    return 0;
  struct inode *source = BPF_CORE_READ(old_dentry, d_inode);
  if (!source)
    return 0;
  struct vg_inode_key k = key_of(source);
  bpf_map_update_elem(&protected_inodes, &k, &v, BPF_NOEXIST);
  return 0;
}

// A protected inode that is freed with no name left (replaced by a rename, unlinked by its owner)
// leaves the map: its number may be given to an unrelated new file. An inode merely evicted from
// the cache still has its links and keeps its protection.
SEC("lsm/inode_free_security")
void BPF_PROG(vg_inode_free, struct inode *inode) {
  if (BPF_CORE_READ(inode, __i_nlink) != 0)
    return;
  struct vg_inode_key k = key_of(inode);
  struct vg_protected *p = bpf_map_lookup_elem(&protected_inodes, &k);
  if (p && (p->flags & VG_OBJ_ASSET))
    bpf_map_delete_elem(&protected_inodes, &k);
}

SEC("lsm/inode_link")
int BPF_PROG(vg_inode_link, struct dentry *old_dentry, struct inode *dir,
             struct dentry *new_dentry) {
  int r = name_change(VG_HOOK_INODE_LINK, 0, old_dentry);
  if (r)
    return r;
  return name_change(VG_HOOK_INODE_LINK, dir, 0);
}

SEC("lsm/inode_create")
int BPF_PROG(vg_inode_create, struct inode *dir, struct dentry *dentry, unsigned short mode) {
  return name_change(VG_HOOK_INODE_CREATE, dir, 0);
}

// Other new names in a protected folder: symlinks, folders, device nodes and fifos.
SEC("lsm/inode_symlink")
int BPF_PROG(vg_inode_symlink, struct inode *dir, struct dentry *dentry, const char *old_name) {
  return name_change(VG_HOOK_INODE_CREATE, dir, 0);
}

SEC("lsm/inode_mkdir")
int BPF_PROG(vg_inode_mkdir, struct inode *dir, struct dentry *dentry, unsigned short mode) {
  return name_change(VG_HOOK_INODE_CREATE, dir, 0);
}

SEC("lsm/inode_mknod")
int BPF_PROG(vg_inode_mknod, struct inode *dir, struct dentry *dentry, unsigned short mode,
             unsigned int dev) {
  return name_change(VG_HOOK_INODE_CREATE, dir, 0);
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(vg_ptrace_access_check, struct task_struct *child, unsigned int mode) {
  if (!trust_of(child) || trust_of(bpf_get_current_task_btf()))
    return 0;
  if (is_guard())
    return 0;
  return deny(VG_HOOK_PTRACE, 0, mode);
}
