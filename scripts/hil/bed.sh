#!/usr/bin/env bash
# The hardware-in-the-loop bed (make test-hil): a Debian 12 arm64 system image that boots under
# qemu-system-aarch64 (machine `virt`, TCG; scripts/hil/vm.sh) with Debian's stock arm64 kernel, systemd as PID 1,
# a 9p job runner and the out-of-tree gpio-sim module. Built once into HIL_DIR (default
# /var/cache/yurtnet/hil-arm64), then reused; each stage is redone when what it is made from changed (its key), and
# so is every stage after it. Prints HIL_DIR. Needs root (debootstrap, chroot, binfmt_misc).
#
# Stages, with their time on the development machine (2 cores, no KVM, the Debian mirror close by):
#   rootfs   debootstrap --foreign arm64, second stage under qemu-user            301 s
#   kernel   linux-image-arm64 + initramfs (MODULES=list: `most` takes >15 min)   146 s
#   gpio-sim cross-built against the kernel's headers in an amd64 chroot          43 s (plus the amd64 root of
#            make test-packages, about a minute, when it is not there yet)
#   image    job runner, module, ext4 image                                        10 s
# The facts behind these choices (no gpio-sim in any Debian kernel, KVM unusable here, ...) are in docs/hil.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
HIL_DIR=${HIL_DIR:-/var/cache/yurtnet/hil-arm64}
[ "$(id -u)" = 0 ] || { echo "hil bed: needs root (debootstrap, chroot, binfmt_misc): sudo make test-hil" >&2; exit 1; }
for tool in debootstrap qemu-aarch64-static qemu-system-aarch64 dtc mkfs.ext4 python3 findmnt; do
  command -v "$tool" >/dev/null || { echo "hil bed: $tool missing: run 'make deps'" >&2; exit 1; }
done
mkdir -p "$HIL_DIR/logs"
ROOT=$HIL_DIR/root
LOG=$HIL_DIR/logs

# shellcheck source=../lib/mirror.sh
. scripts/lib/mirror.sh
full_sources() {
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
    "$mirror" "$mirror" "$security" > "$1/etc/apt/sources.list"
}

# Each stage writes its key into .stage-NAME when it completes; a stage whose key differs is redone with every
# stage after it.
stage_done() { [ -f "$HIL_DIR/.stage-$1" ] && [ "$(cat "$HIL_DIR/.stage-$1")" = "$2" ]; }
stage_mark() { echo "$2" > "$HIL_DIR/.stage-$1"; }
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }

# binfmt_misc: arm64 executables run through qemu-aarch64-static (flag F: the interpreter is opened now, so it need
# not exist inside the chroot). Host-wide, so it is registered only for the stages that need it and taken away on
# exit, unless it was there before.
BINFMT=/proc/sys/fs/binfmt_misc
binfmt_mounted_by_us=0 binfmt_registered_by_us=0
binfmt_on() {
  [ -e $BINFMT/qemu-aarch64 ] && return 0
  if ! mountpoint -q $BINFMT; then mount -t binfmt_misc binfmt_misc $BINFMT; binfmt_mounted_by_us=1; fi
  [ -e $BINFMT/qemu-aarch64 ] && return 0
  printf '%s' ':qemu-aarch64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:F' > $BINFMT/register
  binfmt_registered_by_us=1
}
# The chroots get /proc, /sys and the host's /dev. Everything mounted under a tree is unmounted before the tree is
# used or removed (a run killed with SIGKILL leaves them, and rm -rf would follow the bind mount into the host's
# /dev), and removal never leaves the tree's file system.
mount_chroot() { unmount_under "$1"; mount -t proc proc "$1/proc"; mount -t sysfs sysfs "$1/sys"; mount --bind /dev "$1/dev"; }
unmount_under() { # unmount_under DIR: every mount at or below DIR, deepest first; fails if one stays
  local dir mounts
  dir=$(realpath -m "$1")
  mounts=$(findmnt -rn -o TARGET | awk -v d="$dir" '$0 == d || index($0, d "/") == 1' | sort -r)
  [ -z "$mounts" ] && return 0
  xargs -r -d '\n' umount <<<"$mounts" 2>/dev/null || true
  # What is still mounted (busy: a process of a killed run still in the chroot) is detached lazily.
  mounts=$(findmnt -rn -o TARGET | awk -v d="$dir" '$0 == d || index($0, d "/") == 1' | sort -r)
  [ -z "$mounts" ] || xargs -r -d '\n' umount -l <<<"$mounts" || true
  mounts=$(findmnt -rn -o TARGET | awk -v d="$dir" '$0 == d || index($0, d "/") == 1')
  [ -z "$mounts" ] || { echo "hil bed: cannot unmount everything under $dir: $mounts" >&2; return 1; }
}
remove_tree() { unmount_under "$1" && rm -rf --one-file-system "$1"; }
cleanup() {
  set +e
  for tree in "$ROOT" "$HIL_DIR/buildroot"; do [ -d "$tree" ] && unmount_under "$tree"; done
  [ $binfmt_registered_by_us = 1 ] && echo -1 > $BINFMT/qemu-aarch64
  [ $binfmt_mounted_by_us = 1 ] && umount $BINFMT
}
trap cleanup EXIT

# --- rootfs: what the guest runs. Our package's dependencies are preinstalled: the guest has no network.
INCLUDE=systemd,systemd-sysv,dbus,udev,kmod,iproute2,iputils-ping,procps,nftables,libgpiod2,gpiod,python3-minimal
if ! stage_done rootfs "$INCLUDE"; then
  rm -f "$HIL_DIR"/.stage-*
  binfmt_on
  start=$(date +%s)
  echo "hil bed: debootstrap arm64 into $ROOT (about 5 minutes, once)" >&2
  remove_tree "$ROOT"
  debootstrap --arch=arm64 --foreign --variant=minbase --include="$INCLUDE" bookworm "$ROOT" "$mirror" \
    > "$LOG/rootfs.log" 2>&1 || { tail -20 "$LOG/rootfs.log" >&2; exit 1; }
  chroot "$ROOT" /debootstrap/debootstrap --second-stage >> "$LOG/rootfs.log" 2>&1 \
    || { tail -20 "$LOG/rootfs.log" >&2; exit 1; }
  stage_mark rootfs "$INCLUDE"
  echo "hil bed: rootfs took $(elapsed "$start")" >&2
fi

# --- kernel: Debian's stock arm64 kernel, installed in the rootfs, with an initramfs that holds only what the
# `virt` machine needs to mount the root (MODULES=most takes more than 15 minutes under qemu-user).
KERNEL_KEY="linux-image-arm64 MODULES=list virtio_pci virtio_mmio virtio_blk ext4"
if ! stage_done kernel "$KERNEL_KEY"; then
  rm -f "$HIL_DIR/.stage-gpio-sim" "$HIL_DIR/.stage-image"
  binfmt_on
  start=$(date +%s)
  echo "hil bed: installing Debian's arm64 kernel in the image (about 2.5 minutes, once)" >&2
  full_sources "$ROOT"
  mkdir -p "$ROOT/etc/initramfs-tools/conf.d"
  printf 'MODULES=list\nCOMPRESS=gzip\n' > "$ROOT/etc/initramfs-tools/conf.d/hil.conf"
  printf 'virtio_pci\nvirtio_mmio\nvirtio_blk\next4\n' > "$ROOT/etc/initramfs-tools/modules"
  mount_chroot "$ROOT"
  { chroot "$ROOT" apt-get update -q && \
    DEBIAN_FRONTEND=noninteractive chroot "$ROOT" apt-get install -y -q --no-install-recommends initramfs-tools linux-image-arm64; } \
    > "$LOG/kernel.log" 2>&1 || { tail -20 "$LOG/kernel.log" >&2; exit 1; }
  unmount_under "$ROOT"
  stage_mark kernel "$KERNEL_KEY"
  echo "hil bed: kernel took $(elapsed "$start")" >&2
fi
KVER=$(ls "$ROOT/lib/modules" | sort -V | tail -1)

# --- gpio-sim: no Debian kernel enables CONFIG_GPIO_SIM (nor GPIO_MOCKUP), so the module is built out of tree from
# linux-source-6.1, with irq_sim.c bundled (one change: irq_to_desc() is not exported to modules), in an amd64
# chroot (a copy of the root make test-packages uses) with the aarch64 cross compiler; the headers' own tools are
# arm64 executables and run through binfmt.
KO=$HIL_DIR/gpio-sim-$KVER.ko
BUILD=$HIL_DIR/buildroot
BUILD_PACKAGES="gcc-aarch64-linux-gnu make libc6-dev libc6:arm64 xz-utils"
# shellcheck disable=SC2016
GPIO_SIM_RECIPE='
  KVER=$1 KEY=$2
  apt-get update -q
  if [ "$(cat /build/src/.key 2>/dev/null)" != "$KEY" ]; then
    rm -rf /build/src && mkdir -p /build/src && cd /build/src
    apt-get download -q linux-source-6.1
    dpkg-deb --fsys-tarfile linux-source-6.1_*.deb | tar -xO ./usr/src/linux-source-6.1.tar.xz | tar -xJ \
      linux-source-6.1/drivers/gpio/gpio-sim.c linux-source-6.1/drivers/gpio/gpiolib.h linux-source-6.1/kernel/irq/irq_sim.c
    cp linux-source-6.1/drivers/gpio/gpio-sim.c gpio-sim-main.c
    cp linux-source-6.1/drivers/gpio/gpiolib.h linux-source-6.1/kernel/irq/irq_sim.c .
    rm -rf linux-source-6.1 linux-source-6.1_*.deb
    sed -i "s/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/" irq_sim.c
    grep -q "generic_handle_irq(irqnum);" irq_sim.c
    printf "obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o irq_sim.o\n" > Makefile
    echo "$KEY" > .key
  fi
  if [ ! -d /usr/src/linux-headers-$KVER ]; then
    V=$(apt-cache show linux-headers-$KVER:arm64 2>/dev/null | awk "/^Version:/ { print \$2; exit }") || V=
    [ -n "$V" ] || { echo "linux-headers-$KVER is no longer on the mirror: remove .stage-kernel in the bed directory so that the image moves to the current kernel"; exit 1; }
    rm -rf /tmp/d /tmp/stage && mkdir -p /tmp/d /tmp/stage && cd /tmp/d
    apt-get download -q linux-headers-$KVER:arm64 linux-headers-${KVER%-arm64}-common=$V linux-kbuild-6.1:arm64
    for f in *.deb; do dpkg-deb -x $f /tmp/stage; done
    tar -C /tmp/stage -cf - usr | tar -C / -xf - --keep-directory-symlink
    cd / && rm -rf /tmp/d /tmp/stage
  fi
  rm -rf /build/$KVER && cp -a /build/src /build/$KVER
  make -s -C /usr/src/linux-headers-$KVER M=/build/$KVER ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- modules
'
GPIO_SIM_KEY="$KVER $(printf '%s' "$BUILD_PACKAGES$GPIO_SIM_RECIPE" | sha256sum | cut -c1-16)"
if ! stage_done gpio-sim "$GPIO_SIM_KEY" || [ ! -f "$KO" ]; then
  rm -f "$HIL_DIR/.stage-image"
  binfmt_on
  start=$(date +%s)
  echo "hil bed: building gpio-sim for $KVER (under a minute, once)" >&2
  if [ "$(cat "$BUILD/.complete" 2>/dev/null)" != "$BUILD_PACKAGES" ]; then
    remove_tree "$BUILD"
    cp -a "$(./scripts/packages/rootfs.sh)" "$BUILD"
    full_sources "$BUILD"
    chroot "$BUILD" dpkg --add-architecture arm64
    mount_chroot "$BUILD"
    # shellcheck disable=SC2086
    { chroot "$BUILD" apt-get update -q && DEBIAN_FRONTEND=noninteractive chroot "$BUILD" apt-get install -y -q \
        --no-install-recommends $BUILD_PACKAGES; } > "$LOG/gpio-sim.log" 2>&1 || { tail -20 "$LOG/gpio-sim.log" >&2; exit 1; }
    unmount_under "$BUILD"
    echo "$BUILD_PACKAGES" > "$BUILD/.complete"
  fi
  # The arm64 headers are unpacked, not installed: their /lib/modules/KVER/build link would replace the chroot's
  # /lib link. linux-kbuild is taken at its candidate version (the headers depend on >= theirs).
  mount_chroot "$BUILD"
  chroot "$BUILD" /bin/bash -euo pipefail -c "$GPIO_SIM_RECIPE" gpio-sim "$KVER" "$GPIO_SIM_KEY" >> "$LOG/gpio-sim.log" 2>&1 \
    || { tail -20 "$LOG/gpio-sim.log" >&2; exit 1; }
  unmount_under "$BUILD"
  cp "$BUILD/build/$KVER/gpio-sim.ko" "$KO"
  stage_mark gpio-sim "$GPIO_SIM_KEY"
  echo "hil bed: gpio-sim took $(elapsed "$start")" >&2
fi

# --- image: the job runner, the module, an ext4 image of the tree, the kernel and its initramfs. (The device tree
# is made by vm.sh at each boot, from the QEMU that boots it.)
IMAGE_KEY=$(sha256sum < scripts/hil/bed.sh | cut -c1-16)
if ! stage_done image "$IMAGE_KEY"; then
  start=$(date +%s)
  echo "LABEL=hilroot / ext4 defaults,errors=remount-ro 0 1" > "$ROOT/etc/fstab"
  echo hil-arm64 > "$ROOT/etc/hostname"
  : > "$ROOT/etc/machine-id"
  # The job runner: mounts the host's job directory (9p tag "job") on /job, runs /job/run.sh with its output in
  # /job/out.log (appended: a job that resets the board runs again on the next boot and goes on from what it left in
# /job), writes its exit status to /job/rc and powers the machine off (unless /job/keep exists).
  cat > "$ROOT/usr/local/sbin/hil-runner" <<'EOF'
#!/bin/sh
mkdir -p /job
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 job /job && [ -x /job/run.sh ]; then
  echo "hil-runner: /job/run.sh starts at uptime $(cut -d' ' -f1 /proc/uptime) s" > /dev/console
  /job/run.sh >> /job/out.log 2>&1; echo $? > /job/rc
  echo "hil-runner: done, rc $(cat /job/rc), at uptime $(cut -d' ' -f1 /proc/uptime) s" > /dev/console
  sync
  [ -e /job/keep ] || systemctl poweroff --no-block
fi
EOF
  chmod 755 "$ROOT/usr/local/sbin/hil-runner"
  cat > "$ROOT/etc/systemd/system/hil-runner.service" <<'EOF'
[Unit]
Description=make test-hil job runner (9p tag job)
After=multi-user.target
[Service]
Type=exec
ExecStart=/usr/local/sbin/hil-runner
StandardOutput=journal+console
[Install]
WantedBy=multi-user.target
EOF
  mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants"
  ln -sf /etc/systemd/system/hil-runner.service "$ROOT/etc/systemd/system/multi-user.target.wants/hil-runner.service"
  # 9p is needed before the runner starts; gpio-sim is loaded by the job.
  printf '9pnet_virtio\n9p\n' > "$ROOT/etc/modules-load.d/hil.conf"
  mkdir -p "$ROOT/lib/modules/$KVER/updates"
  cp "$KO" "$ROOT/lib/modules/$KVER/updates/gpio-sim.ko"
  binfmt_on
  chroot "$ROOT" depmod "$KVER"
  rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/tmp/*
  rm -f "$HIL_DIR/arm64.img"
  mkfs.ext4 -q -F -L hilroot -d "$ROOT" "$HIL_DIR/arm64.img" 2G
  cp "$ROOT/boot/vmlinuz-$KVER" "$HIL_DIR/vmlinuz"
  cp "$ROOT/boot/initrd.img-$KVER" "$HIL_DIR/initrd.img"
  echo "$KVER" > "$HIL_DIR/kver"
  stage_mark image "$IMAGE_KEY"
  echo "hil bed: image took $(elapsed "$start")" >&2
fi
echo "$HIL_DIR"
