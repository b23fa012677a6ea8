#!/usr/bin/env bash
# How state-0.1.0.tar.gz was made (root, once): the yurtnetd of the yurtnet 0.1.0 package (tag v0.1.0) in a network
# namespace of its own, given four pods over its socket in protocol 1 (active, local, held, pending), then killed
# with SIGKILL in the middle of the pending pod's ADD, so its commit log was never checkpointed: the store as a power cut leaves it on a 0.1.0 gateway.
# Usage: make-state-0.1.0.sh ROOT   (ROOT: yurtnet_0.1.0_amd64.deb unpacked with dpkg-deb -x)
set -euo pipefail
root=$1 out=$(cd "$(dirname "$0")" && pwd)/state-0.1.0.tar.gz work=$(mktemp -d)
trap 'ip netns delete yn-fixture 2>/dev/null; rm -rf "$work"' EXIT
echo "{\"stateDir\":\"$work/state\",\"socket\":\"$work/run/cni.sock\",\"leds\":[],\"leaseHold\":\"30d\"}" > "$work/conf.json"
ip netns add yn-fixture
ip netns exec yn-fixture "$root/usr/sbin/yurtnetd" --config "$work/conf.json" > "$work/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 50); do [ -S "$work/run/cni.sock" ] && break; sleep 0.1; done
python3 - "$work/run/cni.sock" "$daemon" <<'PY'
import json, os, signal, socket, struct, sys
def connect():
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); return s
def ask(s, frame):
    b = json.dumps(frame).encode(); s.sendall(struct.pack(">I", len(b)) + b)
    n = struct.unpack(">I", s.recv(4))[0]; d = b""
    while len(d) < n: d += s.recv(n - len(d))
    assert json.loads(d)["kind"] != "error", d
def add(c, pod, commit=True):
    s = connect()  # allocate and commit on one connection: a client gone after allocating is rolled back
    ask(s, {"v": 1, "op": "allocate", "id": "a", "containerId": c, "ifName": "eth0", "network": "edge", "netns": "/var/run/netns/" + c,
            "pod": pod, "subnets": ["10.22.0.0/24", "fd00:22::/64"], "requestedIps": [], "podAnnotationsPassed": False})
    if commit:
        ask(s, {"v": 1, "op": "commit", "id": "b", "containerId": c, "ifName": "eth0", "network": "edge", "hostVeth": "yn" + c[-6:], "mac": "02:00:00:00:00:0" + c[-1]})
    return s
add("c-active1", {"namespace": "shop", "name": "web-0", "uid": "u-web-0"})
add("c-local2", {"namespace": "local", "name": "db", "local": True})
add("c-held3", {"namespace": "shop", "name": "cache-0", "uid": "u-cache-0"})
ask(connect(), {"v": 1, "op": "release", "id": "c", "containerId": "c-held3", "ifName": "eth0", "network": "edge"})
keep = add("c-pending4", {"namespace": "shop", "name": "job-0", "uid": "u-job-0"}, commit=False)
ask(connect(), {"v": 1, "op": "leases", "id": "d"})
os.kill(int(sys.argv[2]), signal.SIGKILL)  # while the pending pod's connection is open: no rollback of it
PY
wait "$daemon" 2>/dev/null || true
tar -C "$work/state" -czf "$out" state.db state-log.db
echo "wrote $out"
