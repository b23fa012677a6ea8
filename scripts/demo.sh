#!/usr/bin/env bash
# make demo: two "pods" (network namespaces) on one gateway get dual-stack addresses from yurtnetd through the
# real yurtnet CNI binary, reach each other and the gateway, and are torn down again. Then a second gateway of the
# same NodePool (a network namespace with its own yurtnetd, the two knowing each other as static peers) gets a pod
# that pod-0 reaches without NAT. Everything it creates (daemons, namespaces, bridges, veth, routes, nftables chain
# and sets, temp files) is removed on exit, also when a step fails.
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
PODS=(yn-demo-a yn-demo-b)
# The second gateway: a network namespace joined to this host by a veth (the site's LAN, 192.168.240.0/24).
GW2=yn-demo-gw2
GW2_POD=yn-demo-c
GW2_V4=10.243.0.0/24
GW2_V6=fd00:243::/64
LAN=yndemo-lan
DAEMON_PID=
GW2_PID=

# The host's yurtnetd becomes a NodePool gateway for the demo: it must not meet a real yurtnet (whose resync would
# take the demo's routes, and whose masquerade exemption sets the demo's daemon would refill), nor the leftovers of
# an earlier demo (cleanup removes what has the demo's names).
if pgrep -x yurtnetd >/dev/null || [ -S /run/yurtnet/cni.sock ] \
   || ip route show proto 121 | grep -q . || ip -6 route show proto 121 | grep -q . || ip link show yurtnet.vxlan >/dev/null 2>&1 \
   || nft list set inet yurtnet nomasq4 2>/dev/null | grep -q elements || nft list set inet yurtnet nomasq6 2>/dev/null | grep -q elements; then
  echo "make demo: yurtnet runs on this host (a yurtnetd, /run/yurtnet/cni.sock, routes of protocol 121, yurtnet.vxlan or" >&2
  echo "filled masquerade exemption sets); the demo's gateway would disturb it. Run the demo on a machine without yurtnet." >&2
  exit 1
fi
for leftover in "${PODS[@]}" "$GW2" "$GW2_POD"; do
  [ -e "/run/netns/$leftover" ] && { echo "make demo: network namespace $leftover exists (an earlier demo?): ip netns delete $leftover" >&2; exit 1; }
done
for leftover in "$BRIDGE" "$LAN"; do
  ip link show "$leftover" >/dev/null 2>&1 && { echo "make demo: link $leftover exists (an earlier demo?): ip link delete $leftover" >&2; exit 1; }
done

NFT_TABLE_BEFORE=$(nft list table inet yurtnet >/dev/null 2>&1 && echo yes || echo no)
WORK=$(mktemp -d /tmp/yurtnet-demo.XXXXXX)
SOCKET=$WORK/run/cni.sock
GW2_SOCKET=$WORK/gw2/cni.sock

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

cleanup() {
  local rc=$?
  set +e
  step "cleaning up"
  for i in 0 1; do
    [ -e "/run/netns/${PODS[$i]}" ] && cni DEL "${PODS[$i]}" "demo-c$i" "pod-$i" >/dev/null 2>&1
    ip netns delete "${PODS[$i]}" 2>/dev/null
  done
  [ -e "/run/netns/$GW2_POD" ] && cni2 DEL "$GW2_POD" demo-c2 pod-2 >/dev/null 2>&1
  ip netns delete "$GW2_POD" 2>/dev/null
  [ -n "$GW2_PID" ] && kill "$GW2_PID" 2>/dev/null && wait "$GW2_PID" 2>/dev/null
  [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
  ip netns delete "$GW2" 2>/dev/null
  # Deleting the veth takes the peer routes through it along.
  ip link delete "$LAN" 2>/dev/null
  ip link delete "$BRIDGE" 2>/dev/null
  # The exemption sets yurtnetd filled: the table goes if the demo made it, else only the demo's networks leave it.
  if [ "$NFT_TABLE_BEFORE" = no ]; then
    nft delete table inet yurtnet 2>/dev/null
  else
    nft delete element inet yurtnet nomasq4 "{ $V4, $GW2_V4 }" 2>/dev/null
    nft delete element inet yurtnet nomasq6 "{ $V6, $GW2_V6 }" 2>/dev/null
  fi
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

# cni2 VERB NETNS CONTAINERID PODNAME: the plugin as the second gateway's containerd runs it (in its namespace)
cni2() {
  cat <<JSON | CNI_COMMAND=$1 CNI_NETNS=/run/netns/$2 CNI_CONTAINERID=$3 CNI_IFNAME=eth0 CNI_PATH="$OUT" \
    CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=demo;K8S_POD_NAME=$4" ip netns exec "$GW2" "$OUT/yurtnet"
{"cniVersion":"1.0.0","name":"$NETWORK","type":"yurtnet","bridge":"$BRIDGE","socket":"$GW2_SOCKET","spoolDir":"$WORK/gw2/spool",
 "ipam":{"subnets":["$GW2_V4","$GW2_V6"]}}
JSON
}

# peer NAME ADDRESS4 ADDRESS6 POD4 POD6: a static peer for yurtnetd.json's nodePool.peers
peer() { printf '{"name": "%s", "addresses": ["%s", "%s"], "podCidrs": ["%s", "%s"]}' "$@"; }

step "the site's LAN: a veth from this gateway (192.168.240.1) to a second gateway, network namespace $GW2 (192.168.240.2)"
ip netns add "$GW2"
ip link add "$LAN" type veth peer name uplink netns "$GW2"
ip addr add 192.168.240.1/24 dev "$LAN"
ip addr add fd00:240::1/64 dev "$LAN" nodad
ip link set "$LAN" up
ip -n "$GW2" link set lo up
ip -n "$GW2" addr add 192.168.240.2/24 dev uplink
ip -n "$GW2" addr add fd00:240::2/64 dev uplink nodad
ip -n "$GW2" link set uplink up
mkdir -p "$WORK/gw2"

# start_yurtnetd PIDVAR DIR SOCKET NETNS ADDRESS POD4 POD6 PEER: writes DIR/yurtnetd.json (state and spool in DIR,
# this gateway's underlay address and pod CIDRs, one static peer), starts yurtnetd (in NETNS unless empty) with its
# pid in the variable PIDVAR at once (cleanup stops it whatever happens next), and waits for its socket
start_yurtnetd() {
  local pidvar=$1 dir=$2 socket=$3 netns=$4
  cat > "$dir/yurtnetd.json" <<JSON
{ "socket": "$socket", "stateDir": "$dir/state", "spoolDir": "$dir/spool", "leaseHold": "10m",
  "nodePool": { "address": "$5", "podCidrs": ["$6", "$7"], "peers": [ $8 ] } }
JSON
  if [ -n "$netns" ]; then
    ip netns exec "$netns" "$OUT/yurtnetd" --config "$dir/yurtnetd.json" 2> "$dir/yurtnetd.log" &
  else
    "$OUT/yurtnetd" --config "$dir/yurtnetd.json" 2> "$dir/yurtnetd.log" &
  fi
  printf -v "$pidvar" '%s' "$!"
  for _ in $(seq 100); do [ -S "$socket" ] && break; sleep 0.05; done
  [ -S "$socket" ] || { cat "$dir/yurtnetd.log"; exit 1; }
  echo "yurtnetd pid ${!pidvar} listening on $socket"
}

step "starting yurtnetd (state in $WORK/state), with the second gateway as its static NodePool peer"
start_yurtnetd DAEMON_PID "$WORK" "$SOCKET" "" 192.168.240.1 "$V4" "$V6" "$(peer gw-2 192.168.240.2 fd00:240::2 "$GW2_V4" "$GW2_V6")"

step "starting the second gateway's yurtnetd in $GW2 (state in $WORK/gw2)"
start_yurtnetd GW2_PID "$WORK/gw2" "$GW2_SOCKET" "$GW2" 192.168.240.2 "$GW2_V4" "$GW2_V6" "$(peer gw-1 192.168.240.1 fd00:240::1 "$V4" "$V6")"

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

step "ADD pod-2 on the second gateway: network namespace $GW2_POD through $OUT/yurtnet in $GW2"
ip netns add "$GW2_POD"
cni2 ADD "$GW2_POD" demo-c2 pod-2 2>/dev/null | tee "$WORK/result-2.json"
echo
C4=$(ip -n "$GW2_POD" -o -4 addr show dev eth0 scope global | awk '{print $4}' | cut -d/ -f1)
C6=$(ip -n "$GW2_POD" -o -6 addr show dev eth0 scope global | awk '{print $4}' | cut -d/ -f1)
P4=$(addr 0 4); P6=$(addr 0 6)

step "pod-0 (gateway 1) -> pod-2 (gateway 2) over IPv4 ($C4) and IPv6 ($C6), masquerade on, yet no NAT inside the site"
# pod-2 counts the echo requests that arrive with pod-0's own address as their source.
ip netns exec "$GW2_POD" nft add table inet demo
ip netns exec "$GW2_POD" nft add chain inet demo input '{ type filter hook input priority 0; }'
ip netns exec "$GW2_POD" nft add rule inet demo input ip saddr "$P4" icmp type echo-request counter
ip netns exec "$GW2_POD" nft add rule inet demo input ip6 saddr "$P6" icmpv6 type echo-request counter
ip netns exec "${PODS[0]}" ping -c 2 -W 2 "$C4" | tail -2
ip netns exec "${PODS[0]}" ping -6 -c 2 -W 2 "$C6" | tail -2
arrived=$(ip netns exec "$GW2_POD" nft list chain inet demo input | grep -c 'packets [1-9]' || true)
echo "pod-2 saw echo requests from pod-0's own addresses $P4 and $P6: $arrived of 2 families"
[ "$arrived" = 2 ] || { echo "unexpected: translated on the way" >&2; exit 1; }

step "yurtnetctl peers (gateway 1), and the route it installed"
"$OUT/yurtnetctl" --socket "$SOCKET" peers
ip route show proto 121
ip -6 route show proto 121

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
