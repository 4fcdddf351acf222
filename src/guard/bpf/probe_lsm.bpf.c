// probe_lsm.bpf.c — the smallest BPF LSM program: allows every file open.
// Promise: if this loads and attaches, the kernel accepts BPF LSM programs (trampolines usable,
// "bpf" active in the LSM list); `voxguard guard doctor` and mode "auto" decide on this, not on
// /sys/kernel/security/lsm.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("lsm/file_open")
int BPF_PROG(vg_probe_file_open, struct file *file) {
  return 0;
}
