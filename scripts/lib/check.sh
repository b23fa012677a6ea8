# Sourced by the scripts that print one line per check (make test-packages, make e2e): `check NAME COMMAND...` runs
# COMMAND, prints "ok   NAME" or "FAIL NAME" with the last lines of its output, counts into $passed and $failed, and
# never stops the run.
passed=0 failed=0
check() {
  local name=$1; shift
  local output
  if output=$("$@" 2>&1); then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name"; printf '%s\n' "$output" | tail -15 | sed 's/^/     /'
  fi
}
