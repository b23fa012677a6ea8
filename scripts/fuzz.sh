#!/usr/bin/env bash
# make fuzz: coverage-guided fuzzing of the decoders with AFL++ and SharpFuzz. For each target (conflist, cni-args,
# frame, request, response) the harness in fuzz/Yurtnet.Fuzz runs under afl-fuzz for FUZZ_SECONDS (default 60),
# starting from fuzz/corpus/<target>; the assemblies under test are instrumented by the sharpfuzz tool. Fails, and
# names the inputs, if AFL kept any crash (an exception the caller does not expect, or a hang past 10 s).
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
TARGETS=${TARGETS:-conflist cni-args frame request response}
OUT=$PWD/out/fuzz
TOOLS=$PWD/out/tools
command -v afl-fuzz >/dev/null || { echo "fuzz: afl-fuzz is missing (Debian package afl++; make deps installs it)"; exit 1; }
[ -x "$TOOLS/sharpfuzz" ] || dotnet tool install --tool-path "$TOOLS" SharpFuzz.CommandLine --version 2.3.0 >/dev/null
rm -rf "$OUT/bin"
dotnet publish fuzz/Yurtnet.Fuzz/Yurtnet.Fuzz.csproj -c Release -o "$OUT/bin" -nologo -p:TreatWarningsAsErrors=false >/dev/null
for assembly in yurtnet.dll Yurtnet.Protocol.dll; do  # the plugin assembly is named after its executable
  "$TOOLS/sharpfuzz" "$OUT/bin/$assembly" >/dev/null
done
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_QUIET=1 DOTNET_TieredPGO=0
failed=0
for target in $TARGETS; do
  findings=$OUT/findings/$target
  rm -rf "$findings"; mkdir -p "$OUT/findings"
  afl-fuzz -i "fuzz/corpus/$target" -o "$findings" -V "$FUZZ_SECONDS" -t 10000 -m none -- "$OUT/bin/Yurtnet.Fuzz" "$target" > "$OUT/$target.log" 2>&1 || true
  stats=$findings/default/fuzzer_stats
  [ -f "$stats" ] || { echo "fuzz: $target: afl-fuzz did not start (see $OUT/$target.log)"; tail -20 "$OUT/$target.log"; failed=1; continue; }
  execs=$(awk -F' *: *' '$1=="execs_done"{print $2}' "$stats")
  paths=$(awk -F' *: *' '$1=="corpus_count"{print $2}' "$stats")
  crashes=$(find "$findings/default/crashes" "$findings/default/hangs" -type f ! -name README.txt 2>/dev/null | wc -l)
  echo "fuzz: $target: $execs inputs in ${FUZZ_SECONDS} s, $paths paths, $crashes crash(es) or hang(s)"
  if [ "$crashes" -gt 0 ]; then
    find "$findings/default/crashes" "$findings/default/hangs" -type f ! -name README.txt | sed 's/^/  /'
    failed=1
  fi
done
exit "$failed"
