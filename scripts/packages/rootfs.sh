#!/usr/bin/env bash
# A minimal Debian 12 root with systemd as init, for booting under systemd-nspawn (make test-packages).
# Built once with debootstrap from the host's configured mirror, then reused: ROOTFS (default
# /var/cache/yurtnet/test-rootfs-bookworm-amd64). What the package Depends/Recommends on is preinstalled, so the
# container installs our .deb with apt without any network.
set -euo pipefail
ROOTFS=${ROOTFS:-/var/cache/yurtnet/test-rootfs-bookworm-amd64}
INCLUDE=systemd,systemd-sysv,dbus,iproute2,procps,nftables,libgpiod2,jq,iputils-ping
if [ -f "$ROOTFS/.complete" ] && [ "$(cat "$ROOTFS/.complete")" = "$INCLUDE" ]; then
  echo "$ROOTFS"; exit 0
fi
# shellcheck source=../lib/mirror.sh
. "$(dirname "$0")/../lib/mirror.sh"
rm -rf "$ROOTFS.tmp"
mkdir -p "$(dirname "$ROOTFS")"
echo "rootfs: debootstrap bookworm from $mirror into $ROOTFS (about a minute, once)" >&2
debootstrap --variant=minbase --include="$INCLUDE" bookworm "$ROOTFS.tmp" "$mirror" > "$ROOTFS.log" 2>&1 \
  || { tail -20 "$ROOTFS.log" >&2; exit 1; }
# No getty on the console, no machine-id surprises: every boot is a first boot on the overlay.
rm -f "$ROOTFS.tmp/etc/machine-id"
echo "$INCLUDE" > "$ROOTFS.tmp/.complete"
rm -rf "$ROOTFS"
mv "$ROOTFS.tmp" "$ROOTFS"
echo "$ROOTFS"
