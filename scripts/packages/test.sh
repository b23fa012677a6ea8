#!/usr/bin/env bash
# make test-packages: the .debs in DEBS (default out/deb) installed, upgraded from the previous release, downgraded,
# reinstalled, removed with pods on the network and purged the way an operator does it, inside a Debian 12 container
# whose PID 1 is a real systemd (systemd-nspawn on a debootstrapped root, private network, throw-away overlay), with
# a loop of ADD and DEL through the installed plugin running across every package change; lintian on both packages;
# the arm64 binaries run under qemu-user. Prints one line per check and ends with "test-packages: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
DEBS=${DEBS:-$PWD/out/deb}
[ "$(id -u)" = 0 ] || { echo "make test-packages needs root (debootstrap, systemd-nspawn): sudo make test-packages" >&2; exit 1; }
version=$(dpkg-parsechangelog -S Version)
amd64=$DEBS/yurtnet_${version}_amd64.deb
arm64=$DEBS/yurtnet_${version}_arm64.deb
for deb in "$amd64" "$arm64"; do [ -f "$deb" ] || { echo "test-packages: $deb missing: run 'make deb' first" >&2; exit 1; }; done

# shellcheck source=../lib/check.sh
. scripts/lib/check.sh

WORK=$(mktemp -d /tmp/yurtnet-packages.XXXXXX)
MACHINE=yn-pkg-$$
CGROUP=yurtnet-test-packages-$$
NSPAWN=
cleanup() {
  set +e
  if [ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2>/dev/null; then
    in_guest systemctl poweroff >/dev/null 2>&1
    for _ in $(seq 100); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 0.1; done
    kill "$NSPAWN" 2>/dev/null; wait "$NSPAWN" 2>/dev/null
  fi
  for hierarchy in unified systemd; do
    [ -d "/sys/fs/cgroup/$hierarchy/$CGROUP" ] && find "/sys/fs/cgroup/$hierarchy/$CGROUP" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- lintian: no errors and no warnings (the reasoned overrides are in debian/yurtnet.lintian-overrides)
for deb in "$amd64" "$arm64"; do
  check "lintian $(basename "$deb"): no errors, no warnings" \
    bash -c "out=\$(lintian --fail-on error,warning '$deb' 2>&1 | grep -v '^running with root privileges' || true); echo \"\$out\"; ! grep -qE '^[EW]: ' <<<\"\$out\""
done

# --- arm64: the binaries of the arm64 package start under qemu-user
dpkg-deb -x "$arm64" "$WORK/arm64"
Q=(qemu-aarch64-static -L /usr/aarch64-linux-gnu)
check "arm64 package: yurtnet answers VERSION" \
  bash -c "echo '{\"cniVersion\":\"1.0.0\"}' | CNI_COMMAND=VERSION ${Q[*]} '$WORK/arm64/opt/cni/bin/yurtnet' | grep -q '\"supportedVersions\"'"
check "arm64 package: yurtnetd --check-config accepts the shipped settings" \
  "${Q[@]}" "$WORK/arm64/usr/sbin/yurtnetd" --check-config --config "$WORK/arm64/etc/yurtnet/yurtnetd.json"
check "arm64 package: yurtnetctl --version says $version" \
  bash -c "${Q[*]} '$WORK/arm64/usr/bin/yurtnetctl' --version | grep -qx 'yurtnetctl $version'"

# --- the previous release, built from its tag (scripts/packages/previous.sh)
mkdir -p "$WORK/pkg"
cp "$amd64" "$WORK/pkg/current.deb"
prev_version=$(dpkg-parsechangelog --offset 1 --count 1 -S Version)
cp "$(./scripts/packages/previous.sh)" "$WORK/pkg/previous.deb"

# --- boot a Debian 12 container with systemd as PID 1
ROOTFS=$(./scripts/packages/rootfs.sh)
for hierarchy in unified systemd; do mkdir -p "/sys/fs/cgroup/$hierarchy/$CGROUP"; done
(
  for hierarchy in unified systemd; do echo "$BASHPID" > "/sys/fs/cgroup/$hierarchy/$CGROUP/cgroup.procs"; done
  exec systemd-nspawn --quiet --register=no --keep-unit --console=passive -M "$MACHINE" -D "$ROOTFS" -b \
    --volatile=overlay --private-network --bind-ro="$WORK/pkg:/pkg"
) > "$WORK/console.log" 2>&1 &
NSPAWN=$!
leader=
for _ in $(seq 100); do
  leader=$(pgrep -P "$NSPAWN" -x systemd || true)
  [ -n "$leader" ] && break
  sleep 0.1
done
[ -n "$leader" ] || { echo "test-packages: the container did not boot:" >&2; cat "$WORK/console.log" >&2; exit 1; }
in_guest() { nsenter -t "$leader" -m -u -i -n -p -C -- "$@"; }
# A command as a transient unit of the guest's systemd: the guest's capabilities and cgroup, its exit status.
# The script goes in on stdin: systemd-run would expand ${...} in its arguments.
guest() { printf '%s\n' "$1" | in_guest systemd-run --quiet --wait --pipe --collect -- /bin/sh -e; }
state=
for _ in $(seq 300); do # PID 1 exists before its bus does: no answer, or "offline", until it is there
  state=$(in_guest timeout 60 systemctl is-system-running --wait 2>/dev/null || true)
  [ -n "$state" ] && [ "$state" != offline ] && break
  sleep 0.1
done
check "container boots to a running system (got: $state)" test "$state" = running

snapshot() { # every path outside the volatile places, for the "nothing left after purge" check
  guest 'find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp -o -path /var/tmp \
    -o -path /var/log -o -path /var/cache -o -path /var/lib/apt -o -path /var/lib/dpkg -o -path /var/lib/systemd \
    -o -path /pkg \) -prune -o -print | LC_ALL=C sort'
}
snapshot > "$WORK/before.txt"

# A pod that starts and stops for as long as a package changes: ADD and DEL through the installed plugin, a new
# container of the same pod each time (its held address comes back), one line per verb in /tmp/loop.log.
guest 'cat > /tmp/loop.sh <<"LOOP"
#!/bin/sh
jq -c ".plugins[0] + {cniVersion: .cniVersion, name: .name}" /etc/cni/net.d/10-yurtnet.conflist > /tmp/loop-conf.json
i=0
while [ ! -e /tmp/loop.stop ]; do
  i=$((i + 1)); ip netns add loop
  for verb in ADD DEL; do
    # A DEL that yurtnetd did not answer still succeeds (it is spooled). One whose connection the stopping daemon
    # closed is spooled by design and applied by the next one (counted); one that yurtnetd refused is a failure.
    if out=$(CNI_COMMAND=$verb CNI_CONTAINERID=loop$i CNI_NETNS=/run/netns/loop CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin \
        CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=looper" /opt/cni/bin/yurtnet < /tmp/loop-conf.json 2>&1) \
        && ! printf "%s" "$out" | grep "release spooled" | grep -qv "connection to yurtnetd broke"; then
      if printf "%s" "$out" | grep -q "release spooled"; then echo "spooled $verb loop$i" >> /tmp/loop.log; fi
      echo "ok $verb loop$i" >> /tmp/loop.log
    else
      echo "FAIL $verb loop$i $(date +%T.%N): $out" >> /tmp/loop.log
    fi
  done
  ip netns delete loop
done
rm -f /tmp/loop.stop
LOOP
chmod +x /tmp/loop.sh'
# during CHANGE: runs the package change (a guest script) with the loop going, until the loop made 20 more rounds
# after it; then no ADD or DEL of the loop failed (a DEL spooled for any reason but a connection the stopping daemon
# closed counts as failed, and every spooled one must be applied), and yurtnetd never failed or was restarted by systemd. (Under sh -e a command starting with ! never ends the script: failures are tested with if.)
during() {
  local change=$1 changed=0
  guest 'rm -f /tmp/loop.log /tmp/loop.stop; touch /tmp/loop.log; systemd-run --quiet --unit=yn-loop --collect /tmp/loop.sh' || return 1
  guest "$change" || changed=$?
  guest 'rounds() { grep -c "^ok DEL" /tmp/loop.log || true; }
    stalled=
    if [ '"$changed"' = 0 ]; then after=$(rounds); for _ in $(seq 600); do
      [ "$(rounds)" -ge $((after + 20)) ] && break; grep -q ^FAIL /tmp/loop.log && break; sleep 0.1; done
      [ "$(rounds)" -ge $((after + 20)) ] || grep -q ^FAIL /tmp/loop.log || stalled="the loop stalled: $(rounds) rounds, $after before the change ended"; fi
    touch /tmp/loop.stop; while systemctl is-active -q yn-loop; do sleep 0.1; done
    if [ -n "$stalled" ]; then echo "$stalled"; tail -5 /tmp/loop.log; exit 1; fi
    echo "$(grep -c "^ok" /tmp/loop.log || true) ADD and DEL passed ($(grep -c "^spooled" /tmp/loop.log || true) DEL spooled across the restart), $(grep -c "^FAIL" /tmp/loop.log || true) failed"
    if grep -A3 "^FAIL" /tmp/loop.log; then exit 1; fi
    # What was spooled is applied: nothing is left once yurtnetd ran its reconciliation.
    yurtnetctl gc > /dev/null
    if ls /var/lib/yurtnet/spool/*.release.json 2>/dev/null; then echo "spooled releases were not applied"; exit 1; fi
    test "$(systemctl show -P NRestarts yurtnetd.service)" = 0
    if journalctl -u yurtnetd.service -o cat | grep -E "Failed with result|Main process exited, code=(exited|killed|dumped), status=[1-9]"; then exit 1; fi' || return 1
  [ "$changed" = 0 ] || { echo "the package change failed"; return 1; }
}

# The runtime's view of the installed network: the plugin's entry plus cniVersion and name, and for CHECK and DEL
# the ADD result as prevResult (kept in /tmp/POD.json).
NETCONF='jq -c --argjson prev "$(cat /tmp/$POD.json 2>/dev/null || echo null)" ".plugins[0] + {cniVersion: .cniVersion, name: .name} + (if \$prev then {prevResult: \$prev} else {} end)" /etc/cni/net.d/10-yurtnet.conflist'
cni() { # cni VERB POD: the installed plugin with the installed network, as the runtime would run it
  echo "{ POD=$2; $NETCONF | CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=/run/netns/$2 CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin \
    CNI_ARGS='IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$2' /opt/cni/bin/yurtnet; }"
}

# --- install the previous release
check "apt install ./previous.deb ($prev_version)" guest 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q /pkg/previous.deb'
check "socket and service are enabled and active" \
  guest 'systemctl is-enabled yurtnetd.socket yurtnetd.service && systemctl is-active yurtnetd.socket yurtnetd.service'
check "yurtnetd reported READY (Type=notify) and yurtnetctl status says ready" \
  guest 'systemctl show -P StatusText yurtnetd.service | grep -q "^ready" && yurtnetctl status'
check "first install wrote /etc/cni/net.d/10-yurtnet.conflist (no other CNI network was there)" \
  guest 'cmp /usr/share/yurtnet/10-yurtnet.conflist /etc/cni/net.d/10-yurtnet.conflist'
check "CNI ADD through the installed plugin gives the pod an address that answers ping" \
  guest "ip netns add pod1 && $(cni ADD pod1) > /tmp/pod1.out && mv /tmp/pod1.out /tmp/pod1.json && jq -e '.ips[0].address == \"10.88.0.2/24\"' /tmp/pod1.json && ip netns exec pod1 ping -c1 -W2 10.88.0.1"
check "the lease is durable on disk before the upgrade" guest 'yurtnetctl leases | grep -q "default/pod1"'

# --- upgrade from the previous release with pods starting and stopping: state and settings survive
guest 'sed -i "s/\"leaseHold\": \"10m\"/\"leaseHold\": \"20m\"/" /etc/yurtnet/yurtnetd.json'
pid_before=$(guest 'systemctl show -P MainPID yurtnetd.service')
socket_since=$(guest 'systemctl show -P ActiveEnterTimestampMonotonic yurtnetd.socket')
check "upgrade $prev_version to $version while pods start and stop: no ADD or DEL fails, yurtnetd never failed" \
  during "DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold /pkg/current.deb && dpkg-query -W -f '\${Version}' yurtnet | grep -qx '$version'"
check "upgrade restarted yurtnetd (new main PID) and it is ready" \
  guest "test \"\$(systemctl show -P MainPID yurtnetd.service)\" != '$pid_before' && yurtnetctl status"
check "upgrade left the socket listening (not restarted)" \
  guest "test \"\$(systemctl show -P ActiveEnterTimestampMonotonic yurtnetd.socket)\" = '$socket_since'"
check "upgrade migrated the store of $prev_version to this format and kept the lease and the pod's address" \
  guest "journalctl -u yurtnetd.service -o cat | grep -q 'migrated from format 1 to format 2' && yurtnetctl leases | grep 'default/pod1' | grep -q '10.88.0.2' && $(cni CHECK pod1)"
check "upgrade kept the changed conffile /etc/yurtnet/yurtnetd.json" guest 'grep -q "\"20m\"" /etc/yurtnet/yurtnetd.json'

# --- the host repair under the shipped unit's sandbox (ProtectSystem=strict, ProtectKernelTunables=yes, CAP_NET_ADMIN)
check "yurtnetd puts back the bridge address, forwarding and masquerade chain another program removed (yurtnetctl gc)" \
  guest 'nft flush ruleset && ip addr flush dev yurt0 && sysctl -qw net.ipv4.ip_forward=0 && yurtnetctl gc > /tmp/gc.out; cat /tmp/gc.out
    grep -q "gateway address(es) 10.88.0.1/24 of bridge yurt0 were gone: added again" /tmp/gc.out
    grep -q "net.ipv4.ip_forward was 0: set to 1" /tmp/gc.out
    grep -q "the masquerade chain was gone" /tmp/gc.out
    test "$(cat /proc/sys/net/ipv4/ip_forward)" = 1
    nft list table inet yurtnet | grep -q "chain net_yurtnet_"
    ip netns exec pod1 ping -c1 -W2 10.88.0.1
    ! journalctl -u yurtnetd --since=-1min | grep -q "cannot be repaired"'

# --- a support bundle for a ticket, from the installed CLI on a running gateway
check "yurtnetctl support-bundle writes status, leases, the network, the journal and our nftables table" \
  guest 'f=$(yurtnetctl support-bundle --output /tmp) && tar -xzf "$f" -C /tmp && d=/tmp/$(basename "$f" .tar.gz) \
    && test "$(stat -c %a "$f")" = 600 && jq -e .ready "$d/status.json" && grep -q default/pod1 "$d/leases.json" \
    && grep -q "\"type\": \"yurtnet\"" "$d/cni/10-yurtnet.conflist" && grep -q "yurtnetd\[[0-9]*\]: " "$d/journal.txt" \
    && grep -q "chain net_yurtnet_" "$d/nftables.txt" && grep -q "10.88.0.1/24" "$d/bridges.txt"'

# --- re-running the maintainer scripts changes nothing
check "reinstall of $version while pods start and stop: no ADD or DEL fails; service, lease and network kept" \
  during "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall -o Dpkg::Options::=--force-confold /pkg/current.deb \
    && systemctl is-active yurtnetd.socket yurtnetd.service && yurtnetctl leases | grep -q default/pod1 \
    && cmp /usr/share/yurtnet/10-yurtnet.conflist /etc/cni/net.d/10-yurtnet.conflist"

# --- downgrade to the previous release and upgrade again: the previous yurtnetd reads this store
check "downgrade $version to $prev_version while pods start and stop: no ADD or DEL fails, yurtnetd never failed" \
  during "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-downgrades -o Dpkg::Options::=--force-confold /pkg/previous.deb && dpkg-query -W -f '\${Version}' yurtnet | grep -qx '$prev_version'"
check "downgrade kept the lease and the pod's address ($prev_version reads this store)" \
  guest "yurtnetctl status && yurtnetctl leases | grep 'default/pod1' | grep -q '10.88.0.2' && $(cni CHECK pod1)"
check "upgrade to $version again while pods start and stop: no ADD or DEL fails" \
  during "DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold /pkg/current.deb && dpkg-query -W -f '\${Version}' yurtnet | grep -qx '$version'"

# --- remove with pods on the network: their DELs still work and wait for a reinstall; new pods are refused clearly
check "CNI ADD of a second pod" guest "ip netns add pod2 && $(cni ADD pod2) > /tmp/pod2.out && mv /tmp/pod2.out /tmp/pod2.json"
check "apt remove says the plugin stays for the pods still on the network" \
  guest 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -q yurtnet > /tmp/remove.out 2>&1 || { cat /tmp/remove.out; exit 1; }; cat /tmp/remove.out
    grep -q "/opt/cni/bin/yurtnet stays while a CNI network in /etc/cni/net.d names it" /tmp/remove.out'
check "remove stopped socket and service, took yurtnetd and yurtnetctl, kept the plugin, settings and state" \
  guest '! systemctl is-active -q yurtnetd.socket && ! systemctl is-active -q yurtnetd.service \
    && test ! -e /usr/sbin/yurtnetd -a ! -e /usr/bin/yurtnetctl -a -x /opt/cni/bin/yurtnet \
    && test -z "$(dpkg-divert --list /opt/cni/bin/yurtnet)" \
    && test -f /etc/yurtnet/yurtnetd.json -a -f /var/lib/yurtnet/state.db -a -f /etc/cni/net.d/10-yurtnet.conflist'
check "after remove, a new pod's ADD fails naming the removal and what to do" \
  guest "ip netns add pod3 && ! $(cni ADD pod3) > /tmp/pod3.err; cat /tmp/pod3.err; jq -e '.code == 11 and (.msg | contains(\"yurtnet was removed from this node\")) and (.details | contains(\"apt purge yurtnet\"))' /tmp/pod3.err"
check "after remove, the DEL of a pod on the network succeeds and its release waits in the spool" \
  guest "$(cni DEL pod1) && ls /var/lib/yurtnet/spool/*.release.json && ! ip netns exec pod1 ip link show eth0"
check "reinstall after remove: yurtnetd applies the spooled DEL, the other pod keeps its address, the new pod gets a free one" \
  guest "DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold /pkg/current.deb && yurtnetctl status \
    && test ! -e /var/lib/yurtnet/package-removed && ! ls /var/lib/yurtnet/spool/*.release.json 2>/dev/null \
    && yurtnetctl leases | grep default/pod1 | grep -q held && yurtnetctl leases | grep default/pod2 | grep -q active \
    && $(cni ADD pod3) > /tmp/pod3.out && mv /tmp/pod3.out /tmp/pod3.json && $(cni CHECK pod2) \
    && test -z \"\$(jq -r '.ips[0].address' /tmp/pod1.json /tmp/pod2.json /tmp/pod3.json | sort | uniq -d)\" \
    && ip netns exec pod3 ping -c1 -W2 \"\$(jq -r '.ips[0].address' /tmp/pod2.json | cut -d/ -f1)\""
check "CNI DEL of the pods" guest "$(cni DEL pod2) && $(cni DEL pod3) && ip netns delete pod1 && ip netns delete pod2 && ip netns delete pod3"

# --- remove without pods, then purge
check "apt remove" guest 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -q yurtnet'

# --- purge: nothing left
check "apt purge" guest 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q yurtnet'
snapshot > "$WORK/after.txt"
# Left behind: anything not there before. Taken away: only /opt may go, which no Debian package owns, so dpkg
# removes it with the last package that shipped files below it once it is empty.
check "purge left no nftables table of ours" guest '! nft list table inet yurtnet >/dev/null 2>&1'
check "purge left nothing behind (settings, state, the conflist it wrote, unit links)" \
  bash -c "added=\$(comm -13 '$WORK/before.txt' '$WORK/after.txt'); removed=\$(comm -23 '$WORK/before.txt' '$WORK/after.txt' | grep -vx /opt || true);
    [ -z \"\$added\$removed\" ] || { echo \"left behind: \$added\"; echo \"taken away: \$removed\"; exit 1; }"

# --- a node that already has a CNI network keeps it
guest 'mkdir -p /etc/cni/net.d && echo "{\"cniVersion\":\"1.0.0\",\"name\":\"theirs\",\"plugins\":[{\"type\":\"bridge\"}]}" > /etc/cni/net.d/05-theirs.conflist'
check "install on a node with another CNI network writes no conflist and says how to enable yurtnet" \
  guest 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q /pkg/current.deb | grep -q "to use yurtnet, replace it" \
    && test ! -e /etc/cni/net.d/10-yurtnet.conflist && grep -q theirs /etc/cni/net.d/05-theirs.conflist'
check "purge there leaves the other network alone" \
  guest 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q yurtnet && test -f /etc/cni/net.d/05-theirs.conflist'

echo "test-packages: $passed passed, $failed failed"
[ "$failed" = 0 ]
