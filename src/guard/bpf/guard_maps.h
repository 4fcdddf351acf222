/* guard_maps.h — what the BPF LSM guard and its user-space loader share: map keys, flags, events.
 * Promise: plain C types only (included by guard_lsm.bpf.c and by C++); layouts are fixed-size and
 * identical on both sides. */
#ifndef VOXGUARD_GUARD_MAPS_H
#define VOXGUARD_GUARD_MAPS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* An object is named by (device, inode); dev = (major << 20) | minor, as the kernel's s_dev. */
struct vg_inode_key {
  __u64 dev;
  __u64 ino;
};

/* Flags of a protected object (protected_inodes map value). */
#define VG_OBJ_ASSET 1u       /* content, name and attributes protected */
#define VG_OBJ_SECRET 2u      /* reads by untrusted tasks denied too */
#define VG_OBJ_DIR 4u         /* a protected folder: no names created, removed or renamed in it */
#define VG_OBJ_TRUSTED_EXE 8u /* an allow-listed executable: a task exec'ing it becomes trusted */
#define VG_OBJ_CODE_OK 16u    /* a file a trusted task may map as code (libraries, the loader) */

/* Hooks, reported in events. */
enum vg_hook {
  VG_HOOK_FILE_OPEN = 1,
  VG_HOOK_FILE_PERMISSION,
  VG_HOOK_MMAP_FILE,
  VG_HOOK_FILE_MPROTECT,
  VG_HOOK_FILE_TRUNCATE,
  VG_HOOK_PATH_TRUNCATE,
  VG_HOOK_INODE_SETATTR,
  VG_HOOK_INODE_UNLINK,
  VG_HOOK_INODE_RENAME,
  VG_HOOK_INODE_LINK,
  VG_HOOK_INODE_CREATE,
  VG_HOOK_PTRACE,
  VG_HOOK_TRUST_DROPPED,
};

struct vg_event {
  __u64 time_ns;
  __u64 dev;
  __u64 ino;
  __u32 pid; /* thread group id */
  __u32 tid;
  __u32 uid;
  __u32 hook;
  __s32 decision; /* 0 allowed (audit), -EPERM denied */
  __u32 mask;     /* MAY_* for permission hooks, flags for others */
  char comm[16];
};

/* Global switches (config map, index 0). */
struct vg_config {
  __u32 enforce;           /* 0 = audit only */
  __u32 guard_tgid;        /* the user-space guard itself ... */
  __u64 guard_start_ticks; /* ... and its start time (/proc/PID/stat field 22, 1/100 s): the
                              programs stay pinned after the guard dies, and a new process that
                              gets its pid must not inherit the exemption */
};

#endif
