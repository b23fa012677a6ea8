#!/usr/bin/env bash
# make e2e, containerd part: Debian 12's containerd 1.6 drives the plugin through its CRI plugin, and a CRI client
# (tests/Yurtnet.CriDriver) makes the calls kubelet makes: RunPodSandbox with kubelet's metadata and labels,
# PodSandboxStatus, StopPodSandbox twice, RemovePodSandbox. containerd and yurtnetd run in a temporary directory and a
# network namespace of their own (scripts/lib/containerd-bed.sh: never the machine's /etc/containerd,
# /var/lib/containerd or /run/containerd); the sandbox image is built here from scripts/e2e/pause.c, so no registry
# or network is involved. A reboot is simulated: containerd, its shims and pods and yurtnetd killed, the pods' and the
# host's network namespaces gone, yurtnetd started again under a new boot id.
# Prints one line per check and ends with "e2e containerd: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/out/linux-x64}
[ "$(id -u)" = 0 ] || { echo "make e2e needs root (network namespaces, containers): sudo make e2e" >&2; exit 1; }
for tool in python3 ping nft perl dotnet; do command -v "$tool" >/dev/null || { echo "e2e: $tool missing: run 'make deps'" >&2; exit 1; }; done

# shellcheck source=../lib/check.sh
. scripts/lib/check.sh

started=$SECONDS
WORK=$(mktemp -d /tmp/yurtnet-e2e-ctrd.XXXXXX)
NS=yn-e2e-ctrd-$$
# shellcheck source=../lib/containerd-bed.sh
. scripts/lib/containerd-bed.sh
bed_tools
POOL=10.96.0
NETWORK=ynctrd
BRIDGE=ynctrd0
SOCK=$(bed_sock ctrd)
DRIVER=$PWD/tests/Yurtnet.CriDriver/bin/Release/net10.0/Yurtnet.CriDriver.dll

progress() { echo "     containerd: [$((SECONDS - started)) s] $*"; }
in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
ctl() { "$OUT/yurtnetctl" --socket "$BED_YURTNET_SOCK" "$@"; }
cri() { # cri COMMAND [OPTIONS...]: the CRI driver against this run's containerd; a deadline of 30 s on every call, 5 min in all
  timeout --foreground 300 dotnet "$DRIVER" "$1" --socket "$SOCK" --timeout 30 --log-root "$WORK/logs" --cgroup-parent "$BED_CGROUP" \
    --netns-ledger "$BED_LEDGER" "${@:2}"
}
py() { python3 -c "$@"; } # JSON: the driver prints one object a line, yurtnetctl --json one document

cleanup() {
  set +e
  [ -n "${BED_PID[ctrd]:-}" ] && cri stop-remove --all --parallel 8 >/dev/null 2>&1
  # Every network namespace containerd gave the plugin, also those of pods the driver never saw ready.
  sed -n 's/^ADD [^ ]* netns=//p' "$WORK/cni-calls.log" >> "$BED_LEDGER" 2>/dev/null
  bed_cleanup
}
trap cleanup EXIT

# --- the bed: the pause image, the plugins, containerd's and yurtnetd's configuration, the CRI driver
progress "building the CRI driver and the pause image"
dotnet build tests/Yurtnet.CriDriver/Yurtnet.CriDriver.csproj -c Release -nologo -v q > "$WORK/driver-build.log" 2>&1 ||
  { cat "$WORK/driver-build.log"; exit 1; }
bed_netns
bed_pause_image
bed_cni_bin
# The plugin behind a wrapper that notes each call's command, container and CNI_NETNS: what containerd sent.
rm "$WORK/cni-bin/yurtnet"
cat > "$WORK/cni-bin/yurtnet" <<EOF
#!/bin/sh
echo "\$CNI_COMMAND \$CNI_CONTAINERID netns=\$CNI_NETNS" >> "$WORK/cni-calls.log"
exec "$OUT/yurtnet" "\$@"
EOF
chmod +x "$WORK/cni-bin/yurtnet"
bed_yurtnetd_config
bed_containerd_config ctrd "$(bed_yurtnet_conflist "$NETWORK" "$BRIDGE" "$POOL.0/24")"
bed_yurtnetd_start
bed_containerd_start ctrd
progress "$(cri version) and yurtnetd up"

pods_of() { # pods_of FILE: "namespace/name ip netns" per line of the driver's run output
  py 'import json,sys
for line in open(sys.argv[1]):
    p = json.loads(line); print(p["namespace"] + "/" + p["name"], p["ip"], p["netns"])' "$1"
}

# --- 40 pods, 4 at a time: addresses from the pool, the same as yurtnetd's leases
forty() {
  cri run --pods 40 --parallel 4 --prefix web --namespace e2e > "$WORK/web.json"
  ctl leases --json > "$WORK/leases.json"
  py 'import ipaddress, json, sys
pods = [json.loads(line) for line in open(sys.argv[1])]
leases = {l["pod"]: l["ip"] for l in json.load(open(sys.argv[2])) if l["state"] == "active" and l["network"] == sys.argv[4]}
pool = ipaddress.ip_network(sys.argv[3])
ips = [p["ip"] for p in pods]
print(len(pods), "pods, runMs max", round(max(p["runMs"] for p in pods)), "addresses", ips[:3], "...")
assert len(pods) == 40, "pods ready: %d" % len(pods)
assert all(ip and ipaddress.ip_address(ip) in pool for ip in ips), "not from the pool: %s" % ips
assert len(set(ips)) == 40, "addresses given twice: %s" % sorted(ips)
for p in pods:
    key = p["namespace"] + "/" + p["name"]
    assert leases.get(key) == p["ip"], "%s: CRI says %s, yurtnetctl leases %s" % (key, p["ip"], leases.get(key))' \
    "$WORK/web.json" "$WORK/leases.json" "$POOL.0/24" "$NETWORK"
}
progress "running 40 pods, 4 at a time"
check "40 pods run 4 at a time get distinct pool addresses in their CRI status, each the one yurtnetctl leases shows for namespace/name" forty

# --- pods reach each other and the gateway: every fifth pod pings one 13 further on (across the set) and the gateway
reach() {
  local pods=() i target
  mapfile -t pods < <(pods_of "$WORK/web.json")
  [ "${#pods[@]}" = 40 ]
  for i in $(seq 0 5 39) 39; do
    read -r _ _ netns <<<"${pods[$i]}"
    read -r target ip _ <<<"${pods[$(((i + 13) % 40))]}"
    nsenter --net="$netns" ping -c1 -W2 "$ip" >/dev/null || { echo "pod $i cannot reach $target ($ip)"; return 1; }
    nsenter --net="$netns" ping -c1 -W2 "$POOL.1" >/dev/null || { echo "pod $i cannot reach the gateway"; return 1; }
  done
}
check "pods ping each other across the set and the gateway (9 pods, from their network namespaces)" reach

# --- kubelet's teardown of all of them leaves nothing behind
no_leaks() {
  ctl gc >/dev/null
  local leases sandboxes
  leases=$(ctl leases) || { echo "yurtnetd does not answer"; return 1; }
  echo "$leases"
  ! grep -qE ' (active|pending) ' <<<"$leases" || { echo "leases left"; return 1; }
  [ -z "$(in_ns ip -o link show master "$BRIDGE" 2>/dev/null)" ] || { echo "ports left on $BRIDGE"; return 1; }
  ! in_ns ip -o link | grep -E '^[0-9]+: yn[0-9a-f]{12}[@:]' || { echo "host veths left"; return 1; }
  # Every network namespace containerd gave the plugin (the wrapper noted each ADD's) is gone.
  local netns
  for netns in $(sed -n 's/^ADD [^ ]* netns=//p' "$WORK/cni-calls.log" | sort -u); do
    [ ! -e "$netns" ] || { echo "pod network namespace left: $netns"; return 1; }
  done
  ! in_ns nft list table inet yurtnet 2>/dev/null | grep -q "chain net_${NETWORK}_" || { echo "masquerade chain left"; return 1; }
  [ -z "$(ls "$WORK/spool")" ] || { echo "spooled releases left"; return 1; }
  sandboxes=$(cri list) || { echo "containerd does not answer"; return 1; }
  [ -z "$sandboxes" ] || { echo "sandboxes left"; return 1; }
}
teardown_all() {
  cri stop-remove --all --parallel 4
  no_leaks
}
progress "stopping (twice) and removing them"
check "after StopPodSandbox twice and RemovePodSandbox of all: no lease, veth, pod network namespace, masquerade chain or spooled release left" teardown_all

# --- STATUS (containerd 1.6 never asks it; containerd 2.1 does every 5 s and starts no pod while it fails)
status_offline() {
  local conf="{ \"cniVersion\": \"1.1.0\", \"name\": \"$NETWORK\", \"type\": \"yurtnet\", \"bridge\": \"$BRIDGE\",
    \"socket\": \"$BED_YURTNET_SOCK\", \"spoolDir\": \"$WORK/spool\", \"ipam\": { \"subnets\": [\"$POOL.0/24\"] } }"
  ctl status | grep -E '^  cloud' || true
  in_ns env CNI_COMMAND=STATUS CNI_PATH="$WORK/cni-bin" "$OUT/yurtnet" <<<"$conf" || { echo "STATUS failed without a cloud"; return 1; }
  # A second yurtnetd whose cloud (API server and yurthub) is configured but unreachable: nothing listens there.
  mkdir -p "$WORK/cloudy"
  echo not-a-token > "$WORK/cloudy/token"
  chmod 0600 "$WORK/cloudy/token"
  cat > "$WORK/cloudy/yurtnetd.json" <<EOF
{ "socket": "$WORK/cloudy/cni.sock", "stateDir": "$WORK/cloudy/state", "spoolDir": "$WORK/cloudy/spool",
  "cniResultsDir": "$WORK/cni-results", "nodePool": { "enabled": false },
  "cluster": { "nodeName": "e2e-gateway", "server": "http://127.0.0.1:9", "hubManagement": "http://127.0.0.1:9",
    "tokenFile": "$WORK/cloudy/token", "healthInterval": "200ms" } }
EOF
  # nsenter itself, not through in_ns: $! must be yurtnetd's pid (nsenter execs it), not a subshell's.
  nsenter --net="/run/netns/$NS" "$OUT/yurtnetd" --config "$WORK/cloudy/yurtnetd.json" > "$WORK/cloudy/yurtnetd.log" 2>&1 &
  local cloudy=$! rc=0 cloud=
  for _ in $(seq 100); do
    cloud=$("$OUT/yurtnetctl" --socket "$WORK/cloudy/cni.sock" status 2>/dev/null | grep -E '^  cloud' || true)
    case "$cloud" in *offline*) break ;; esac
    sleep 0.05
  done
  echo "yurtnetd with its cloud unreachable:$cloud"
  case "$cloud" in *offline*) ;; *) tail -5 "$WORK/cloudy/yurtnetd.log"; echo "yurtnetd never said the cloud is offline"; rc=1 ;; esac
  in_ns env CNI_COMMAND=STATUS CNI_PATH="$WORK/cni-bin" "$OUT/yurtnet" <<<"${conf//$BED_YURTNET_SOCK/$WORK/cloudy/cni.sock}" ||
    { echo "STATUS failed with the cloud unreachable"; rc=1; }
  { kill -TERM "$cloudy"; wait "$cloudy"; } 2>/dev/null || true
  return "$rc"
}
check "plugin STATUS (cniVersion 1.1.0) exits 0 with no cloud configured and with the cloud configured but unreachable" status_offline

# --- a reboot with pods running: containerd, its shims and pause processes and yurtnetd killed; then what a reboot
# leaves: no pod network namespace, a new host network namespace (no bridge, no ports, no masquerade chain), an empty
# /run (yurtnetd's socket directory), containerd's state directory gone, its root and yurtnetd's state kept, a new
# boot id. containerd and yurtnetd start again; kubelet stops (twice) and removes every old sandbox, then creates
# its pods again: same namespace and name, a new uid, the next attempt.
progress "a reboot: 20 pods running, then containerd, its shims and pods and yurtnetd killed"
cri run --pods 20 --parallel 4 --prefix db --namespace e2e > "$WORK/db.json" || true
cri list --prefix db > "$WORK/db-before.json" || true
bed_containerd_kill ctrd
bed_yurtnetd_stop KILL
for netns in $(pods_of "$WORK/db.json" | cut -d' ' -f3); do umount "$netns" && rm -f "$netns"; done
ip netns delete "$NS"
bed_netns
rm -rf "$WORK/run" && mkdir "$WORK/run"
cat /proc/sys/kernel/random/uuid > "$WORK/boot_id"
calls_before_boot=$(wc -l < "$WORK/cni-calls.log")
bed_yurtnetd_start "$WORK/boot_id"
bed_containerd_start ctrd
progress "booted again: yurtnetd and containerd up"
rebooted() {
  grep -q "boot $(cat "$WORK/boot_id")" "$WORK/yurtnetd.log" || { echo "yurtnetd did not see the new boot id $(cat "$WORK/boot_id")"; return 1; }
  [ "$(wc -l < "$WORK/db-before.json")" = 20 ] || { echo "$(wc -l < "$WORK/db-before.json") of 20 pods ran before the reboot"; return 1; }
  ! cri list --prefix db | tee "$WORK/db-after.json" | grep SandboxReady || { echo "old sandboxes ready after the reboot"; return 1; }
  cri stop-remove --prefix db --parallel 4 || { echo "StopPodSandbox or RemovePodSandbox of an old sandbox failed"; return 1; }
  [ -z "$(cri list --prefix db)" ] || { echo "old sandboxes left"; return 1; }
  # What containerd sent for them: a DEL with an empty CNI_NETNS (the namespace is gone), and nothing failed above.
  local ids; ids=$(py 'import json,sys
for line in open(sys.argv[1]): print(json.loads(line)["id"])' "$WORK/db-before.json")
  tail -n "+$((calls_before_boot + 1))" "$WORK/cni-calls.log" | grep -F -f <(echo "$ids") > "$WORK/db-dels.log" || true
  echo "after the reboot, for the 20 old sandboxes: $(grep -c '^DEL ' "$WORK/db-dels.log") DELs, $(grep -c '^DEL [^ ]* netns=$' "$WORK/db-dels.log") with an empty CNI_NETNS"
  [ "$(grep '^DEL ' "$WORK/db-dels.log" | cut -d' ' -f2 | sort -u | wc -l)" = 20 ] || { echo "not every old sandbox had a DEL"; return 1; }
  ! grep -q '^DEL [^ ]* netns=.' "$WORK/db-dels.log" || { echo "a DEL named a network namespace: not the case this simulates"; return 1; }
}
check "after a reboot, StopPodSandbox twice and RemovePodSandbox of each old sandbox succeed (its CNI DEL comes with an empty CNI_NETNS)" rebooted
progress "after the reboot containerd sent $(grep -c '^DEL ' "$WORK/db-dels.log" || true) DELs for the 20 old sandboxes, $(grep -c '^DEL [^ ]* netns=$' "$WORK/db-dels.log" || true) with an empty CNI_NETNS"
same_addresses() {
  cri run --pods 20 --parallel 4 --prefix db --namespace e2e --attempt 1 > "$WORK/db-again.json"
  py 'import json, sys
before = {json.loads(l)["name"]: json.loads(l)["ip"] for l in open(sys.argv[1])}
again = [json.loads(l) for l in open(sys.argv[2])]
moved = ["%s: %s -> %s" % (p["name"], before.get(p["name"]), p["ip"]) for p in again if before.get(p["name"]) != p["ip"] or p["attempt"] != 1]
print(len(again), "pods again;", len(moved), "moved", moved[:5])
assert len(again) == 20 and len(before) == 20 and not moved' "$WORK/db.json" "$WORK/db-again.json"
  cri stop-remove --prefix db --parallel 4
}
check "the same 20 pods created again after the reboot (new uid, attempt 1) are back on their old addresses" same_addresses

# --- yurtnetd restarted through socket activation in the middle of a burst: socket-holder.pl holds the socket as
# systemd's yurtnetd.socket does and starts yurtnetd again when it exits (Restart=always); connections made meanwhile
# wait in the backlog.
bed_yurtnetd_stop
nsenter --net="/run/netns/$NS" perl tests/Yurtnet.Integration.Tests/Tools/socket-holder.pl "$BED_YURTNET_SOCK" "$WORK/yurtnetd.pid" \
  "$OUT/yurtnetd" --config "$WORK/yurtnetd.json" >> "$WORK/yurtnetd.log" 2>&1 &
BED_DAEMON=$! # the holder: stopping it stops the daemon
bed_yurtnetd_wait
progress "a burst of 20 pods, yurtnetd stopped (SIGTERM) once 3 are ready"
burst() {
  cri run --pods 20 --parallel 4 --prefix burst --namespace e2e > "$WORK/burst.json" &
  local runner=$! first second ready=0 rc=0
  for _ in $(seq 1200); do
    ready=$(wc -l < "$WORK/burst.json")
    [ "$ready" -ge 3 ] && break
    sleep 0.05
  done
  first=$(cat "$WORK/yurtnetd.pid")
  kill -TERM "$first"
  wait "$runner" || rc=$?
  second=$(cat "$WORK/yurtnetd.pid")
  echo "yurtnetd $first stopped when $ready of 20 were ready, the holder started $second, the burst's driver exited $rc" | tee "$WORK/burst.note"
  [ "$ready" -ge 3 ] && [ "$ready" -lt 20 ] || { echo "yurtnetd was not stopped in the middle of the burst"; return 1; }
  [ "$second" != "$first" ] || { echo "the holder did not start yurtnetd again"; return 1; }
  [ "$rc" = 0 ] || { echo "a sandbox of the burst failed"; return 1; }
  cri list --prefix burst > "$WORK/burst-list.json"
  ctl leases --json > "$WORK/leases.json"
  py 'import ipaddress, json, sys
pods = [json.loads(line) for line in open(sys.argv[1])]
listed = [json.loads(line) for line in open(sys.argv[2])]
leases = {l["pod"]: l["ip"] for l in json.load(open(sys.argv[3])) if l["state"] == "active"}
ips = [p["ip"] for p in pods]
assert len(pods) == 20 and len(set(ips)) == 20, "addresses: %s" % sorted(ips)
assert all(ipaddress.ip_address(ip) in ipaddress.ip_network(sys.argv[4]) for ip in ips)
assert len(listed) == 20 and all(s["state"] == "SandboxReady" for s in listed), [s["state"] for s in listed]
assert all(leases.get(p["namespace"] + "/" + p["name"]) == p["ip"] for p in pods), "leases differ"' \
    "$WORK/burst.json" "$WORK/burst-list.json" "$WORK/leases.json" "$POOL.0/24"
  cri stop-remove --prefix burst --parallel 4
}
check "20 pods started while yurtnetd restarts through socket activation are all Ready on distinct pool addresses" burst
progress "$(cat "$WORK/burst.note" 2>/dev/null)"

check "after all of it nothing is left: leases, veths, pod network namespaces, masquerade chain, spool, sandboxes" no_leaks
progress "containerd sent $(grep -c '^ADD ' "$WORK/cni-calls.log") ADDs and $(grep -c '^DEL ' "$WORK/cni-calls.log") DELs \
($(grep -c '^DEL [^ ]* netns=.' "$WORK/cni-calls.log") naming a network namespace) for $(cut -d' ' -f2 "$WORK/cni-calls.log" | sort -u | wc -l) sandboxes"
progress "done in $((SECONDS - started)) s"
echo "e2e containerd: $passed passed, $failed failed"
[ "$failed" = 0 ]
