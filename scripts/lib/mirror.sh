# Sourced by the scripts that debootstrap a Debian 12 root (scripts/packages/rootfs.sh, scripts/hil/bed.sh): sets
# $mirror and $security to the host's configured Debian mirrors (deb822 or one-line sources), or fails naming what
# is missing. The machine may reach no other.
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || { echo "$(basename "$0"): no Debian mirror found in /etc/apt/sources.list(.d)" >&2; exit 1; }
security=$(awk '/^URIs:/ { print $2 }' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -m1 security || true)
[ -n "$security" ] || security=${mirror%/debian}/debian-security
