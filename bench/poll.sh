#!/usr/bin/env bash
# Polling side by side: API calls and lateness (the client's exit minus the job's end) of spark-promote, the
# official Python CLI (cspark import run) and the 5 s curl loop, for jobs of 5 s, 60 s and 10 minutes
# (see bench/RESULTS.md, "Polling").
#
# Usage: bash bench/poll.sh
# Every (job duration, client) pair gets its own sandbox on a free loopback port and all pairs run at once:
# a 10-minute job takes 10 minutes of wall time whoever polls it, and the clients use little CPU. Each pair
# imports the 1 MB package into a fresh service, samples one after the other.
# Environment:
#   POLL_DURATIONS  sandbox --job-duration values, default "5s 60s 600s"
#   POLL_SAMPLES    samples per client and duration, default "5s:5 60s:3 600s:1"
#   BENCH_BIN       the spark-promote binary to measure (default: a release build)
# Raw outputs go to bench/out/poll/DURATION/CLIENT/ (the layout of run.sh, read by the same report.py).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
root=$(pwd)
durations=${POLL_DURATIONS:-5s 60s 600s}
samples_by_duration=${POLL_SAMPLES:-5s:5 60s:3 600s:1}
clients=(spark-promote cspark curl)
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -c 'import cspark, click, rich' 2>/dev/null \
  || .venv/bin/pip install --quiet --disable-pip-version-check 'cspark[cli]==0.3.3'
if [ -z "${BENCH_BIN:-}" ]; then
  cargo build --release --locked
  BENCH_BIN=$root/target/release/spark-promote
fi
out=$root/bench/out/poll
rm -rf "$out"
mkdir -p "$out" "$root/bench/out/packages"
# A copy, so that a rebuild while the 10-minute jobs run does not change what is measured.
cp "$BENCH_BIN" "$out/spark-promote"
package=$root/bench/out/packages/1.zip
[ "$(stat -c %s "$package" 2>/dev/null || echo 0)" = 1000000 ] || python3 bench/make-package.py 1000000 "$package"
date -u '+%Y-%m-%d %H:%M UTC' >"$out/started"

# One (duration, client) pair: its own sandbox, then its samples in turn (calls counted per sample).
pair() {
  local duration=$1 client=$2 samples=$3 dir port sandbox_pid
  dir=$out/$duration/$client
  mkdir -p "$dir/home/.cspark"
  ln -s "$root/bench/out/packages" "$dir/packages"
  port=$(free_port)
  export BENCH_OUT=$dir BENCH_ROOT=http://127.0.0.1:$port BENCH_PHASE=$duration \
    BENCH_BIN=$out/spark-promote BENCH_PYTHON=$root/.venv/bin/python SPARK_TOKEN=tok-bench
  start_sandbox_with "$out/spark-promote" "$port" "$dir/sandbox.log" --seed bench/seed.yaml \
    --job-duration "$duration"
  cspark_profile "$dir/home/.cspark/profiles.yml" "$BENCH_ROOT" "$SPARK_TOKEN"
  bash bench/client.sh settle
  for _ in $(seq "$samples"); do
    bash bench/client.sh run "$client" 1 || true
    bash bench/client.sh settle
  done
  curl -fsS "$BENCH_ROOT/_sandbox/state" >"$dir/state-$duration.json"
  stop_sandbox
}

pids=()
for duration in $durations; do
  samples=$(tr ' ' '\n' <<<"$samples_by_duration" | sed -n "s/^$duration://p")
  for client in "${clients[@]}"; do
    pair "$duration" "$client" "${samples:-1}" &
    pids+=($!)
  done
done
for pid in "${pids[@]}"; do wait "$pid"; done
date -u '+%Y-%m-%d %H:%M UTC' >"$out/ended"
python3 bench/report.py --poll "$out" | tee "$out/tables.md"
