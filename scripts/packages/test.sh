#!/usr/bin/env bash
# make test-packages: the .debs in DEBS (default out/deb) installed, upgraded, reinstalled, removed and purged the
# way an operator does it, inside a Debian 12 container whose PID 1 is a real systemd (systemd-nspawn on a
# debootstrapped root, private network, throw-away overlay); lintian on both packages; the arm64 binaries run
# under qemu-user. Prints one line per check and ends with "test-packages: N passed, N failed".
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

# --- the previous build: this one labelled one version older, so dpkg takes the upgrade path of every script
mkdir -p "$WORK/pkg"
cp "$amd64" "$WORK/pkg/current.deb"
dpkg-deb -R "$amd64" "$WORK/prev"
sed -i "s/^Version: .*/Version: ${version}~prev1/" "$WORK/prev/DEBIAN/control"
dpkg-deb --root-owner-group -b "$WORK/prev" "$WORK/pkg/previous.deb" >/dev/null

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
for _ in $(seq 300); do # PID 1 exists before its bus does
  state=$(in_guest timeout 60 systemctl is-system-running --wait 2>/dev/null || true)
  [ -n "$state" ] && break
  sleep 0.1
done
check "container boots to a running system (got: $state)" test "$state" = running

snapshot() { # every path outside the volatile places, for the "nothing left after purge" check
  guest 'find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp -o -path /var/tmp \
    -o -path /var/log -o -path /var/cache -o -path /var/lib/apt -o -path /var/lib/dpkg -o -path /var/lib/systemd \
    -o -path /pkg \) -prune -o -print | LC_ALL=C sort'
}
snapshot > "$WORK/before.txt"

# The runtime's view of the installed network: the plugin's entry plus cniVersion and name, and for CHECK and DEL
# the ADD result as prevResult (kept in /tmp/POD.json).
NETCONF='jq -c --argjson prev "$(cat /tmp/$POD.json 2>/dev/null || echo null)" ".plugins[0] + {cniVersion: .cniVersion, name: .name} + (if \$prev then {prevResult: \$prev} else {} end)" /etc/cni/net.d/10-yurtnet.conflist'
cni() { # cni VERB POD: the installed plugin with the installed network, as the runtime would run it
  echo "{ POD=$2; $NETCONF | CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=/run/netns/$2 CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin \
    CNI_ARGS='IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$2' /opt/cni/bin/yurtnet; }"
}

# --- install (the previous build)
check "apt install ./previous.deb" guest 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q /pkg/previous.deb'
check "socket and service are enabled and active" \
  guest 'systemctl is-enabled yurtnetd.socket yurtnetd.service && systemctl is-active yurtnetd.socket yurtnetd.service'
check "yurtnetd reported READY (Type=notify) and yurtnetctl status says ready" \
  guest 'systemctl show -P StatusText yurtnetd.service | grep -q "^ready" && yurtnetctl status'
check "first install wrote /etc/cni/net.d/10-yurtnet.conflist (no other CNI network was there)" \
  guest 'cmp /usr/share/yurtnet/10-yurtnet.conflist /etc/cni/net.d/10-yurtnet.conflist'
check "CNI ADD through the installed plugin gives the pod an address that answers ping" \
  guest "ip netns add pod1 && $(cni ADD pod1) > /tmp/pod1.out && mv /tmp/pod1.out /tmp/pod1.json && jq -e '.ips[0].address == \"10.88.0.2/24\"' /tmp/pod1.json && ip netns exec pod1 ping -c1 -W2 10.88.0.1"
check "the lease is durable on disk before the upgrade" guest 'yurtnetctl leases | grep -q "default/pod1"'

# --- upgrade: state and the operator's settings survive; the daemon restarts; the socket keeps listening
guest 'sed -i "s/\"leaseHold\": \"10m\"/\"leaseHold\": \"20m\"/" /etc/yurtnet/yurtnetd.json'
pid_before=$(guest 'systemctl show -P MainPID yurtnetd.service')
socket_since=$(guest 'systemctl show -P ActiveEnterTimestampMonotonic yurtnetd.socket')
check "apt install ./current.deb upgrades $version~prev1 to $version" \
  guest "DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold /pkg/current.deb && dpkg-query -W -f '\${Version}' yurtnet | grep -qx '$version'"
check "upgrade restarted yurtnetd (new main PID) and it is ready" \
  guest "test \"\$(systemctl show -P MainPID yurtnetd.service)\" != '$pid_before' && yurtnetctl status"
check "upgrade left the socket listening (not restarted)" \
  guest "test \"\$(systemctl show -P ActiveEnterTimestampMonotonic yurtnetd.socket)\" = '$socket_since'"
check "upgrade kept the lease and the pod's address" \
  guest "yurtnetctl leases | grep 'default/pod1' | grep -q '10.88.0.2' && $(cni CHECK pod1)"
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

# --- re-running the maintainer scripts changes nothing
check "reinstall (every maintainer script runs again) keeps service, lease and network" \
  guest "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall -o Dpkg::Options::=--force-confold /pkg/current.deb \
    && systemctl is-active yurtnetd.socket yurtnetd.service && yurtnetctl leases | grep -q default/pod1 \
    && cmp /usr/share/yurtnet/10-yurtnet.conflist /etc/cni/net.d/10-yurtnet.conflist"
check "CNI DEL through the installed plugin" guest "$(cni DEL pod1) && ip netns delete pod1"

# --- remove: stopped and gone, settings and state kept
check "apt remove" guest 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -q yurtnet'
check "remove stopped socket and service and took the binaries" \
  guest '! systemctl is-active -q yurtnetd.socket && ! systemctl is-active -q yurtnetd.service \
    && test ! -e /opt/cni/bin/yurtnet -a ! -e /usr/sbin/yurtnetd -a ! -e /usr/bin/yurtnetctl'
check "remove kept settings and state" guest 'test -f /etc/yurtnet/yurtnetd.json -a -f /var/lib/yurtnet/state.db'

# --- purge: nothing left
check "apt purge" guest 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -q yurtnet'
snapshot > "$WORK/after.txt"
# Left behind: anything not there before. Taken away: only /opt may go, which no Debian package owns, so dpkg
# removes it with the last package that shipped files below it once it is empty.
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
