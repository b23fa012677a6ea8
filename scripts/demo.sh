#!/usr/bin/env bash
# make demo: two "pods" (network namespaces) on one gateway get dual-stack addresses from yurtnetd through the
# real yurtnet CNI binary, reach each other and the gateway, and are torn down again. Everything it creates
# (daemon, namespaces, bridge, nftables chain, temp files) is removed on exit, also when a step fails.
set -euo pipefail

OUT=${OUT:-$(cd "$(dirname "$0")/.." && pwd)/out/linux-x64}
if [ "$(id -u)" != 0 ]; then
  echo "make demo needs root: it creates network namespaces, a bridge and nftables rules. Run: sudo make demo" >&2
  exit 1
fi

BRIDGE=yndemo0
NETWORK=yurtnet-demo
V4=10.242.0.0/24
V6=fd00:242::/64
WORK=$(mktemp -d /tmp/yurtnet-demo.XXXXXX)
SOCKET=$WORK/run/cni.sock
DAEMON_PID=
PODS=(yn-demo-a yn-demo-b)

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

cleanup() {
  local rc=$?
  set +e
  step "cleaning up"
  for i in 0 1; do
    [ -e "/run/netns/${PODS[$i]}" ] && cni DEL "${PODS[$i]}" "demo-c$i" "pod-$i" >/dev/null 2>&1
    ip netns delete "${PODS[$i]}" 2>/dev/null
  done
  [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
  ip link delete "$BRIDGE" 2>/dev/null
  rm -rf "$WORK"
  if [ "$rc" = 0 ]; then echo "demo finished: everything it created is gone"; else echo "demo FAILED (exit $rc); everything it created is gone" >&2; fi
}
trap cleanup EXIT

conf() {
  cat <<JSON
{"cniVersion":"1.0.0","name":"$NETWORK","type":"yurtnet","bridge":"$BRIDGE","socket":"$SOCKET","spoolDir":"$WORK/spool",
 "ipam":{"subnets":["$V4","$V6"]}}
JSON
}

# cni VERB NETNS CONTAINERID PODNAME: one exec of the plugin, as containerd does it
cni() {
  conf | CNI_COMMAND=$1 CNI_NETNS=/run/netns/$2 CNI_CONTAINERID=$3 CNI_IFNAME=eth0 CNI_PATH="$OUT" \
    CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=demo;K8S_POD_NAME=$4" "$OUT/yurtnet"
}

step "starting yurtnetd (state in $WORK/state)"
cat > "$WORK/yurtnetd.json" <<JSON
{ "socket": "$SOCKET", "stateDir": "$WORK/state", "spoolDir": "$WORK/spool", "leaseHold": "10m" }
JSON
"$OUT/yurtnetd" --config "$WORK/yurtnetd.json" 2> "$WORK/yurtnetd.log" &
DAEMON_PID=$!
for _ in $(seq 100); do [ -S "$SOCKET" ] && break; sleep 0.05; done
[ -S "$SOCKET" ] || { cat "$WORK/yurtnetd.log"; exit 1; }
echo "yurtnetd pid $DAEMON_PID listening on $SOCKET"

for i in 0 1; do
  step "ADD pod-$i: network namespace ${PODS[$i]} through $OUT/yurtnet"
  ip netns add "${PODS[$i]}"
  cni ADD "${PODS[$i]}" "demo-c$i" "pod-$i" 2>/dev/null | tee "$WORK/result-$i.json"
  echo
done

addr() { ip -n "${PODS[$1]}" -o -"$2" addr show dev eth0 scope global | awk '{print $4}' | cut -d/ -f1; }
A4=$(addr 1 4); A6=$(addr 1 6)
step "pod-0 -> pod-1 over IPv4 ($A4) and IPv6 ($A6)"
ip netns exec "${PODS[0]}" ping -c 2 -W 2 "$A4" | tail -2
ip netns exec "${PODS[0]}" ping -6 -c 2 -W 2 "$A6" | tail -2
step "pod-0 -> gateway ($BRIDGE) over IPv4 and IPv6"
ip netns exec "${PODS[0]}" ping -c 1 -W 2 10.242.0.1 | tail -2
ip netns exec "${PODS[0]}" ping -6 -c 1 -W 2 fd00:242::1 | tail -2

step "yurtnetctl status"
"$OUT/yurtnetctl" --socket "$SOCKET" status
step "yurtnetctl leases"
"$OUT/yurtnetctl" --socket "$SOCKET" leases

for i in 0 1; do
  step "DEL pod-$i"
  cni DEL "${PODS[$i]}" "demo-c$i" "pod-$i" && echo "DEL pod-$i: ok"
done

step "yurtnetctl leases after DEL: no active lease; each address is held for its pod (sticky IP)"
"$OUT/yurtnetctl" --socket "$SOCKET" leases
if "$OUT/yurtnetctl" --socket "$SOCKET" leases --json | grep -q '"state": "active"'; then
  echo "unexpected: an active lease is left" >&2; exit 1
fi
