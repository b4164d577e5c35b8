#!/usr/bin/env bash
# Runs every Go fuzz target of the module briefly (FUZZTIME each, default 8s). A crash fails CI.
#
# The fuzzer minimizes every new interesting input; a minimization still running when -fuzztime runs out
# ends the run with "context deadline exceeded" although nothing failed. -fuzzminimizetime keeps
# minimizations short, and a run that reports only that (no failing input written) counts as a pass.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-8s}
n=0
while IFS=: read -r file _ line; do
  pkg=./$(dirname "$file")
  name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"$line")
  echo "fuzz $pkg $name ($fuzztime)"
  out=$(mktemp)
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 20x "$pkg" >"$out" 2>&1; then
    if grep -q "context deadline exceeded" "$out" && ! grep -q "Failing input written" "$out"; then
      echo "fuzz $name: the fuzz time ran out during a minimization (go test reports that as a failure); no failing input was found"
    else
      cat "$out"
      exit 1
    fi
  else
    tail -n 2 "$out"
  fi
  rm -f "$out"
  n=$((n+1))
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' internal cmd 2>/dev/null || true)
echo "fuzz targets run: $n"
