#!/usr/bin/env bash
# make bench: yurtnet against Debian's reference bridge + host-local, in one run, with ratios. The plugin-level
# sections are bench/Yurtnet.Bench; the runtime section (--only runtime) measures both through containerd's CRI, as
# kubelet calls it, on the containerd of make e2e (scripts/lib/containerd-bed.sh).
#   ./scripts/bench.sh [--only peers|footprint|runtime] [--storm N] [--runtime-pods N] [--runtime-rounds N] [...]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/out/linux-x64}
if [ "$(id -u)" != 0 ]; then echo "make bench needs root (network namespaces, bridges): sudo make bench" >&2; exit 1; fi

arg() { # arg NAME DEFAULT "$@": the value after NAME on the command line
  local name=$1 fallback=$2; shift 2
  while [ "$#" -gt 1 ]; do [ "$1" = "$name" ] && { echo "$2"; return; }; shift; done
  echo "$fallback"
}
only=$(arg --only "" "$@")

# Runtime: RunPodSandbox and StopPodSandbox (the call that tears the network down) at 1, 4 and 8 at a time, and a
# storm of sandboxes created and torn down 8 at a time, with yurtnet and with bridge + host-local (both with the
# gateway, the default route and masquerading on: yurtnet's defaults, and containerd's own example conflist).
# Interleaving: two containerd instances, the same but for their one CNI network, side by side in one network
# namespace; the driver runs each step on one and then the other, the order swapped every round. Not one containerd
# whose conf_dir is switched between rounds: containerd 1.6 reloads it some time after a change (no signal says when),
# and tears a sandbox down with whichever network is loaded then, not the one that set it up.
runtime_section() {
  local pods rounds storm
  pods=$(arg --runtime-pods 16 "$@")
  rounds=$(arg --runtime-rounds 3 "$@")
  storm=$(arg --storm 100 "$@")
  WORK=$(mktemp -d /tmp/yurtnet-bench-ctrd.XXXXXX)
  NS=yn-bench-ctrd-$$
  # shellcheck source=lib/containerd-bed.sh
  . scripts/lib/containerd-bed.sh
  trap runtime_cleanup EXIT
  bed_tools
  local driver=$PWD/tests/Yurtnet.CriDriver/bin/Release/net10.0/Yurtnet.CriDriver.dll
  dotnet build tests/Yurtnet.CriDriver/Yurtnet.CriDriver.csproj -c Release -nologo -v q > "$WORK/driver-build.log" 2>&1 ||
    { cat "$WORK/driver-build.log"; return 1; }
  bed_netns
  bed_pause_image
  bed_cni_bin bridge host-local
  bed_yurtnetd_config
  bed_containerd_config yurtnet "$(bed_yurtnet_conflist ynbench ynbench0 10.92.0.0/20)"
  bed_containerd_config reference "{ \"cniVersion\": \"1.0.0\", \"name\": \"ynref\", \"plugins\": [
    { \"type\": \"bridge\", \"bridge\": \"ynref0\", \"isGateway\": true, \"isDefaultGateway\": true, \"ipMasq\": true,
      \"ipam\": { \"type\": \"host-local\", \"dataDir\": \"$WORK/host-local\", \"subnet\": \"10.93.0.0/20\" } } ] }"
  bed_yurtnetd_start
  bed_containerd_start yurtnet
  bed_containerd_start reference
  echo
  echo "runtime section  $(date -u '+%Y-%m-%d %H:%M')Z  $(nproc) cores  kernel $(uname -r)  $(containerd --version | cut -d' ' -f3)  runc $(runc --version | head -1 | cut -d' ' -f3)"
  echo "command: ./scripts/bench.sh --only runtime --runtime-pods $pods --runtime-rounds $rounds --storm $storm"
  timeout --foreground 3600 dotnet "$driver" bench --socket "yurtnet=$(bed_sock yurtnet)" --socket "bridge+host-local=$(bed_sock reference)" \
    --parallel 1,4,8 --pods "$pods" --rounds "$rounds" --storm "$storm" --storm-parallel 8 --timeout 60 \
    --log-root "$WORK/logs" --cgroup-parent "$BED_CGROUP"
}
runtime_cleanup() {
  set +e
  local name
  for name in yurtnet reference; do
    [ -n "${BED_PID[$name]:-}" ] && timeout --foreground 300 dotnet "$PWD/tests/Yurtnet.CriDriver/bin/Release/net10.0/Yurtnet.CriDriver.dll" stop-remove \
      --all --parallel 8 --socket "$(bed_sock "$name")" >/dev/null 2>&1
  done
  bed_cleanup
}

if [ "$only" != runtime ]; then
  dotnet run --project bench/Yurtnet.Bench -c Release -- --bin "$OUT" "$@"
fi
if [ -z "$only" ] || [ "$only" = runtime ]; then
  runtime_section "$@"
fi
