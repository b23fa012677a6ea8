#!/usr/bin/env bash
# make e2e, podman part: Debian 12's podman 4.3 drives the installed-to-be plugin through its CNI backend, the way an
# operator starts helper containers on a gateway. Everything lives in a temporary directory and a network namespace
# of its own (podman's containers.conf, storage, network and CNI plugin directories; the bridge, nftables and
# iptables rules of the "host" podman and yurtnetd see): the machine's own configuration is never read or changed.
# Containers run from an exploded busybox-static root (--rootfs), so no image, registry or image cache is involved.
# Prints one line per check and ends with "e2e podman: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/out/linux-x64}
[ "$(id -u)" = 0 ] || { echo "make e2e needs root (network namespaces, containers): sudo make e2e" >&2; exit 1; }
for tool in podman runc nsenter curl; do command -v "$tool" >/dev/null || { echo "e2e: $tool missing: run 'make deps'" >&2; exit 1; }; done
[ -x /bin/busybox ] && file -L /bin/busybox | grep -q 'statically linked' || { echo "e2e: a static /bin/busybox is needed (busybox-static): run 'make deps'" >&2; exit 1; }

# shellcheck source=../lib/check.sh
. scripts/lib/check.sh

WORK=$(mktemp -d /tmp/yurtnet-e2e-podman.XXXXXX)
NS=yn-e2e-$$
POOL=10.97.0
DAEMON=
netns_before=$(ls /run/netns 2>/dev/null | sort || true)
host_iptables_before=$(iptables-save 2>/dev/null | grep -vc '^#' || true)

pm() { # podman with this run's configuration, in this run's network namespace
  nsenter --net="/run/netns/$NS" env CONTAINERS_CONF="$WORK/containers.conf" CONTAINERS_STORAGE_CONF="$WORK/storage.conf" \
    TMPDIR="$WORK/tmp" podman "$@"
}
in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
ctl() { "$OUT/yurtnetctl" --socket "$WORK/run/cni.sock" "$@"; }
run_box() { # run_box NAME [podman run options...] -- COMMAND...: a detached container on the yurtnet network
  local name=$1; shift
  local options=()
  while [ "$#" -gt 0 ] && [ "$1" != -- ]; do options+=("$1"); shift; done
  shift
  pm run -d --name "$name" --network ynpm "${options[@]}" --rootfs "$WORK/rootfs" "$@"
}
ip_of() { pm inspect "$1" --format '{{.NetworkSettings.Networks.ynpm.IPAddress}}'; }

start_daemon() {
  # nsenter itself, not through a function: $! must be yurtnetd's pid (nsenter execs it), not a subshell's.
  nsenter --net="/run/netns/$NS" "$OUT/yurtnetd" --config "$WORK/yurtnetd.json" >> "$WORK/yurtnetd.log" 2>&1 &
  DAEMON=$!
  for _ in $(seq 100); do [ -S "$WORK/run/cni.sock" ] && ctl status >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "e2e: yurtnetd did not start:" >&2; tail -20 "$WORK/yurtnetd.log" >&2; return 1
}
stop_daemon() {
  [ -n "$DAEMON" ] || return 0
  kill -TERM "$DAEMON" 2>/dev/null || true
  wait "$DAEMON" 2>/dev/null || true
  DAEMON=
  rm -f "$WORK/run/cni.sock"
}

cleanup() {
  set +e
  [ -e "/run/netns/$NS" ] && pm rm -af -t 0 >/dev/null 2>&1
  stop_daemon
  # Mounts podman left under the work directory (a container's shm) would keep it from being removed.
  findmnt -rn -o TARGET | grep "^$WORK" | sort -r | xargs -r -n1 umount -l 2>/dev/null
  [ -e "/run/netns/$NS" ] && ip netns delete "$NS"
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- the bed: a root file system, podman's configuration, the network, yurtnetd
mkdir -p "$WORK"/{rootfs/bin,rootfs/www,rootfs/etc,rootfs/proc,rootfs/sys,rootfs/dev,rootfs/tmp,cni-bin,net.d,storage,runroot,tmp,libpod,spool,run}
cp /bin/busybox "$WORK/rootfs/bin/"
for applet in sh ping sleep httpd ip cat; do ln -s busybox "$WORK/rootfs/bin/$applet"; done
echo hello-yurtnet > "$WORK/rootfs/www/index.html"
ln -s "$OUT/yurtnet" "$WORK/cni-bin/yurtnet"
for plugin in portmap loopback; do ln -s "/usr/lib/cni/$plugin" "$WORK/cni-bin/$plugin"; done
# runc, not crun: crun refuses this machine's hybrid cgroup layout. default_ulimits empty: runc cannot raise them here.
cat > "$WORK/containers.conf" <<EOF
[containers]
default_ulimits = []
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$WORK/events.log"
runtime = "runc"
tmp_dir = "$WORK/libpod"
static_dir = "$WORK/storage/libpod"
volume_path = "$WORK/storage/volumes"
[network]
network_backend = "cni"
cni_plugin_dirs = ["$WORK/cni-bin"]
network_config_dir = "$WORK/net.d"
default_network = "ynpm"
EOF
cat > "$WORK/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$WORK/storage"
runroot = "$WORK/runroot"
EOF
# As an operator adds yurtnet as a podman network: the plugin, then portmap for -p.
cat > "$WORK/net.d/ynpm.conflist" <<EOF
{ "cniVersion": "1.0.0", "name": "ynpm", "plugins": [
  { "type": "yurtnet", "bridge": "ynpm0", "socket": "$WORK/run/cni.sock", "spoolDir": "$WORK/spool",
    "ipam": { "subnets": ["$POOL.0/24"] }, "capabilities": { "ips": true, "mac": true } },
  { "type": "portmap", "snat": true, "capabilities": { "portMappings": true } } ] }
EOF
cat > "$WORK/yurtnetd.json" <<EOF
{ "socket": "$WORK/run/cni.sock", "stateDir": "$WORK/state", "spoolDir": "$WORK/spool",
  "cniResultsDir": "$WORK/cni-results", "nodePool": { "enabled": false } }
EOF
ip netns add "$NS"
in_ns ip link set lo up
start_daemon

# --- five containers: addresses from the pool, each pings the next and the gateway
boxes=(b1 b2 b3 b4 b5)
five() {
  for b in "${boxes[@]}"; do run_box "$b" -- sleep 3600 >/dev/null; done
  local ips=()
  for b in "${boxes[@]}"; do ips+=("$(ip_of "$b")"); done
  printf '%s\n' "${ips[@]}"
  [ "$(printf '%s\n' "${ips[@]}" | grep -c "^$POOL\.")" = 5 ] && [ "$(printf '%s\n' "${ips[@]}" | sort -u | wc -l)" = 5 ]
  for i in 0 1 2 3 4; do
    pm exec "${boxes[$i]}" ping -c1 -W2 "${ips[$(((i + 1) % 5))]}" >/dev/null
    pm exec "${boxes[$i]}" ping -c1 -W2 "$POOL.1" >/dev/null
  done
}
check "five podman containers on a yurtnet network get addresses from the pool and ping each other and the gateway" five
check "yurtnetctl leases shows each container under its name (local/<name>)" \
  bash -c "leases=\$('$OUT/yurtnetctl' --socket '$WORK/run/cni.sock' leases); echo \"\$leases\"; for b in ${boxes[*]}; do grep -q \"active *local/\$b \" <<<\"\$leases\" || exit 1; done"

# --- -p through the chained portmap
published() {
  run_box web -p 18080:80 -- httpd -f -p 80 -h /www >/dev/null
  for _ in $(seq 50); do in_ns curl -s -m2 "http://127.0.0.1:18080/" | grep -q hello-yurtnet && break; sleep 0.1; done
  in_ns curl -s -m2 "http://127.0.0.1:18080/" | grep -q hello-yurtnet
  in_ns curl -s -m2 "http://$POOL.1:18080/" | grep -q hello-yurtnet
}
check "-p 18080:80 through the chained portmap is reachable from the host" published

# --- the address stays with the name
same_after() { # same_after NAME COMMAND...: the container's address before and after COMMAND are one
  local name=$1 before after; shift
  before=$(ip_of "$name")
  "$@" >/dev/null
  after=$(ip_of "$name")
  echo "before $before, after $after"
  [ -n "$before" ] && [ "$before" = "$after" ]
}
check "podman restart keeps the address" same_after b1 pm restart -t 0 b1
check "podman network reload keeps the address" same_after b2 pm network reload b2
recreate() {
  local before; before=$(ip_of b3)
  pm rm -f -t 0 b3 >/dev/null
  run_box b3 -- sleep 3600 >/dev/null
  local after; after=$(ip_of b3)
  echo "before $before, after $after"
  [ "$before" = "$after" ]
}
check "rm -f and run again under the same name keep the address" recreate

# --- --ip and --mac-address
static() {
  run_box fixed --ip "$POOL.50" --mac-address 02:42:0a:61:00:32 -- sleep 3600 >/dev/null
  pm exec fixed ip addr show eth0 | tee /dev/stderr | grep -q "inet $POOL.50/24"
  pm exec fixed ip link show eth0 | grep -q 'link/ether 02:42:0a:61:00:32'
  pm exec b1 ping -c1 -W2 "$POOL.50" >/dev/null
}
check "--ip and --mac-address are honoured" static
taken() {
  local holder; holder=$(ip_of b4)
  ! pm run -d --name thief --network ynpm --ip "$holder" --rootfs "$WORK/rootfs" sleep 3600 > "$WORK/thief.out" 2>&1
  cat "$WORK/thief.out"
  grep -q "in use by container local/b4" "$WORK/thief.out"
  pm rm -f thief >/dev/null 2>&1 || true
}
check "--ip of an address in use is refused, naming the container that has it" taken

# --- yurtnetd down: a clear error for a new container, teardown still succeeds
# (yurtnetd is stopped and started here, not inside a check: a check runs in a subshell.)
stop_daemon
late_run() {
  ! pm run -d --name late --network ynpm --rootfs "$WORK/rootfs" sleep 3600 > "$WORK/late.out" 2>&1
  cat "$WORK/late.out"
  grep -q "yurtnetd" "$WORK/late.out"
  pm rm -f late >/dev/null 2>&1 || true
}
check "with yurtnetd down, podman run fails with an error that says yurtnetd is unavailable" late_run
spooled() {
  pm rm -f -t 0 b5
  ls "$WORK/spool" | grep -q .
}
check "with yurtnetd down, podman rm -f still succeeds (the release is spooled)" spooled
start_daemon
back() {
  ctl gc
  [ -z "$(ls "$WORK/spool")" ]
  ! ctl leases | grep -q "active *local/b5 "
}
check "yurtnetd started again applies the spooled release" back

# --- nothing leaks
no_leaks() {
  pm rm -af -t 0 >/dev/null
  ctl gc >/dev/null
  local leases; leases=$(ctl leases)
  echo "$leases"
  ! grep -qE ' (active|pending) ' <<<"$leases"
  ! in_ns ip -br link | grep -q '^yn'
  [ "$(ls /run/netns 2>/dev/null | grep -v "^$NS\$" | sort)" = "$netns_before" ] || { echo "network namespaces left: $(ls /run/netns)"; false; }
  ! in_ns nft list table inet yurtnet 2>/dev/null | grep -q 'chain net_ynpm_'
  ! in_ns iptables-save -t nat | grep -q 'dport 18080'
  [ -z "$(ls "$WORK/spool")" ]
  [ "$(iptables-save 2>/dev/null | grep -vc '^#' || true)" = "$host_iptables_before" ] || { echo "the machine's own iptables changed"; false; }
}
check "after podman rm -af nothing is left: leases, veths, network namespaces, masquerade chain, port mappings, spool" no_leaks

echo "e2e podman: $passed passed, $failed failed"
[ "$failed" = 0 ]
