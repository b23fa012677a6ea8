#!/usr/bin/env bash
# The previous release's amd64 package, the one `make test-packages` upgrades from and downgrades to: built from the
# tag v<version> of the second entry of debian/changelog into out/deb-previous/<version>, unless it is there already.
# Prints the package's path; the build's own output goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(dpkg-parsechangelog --offset 1 --count 1 -S Version)
[ -n "$version" ] || { echo "previous release: debian/changelog has one entry: nothing to upgrade from" >&2; exit 1; }
out=$PWD/out/deb-previous/$version
deb=$out/yurtnet_${version}_amd64.deb
if [ ! -f "$deb" ]; then
  commit=$(git rev-parse -q --verify "refs/tags/v$version^{commit}" || true)
  if [ -z "$commit" ]; then
    # A clone without tags: the release list kept in the tree says which commit the tag names.
    commit=$(awk -v v="$version" '$1 == v { print $2 }' packaging/releases)
    [ -n "$commit" ] || { echo "previous release: no tag v$version and no line for $version in packaging/releases (docs/releasing.md)" >&2; exit 1; }
    echo "previous release: no tag v$version in this clone; packaging/releases names $commit" >&2
  fi
  src=$(mktemp -d /tmp/yurtnet-previous.XXXXXX)
  trap 'rm -rf "$src"' EXIT
  git archive "$commit" | tar -x -C "$src"
  echo "previous release: building yurtnet $version (amd64) from $commit" >&2
  (cd "$src" && ARCHS=amd64 DEBS="$out" ./scripts/packages/build.sh) >&2
fi
echo "$deb"
