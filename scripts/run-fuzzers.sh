#!/usr/bin/env bash
# Runs every fuzz target of a fuzz build for a few seconds each, from its seed corpus
# (tests/fuzz/corpus/<target>/), JOBS targets at a time (default: one per core). Fails if any
# target finds a crash, leak or timeout; the log of a failing target is printed whole at the end.
# Usage: run-fuzzers.sh [build-dir] [seconds] [jobs]
set -euo pipefail
build=$(cd "${1:-build-fuzz}" && pwd)
seconds=${2:-10}
jobs=${3:-$(nproc)}
src=$(cd "$(dirname "$0")/.." && pwd)
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

run_one() {  # run_one <target>: writes <results>/<name>.ok or <name>.failed (the log's tail)
  local t=$1 name work seeds
  name=$(basename "$t")
  work=$(mktemp -d)
  seeds="$src/tests/fuzz/corpus/$name"
  local args=(-max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=0)
  [ -f "$src/tests/fuzz/$name.dict" ] && args+=(-dict="$src/tests/fuzz/$name.dict")
  echo "fuzz: $name for ${seconds}s"
  if (cd "$work" && "$t" "${args[@]}" "$work" $( [ -d "$seeds" ] && echo "$seeds" ) >"$work/log" 2>&1); then
    touch "$results/$name.ok"
  else
    tail -n 40 "$work/log" >"$results/$name.failed"
  fi
  rm -rf "$work"
}

shopt -s nullglob
running=0
for t in "$build"/tests/fuzz/fuzz_*; do
  [ -x "$t" ] || continue
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait

passes=0 fails=0
for f in "$results"/*.ok; do passes=$((passes + 1)); done
for f in "$results"/*.failed; do
  echo "fuzz: $(basename "$f" .failed) FAILED"; cat "$f"; fails=$((fails + 1))
done
echo "fuzz: $passes passed, $fails failed"
[ "$passes" -gt 0 ] && [ "$fails" = 0 ]
