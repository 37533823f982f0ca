#!/usr/bin/env bash
# served_block.sh BUILD_DIR: a 100 MB IEEE 488.2 block ("CURV?" with :WAV:POIN 100000000) read by
# one client program (served_block_client, public C++ API) from
#   - plain_block_server, a minimal plain-C server sending the same bytes (the baseline),
#   - visa-serve's simulated oscilloscope over raw socket, VXI-11 and (when visa-serve has
#     --hislip) HiSLIP,
# and a table of MB/s with the ratio to the baseline against the targets of issue #8: raw socket
# and HiSLIP >= 75 %, VXI-11 >= 50 %. Everything runs on loopback and is measured in this one run,
# paths interleaved round by round so that load from other processes spreads over all of them;
# the verdict compares the median read of each path with the baseline's (the best read is shown
# too, but one lucky read decides it on a loaded machine). Builds nothing.
#
# Also shown: CPU time per read of client and server, and "cpu %" = the baseline's max(client,
# server) CPU time over the path's: client and server run in parallel, so on an otherwise idle
# machine the busier side bounds the throughput; this ratio moves far less with the load than MB/s.
#
# Environment: POINTS (default 100000000), ROUNDS (3), REPEAT (3 reads per round, after one
# warm-up), CLIENT_TIMEOUT (seconds per client run, 60), TOTAL_TIMEOUT (no new round after
# this many seconds, 300); CLIENT, PLAIN, SERVE (the programs).
# Exit status: 0 all measured targets met, 1 a target missed or a path failed, 2 setup error.
set -u

BUILD=${1:-build}
POINTS=${POINTS:-100000000}
ROUNDS=${ROUNDS:-3}
REPEAT=${REPEAT:-3}
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-60}
TOTAL_TIMEOUT=${TOTAL_TIMEOUT:-300}

# CLIENT, PLAIN, SERVE override the programs (to compare two builds of visa-serve, for instance).
CLIENT=${CLIENT:-$BUILD/bench/served_block_client}
PLAIN=${PLAIN:-$BUILD/bench/plain_block_server}
SERVE=${SERVE:-$BUILD/tools/visa-serve}
[[ -x $SERVE ]] || SERVE=$BUILD/tools/visa-serve/visa-serve
for exe in "$CLIENT" "$PLAIN" "$SERVE"; do
  if [[ ! -x $exe ]]; then
    echo "served_block.sh: $exe is missing (build with -DCPPVISA_BUILD_BENCH=ON first)" >&2
    exit 2
  fi
done

work=$(mktemp -d /tmp/served_block.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# Waits up to 10 s for a server's first output line matching $2 in file $1; prints its resource.
wait_line() {
  local file=$1 pattern=$2 i
  for ((i = 0; i < 100; ++i)); do
    local line
    line=$(grep -m1 -E "$pattern" "$file" 2>/dev/null) && { echo "${line%% *}"; return 0; }
    sleep 0.1
  done
  return 1
}

"$PLAIN" "$POINTS" 127.0.0.1 0 >"$work/plain.out" 2>"$work/plain.err" &
pids+=($!)
plain_pid=$!
have_hislip=0
serve_args=(--sim --resource TCPIP::sim-scope::INSTR --socket 127.0.0.1:0 --vxi11 127.0.0.1:0)
if "$SERVE" --help 2>/dev/null | grep -q -- '--hislip'; then
  have_hislip=1
  serve_args+=(--hislip 127.0.0.1:0)
fi
"$SERVE" "${serve_args[@]}" >"$work/serve.out" 2>"$work/serve.err" &
pids+=($!)
serve_pid=$!
# CPU time (user + system, all threads) of a process in ms, from /proc/PID/stat fields 14 and 15.
cpu_ms() {
  local stat
  stat=$(<"/proc/$1/stat") 2>/dev/null || { echo 0; return 1; }
  stat=${stat##*) }
  read -r -a f <<<"$stat"
  echo $(((f[11] + f[12]) * 1000 / $(getconf CLK_TCK)))
}

names=(plain socket vxi11 hislip)
declare -A label=([plain]="plain-C server, raw socket" [socket]="visa-serve sim, raw socket"
                  [vxi11]="visa-serve sim, VXI-11" [hislip]="visa-serve sim, HiSLIP")
declare -A target=([plain]=100 [socket]=75 [vxi11]=50 [hislip]=75)
declare -A resource rates note client_cpu server_cpu
resource[plain]=$(wait_line "$work/plain.out" '::SOCKET serves') || { cat "$work/plain.err" >&2; exit 2; }
resource[socket]=$(wait_line "$work/serve.out" '::SOCKET serves') || { cat "$work/serve.err" >&2; exit 2; }
resource[vxi11]=$(wait_line "$work/serve.out" '::inst0::INSTR serves') || { cat "$work/serve.err" >&2; exit 2; }
if ((have_hislip)); then
  resource[hislip]=$(wait_line "$work/serve.out" '::hislip0,[0-9]+::INSTR serves') || note[hislip]="no HiSLIP line"
else
  note[hislip]="not measured: visa-serve has no --hislip"
fi

echo "served_block: $POINTS-byte block, $ROUNDS rounds x $REPEAT reads per path, $(nproc) CPUs"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 1; round <= ROUNDS; ++round)); do
  if ((round > 1 && SECONDS > TOTAL_TIMEOUT)); then
    echo "served_block: $SECONDS s elapsed, stopping after $((round - 1)) rounds"
    break
  fi
  for n in "${names[@]}"; do
    [[ -n ${resource[$n]:-} && -z ${note[$n]:-} ]] || continue
    spid=$serve_pid
    [[ $n == plain ]] && spid=$plain_pid
    s0=$(cpu_ms "$spid")
    out=$(timeout "$CLIENT_TIMEOUT" "$CLIENT" "${resource[$n]}" --points "$POINTS" --repeat "$REPEAT" 2>"$work/client.err")
    rc=$?
    s1=$(cpu_ms "$spid")
    if ((rc != 0)); then
      note[$n]="failed (exit $rc): $(tail -n1 "$work/client.err")"
      if ! kill -0 "$spid" 2>/dev/null; then
        wait "$spid"
        note[$n]+=" [the server exited with status $?: $(tail -n1 "$work/serve.err" "$work/plain.err" | tr '\n' ' ')]"
      fi
      continue
    fi
    rates[$n]+=" $(sed -n 's/^RATES //p' <<<"$out")"
    client_cpu[$n]+=" $(sed -n 's/^CPU //p' <<<"$out")"
    # The server's CPU time over the run, per read (the warm-up read included).
    server_cpu[$n]+=" $(((s1 - s0) / (REPEAT + 1)))"
  done
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"

mean() { tr ' ' '\n' <<<"$1" | grep . | awk '{s += $1} END { if (NR) printf "%.0f", s / NR; else print "-" }'; }
max() { if (($1 > $2)); then echo "$1"; else echo "$2"; fi; }
# best / median of a list of numbers
best_median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR]=$1} END {
  if (NR == 0) exit 1; m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%.0f %.0f\n", v[NR], m }'; }

status=0
base_best=""
if [[ -n ${rates[plain]:-} && -z ${note[plain]:-} ]]; then
  read -r base_best base_median < <(best_median "${rates[plain]}")
  base_cpu=$(max "$(mean "${client_cpu[plain]}")" "$(mean "${server_cpu[plain]}")")
else
  echo "served_block: the baseline failed: ${note[plain]:-no result}" >&2
  status=1
fi
echo
echo "MB/s: 10^6 bytes of block data per second of one query + read. %: of the plain-C baseline;"
echo "the verdict compares medians with the target."
echo "CPU: ms of CPU time (user + system) per ${POINTS}-byte read, client / server (server: all threads)."
printf '%-28s %10s %12s %7s %9s %12s %6s %7s  %s\n' path "best MB/s" "median MB/s" "best %" "median %" "CPU cli/srv" "cpu %" target verdict
for n in "${names[@]}"; do
  if [[ -n ${note[$n]:-} || -z ${rates[$n]:-} ]]; then
    printf '%-28s %10s %12s %7s %9s %12s %6s %6s%%  %s\n' "${label[$n]}" - - - - - - "${target[$n]}" "${note[$n]:-no result}"
    [[ $n == hislip && $have_hislip == 0 ]] || status=1
    continue
  fi
  read -r best median < <(best_median "${rates[$n]}")
  ccpu=$(mean "${client_cpu[$n]}")
  scpu=$(mean "${server_cpu[$n]}")
  if [[ $n == plain ]]; then
    printf '%-28s %10s %12s %7s %9s %12s %6s %7s  %s\n' "${label[$n]}" "$best" "$median" 100 100 "$ccpu/$scpu" 100 - baseline
    continue
  fi
  [[ -n $base_best ]] || continue
  pct=$(awk -v a="$best" -v b="$base_best" 'BEGIN { printf "%.0f", 100 * a / b }')
  mpct=$(awk -v a="$median" -v b="$base_median" 'BEGIN { printf "%.0f", 100 * a / b }')
  cpct=$(awk -v a="$base_cpu" -v b="$(max "$ccpu" "$scpu")" 'BEGIN { if (b > 0) printf "%.0f", 100 * a / b; else print "-" }')
  verdict=PASS
  if ((mpct < target[$n])); then verdict=FAIL; status=1; fi
  printf '%-28s %10s %12s %7s %9s %12s %6s %6s%%  %s\n' "${label[$n]}" "$best" "$median" "$pct" "$mpct" "$ccpu/$scpu" "$cpct" "${target[$n]}" "$verdict"
done
exit $status
