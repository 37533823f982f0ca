#!/usr/bin/env bash
# Runs every fuzz target of a fuzz build for a few seconds each, from its seed corpus
# (tests/fuzz/corpus/<target>/). Fails if any target finds a crash, leak or timeout.
set -euo pipefail
build=$(cd "${1:-build-fuzz}" && pwd)
seconds=${2:-10}
src=$(cd "$(dirname "$0")/.." && pwd)
shopt -s nullglob
targets=("$build"/tests/fuzz/fuzz_*)
fails=0 passes=0
for t in "${targets[@]}"; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  work=$(mktemp -d)
  seeds="$src/tests/fuzz/corpus/$name"
  args=(-max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=0)
  [ -f "$src/tests/fuzz/$name.dict" ] && args+=(-dict="$src/tests/fuzz/$name.dict")
  echo "fuzz: $name for ${seconds}s"
  if (cd "$work" && "$t" "${args[@]}" "$work" $( [ -d "$seeds" ] && echo "$seeds" ) >"$work/log" 2>&1); then
    passes=$((passes + 1))
  else
    echo "fuzz: $name FAILED"; tail -n 40 "$work/log"; fails=$((fails + 1))
  fi
  rm -rf "$work"
done
echo "fuzz: $passes passed, $fails failed"
[ "$fails" = 0 ]
