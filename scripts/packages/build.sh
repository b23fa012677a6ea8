#!/usr/bin/env bash
# make deb: the amd64 and the arm64 (cross-built) Debian packages into DEBS (default out/deb).
# dpkg-buildpackage writes its results next to the source tree (..); they are moved into DEBS.
set -euo pipefail
cd "$(dirname "$0")/../.."
DEBS=${DEBS:-$PWD/out/deb}
version=$(dpkg-parsechangelog -S Version)
mkdir -p "$DEBS"
for arch in ${ARCHS:-amd64 arm64}; do
  log=$DEBS/build-$arch.log
  echo "deb: yurtnet $version $arch (log: $log)"
  if [ "$arch" = "$(dpkg --print-architecture)" ]; then
    dpkg-buildpackage -b -us -uc > "$log" 2>&1 || { tail -40 "$log"; exit 1; }
  else
    DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -b -us -uc --host-arch "$arch" -Pcross,nocheck > "$log" 2>&1 || { tail -40 "$log"; exit 1; }
  fi
  for f in ../yurtnet_"${version}_${arch}".{deb,buildinfo,changes}; do mv -f "$f" "$DEBS/"; done
done
ls -l "$DEBS"/*.deb
