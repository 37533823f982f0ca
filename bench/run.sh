#!/usr/bin/env bash
# `make bench`: bash bench/run.sh BUILD_DIR. Runs the Google Benchmark programs briefly, then the
# comparison scripts: list_resources.py and compare.py (which rewrites bench/RESULTS.md,
# bench/RESULTS.svg and the README's table). served_block.sh, whose rows compare.py now carries,
# stays a script of its own. Under 10 minutes on 2 cores. Exit status 1 when a program fails.
set -u
BUILD=${1:-build}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
status=0
shopt -s nullglob
for b in "$BUILD"/bench/bench_*; do
  [[ -f $b && -x $b ]] || continue
  echo "== $(basename "$b")"
  "$b" --benchmark_min_time=0.1 || status=1
done
if [[ -x "$BUILD/bench/usb_transfer_bench" ]] && command -v umockdev-wrapper > /dev/null; then
  echo "== usb_transfer_bench (libusb under umockdev)"
  umockdev-wrapper "$BUILD/bench/usb_transfer_bench" || status=1
fi
if [[ -x "$BUILD/bench/async_many" ]]; then
  echo "== async_many (1000 served instruments through the asynchronous API)"
  "$BUILD/bench/async_many" 1000 3 || status=1
  echo "== async_many over HiSLIP (1000 sessions of one served HiSLIP server; async channels in the shared reactor)"
  "$BUILD/bench/async_many" 1000 3 hislip || status=1
fi
echo "== list_resources.py"
"$here/list_resources.py" "$BUILD"
rc=$?
if ((rc == 77)); then echo "(skipped: no network namespaces here)"; elif ((rc != 0)); then status=1; fi
echo "== compare.py (bench/RESULTS.md)"
"$here/compare.py" "$BUILD" || status=1
echo "make bench: ${SECONDS} s"
exit $status
