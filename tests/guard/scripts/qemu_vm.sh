#!/bin/bash
# Boots a stock Debian 12 kernel under QEMU (TCG) and runs one bash script in the guest: the host
# root is shared read-only over 9p (the guest runs the host's voxguard and tools in a chroot of it),
# a work folder read-write; /tmp and /run are tmpfs; securityfs, bpffs and tracefs are mounted.
# Used by the BPF LSM tests (qemu_bpf_lsm.sh) and bench/guard_overhead_qemu.sh.
# usage: qemu_vm.sh KERNEL_VERSION GUEST_SCRIPT   (prints the guest's GUEST and RESULT lines)
# Exit 77 = skipped (no qemu, no busybox, kernel package not obtainable). VMTIMEOUT (s, default 400)
# bounds the run; VMDIR (default /var/tmp/voxguard-vm) caches the kernel and the initramfs.
set -u
KV=${1:?usage: qemu_vm.sh KERNEL_VERSION GUEST_SCRIPT}; GS=${2:?usage: qemu_vm.sh KERNEL_VERSION GUEST_SCRIPT}
[ -f "$GS" ] || { echo "guest script $GS: no such file"; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP qemu-system-x86_64 is not installed"; exit 77; }
[ -x /bin/busybox ] || { echo "SKIP busybox-static is not installed"; exit 77; }
VMDIR=${VMDIR:-/var/tmp/voxguard-vm}
mkdir -p "$VMDIR"
ROOT=$VMDIR/root-$KV
if [ ! -f "$ROOT/boot/vmlinuz-$KV" ]; then
  ( cd "$VMDIR" && apt-get download "linux-image-$KV" >/dev/null 2>&1 && dpkg -x linux-image-"$KV"_*.deb "$ROOT" ) ||
    { echo "SKIP kernel package linux-image-$KV not obtainable"; exit 77; }
fi
INITRD=$VMDIR/initrd-$KV-$(sha256sum "$0" | cut -c1-12).gz # rebuilt when this script changes
if [ ! -f "$INITRD" ]; then
  IR=$(mktemp -d); mkdir -p "$IR"/{bin,mods,proc,sys,dev,mnt}
  cp /bin/busybox "$IR/bin/busybox"
  M=$ROOT/lib/modules/$KV
  declare -A seen; order=()
  visit() { local m=${1//-/_}; [[ ${seen[$m]:-} ]] && return; seen[$m]=1
    local p; p=$(find "$M" -name "$m.ko*" | head -1); [[ -z $p ]] && p=$(find "$M" -name "${1//_/-}.ko*" | head -1)
    [[ -z $p ]] && return
    local out; out=$IR/mods/$(basename "${p%.xz}")
    case $p in *.xz) xz -dc "$p" > "$out" ;; *.zst) zstd -qdc "$p" > "$out" ;; *) cp "$p" "$out" ;; esac
    objcopy -O binary --only-section=.modinfo "$out" "$IR/modinfo" # (objcopy cannot write to a pipe)
    local d; d=$(tr '\0' '\n' < "$IR/modinfo" | sed -n 's/^depends=//p'); rm -f "$IR/modinfo"
    for x in ${d//,/ }; do visit "$x"; done; order+=("$(basename "$out")"); }
  for m in virtio_pci 9pnet_virtio 9p; do visit $m; done
  printf '%s\n' "${order[@]}" > "$IR/mods/order"
  cat > "$IR/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /mods/order); do insmod /mods/$m 2>/dev/null; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro hostroot /mnt || { echo "9p root failed"; poweroff -f; }
mount -t proc proc /mnt/proc; mount -t sysfs sys /mnt/sys; mount -t devtmpfs dev /mnt/dev
mount -t securityfs securityfs /mnt/sys/kernel/security; mount -t bpf bpf /mnt/sys/fs/bpf
W=$(sed -n 's/.*vgwork=\([^ ]*\).*/\1/p' /proc/cmdline)
mount -t 9p -o trans=virtio,version=9p2000.L,rw work /mnt$W || echo "work share failed"
mount -t tmpfs tmpfs /mnt/tmp; mount -t tmpfs tmpfs /mnt/run
echo "GUEST: kernel $(uname -r), lsm=$(cat /mnt/sys/kernel/security/lsm)"
chroot /mnt /bin/bash -c "PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root bash $W/guest.sh" 2>&1
sync; poweroff -f
INIT
  chmod +x "$IR/init"
  ( cd "$IR" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 > "$INITRD" )
  rm -rf "$IR"
fi
WORK=$(mktemp -d "$VMDIR/work-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp "$GS" "$WORK/guest.sh"
# The console goes to a file: when the guest never printed its GUEST line (QEMU refused to start,
# or the kernel died before init), that is the machine, not the test: the reason is printed and the
# VM booted once more (not after a timeout: VMTIMEOUT bounds the whole run).
boot() {
  timeout ${VMTIMEOUT:-400} qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m 2048 -smp 2 -nographic -no-reboot \
    -kernel "$ROOT/boot/vmlinuz-$KV" -initrd "$INITRD" \
    -append "console=ttyS0 rdinit=/init panic=-1 quiet vgwork=$WORK" \
    -fsdev local,id=r,path=/,security_model=none,readonly=on -device virtio-9p-pci,fsdev=r,mount_tag=hostroot \
    -fsdev local,id=w,path="$WORK",security_model=none -device virtio-9p-pci,fsdev=w,mount_tag=work \
    > "$WORK/console.log" 2>&1 < /dev/null
}
for try in 1 2; do
  boot; rc=$?
  grep -q "^GUEST" "$WORK/console.log" && break
  echo "VM boot $try: no guest output (qemu exit $rc); the console's last lines:"
  tail -n 15 "$WORK/console.log" | sed 's/^/  console: /'
  [ "$rc" = 124 ] && break
done
grep -aE "^(GUEST|RESULT)|failed" "$WORK/console.log"
