#!/usr/bin/env bash
# The hardware-in-the-loop bed (make test-hil): a Debian 12 arm64 system image that boots under
# qemu-system-aarch64 (machine `virt`, TCG) with Debian's stock arm64 kernel, systemd as PID 1, a 9p job runner, the
# out-of-tree gpio-sim module and a device tree with a PL061 GPIO controller whose lines have names and a
# `gpio-leds` LED on its line 0. Built once into HIL_DIR (default /var/cache/yurtnet/hil-arm64), then reused; each
# stage is redone only when what it depends on changed. Prints HIL_DIR. Needs root (debootstrap, chroot, binfmt).
#
# Stages, with their time on the development machine (2 cores, TCG, the Debian mirror on the LAN):
#   rootfs   debootstrap --foreign arm64, second stage under qemu-user            about 7 min
#   kernel   linux-image-arm64 + initramfs (MODULES=list: `most` takes >15 min)   about 2.5 min
#   gpio-sim cross-built against the kernel's headers in an amd64 chroot          about 2 min
#   image    job runner, module, ext4 image, device tree                          about 15 s
# The facts behind these choices (no gpio-sim in any Debian kernel, KVM unusable here, ...) are in
# docs/hil.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
HIL_DIR=${HIL_DIR:-/var/cache/yurtnet/hil-arm64}
[ "$(id -u)" = 0 ] || { echo "hil bed: needs root (debootstrap, chroot, binfmt_misc): sudo make test-hil" >&2; exit 1; }
for tool in debootstrap qemu-aarch64-static qemu-system-aarch64 dtc mkfs.ext4; do
  command -v "$tool" >/dev/null || { echo "hil bed: $tool missing: run 'make deps'" >&2; exit 1; }
done
mkdir -p "$HIL_DIR/logs"
ROOT=$HIL_DIR/root
LOG=$HIL_DIR/logs

# The host's configured Debian mirror (deb822 or one-line sources), as scripts/packages/rootfs.sh reads it.
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || { echo "hil bed: no Debian mirror found in /etc/apt/sources.list(.d)" >&2; exit 1; }
security=$(awk '/^URIs:/ { print $2 }' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -m1 security || true)
[ -n "$security" ] || security=${mirror%/debian}/debian-security
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
chroot_mounts=()
mount_chroot() { mount -t proc proc "$1/proc"; mount -t sysfs sysfs "$1/sys"; mount --bind /dev "$1/dev"; chroot_mounts+=("$1"); }
umount_chroot() { umount "$1/dev" "$1/sys" "$1/proc"; chroot_mounts=("${chroot_mounts[@]/$1}"); }
cleanup() {
  set +e
  for m in "${chroot_mounts[@]}"; do [ -n "$m" ] && umount "$m/dev" "$m/sys" "$m/proc" 2>/dev/null; done
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
  echo "hil bed: debootstrap arm64 into $ROOT (about 7 minutes, once)" >&2
  rm -rf "$ROOT"
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
    > "$LOG/kernel.log" 2>&1 || { umount_chroot "$ROOT"; tail -20 "$LOG/kernel.log" >&2; exit 1; }
  umount_chroot "$ROOT"
  stage_mark kernel "$KERNEL_KEY"
  echo "hil bed: kernel took $(elapsed "$start")" >&2
fi
KVER=$(ls "$ROOT/lib/modules" | sort -V | tail -1)

# --- gpio-sim: no Debian kernel enables CONFIG_GPIO_SIM (nor GPIO_MOCKUP), so the module is built out of tree from
# linux-source-6.1, with irq_sim.c bundled (one change: irq_to_desc() is not exported to modules), in an amd64
# chroot (a copy of the root make test-packages uses) with the aarch64 cross compiler; the headers' own tools are
# arm64 executables and run through binfmt.
KO=$HIL_DIR/gpio-sim-$KVER.ko
if ! stage_done gpio-sim "$KVER" || [ ! -f "$KO" ]; then
  rm -f "$HIL_DIR/.stage-image"
  binfmt_on
  start=$(date +%s)
  echo "hil bed: building gpio-sim for $KVER (about 2 minutes, once)" >&2
  BUILD=$HIL_DIR/buildroot
  if [ ! -f "$BUILD/.complete" ]; then
    rm -rf "$BUILD"
    cp -a "$(./scripts/packages/rootfs.sh)" "$BUILD"
    full_sources "$BUILD"
    chroot "$BUILD" dpkg --add-architecture arm64
    mount_chroot "$BUILD"
    { chroot "$BUILD" apt-get update -q && DEBIAN_FRONTEND=noninteractive chroot "$BUILD" apt-get install -y -q \
        --no-install-recommends gcc-aarch64-linux-gnu make libc6-dev libc6:arm64 xz-utils; } > "$LOG/gpio-sim.log" 2>&1 \
      || { umount_chroot "$BUILD"; tail -20 "$LOG/gpio-sim.log" >&2; exit 1; }
    umount_chroot "$BUILD"
    touch "$BUILD/.complete"
  fi
  mount_chroot "$BUILD"
  # The arm64 headers are unpacked, not installed: their /lib/modules/KVER/build link would replace the chroot's
  # /lib link. linux-kbuild is taken at its candidate version (the headers depend on >= theirs).
  # shellcheck disable=SC2016
  chroot "$BUILD" /bin/bash -euo pipefail -c '
    KVER=$1
    apt-get update -q
    mkdir -p /build/src && cd /build/src
    if [ ! -f gpio-sim-main.c ]; then
      apt-get download -q linux-source-6.1
      dpkg-deb --fsys-tarfile linux-source-6.1_*.deb | tar -xO ./usr/src/linux-source-6.1.tar.xz | tar -xJ \
        linux-source-6.1/drivers/gpio/gpio-sim.c linux-source-6.1/drivers/gpio/gpiolib.h linux-source-6.1/kernel/irq/irq_sim.c
      cp linux-source-6.1/drivers/gpio/gpio-sim.c gpio-sim-main.c
      cp linux-source-6.1/drivers/gpio/gpiolib.h linux-source-6.1/kernel/irq/irq_sim.c .
      rm -rf linux-source-6.1 linux-source-6.1_*.deb
      sed -i "s/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/" irq_sim.c
      grep -q "generic_handle_irq(irqnum);" irq_sim.c
      printf "obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o irq_sim.o\n" > Makefile
    fi
    if [ ! -d /usr/src/linux-headers-$KVER ]; then
      V=$(apt-cache show linux-headers-$KVER:arm64 | awk "/^Version:/ { print \$2; exit }")
      rm -rf /tmp/d /tmp/stage && mkdir -p /tmp/d /tmp/stage && cd /tmp/d
      apt-get download -q linux-headers-$KVER:arm64 linux-headers-${KVER%-arm64}-common=$V linux-kbuild-6.1:arm64
      for f in *.deb; do dpkg-deb -x $f /tmp/stage; done
      tar -C /tmp/stage -cf - usr | tar -C / -xf - --keep-directory-symlink
      cd / && rm -rf /tmp/d /tmp/stage
    fi
    rm -rf /build/$KVER && cp -a /build/src /build/$KVER
    make -s -C /usr/src/linux-headers-$KVER M=/build/$KVER ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- modules
  ' gpio-sim "$KVER" >> "$LOG/gpio-sim.log" 2>&1 || { umount_chroot "$BUILD"; tail -20 "$LOG/gpio-sim.log" >&2; exit 1; }
  umount_chroot "$BUILD"
  cp "$BUILD/build/$KVER/gpio-sim.ko" "$KO"
  stage_mark gpio-sim "$KVER"
  echo "hil bed: gpio-sim took $(elapsed "$start")" >&2
fi

# --- image: the job runner, the module, an ext4 image of the tree, the kernel, its initramfs, the device tree.
IMAGE_KEY=$(cat scripts/hil/bed.sh scripts/hil/dtb.py | sha256sum | cut -c1-16)
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
  chroot "$ROOT" passwd -d root >/dev/null
  rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/tmp/*
  rm -f "$HIL_DIR/arm64.img"
  mkfs.ext4 -q -F -L hilroot -d "$ROOT" "$HIL_DIR/arm64.img" 2G
  cp "$ROOT/boot/vmlinuz-$KVER" "$HIL_DIR/vmlinuz"
  cp "$ROOT/boot/initrd.img-$KVER" "$HIL_DIR/initrd.img"
  echo "$KVER" > "$HIL_DIR/kver"
  # The device tree: QEMU's own for this machine, plus names for the PL061 lines and a gpio-leds LED on line 0.
  tmp=$(mktemp -d)
  qemu-system-aarch64 -M virt -cpu cortex-a57 -smp 2 -m 1024 -nic none -machine dumpdtb="$tmp/virt.dtb" -nographic >/dev/null 2>&1
  dtc -q -I dtb -O dts "$tmp/virt.dtb" > "$tmp/virt.dts"
  python3 scripts/hil/dtb.py "$tmp/virt.dts"
  dtc -q -I dts -O dtb -o "$HIL_DIR/virt.dtb" "$tmp/virt.dts"
  rm -rf "$tmp"
  stage_mark image "$IMAGE_KEY"
  echo "hil bed: image took $(elapsed "$start")" >&2
fi
echo "$HIL_DIR"
