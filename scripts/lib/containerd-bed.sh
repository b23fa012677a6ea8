# Sourced by make e2e's containerd part (scripts/e2e/containerd.sh) and make bench's runtime section (scripts/bench.sh):
# Debian 12's containerd 1.6 with its CRI plugin, set up in a temporary directory and a network namespace of its own,
# never the machine's /etc/containerd, /var/lib/containerd or /run/containerd.
#
#   WORK=$(mktemp -d ...) NS=name; . scripts/lib/containerd-bed.sh
#   bed_netns; bed_pause_image; bed_cni_bin PLUGIN...
#   bed_containerd_config NAME CONFLIST_TEXT   ($WORK/NAME: config.toml, net.d, root, state; socket $WORK/NAME.sock)
#   bed_containerd_start NAME; ... bed_containerd_kill NAME (a power cut) ... bed_containerd_stop NAME
#   trap bed_cleanup EXIT (after the caller's own cleanup)
#
# Each containerd runs in the network namespace and in a mount namespace of its own (unshare -m, propagation
# unchanged): a tmpfs over /run there keeps what containerd 1.6 writes to fixed paths under /run (the shims' sockets
# in /run/containerd/s) inside this run, while /run/netns, moved back in from the machine's, stays a peer of the
# machine's: the pods' network namespaces containerd mounts there are the ones `nsenter --net=/run/netns/cni-...`
# finds, and an unmount on either side is seen on both. The CNI result cache libcni keeps in /var/lib/cni is a
# directory of this run too. The pods' root file systems are mounted in that namespace only: when the last process
# in it dies (a power cut, or the end of the run) they are gone, as after a reboot.
[ -n "${WORK:-}" ] && [ -n "${NS:-}" ] || { echo "containerd-bed.sh: set WORK and NS before sourcing it" >&2; return 1; }

BED_IMAGE=yurtnet.local/pause:e2e
# The pods' cgroup parent (the driver's --cgroup-parent; it adds pod<uid>): relative, so runc puts the pods under this
# script's own cgroups rather than at the top of each hierarchy; bed_cleanup removes it.
BED_CGROUP=$(basename "$WORK")
BED_LEDGER=$WORK/netns.ledger # the pods' network namespaces, one path a line (the driver's --netns-ledger)
declare -gA BED_PID=() # -g: the bed may be sourced inside a function (make bench)

bed_tools() { # the programs the bed needs, with the package that has them
  local tool
  for tool in containerd:containerd ctr:containerd containerd-shim-runc-v2:containerd runc:runc gcc:gcc nsenter:util-linux \
    unshare:util-linux sha256sum:coreutils; do
    command -v "${tool%%:*}" >/dev/null || { echo "containerd bed: ${tool%%:*} missing (Debian package ${tool#*:}): run 'make deps'" >&2; return 1; }
  done
  [ -x /usr/lib/cni/loopback ] || { echo "containerd bed: /usr/lib/cni/loopback missing (containernetworking-plugins): run 'make deps'" >&2; return 1; }
}

bed_netns() { # the network namespace containerd, yurtnetd and the bridge live in; its loopback up
  ip netns add "$NS"
  nsenter --net="/run/netns/$NS" ip link set lo up
}

# The sandbox image, made here from scripts/e2e/pause.c: one static binary in one uncompressed layer, as an OCI image
# layout in a tar (oci-layout, index.json, blobs/sha256/: layer, config, manifest). ctr 1.6 names an image it imports
# from an index entry's io.containerd.image.name annotation (org.opencontainers.image.ref.name alone would need
# --base-name); with it, the CRI plugin finds the image by the name sandbox_image gives.
bed_pause_image() {
  local dir=$WORK/pause blobs=$WORK/pause/layout/blobs/sha256 arch layer config manifest
  mkdir -p "$dir/rootfs" "$blobs"
  gcc -static -O2 -s -o "$dir/rootfs/pause" scripts/e2e/pause.c
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir/rootfs" -cf "$dir/layer.tar" pause
  layer=$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)
  mv "$dir/layer.tar" "$blobs/$layer"
  arch=$(dpkg --print-architecture)
  # An uncompressed layer: its digest is its diff_id.
  printf '{"architecture":"%s","os":"linux","config":{"Entrypoint":["/pause"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$arch" "$layer" > "$dir/config.json"
  config=$(sha256sum "$dir/config.json" | cut -d' ' -f1)
  mv "$dir/config.json" "$blobs/$config"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%d}]}' \
    "$config" "$(stat -c %s "$blobs/$config")" "$layer" "$(stat -c %s "$blobs/$layer")" > "$dir/manifest.json"
  manifest=$(sha256sum "$dir/manifest.json" | cut -d' ' -f1)
  mv "$dir/manifest.json" "$blobs/$manifest"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest" "$(stat -c %s "$blobs/$manifest")" "$BED_IMAGE" "${BED_IMAGE##*:}" > "$dir/layout/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$dir/layout/oci-layout"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir/layout" -cf "$dir/pause-oci.tar" oci-layout index.json blobs
}

bed_cni_bin() { # bed_cni_bin PLUGIN...: $WORK/cni-bin with yurtnet (from $OUT), loopback (containerd 1.6 always runs it) and PLUGINs from /usr/lib/cni
  local plugin
  mkdir -p "$WORK/cni-bin"
  ln -sf "$OUT/yurtnet" "$WORK/cni-bin/yurtnet"
  for plugin in loopback "$@"; do ln -sf "/usr/lib/cni/$plugin" "$WORK/cni-bin/$plugin"; done
}

bed_sock() { echo "$WORK/$1.sock"; }

# yurtnetd as podman.sh runs it, in the network namespace: its socket, state, spool and CNI result directories in
# $WORK, no cloud, no NodePool network. The conflist of a network on it: bed_yurtnet_conflist NAME BRIDGE SUBNET.
BED_YURTNET_SOCK=$WORK/run/cni.sock
BED_DAEMON=
bed_yurtnetd_config() {
  mkdir -p "$WORK/run" "$WORK/spool"
  cat > "$WORK/yurtnetd.json" <<EOF
{ "socket": "$BED_YURTNET_SOCK", "stateDir": "$WORK/state", "spoolDir": "$WORK/spool",
  "cniResultsDir": "$WORK/cni-results", "nodePool": { "enabled": false } }
EOF
}
bed_yurtnet_conflist() { # cniVersion 1.0.0: containerd 1.6's libcni knows no later one
  cat <<EOF
{ "cniVersion": "1.0.0", "name": "$1", "plugins": [
  { "type": "yurtnet", "bridge": "$2", "socket": "$BED_YURTNET_SOCK", "spoolDir": "$WORK/spool", "ipam": { "subnets": ["$3"] } } ] }
EOF
}

# bed_yurtnetd_start [BOOT_ID_FILE]: yurtnetd, serving once it returns. With BOOT_ID_FILE, in a mount namespace of its
# own where that file is bind-mounted over /proc/sys/kernel/random/boot_id: the machine has rebooted, as it sees it.
bed_yurtnetd_start() {
  # nsenter (and unshare and sh) exec yurtnetd: $! is its pid.
  if [ -n "${1:-}" ]; then
    # slave: the machine's mounts (pod network namespaces) reach it, the bind over boot_id never reaches the machine.
    nsenter --net="/run/netns/$NS" unshare -m --propagation slave sh -c \
      'mount --bind "$1" /proc/sys/kernel/random/boot_id && exec "$2" --config "$3"' bed "$1" "$OUT/yurtnetd" "$WORK/yurtnetd.json" \
      >> "$WORK/yurtnetd.log" 2>&1 &
  else
    nsenter --net="/run/netns/$NS" "$OUT/yurtnetd" --config "$WORK/yurtnetd.json" >> "$WORK/yurtnetd.log" 2>&1 &
  fi
  BED_DAEMON=$!
  bed_yurtnetd_wait
}
bed_yurtnetd_wait() { # until yurtnetd answers on its socket (5 s at most)
  for _ in $(seq 100); do "$OUT/yurtnetctl" --socket "$BED_YURTNET_SOCK" status >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "yurtnetd did not start:" >&2; tail -20 "$WORK/yurtnetd.log" >&2; return 1
}
bed_yurtnetd_stop() { # bed_yurtnetd_stop [SIGNAL]: TERM (a clean stop) unless told KILL
  [ -n "$BED_DAEMON" ] || return 0
  { kill "-${1:-TERM}" "$BED_DAEMON"; wait "$BED_DAEMON"; } 2>/dev/null || true
  BED_DAEMON=
}

# bed_containerd_config NAME CONFLIST: containerd's configuration, with the CRI plugin on the CNI configuration
# CONFLIST (its only one) and the runc v2 shim on cgroupfs; every directory is under $WORK/NAME.
bed_containerd_config() {
  local name=$1 conflist=$2 dir=$WORK/$1
  mkdir -p "$dir"/{root,state,net.d,runc,cni-cache,opt}
  printf '%s\n' "$conflist" > "$dir/net.d/10-$name.conflist"
  cat > "$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
# Only the snapshotter the CRI plugin uses (overlayfs). The v1 runtime stays: containerd 1.6's task service needs it
# loaded, though nothing here uses it (the CRI plugin runs the v2 runc shim); its runc root is this run's too.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.native",
  "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$(bed_sock "$name")"
[ttrpc]
  address = "$(bed_sock "$name").ttrpc"
[debug]
  level = "info"
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"
[plugins."io.containerd.runtime.v1.linux"]
  runtime_root = "$dir/runc-v1"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$BED_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # The sandbox's oom_score_adj -998 needs CAP_SYS_RESOURCE, which root here does not have (runc init dies with "can't
  # get final child's PID from pipe"); restricted, containerd gives no process a lower score than its own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$dir/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$WORK/cni-bin"
    conf_dir = "$dir/net.d"
    max_conf_num = 1
EOF
}

# bed_containerd_start NAME: containerd NAME in the network namespace and a mount namespace of its own (see the top);
# returns once its CRI answers, with the pause image imported.
bed_containerd_start() {
  local name=$1 dir=$WORK/$1 sock
  sock=$(bed_sock "$name")
  rm -f "$sock" "$sock.ttrpc"
  # nsenter, unshare and sh exec each other: $! is containerd's pid. Propagation unchanged, so that the network
  # namespaces containerd mounts under /run/netns reach the machine (iproute2 made /run/netns a shared mount); the
  # mounts this namespace makes itself are made under mounts first made private here, so that on a machine whose
  # mounts are shared (systemd's) none of them (the tmpfs over /run, /var/lib/cni, the containers' root file
  # systems under $WORK) reaches the machine. libcni's cache directory is created if no runtime made it yet.
  mkdir -p /var/lib/cni
  nsenter --net="/run/netns/$NS" unshare -m --propagation unchanged sh -c '
    set -e
    for path in /run /var/lib/cni "$1"; do mount --make-private "$(findmnt -n -o TARGET -T "$path")"; done
    mkdir -p "$1/keep-netns"
    mount --bind /run/netns "$1/keep-netns"
    mount -t tmpfs -o mode=755 bed-run /run
    mkdir /run/netns /run/containerd
    mount --move "$1/keep-netns" /run/netns
    mount --bind "$1/cni-cache" /var/lib/cni
    exec containerd --config "$1/config.toml"' bed "$dir" >> "$dir/containerd.log" 2>&1 &
  BED_PID[$name]=$!
  for _ in $(seq 200); do
    [ -S "$sock" ] && ctr --address "$sock" --timeout 2s version >/dev/null 2>&1 && break
    kill -0 "${BED_PID[$name]}" 2>/dev/null || break
    sleep 0.05
  done
  ctr --address "$sock" --timeout 2s version >/dev/null 2>&1 || { echo "containerd $name did not start:" >&2; tail -20 "$dir/containerd.log" >&2; return 1; }
  ctr --address "$sock" --timeout 30s -n k8s.io images check "name==$BED_IMAGE" 2>/dev/null | grep -q "$BED_IMAGE" && return 0
  timeout --foreground 120 ctr --address "$sock" -n k8s.io images import --snapshotter overlayfs "$WORK/pause/pause-oci.tar" >> "$dir/containerd.log" 2>&1
}

bed_gone() { # bed_gone PID: the process has exited (a zombie waiting for its parent counts)
  [ ! -e "/proc/$1/stat" ] || [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ]
}

bed_shims() { # bed_shims NAME: the pids of the shims of containerd NAME (their command line names its socket)
  local sock pid
  sock=$(bed_sock "$1")
  for pid in $(pgrep -f -- "containerd-shim-runc-v2 .*-address $sock( |\$)" || true); do echo "$pid"; done
}

bed_shim_children() { # bed_shim_children PID...: the processes the shims started (the pods' pause processes)
  local shim
  for shim in "$@"; do pgrep -P "$shim" || true; done
}

# bed_containerd_kill NAME: a power cut for containerd NAME: SIGKILL to it, its shims and their pause processes (the
# shims are daemons, no longer containerd's children: they are found by the socket in their command line). Its state
# directory goes, as /run does at a reboot; root (/var/lib/containerd) stays.
bed_containerd_kill() {
  local name=$1 shims pids
  shims=$(bed_shims "$name")
  # shellcheck disable=SC2086 # pid lists
  pids=$(bed_shim_children $shims)
  # (stderr closed: bash would report the job it started as "Killed".)
  {
    # shellcheck disable=SC2086
    kill -KILL ${BED_PID[$name]:-} $pids $shims || true
    # shellcheck disable=SC2086
    for pid in ${BED_PID[$name]:-} $pids $shims; do
      for _ in $(seq 100); do bed_gone "$pid" && break; sleep 0.02; done
    done
    wait "${BED_PID[$name]:-}" || true
  } 2>/dev/null
  BED_PID[$name]=
  rm -rf "${WORK:?}/$name/state" "$WORK/$name/runc"
  mkdir -p "$WORK/$name/state" "$WORK/$name/runc"
}

# bed_containerd_stop NAME: SIGTERM to containerd NAME, then whatever shim of it is still there (the pods were removed
# before, if the caller could).
bed_containerd_stop() {
  local name=$1 pid
  pid=${BED_PID[$name]:-}
  if [ -n "$pid" ]; then
    {
      kill -TERM "$pid"
      for _ in $(seq 100); do bed_gone "$pid" && break; sleep 0.05; done
      kill -KILL "$pid"
      wait "$pid"
    } 2>/dev/null || true
    BED_PID[$name]=
  fi
  local shims
  shims=$(bed_shims "$name")
  # shellcheck disable=SC2086
  [ -z "$shims" ] || kill -KILL $(bed_shim_children $shims) $shims 2>/dev/null || true
}

# bed_cleanup: every containerd of this run stopped with its shims and pods, yurtnetd stopped, the pods' network
# namespaces left behind (those in $BED_LEDGER, where the driver and the caller write each one they see) unmounted and
# removed, the pods' cgroups, the network namespace and the work directory removed.
bed_cleanup() {
  local name netns
  for name in "${!BED_PID[@]}"; do bed_containerd_stop "$name"; done
  bed_yurtnetd_stop
  if [ -f "$BED_LEDGER" ]; then
    sort -u "$BED_LEDGER" | while read -r netns; do
      case "$netns" in /run/netns/cni-* | /var/run/netns/cni-*) ;; *) continue ;; esac
      [ -e "$netns" ] || continue
      umount "$netns" 2>/dev/null; rm -f "$netns"
    done
  fi
  # The pods' cgroups, left behind by pause processes that were killed rather than stopped (a power cut).
  find /sys/fs/cgroup -maxdepth 6 -type d -name "$BED_CGROUP" -prune 2>/dev/null | while read -r cgroup; do
    find "$cgroup" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  [ -e "/run/netns/$NS" ] && ip netns delete "$NS"
  findmnt -rn -o TARGET | grep "^$WORK" | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$WORK"
}
