#!/usr/bin/env bash
# Long fuzz runs (issue 14): every cargo-fuzz target for SECONDS each (default 600), PARALLEL at a
# time (default 2), at `nice -n 19`, with libFuzzer's RSS limit of 256 MiB; prints one row per
# target: executions, executions per second, peak RSS, corpus units added, and the outcome.
# CI runs the short smoke run in `.ci/run` instead.
# Usage: fuzz/run-long.sh [SECONDS] [PARALLEL]   (logs in $FUZZ_LOG_DIR, default
#        /tmp/provseal-fuzz-long; corpora in fuzz/corpus/TARGET, crashes in fuzz/artifacts/TARGET)
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
par=${2:-2}
logs=${FUZZ_LOG_DIR:-/tmp/provseal-fuzz-long}
mkdir -p "$logs"
if cargo +nightly --version >/dev/null 2>&1; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi
"${fuzz[@]}" build -O --fuzz-dir . >"$logs/build.log" 2>&1 || { tail -20 "$logs/build.log"; exit 1; }
bin=target/x86_64-unknown-linux-gnu/release
targets=$("${fuzz[@]}" list --fuzz-dir .)
export secs logs bin
# shellcheck disable=SC2016
printf '%s\n' $targets | xargs -P "$par" -I{} sh -c '
  t={}; mkdir -p corpus/$t artifacts/$t
  nice -n 19 "$bin/$t" -max_total_time="$secs" -rss_limit_mb=256 -malloc_limit_mb=256 \
    -print_final_stats=1 -artifact_prefix=artifacts/$t/ corpus/$t >"$logs/$t.log" 2>&1
  echo $? >"$logs/$t.rc"'
printf '%-20s %14s %10s %14s %10s  %s\n' target executions "exec/s" "peak RSS MB" "new units" outcome
stat() { grep -m1 "^stat::$1:" "$logs/$t.log" | awk '{print $2}'; }
for t in $targets; do
  rc=$(cat "$logs/$t.rc")
  outcome="ok, no crash"
  if [ "$rc" != 0 ]; then
    outcome="FAILED (exit $rc): $(grep -m1 -E '==[0-9]+==ERROR|^ERROR|panicked' "$logs/$t.log" || echo see log)"
  fi
  printf '%-20s %14s %10s %14s %10s  %s\n' "$t" "$(stat number_of_executed_units)" \
    "$(stat average_exec_per_sec)" "$(stat peak_rss_mb)" "$(stat new_units_added)" "$outcome"
done
