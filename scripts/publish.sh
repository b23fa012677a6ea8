#!/usr/bin/env bash
# make publish: the three NativeAOT executables into one folder. Fails on any trim/AOT warning from our code.
# yurtnetd's project collapses LiteDB's warnings (its reflection mapper, which we never call: we use the
# BsonDocument API only); here every warning is reported per call site and any whose origin is not LiteDB fails.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:?} RID=${RID:-linux-x64} CONFIG=${CONFIG:-Release} VERSION=${VERSION:-}
mkdir -p "$OUT"
for project in Yurtnet.Cni Yurtnet.Daemon Yurtnet.Ctl; do
  echo "publish: $project -> $OUT"
  log=$(mktemp)
  if ! dotnet publish "src/$project/$project.csproj" -c "$CONFIG" -r "$RID" -o "$OUT" -nologo \
        -p:DebugType=none -p:GenerateDocumentationFile=false -p:TrimmerSingleWarn=false -p:TreatWarningsAsErrors=false ${VERSION:+-p:Version=$VERSION} > "$log" 2>&1; then
    cat "$log"; rm -f "$log"; exit 1
  fi
  ours=$(grep -E 'warning (IL|CS|CA)[0-9]+' "$log" | grep -vE 'warning IL[0-9]+: LiteDB\.' | sort -u || true)
  rm -f "$log"
  if [ -n "$ours" ]; then echo "publish: warnings in our code:"; echo "$ours"; exit 1; fi
done
rm -f "$OUT"/*.xml "$OUT"/*.pdb "$OUT"/*.dbg
ls -l "$OUT"
