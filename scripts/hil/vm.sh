#!/usr/bin/env bash
# Boots the bed's arm64 image (scripts/hil/bed.sh) once with a job directory: the guest's runner mounts JOBDIR
# (9p tag "job") on /job, runs /job/run.sh, appends its output to /job/out.log, writes /job/rc and powers off.
# A guest that resets boots again and the runner runs run.sh again (it continues from what it left in /job).
# usage: vm.sh JOBDIR
#   JOBDIR/console.log  the serial console        JOBDIR/qemu.log  QEMU's own messages
#   JOBDIR/qmp.log      QEMU's events, one JSON object per line with the host's time (resets, watchdog actions)
# The writes to the disk are thrown away (snapshot=on): every round starts from the same image. No network card.
# The board: machine virt, 2 Cortex-A57, 1 GiB (a gateway's size), a PL061 GPIO controller whose lines have names
# and two gpio-leds LEDs (the device tree QEMU makes for the machine, edited by dtb.py at each boot), an i6300esb
# PCI watchdog whose expiry resets the board (as a SoC watchdog does).
# Env: HIL_DIR (the bed), VM_TIMEOUT (seconds, default 1200). Stopped (INT, TERM), it stops the VM.
set -uo pipefail
HIL_DIR=${HIL_DIR:-/var/cache/yurtnet/hil-arm64}
JOB=$(realpath "$1")
MACHINE=(-M virt -cpu cortex-a57 -smp 2 -m 1024)
rm -f "$JOB/console.log" "$JOB/qemu.log" "$JOB/qmp.log" "$JOB/qmp.sock"
qemu=
reader=
stop() { [ -n "$reader" ] && kill "$reader" 2>/dev/null; [ -n "$qemu" ] && kill "$qemu" 2>/dev/null; }
trap 'stop; exit 130' INT TERM
trap stop EXIT
qemu-system-aarch64 "${MACHINE[@]}" -nic none -machine dumpdtb="$JOB/virt.dtb" -nographic >/dev/null 2>&1
dtc -q -I dtb -O dts "$JOB/virt.dtb" > "$JOB/virt.dts" && python3 "$(dirname "$0")/dtb.py" "$JOB/virt.dts" \
  && dtc -q -I dts -O dtb -o "$JOB/virt.dtb" "$JOB/virt.dts" || { echo "hil vm: cannot make the device tree" >&2; exit 1; }
start=$(date +%s)
# timeout --foreground: QEMU stays in this process group, so that an interrupt of the whole run reaches it.
timeout --foreground "${VM_TIMEOUT:-1200}" qemu-system-aarch64 "${MACHINE[@]}" \
  -dtb "$JOB/virt.dtb" -kernel "$HIL_DIR/vmlinuz" -initrd "$HIL_DIR/initrd.img" \
  -append "console=ttyAMA0 root=/dev/vda rw" \
  -drive "file=$HIL_DIR/arm64.img,format=raw,if=none,id=hd0,snapshot=on" -device virtio-blk-pci,drive=hd0 \
  -fsdev "local,id=job,path=$JOB,security_model=none" -device virtio-9p-pci,fsdev=job,mount_tag=job \
  -device i6300esb -action watchdog=reset \
  -display none -nic none -serial "file:$JOB/console.log" -monitor none \
  -qmp "unix:$JOB/qmp.sock,server=on,wait=off" 2> "$JOB/qemu.log" &
qemu=$!
# QEMU's event stream, read from outside the guest: a RESET the guest asked for (softdog), a WATCHDOG action
# (i6300esb), SHUTDOWN.
python3 - "$JOB/qmp.sock" "$JOB/qmp.log" <<'EOF' &
import json, socket, sys, time
path, out = sys.argv[1], sys.argv[2]
for _ in range(100):
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("qmp: no socket")
f = s.makefile("rw")
f.readline()  # the greeting
f.write('{"execute": "qmp_capabilities"}\n'); f.flush()
with open(out, "a") as log:
    for line in f:
        msg = json.loads(line)
        if "event" in msg:
            msg["host_time"] = round(time.time(), 3)
            log.write(json.dumps(msg) + "\n"); log.flush()
EOF
reader=$!
wait $qemu
rc=$?
qemu=
wait $reader 2>/dev/null
reader=
rm -f "$JOB/qmp.sock"
echo "hil vm: qemu exit $rc after $(( $(date +%s) - start )) s, guest rc $(cat "$JOB/rc" 2>/dev/null || echo none)" >&2
exit $rc
