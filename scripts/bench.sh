#!/usr/bin/env bash
# make bench: yurtnet against Debian's reference bridge + host-local, in one run, with ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/out/linux-x64}
if [ "$(id -u)" != 0 ]; then echo "make bench needs root (network namespaces, bridges): sudo make bench" >&2; exit 1; fi
exec dotnet run --project bench/Yurtnet.Bench -c Release -- --bin "$OUT" "$@"
