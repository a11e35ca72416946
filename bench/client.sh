#!/usr/bin/env bash
# One benchmark step, called by run.sh and by hyperfine.
#   client.sh run CLIENT SIZE   imports packages/SIZE.zip with CLIENT (spark-promote | cspark | curl) into a
#                               fresh destination service, under /usr/bin/time -v; keeps the outputs, the exit
#                               code and the exit time (ns) in a new run directory.
#   client.sh settle            saves the sandbox's request counters and job list for the last run (if any),
#                               then resets the counters (hyperfine's --prepare: outside the timed region).
# Environment (set by run.sh): BENCH_OUT, BENCH_ROOT (http://127.0.0.1:PORT), BENCH_PHASE, BENCH_BIN,
# BENCH_PYTHON, SPARK_TOKEN.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$BENCH_OUT
tenant=bench

settle() {
  if [ -f "$out/pending" ]; then
    local dir
    dir=$(cat "$out/pending")
    curl -fsS "$BENCH_ROOT/_sandbox/stats" >"$dir/stats.json"
    curl -fsS "$BENCH_ROOT/_sandbox/jobs" >"$dir/jobs-after.json"
    rm "$out/pending"
  fi
  curl -fsS "$BENCH_ROOT/_sandbox/jobs" >"$out/jobs-now.json"
  curl -fsS -X DELETE "$BENCH_ROOT/_sandbox/stats"
}

run() {
  local client=$1 size=$2 n dir destination
  mkdir -p "$out/runs/$BENCH_PHASE"
  n=0
  for dir in "$out/runs/$BENCH_PHASE/$client-$size-"*; do [ -e "$dir" ] && n=$((n + 1)); done
  dir=$out/runs/$BENCH_PHASE/$client-$size-$((n + 1))
  mkdir "$dir"
  cp "$out/jobs-now.json" "$dir/jobs-before.json"
  destination=$tenant/$client-$size-$BENCH_PHASE-$((n + 1))
  local package=$out/packages/$size.zip
  local -a command
  case $client in
    spark-promote)
      cat >"$dir/spark-promote.yaml" <<YAML
version: 1
environments:
  bench:
    url: $BENCH_ROOT/$tenant
    auth: { bearer: "\${SPARK_TOKEN}" }
promotions:
  - name: payload
    from: { package: ../../../packages/$size.zip }
    to: bench
    services_existing: add_version
    services:
      - { source: source/payload, destination: $destination }
YAML
      command=("$BENCH_BIN" apply -m "$dir/spark-promote.yaml" --json)
      ;;
    cspark)
      command=(env "HOME=$out/home" "$BENCH_PYTHON" "$here/cspark-loopback.py" import run "$package"
        -d "source/payload=$destination" --if-present add_version)
      ;;
    curl)
      command=(bash "$here/curl-import.sh" "$BENCH_ROOT/$tenant" "$package" source/payload "$destination")
      ;;
    *) echo "unknown client $client" >&2; exit 2 ;;
  esac
  printf '%q ' "${command[@]}" >"$dir/command"
  echo "$destination" >"$dir/destination"
  echo "$dir" >"$out/pending"
  local rc=0
  /usr/bin/time -v -o "$dir/time.txt" "${command[@]}" >"$dir/stdout" 2>"$dir/stderr" || rc=$?
  date +%s%N >"$dir/exit_ns"
  echo "$rc" >"$dir/rc"
  return "$rc"
}

case ${1:-} in
  run) shift; run "$@" ;;
  settle) settle ;;
  *) echo "usage: client.sh run CLIENT SIZE | client.sh settle" >&2; exit 2 ;;
esac
