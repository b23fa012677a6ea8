#!/usr/bin/env bash
# make smoke-arm64: the linux-arm64 NativeAOT executables (most gateways are arm64), cross-compiled here and run
# under qemu-user: VERSION, --check-config, --version, then a real ADD, a ping and a DEL with the arm64 daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/out/linux-arm64}
[ "$(id -u)" = 0 ] || { echo "make smoke-arm64 needs root (a network namespace and a bridge): sudo make smoke-arm64" >&2; exit 1; }
OUT=$OUT RID=linux-arm64 ./scripts/publish.sh >/dev/null
Q=(qemu-aarch64-static -L /usr/aarch64-linux-gnu)
WORK=$(mktemp -d /tmp/yurtnet-arm64.XXXXXX)
NETNS=yn-arm64-$$
BRIDGE=ynarm$$
DAEMON=
cleanup() {
  set +e
  [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
  ip netns delete "$NETNS" 2>/dev/null
  ip link delete "$BRIDGE" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

file "$OUT/yurtnet" | grep -q 'ARM aarch64' || { echo "smoke-arm64: $OUT/yurtnet is not an aarch64 executable" >&2; exit 1; }
echo '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION "${Q[@]}" "$OUT/yurtnet" | grep -q '"supportedVersions"'
"${Q[@]}" "$OUT/yurtnetctl" --version | grep -q '^yurtnetctl '
echo "{ \"socket\": \"$WORK/run/cni.sock\", \"stateDir\": \"$WORK/state\" }" > "$WORK/yurtnetd.json"
"${Q[@]}" "$OUT/yurtnetd" --config "$WORK/yurtnetd.json" --check-config >/dev/null
"${Q[@]}" "$OUT/yurtnetd" --config "$WORK/yurtnetd.json" 2> "$WORK/yurtnetd.log" &
DAEMON=$!
for _ in $(seq 200); do [ -S "$WORK/run/cni.sock" ] && break; sleep 0.1; done
ip netns add "$NETNS"
CONF="{\"cniVersion\":\"1.0.0\",\"name\":\"arm64-smoke\",\"bridge\":\"$BRIDGE\",\"ipMasq\":false,\"socket\":\"$WORK/run/cni.sock\",\"spoolDir\":\"$WORK/spool\",\"ipam\":{\"subnets\":[\"10.243.7.0/24\"]}}"
cni() { echo "$CONF" | CNI_COMMAND=$1 CNI_CONTAINERID=arm64 CNI_NETNS=/run/netns/$NETNS CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=smoke;K8S_POD_NAME=arm64" "${Q[@]}" "$OUT/yurtnet"; }
cni ADD 2>/dev/null | grep -q '"address":"10.243.7.2/24"' || { echo "smoke-arm64: ADD failed" >&2; cat "$WORK/yurtnetd.log" >&2; exit 1; }
ip netns exec "$NETNS" ping -c 1 -W 2 10.243.7.1 >/dev/null
"${Q[@]}" "$OUT/yurtnetctl" --socket "$WORK/run/cni.sock" leases | grep -q 'smoke/arm64'
cni DEL 2>/dev/null
echo "smoke-arm64: ok (VERSION, --check-config, --version, ADD, ping, leases, DEL under qemu-aarch64)"
