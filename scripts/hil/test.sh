#!/usr/bin/env bash
# make test-hil: the arm64 package on real kernel drivers. Boots the bed (scripts/hil/bed.sh: Debian 12 arm64,
# Debian's stock kernel, systemd as PID 1) under qemu-system-aarch64, installs out/deb's arm64 package and runs
# scripts/hil/guest/round.sh in it: status LEDs on gpio-sim lines, on the PL061 GPIO controller and on the device
# tree's gpio-leds LEDs; systemd's watchdog; the hardware watchdog on softdog and on the i6300esb, each of which
# resets the board once. From outside, QEMU's event stream shows those two resets and when they came.
# Prints one line per check and ends with "test-hil: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "make test-hil needs root (debootstrap, chroot, binfmt_misc): sudo make test-hil" >&2; exit 1; }
export HIL_DIR=${HIL_DIR:-/var/cache/yurtnet/hil-arm64}
DEBS=${DEBS:-$PWD/out/deb}
version=$(dpkg-parsechangelog -S Version)
deb=$DEBS/yurtnet_${version}_arm64.deb
# The package must be built from this tree: one older than a tracked source of it is built again (arm64 only).
newest_source=$(git ls-files -z src debian systemd packaging docs/man scripts/publish.sh Directory.Build.props \
  Directory.Packages.props global.json NuGet.config 2>/dev/null | xargs -0 -r stat -c %Y 2>/dev/null | sort -n | tail -1) || true
[ -n "$newest_source" ] || echo "test-hil: cannot tell the sources' age (no git?): using $(basename "$deb") as it is"
if [ ! -f "$deb" ] || [ "${newest_source:-0}" -gt "$(stat -c %Y "$deb")" ]; then
  echo "test-hil: building $(basename "$deb") (missing, or older than the sources)"
  DEBS=$DEBS ARCHS=arm64 ./scripts/packages/build.sh > /dev/null
fi
# shellcheck source=../lib/check.sh
. scripts/lib/check.sh

start=$(date +%s)
./scripts/hil/bed.sh > /dev/null
echo "test-hil: bed ready in $(( $(date +%s) - start )) s ($HIL_DIR, kernel $(cat "$HIL_DIR/kver"))"

mkdir -p "$HIL_DIR/jobs"
JOB=$(mktemp -d "$HIL_DIR/jobs/round.XXXXXX")
vm=
trap '[ -n "$vm" ] && kill "$vm" 2>/dev/null; wait; echo "test-hil: interrupted; logs kept in $JOB" >&2; exit 130' INT TERM
cp scripts/hil/guest/round.sh "$JOB/run.sh"
cp scripts/hil/guest/leds.py scripts/hil/guest/lastset.py scripts/hil/guest/fakehub.py scripts/lib/check.sh "$JOB/"
cp "$deb" "$JOB/yurtnet.deb"

start=$(date +%s)
vm_rc=0
# In the background, so that a signal to this script is handled at once (vm.sh then stops QEMU).
./scripts/hil/vm.sh "$JOB" & vm=$!
wait "$vm" || vm_rc=$?
vm=
echo "test-hil: the round took $(( $(date +%s) - start )) s in $(grep -c 'hil-runner: /job/run.sh starts' "$JOB/console.log" || true) boot(s)"

# The guest's own checks.
if [ -f "$JOB/out.log" ]; then
  grep -E '^(ok |FAIL|     |----|guest:)' "$JOB/out.log" || true
  gp=$(cat "$JOB/passed" 2>/dev/null || echo 0) gf=$(cat "$JOB/failed" 2>/dev/null || echo 0)
  passed=$((passed + gp)) failed=$((failed + gf))
fi

# From outside: QEMU exited by the guest's power-off after the third boot, and the two resets were the watchdogs'.
check "the VM ran the round to its end and powered off (QEMU exit 0, guest exit 0)" \
  bash -c "[ $vm_rc = 0 ] && [ \"\$(cat '$JOB/rc' 2>/dev/null)\" = 0 ]"
check "QEMU saw exactly two resets and one watchdog action" bash -c "
  [ \$(grep -c '\"event\": \"RESET\"' '$JOB/qmp.log') = 2 ] && [ \$(grep -c '\"event\": \"WATCHDOG\"' '$JOB/qmp.log') = 1 ]"
python3 - "$JOB" > "$JOB/resets.txt" <<'EOF' || true
import json, os, sys
job = sys.argv[1]
events = [json.loads(l) for l in open(os.path.join(job, "qmp.log"))]
resets = [e for e in events if e["event"] == "RESET"]
dog = [e for e in events if e["event"] == "WATCHDOG"]
frozen = {}
for n, name in ((1, "softdog"), (2, "i6300esb")):
    path = os.path.join(job, f"frozen-{n}")
    if not os.path.exists(path):
        print(f"{name} never frozen")
        continue
    frozen[n] = os.stat(path).st_mtime  # written over 9p: the host's clock
    after = [e for e in resets if e["host_time"] >= frozen[n]]
    before = [e for e in resets if e["host_time"] < frozen[n]]
    if not after:
        print(f"{name} frozen={frozen[n]:.3f} resets_before={len(before)} no reset after the freeze")
        continue
    print(f"{name} frozen={frozen[n]:.3f} resets_before={len(before)} reset_after={after[0]['host_time'] - frozen[n]:.1f} "
          f"guest={after[0]['data'].get('guest')} reason={after[0]['data'].get('reason')}")
if dog and 2 in frozen:
    print(f"watchdog_action={dog[0]['data']['action']} at={dog[0]['host_time'] - frozen[2]:.1f}")
else:
    print("watchdog_action=none")
EOF
cat "$JOB/resets.txt"
check "softdog reset the board (a reset the guest's kernel asked for) within 20 s of yurtnetd's freeze, and not before" \
  bash -c "grep -qE '^softdog .*resets_before=0 reset_after=(1?[0-9])\\.[0-9] guest=True' '$JOB/resets.txt'"
check "the i6300esb reset the board (QEMU's watchdog action) within 20 s of yurtnetd's freeze, and not before" \
  bash -c "grep -qE '^i6300esb .*resets_before=1 reset_after=(1?[0-9])\\.[0-9]' '$JOB/resets.txt' && grep -qE '^watchdog_action=reset at=(1?[0-9])\\.' '$JOB/resets.txt'"

if [ "$failed" = 0 ]; then rm -rf "$JOB"; else echo "test-hil: logs kept in $JOB (out.log, console.log, qmp.log)"; fi
echo "test-hil: $passed passed, $failed failed"
[ "$failed" = 0 ]
