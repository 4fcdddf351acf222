#!/bin/bash
# Runs the BPF LSM attack matrix inside a stock Debian 12 kernel under QEMU (TCG): the host root is
# shared read-only over 9p (the guest uses the host's voxguard and tools), a work folder read-write.
# Assets: a baresip contacts file, a Linphone friends.db (SQLite) and a Jami profiles folder; then
# `guard edit` (a script as $EDITOR changes the contact while an attacker running at the same time is
# denied), fail-closed (the guard is killed: the pinned programs keep denying until `guard stop`, and
# a trusted writer's temp + rename moves the protection to the new inode in the kernel), then the
# fanotify mode's ptrace fallback (Yama ptrace_scope raised while the guard runs, restored after).
# usage: qemu_bpf_lsm.sh VOXGUARD_BINARY [KERNEL_VERSION]   (default 6.1.0-56-amd64)
# Exit 77 = skipped (no qemu, no busybox, kernel package not obtainable); prints RESULT lines.
set -u
VG=$(readlink -f "$1"); KV=${2:-6.1.0-56-amd64}
GS=$(mktemp /tmp/vg-guest-XXXXXX.sh)
trap 'rm -f "$GS"' EXIT
cat > "$GS" <<GUEST
VG=$VG
GUEST
cat >> "$GS" <<'GUEST'
H=/tmp/h; C=$H/.baresip/contacts; mkdir -p $H/.baresip
printf '"Alice" <sip:2223344@127.0.0.1:5072>\n"Bank" <sip:1234567@127.0.0.1:5070>;access=allow\n' > $C
printf '"Alice" <sip:2223344@127.0.0.1:5072>\n"Bank" <sip:9876543@127.0.0.1:5071>;access=allow\n' > /tmp/t
cp $C /tmp/orig; cp /usr/bin/cp /tmp/softphone; cp /usr/bin/mv /tmp/softphone-mv
# Linphone friends.db (liblinphone 5.1 schema), its trusted writer a copy of sqlite3.
LD=$H/.local/share/linphone; F=$LD/friends.db; mkdir -p $LD
SCHEMA="CREATE TABLE friends_lists (id INTEGER PRIMARY KEY AUTOINCREMENT, display_name TEXT, rls_uri TEXT, uri TEXT, revision INTEGER);
INSERT INTO friends_lists VALUES(1,'_default',NULL,NULL,0);
CREATE TABLE friends (id INTEGER PRIMARY KEY AUTOINCREMENT, friend_list_id INTEGER, sip_uri TEXT, subscribe_policy INTEGER, send_subscribe INTEGER, ref_key TEXT, vCard TEXT, vCard_etag TEXT, vCard_url TEXT, presence_received INTEGER);"
sqlite3 $F "$SCHEMA INSERT INTO friends VALUES(1,1,'\"Bank\" <sip:1234567@127.0.0.1:5070>',2,0,NULL,NULL,NULL,NULL,0);"
sqlite3 /tmp/evil.db "$SCHEMA INSERT INTO friends VALUES(1,1,'\"Bank\" <sip:9876543@127.0.0.1:5071>',2,0,NULL,NULL,NULL,NULL,0);"
cp /usr/bin/sqlite3 /tmp/linphone
# Jami profiles: the number is the file name (base64 of the URI); trusted writer a copy of python3.
P=$H/.local/share/jami/acc1/profiles; B=$P/MTIzNDU2Nw==.vcf; E=OTg3NjU0Mw==.vcf; mkdir -p $P
printf 'BEGIN:VCARD\nVERSION:2.1\nFN:Bank\nTEL:1234567\nEND:VCARD\n' > $B
printf 'BEGIN:VCARD\nVERSION:2.1\nFN:Alice\nTEL:2223344\nEND:VCARD\n' > $P/MjIyMzM0NA==.vcf
printf 'BEGIN:VCARD\nVERSION:2.1\nFN:Bank\nTEL:9876543\nEND:VCARD\n' > /tmp/evil.vcf
cp "$(readlink -f /usr/bin/python3)" /tmp/jami
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
[[asset]]
path = "$F"
format = "linphone-friends-db"
owner = "linphone"
protect_directory = true
[[asset]]
path = "$P/*.vcf"
format = "jami-profile"
owner = "jami"
protect_directory = true
[[trusted]]
path = "/tmp/softphone"
sha256 = "$(sha256sum /tmp/softphone | cut -d' ' -f1)"
app = "baresip"
[[trusted]]
path = "/tmp/softphone-mv"
sha256 = "$(sha256sum /tmp/softphone-mv | cut -d' ' -f1)"
app = "baresip"
[[trusted]]
path = "/tmp/linphone"
sha256 = "$(sha256sum /tmp/linphone | cut -d' ' -f1)"
app = "linphone"
[[trusted]]
path = "/tmp/jami"
sha256 = "$(sha256sum /tmp/jami | cut -d' ' -f1)"
app = "jami"
POL
T0=$(date +%s.%N)
$VG guard start --policy /tmp/policy.toml > /tmp/guard.out 2>&1 &
GP=$!
for i in $(seq 600); do grep -q enforcing /tmp/guard.out && break; kill -0 $GP 2>/dev/null || break; sleep 0.1; done
echo "RESULT banner $(grep -m1 enforcing /tmp/guard.out || head -1 /tmp/guard.out)"
echo "RESULT start-seconds $(echo "$(date +%s.%N) - $T0" | bc 2>/dev/null)"
if ! grep -q enforcing /tmp/guard.out; then
  tr -c '[:print:]\n' ' ' < /tmp/guard.out | tail -c 2500 | sed 's/^/RESULT log /'
  exit 1
fi
# Everything protected, as one digest: the three books' bytes, modes and folder listings.
snap() { { ls -lAn --time-style=+%s $H/.baresip $LD $P; cat $C $F $P/*; } 2>&1 | cksum; }
v() { local before; before=$(snap); bash -c "$2" >/dev/null 2>&1; rc=$?
      if [ "$(snap)" = "$before" ]; then r=blocked; else r=CHANGED; fi
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
# friends.db: SQLite writers, its journal and WAL names, and the file vectors (the generic file
# vectors take the same hooks as against the contacts above; TCG is slow, so they are not repeated).
v f-sqlite3 "sqlite3 $F \"UPDATE friends SET sip_uri='<sip:9876543@127.0.0.1:5071>' WHERE id=1\""
v f-plant-journal "cp /tmp/evil.db $F-journal"
v f-plant-wal "head -c 4096 /dev/urandom > $F-wal"
v f-move-journal-in "cp /tmp/evil.db /tmp/j && mv /tmp/j $F-journal"
v f-mv-over "cp /tmp/evil.db /tmp/e1 && mv /tmp/e1 $F"
v f-unlink "rm -f $F"
# Jami: the profile swap.
v j-plant "cp /tmp/evil.vcf $P/$E"
v j-move-in "cp /tmp/evil.vcf /tmp/e2 && mv /tmp/e2 $P/$E"
v j-rename-to-attacker "mv $B $P/$E"
v j-mv-over "cp /tmp/evil.vcf /tmp/e3 && mv /tmp/e3 $B"
v j-link-in "ln /tmp/evil.vcf $P/$E"
v j-symlink-in "ln -s /tmp/evil.vcf $P/$E"
v j-mkdir "mkdir $P/sub"
v j-swap-folder "mv $P $P.old && mkdir $P && cp /tmp/evil.vcf $P/$E"
v j-unlink "rm -f $B"
v j-sed-i "sed -i s/1234567/9876543/ $B"
# The owners still write the way their apps do.
/tmp/softphone /tmp/t $C; echo "RESULT trusted rc=$? $(cmp -s $C /tmp/t && echo wrote || echo refused)"
/tmp/linphone $F "UPDATE friends SET sip_uri='\"Bank\" <sip:7654321@127.0.0.1:5070>' WHERE id=1"; rc=$?
echo "RESULT trusted-friends-journal rc=$rc $(sqlite3 -readonly $F 'SELECT sip_uri FROM friends' | grep -q 7654321 && echo wrote || echo refused) leftover=$(ls -A $LD | grep -vc '^friends.db$')"
printf 'PRAGMA journal_mode=WAL;\nUPDATE friends SET sip_uri=%s WHERE id=1;\nPRAGMA journal_mode=DELETE;\n' "'\"Bank\" <sip:1234567@127.0.0.1:5070>'" | /tmp/linphone $F >/dev/null; rc=$?
echo "RESULT trusted-friends-wal rc=$rc $(sqlite3 -readonly $F 'SELECT sip_uri FROM friends' | grep -q 1234567 && echo wrote || echo refused) leftover=$(ls -A $LD | grep -vc '^friends.db$')"
/tmp/jami -c "import os,sys
p=sys.argv[1]; l=os.open(p+'.lock',os.O_WRONLY|os.O_CREAT|os.O_EXCL,0o644)
f=os.open(p,os.O_RDWR); os.ftruncate(f,0); os.write(f,b'BEGIN:VCARD\nVERSION:2.1\nFN:Bank\nNICKNAME:bank\nTEL:1234567\nEND:VCARD\n'); os.close(f)
os.close(l); os.unlink(p+'.lock')
open(os.path.dirname(p)+'/NTU1NjY3Nw==.vcf','w').write('BEGIN:VCARD\nVERSION:2.1\nFN:Carol\nTEL:5556677\nEND:VCARD\n')" $B
echo "RESULT trusted-jami rc=$? $(grep -q NICKNAME $B && [ -e $P/NTU1NjY3Nw==.vcf ] && echo wrote || echo refused)"
sleep 0.6 # the new profile is picked up by the next glob scan (200 ms)
v j-new-profile-sed-i "sed -i s/5556677/9876543/ $P/NTU1NjY3Nw==.vcf"
LD_PRELOAD=/tmp/evil.so true 2>/dev/null
cp /usr/lib/x86_64-linux-gnu/libz.so.1 /tmp/evil.so; chmod 666 /tmp/evil.so
cp /tmp/orig /tmp/o3; LD_PRELOAD=/tmp/evil.so /tmp/softphone /tmp/o3 $C 2>/dev/null; echo "RESULT preload rc=$? $(cmp -s $C /tmp/t && echo refused || echo wrote)"
# guard edit: the editor (this script as $EDITOR, and the sed -i it runs: temp file + rename in the
# protected folder) may change the contact; an attacker running meanwhile is still denied.
/tmp/softphone /tmp/orig $C
cat > /tmp/editor.sh <<'ED'
#!/bin/bash
touch /tmp/editing
for i in $(seq 400); do [ -e /tmp/attacked ] && break; sleep 0.05; done
sed -i s/1234567@127.0.0.1:5070/7654321@127.0.0.1:5070/ "$1"
ED
chmod +x /tmp/editor.sh
EDITOR=/tmp/editor.sh $VG guard edit $C --policy /tmp/policy.toml > /tmp/edit.out 2>&1 &
EP=$!
for i in $(seq 400); do [ -e /tmp/editing ] && break; sleep 0.05; done
bash -c "echo '\"Bank\" <sip:9876543@127.0.0.1:5071>' >> $C" 2>/dev/null; a1=$?
sed -i s/1234567/9876543/ $C 2>/dev/null; a2=$?
touch /tmp/attacked; wait $EP; rc=$?
echo "RESULT edit rc=$rc $(grep -q 'sip:7654321@127.0.0.1:5070' $C && echo wrote || echo refused) $(tr '\n' ' ' < /tmp/edit.out)"
echo "RESULT edit-attacker rc=$a1,$a2 $(grep -q 9876543 $C && echo CHANGED || echo blocked)"
# The guard notices the change on its next scan of the assets (every 200 ms), after it has handled
# the attacker's denials; an ASan build under TCG can take many seconds for that: wait up to 60 s.
for i in $(seq 600); do grep -q '"hook":"lsm:guard-edit"' /tmp/guard.out && break; sleep 0.1; done
echo "RESULT edit-event $(grep '"hook":"lsm:guard-edit"' /tmp/guard.out | grep -o 'contact[^"]*\\"Bank\\"[^"]*' | head -1)"
grep -q '"hook":"lsm:guard-edit"' /tmp/guard.out ||
  grep '"event":"changed"' /tmp/guard.out | tail -3 | cut -c1-400 | sed 's/^/RESULT edit-event-missing; changes seen: /'
v after-edit-sed-i "sed -i s/7654321/9876543/ $C"
sleep 0.5
echo "RESULT events $(grep -c '"event":"denied"' /tmp/guard.out)"
grep '"event":"denied"' /tmp/guard.out | head -3 | cut -c1-300 | sed 's/^/RESULT sample /'
# Fail closed: the guard dies, the pinned programs keep denying, the owner keeps writing.
echo "RESULT pins-before-kill $(ls /sys/fs/bpf/voxguard 2>/dev/null | wc -l)"
kill -9 $GP; wait $GP 2>/dev/null; sleep 0.3
v after-kill-append "echo evil >> $C"
v after-kill-unlink "rm -f $C"
v after-kill-jami-plant "cp /tmp/evil.vcf $P/$E"
# Protection follows the file with no user space: the owner replaces it (temp file + rename), the
# kernel program protects the new inode and forgets the replaced one once it is freed.
mapcount() { bpftool -j map show 2>/dev/null | python3 -c "import json,subprocess,sys
ids=[m['id'] for m in json.load(sys.stdin) if m.get('name','').startswith('protected_inode')]
print(sum(len(json.loads(subprocess.run(['bpftool','-j','map','dump','id',str(i)],capture_output=True,text=True).stdout or '[]')) for i in ids))"; }
echo "RESULT rekey-map-before $(mapcount)"
/tmp/softphone /tmp/t $C.new && /tmp/softphone-mv $C.new $C; echo "RESULT after-kill-rekey-trusted rc=$? $(cmp -s $C /tmp/t && echo wrote || echo refused)"
v after-kill-rekey-append "echo evil >> $C"
v after-kill-rekey-sed-i "sed -i s/9876543/5550000/ $C"
v after-kill-rekey-truncate "truncate -s 0 $C"
sleep 0.3
echo "RESULT rekey-map-after $(mapcount)"
/tmp/softphone /tmp/orig $C; echo "RESULT after-kill-trusted rc=$? $(cmp -s $C /tmp/orig && echo wrote || echo refused)"
$VG guard stop --policy /tmp/policy.toml > /tmp/stop.out 2>&1; echo "RESULT stop rc=$? $(tr '\n' ' ' < /tmp/stop.out)"
echo "RESULT pins-after-stop $(ls /sys/fs/bpf/voxguard 2>/dev/null | wc -l)"
# (a link's release is asynchronous: on 6.12 the programs stay attached a moment after unpinning)
for i in $(seq 50); do bash -c "echo free >> $C" 2>/dev/null && break; sleep 0.2; done
echo "RESULT after-stop $(cmp -s $C /tmp/orig && echo still-denied || echo writable) (try $i)"
# fanotify mode: fanotify cannot see ptrace, so the guard raises Yama's ptrace_scope while it runs.
cp /tmp/orig $C
sed 's/^mode = .*/mode = "fanotify"/' /tmp/policy.toml > /tmp/policy-fan.toml
YS=/proc/sys/kernel/yama/ptrace_scope
echo "RESULT yama-before $(cat $YS 2>/dev/null || echo none)"
$VG guard start --policy /tmp/policy-fan.toml > /tmp/fan.out 2>&1 &
FP=$!
for i in $(seq 300); do grep -q enforcing /tmp/fan.out && break; kill -0 $FP 2>/dev/null || break; sleep 0.1; done
echo "RESULT fan-banner $(grep -m1 enforcing /tmp/fan.out | cut -c1-400)"
echo "RESULT yama-during $(cat $YS 2>/dev/null || echo none)"
NB="setpriv --reuid=65534 --regid=65534 --clear-groups"
$NB sleep 900 & VP=$!
sleep 0.3
ATTACH="import ctypes; l=ctypes.CDLL(None,use_errno=True); r=l.ptrace(0x4206,$VP,0,0); print(r, ctypes.get_errno())"
VMW="import ctypes,os; l=ctypes.CDLL(None,use_errno=True)
class V(ctypes.Structure): _fields_=[('b',ctypes.c_void_p),('n',ctypes.c_size_t)]
buf=ctypes.create_string_buffer(8); loc=V(ctypes.addressof(buf),8); rem=V(0x10000,8)
r=l.process_vm_writev($VP,ctypes.byref(loc),1,ctypes.byref(rem),1,0); print(r, ctypes.get_errno())"
echo "RESULT yama-attach-during $($NB python3 -c "$ATTACH")"
echo "RESULT yama-vmwrite-during $($NB python3 -c "$VMW")"
$VG guard stop --policy /tmp/policy-fan.toml > /dev/null 2>&1
echo "RESULT yama-after $(cat $YS 2>/dev/null || echo none)"
echo "RESULT yama-attach-after $($NB python3 -c "$ATTACH")"
kill $VP 2>/dev/null
GUEST
bash "$(dirname "$0")/qemu_vm.sh" "$KV" "$GS"
