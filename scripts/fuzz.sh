#!/usr/bin/env bash
# Builds the libFuzzer targets (Sources/CourierFuzz) with the fuzzer and address sanitizers and
# runs each for a bounded time, starting from a scratch copy of its seeds in Fuzz/Corpus/.
# Prints one line per target (executions, exec/s, crashes) and exits 1 if any target crashed,
# hung or broke an invariant; the input that did it (and a minimised copy) is kept under
# .build-fuzz/crashes/<target>/. See Fuzz/README.md.
#
#   scripts/fuzz.sh                          every target, FUZZ_SECONDS (default 60) each
#   FUZZ_TARGETS="head-parser cookie" scripts/fuzz.sh
#   FUZZ_RUNS=10000000 scripts/fuzz.sh       a number of executions instead of a time
#   FUZZ_JOBS=2 scripts/fuzz.sh              run that many targets at once
#
# Scratch space is .build-fuzz (git-ignored): the build, corpora/<target> (the seeds plus what
# the fuzzer found interesting; it grows across runs and is never copied back), crashes/ and logs/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
runs="${FUZZ_RUNS:-}"
jobs="${FUZZ_JOBS:-1}"
minimize_seconds="${FUZZ_MINIMIZE_SECONDS:-60}"
scratch=.build-fuzz
all_targets="head-parser body-decoder chunked-decoder cookie auth-challenge decompressor hpack h2-frames cache websocket socks5 url-host"
targets="${FUZZ_TARGETS:-$all_targets}"

# Longest input per target: enough for many header lines past the tight limits, a body over the
# receive buffer's 2 KiB lending threshold, a chunked recipe of a few hundred chunks (its large
# chunks are generated, not read), a long header value, a few HPACK header blocks or HTTP/2 frames; small enough to keep exec/s high.
max_len() {
  case "$1" in
    head-parser | body-decoder | hpack | h2-frames | websocket) echo 4096 ;;
    chunked-decoder | cookie | auth-challenge | decompressor | cache | socks5 | url-host) echo 1024 ;;
    *) echo "unknown fuzz target: $1 (targets: $all_targets)" >&2; exit 2 ;;
  esac
}
for target in $targets; do max_len "$target" >/dev/null; done

# The toolchain brings libFuzzer and the sanitizers; CourierTransport links these.
scripts/ensure-packages.sh libssl-dev zlib1g-dev libbrotli-dev

# -Osize, not -O: Swift 6.3.1's -O pipeline crashes (signal 11 in LLVM's CoroSplit, "While
# splitting coroutine HTTP1Connection.writeSoon") when -sanitize=address is on; -Osize does not.
# -assert-config Debug keeps the standard library's debug preconditions, so an unsafe buffer read
# out of range traps even inside one allocation (a ReceiveBuffer's spare capacity), which ASan
# cannot see; it costs about 15 % of the speed.
flags=(-c release --scratch-path "$scratch" -Xswiftc -Osize -Xswiftc -assert-config -Xswiftc Debug
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING)
echo "Building CourierFuzz with -sanitize=fuzzer,address in $scratch"
swift build "${flags[@]}" --product CourierFuzz
binary="$(swift build "${flags[@]}" --show-bin-path)/CourierFuzz"

mkdir -p "$scratch/logs"
# Swift's own backtracer would race libFuzzer's crash handler; the fatalError message (which
# invariant broke) is printed before the trap either way, and ASan prints the stack.
export SWIFT_BACKTRACE=enable=no

# Inputs libFuzzer saved because they failed (not slow-unit-…, which it saves for speed only).
count_failures() {
  find "$1" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l
}

# Runs one target; its summary goes to logs/<target>.summary, its exit status says crashed or not.
run_target() {
  local target="$1"
  local corpus="$scratch/corpora/$target" crashes="$scratch/crashes/$target"
  local log="$scratch/logs/$target.log"
  mkdir -p "$corpus" "$crashes"
  cp -n Fuzz/Corpus/"$target"/* "$corpus"/ 2>/dev/null || true
  local before
  before="$(count_failures "$crashes")"
  local bound=("-max_total_time=$seconds")
  [ -n "$runs" ] && bound=("-runs=$runs")
  local status=0
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: ASan and the Swift runtime take
  # about 500 MB; more than 2 GiB is a leak or unbounded growth worth a report.
  COURIER_FUZZ_TARGET="$target" "$binary" "${bound[@]}" -max_len="$(max_len "$target")" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" \
    "$corpus" >"$log" 2>&1 || status=$?
  local executions speed found
  executions="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  if [ -z "$executions" ]; then
    # libFuzzer stopped at a crash before its final stats: take its last status line.
    executions="$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')"
    speed="$(grep -oE 'exec/s: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)"
  fi
  found=$(($(count_failures "$crashes") - before))
  if [ "$status" -ne 0 ] && [ "$found" -eq 0 ]; then found=1; fi
  printf '%-16s %12s executions %8s exec/s %3d crashes\n' \
    "$target" "${executions:-0}" "${speed:-0}" "$found" >"$scratch/logs/$target.summary"
  if [ "$found" -gt 0 ]; then
    local input
    input="$(grep -oE 'Test unit written to .*' "$log" | tail -1 | sed 's/Test unit written to //')"
    {
      echo "  $target: see $log"
      grep -E 'Fatal error|ERROR: AddressSanitizer|ERROR: libFuzzer|SUMMARY' "$log" | head -5 | sed 's/^/    /'
    } >>"$scratch/logs/$target.summary"
    if [ -n "$input" ] && [ -f "$input" ]; then
      # A smaller input that fails the same way, next to the original (minimized-from-…).
      COURIER_FUZZ_TARGET="$target" "$binary" -minimize_crash=1 -max_total_time="$minimize_seconds" \
        -max_len="$(max_len "$target")" -artifact_prefix="$crashes/" "$input" \
        >"$scratch/logs/$target.minimize.log" 2>&1 || true
      echo "    input: $input (minimised copies: $crashes/minimized-from-*)" >>"$scratch/logs/$target.summary"
    fi
    return 1
  fi
}

failed=0
pids=()
names=()
for target in $targets; do
  echo "Fuzzing $target (log: $scratch/logs/$target.log)"
  run_target "$target" &
  pids+=("$!")
  names+=("$target")
  if [ "${#pids[@]}" -ge "$jobs" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done

echo
for target in "${names[@]}"; do cat "$scratch/logs/$target.summary"; done
if [ "$failed" -ne 0 ]; then
  echo "fuzz: FAILED: inputs kept under $scratch/crashes/; replay one with" \
    "'swift run --scratch-path .build-fuzz-replay CourierFuzz <target> <input>'"
  exit 1
fi
echo "fuzz: no crashes"
