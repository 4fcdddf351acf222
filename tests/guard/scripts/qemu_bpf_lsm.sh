#!/bin/bash
# Runs the BPF LSM attack matrix inside a stock Debian 12 kernel under QEMU (TCG): the host root is
# shared read-only over 9p (the guest uses the host's voxguard and tools), a work folder read-write.
# usage: qemu_bpf_lsm.sh VOXGUARD_BINARY [KERNEL_VERSION]   (default 6.1.0-56-amd64)
# Exit 77 = skipped (no qemu, no busybox, kernel package not obtainable); prints RESULT lines.
set -u
VG=$(readlink -f "$1"); KV=${2:-6.1.0-56-amd64}
VMDIR=${VMDIR:-/var/tmp/voxguard-vm}
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP qemu-system-x86_64 is not installed"; exit 77; }
[ -x /bin/busybox ] || { echo "SKIP busybox-static is not installed"; exit 77; }
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
cat > "$WORK/guest.sh" <<GUEST
VG=$VG
GUEST
cat >> "$WORK/guest.sh" <<'GUEST'
H=/tmp/h; C=$H/.baresip/contacts; mkdir -p $H/.baresip
printf '"Alice" <sip:2223344@127.0.0.1:5072>\n"Bank" <sip:1234567@127.0.0.1:5070>;access=allow\n' > $C
printf '"Alice" <sip:2223344@127.0.0.1:5072>\n"Bank" <sip:9876543@127.0.0.1:5071>;access=allow\n' > /tmp/t
cp $C /tmp/orig; cp /usr/bin/cp /tmp/softphone
cat > /tmp/policy.toml <<POL
[guard]
mode = "bpf-lsm"
journal = "/tmp/journal"
pid_file = "/tmp/guard.pid"
syslog = false
action = "deny"
[[asset]]
path = "$C"
format = "baresip-contacts"
owner = "baresip"
protect_directory = true
[[trusted]]
path = "/tmp/softphone"
sha256 = "$(sha256sum /tmp/softphone | cut -d' ' -f1)"
app = "baresip"
POL
T0=$(date +%s.%N)
$VG guard start --policy /tmp/policy.toml > /tmp/guard.out 2>&1 &
GP=$!
for i in $(seq 600); do grep -q enforcing /tmp/guard.out && break; kill -0 $GP 2>/dev/null || break; sleep 0.1; done
echo "RESULT banner $(head -1 /tmp/guard.out)"
echo "RESULT start-seconds $(echo "$(date +%s.%N) - $T0" | bc 2>/dev/null)"
if ! grep -q enforcing /tmp/guard.out; then
  tr -c '[:print:]\n' ' ' < /tmp/guard.out | tail -c 2500 | sed 's/^/RESULT log /'
  exit 1
fi
v() { bash -c "$2" >/dev/null 2>&1; rc=$?; if cmp -s $C /tmp/orig; then r=blocked; else r=CHANGED; cp /tmp/orig /tmp/o2; fi
      echo "RESULT vector $1 rc=$rc $r"; }
v append "echo evil >> $C"
v trunc-open "cat /tmp/t > $C"
v sed-i "sed -i s/1234567/9876543/ $C"
v cp-over "cp /tmp/t $C"
v truncate "truncate -s 0 $C"
v python-truncate "python3 -c \"import os; os.truncate('$C',0)\""
v mv-over "cp /tmp/t /tmp/t2 && mv /tmp/t2 $C"
v mv-away "mv $C /tmp/away"
v exchange "cp /tmp/t $H/x && python3 -c \"import ctypes; l=ctypes.CDLL(None,use_errno=True); r=l.renameat2(-100,b'$H/x',-100,b'$C',2); exit(0 if r==0 else 1)\""
v unlink "rm -f $C"
v chmod "chmod 666 $C"
v link "ln $C $H/.baresip/link"
v plant "echo x > $H/.baresip/planted"
v mmap "python3 -c \"import mmap,os; f=os.open('$C',os.O_RDWR); m=mmap.mmap(f,0); m[10:17]=b'9876543'\""
v procfd "exec 3<$C; echo evil > /proc/\$\$/fd/3"
[ -e $H/.baresip/planted ] && echo "RESULT planted-exists" 
/tmp/softphone /tmp/t $C; echo "RESULT trusted rc=$? $(cmp -s $C /tmp/t && echo wrote || echo refused)"
LD_PRELOAD=/tmp/evil.so true 2>/dev/null
cp /usr/lib/x86_64-linux-gnu/libz.so.1 /tmp/evil.so; chmod 666 /tmp/evil.so
cp /tmp/orig /tmp/o3; LD_PRELOAD=/tmp/evil.so /tmp/softphone /tmp/o3 $C 2>/dev/null; echo "RESULT preload rc=$? $(cmp -s $C /tmp/t && echo refused || echo wrote)"
sleep 0.5; kill $(cat /tmp/guard.pid); sleep 0.5
echo "RESULT events $(grep -c '"event":"denied"' /tmp/guard.out)"
grep '"event":"denied"' /tmp/guard.out | head -3 | cut -c1-300 | sed 's/^/RESULT sample /'
GUEST
timeout ${VMTIMEOUT:-400} qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m 2048 -smp 2 -nographic -no-reboot \
  -kernel "$ROOT/boot/vmlinuz-$KV" -initrd "$INITRD" \
  -append "console=ttyS0 rdinit=/init panic=-1 quiet vgwork=$WORK" \
  -fsdev local,id=r,path=/,security_model=none,readonly=on -device virtio-9p-pci,fsdev=r,mount_tag=hostroot \
  -fsdev local,id=w,path="$WORK",security_model=none -device virtio-9p-pci,fsdev=w,mount_tag=work 2>&1 |
  grep -E "^(GUEST|RESULT)|failed"
