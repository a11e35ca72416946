#!/usr/bin/env bash
# What a backup costs per apply (see bench/RESULTS.md, "Backups"): a `replace` of a service that holds one
# version of SIZE bytes, applied with `backup: false` and with `backup: true`, alternating, each time with a
# fresh package of the same size (so that no apply is skipped). Reports the apply's wall time with and
# without the backup, the backup export job's own time (created to finished, in the sandbox), and the size
# of the backup package on disk.
#
# Usage: bash bench/backup.sh
# Environment:
#   BACKUP_SIZES     payload sizes in bytes, default "1000000 20000000"
#   BACKUP_SAMPLES   applies per mode and size, default 3
#   BACKUP_DURATION  sandbox --job-duration, default 2s
#   BENCH_BIN        the spark-promote binary (default: target/debug/spark-promote, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
root=$(pwd)
sizes=${BACKUP_SIZES:-1000000 20000000}
samples=${BACKUP_SAMPLES:-3}
duration=${BACKUP_DURATION:-2s}
if [ -z "${BENCH_BIN:-}" ]; then
  [ -x target/debug/spark-promote ] || cargo build
  BENCH_BIN=$root/target/debug/spark-promote
fi
out=$root/bench/out/backup
rm -rf "$out"
mkdir -p "$out"
port=$(free_port)
url=http://127.0.0.1:$port
trap stop_sandbox EXIT
start_sandbox_with "$BENCH_BIN" "$port" "$out/sandbox.log" --seed bench/seed.yaml --job-duration "$duration"
export SPARK_TOKEN=tok-bench

# One apply of a fresh package of $1 bytes into bench/svc-$1 with `backup: $2`; prints the wall time in s.
apply() {
  local size=$1 backup=$2 dir=$out/$1
  mkdir -p "$dir"
  python3 bench/make-package.py "$size" "$dir/p.zip"
  cat >"$dir/spark-promote.yaml" <<YAML
version: 1
environments:
  bench:
    url: $url/bench
    auth: { bearer: "\${SPARK_TOKEN}" }
promotions:
  - name: svc-$size
    from: { package: p.zip }
    to: bench
    services_existing: replace
    services: [{ source: source/payload, destination: bench/svc-$size }]
    backup: $backup
YAML
  local start end
  start=$(date +%s.%N)
  (cd "$dir" && "$BENCH_BIN" -q apply --json >"$dir/last.json")
  end=$(date +%s.%N)
  python3 -c "import json,sys; r=json.load(open('$dir/last.json'))['promotions'][0]; \
assert r['status']=='completed', r; assert (r['backup'] is not None)==('$backup'=='true'), r" \
    || { echo "apply failed: $(cat "$dir/last.json")" >&2; exit 1; }
  python3 -c "print(f'{$end - $start:.2f}')"
}

printf '| payload | job duration | apply without backup, s | apply with backup, s | difference, s | backup export job, s | backup package, bytes |\n'
printf '|---|---|---|---|---|---|---|\n'
for size in $sizes; do
  apply "$size" false >/dev/null   # the service exists from here on: every later apply replaces it
  seen=$(curl -fsS "$url/_sandbox/jobs" | python3 -c "import json,sys; print(sum(j['object'] == 'export' for j in json.load(sys.stdin)))")
  without=() with=()
  for _ in $(seq "$samples"); do
    without+=("$(apply "$size" false)")
    with+=("$(apply "$size" true)")
  done
  backups=("$out/$size"/.spark-promote/backups/*.zip)
  bytes=$(stat -c %s "${backups[0]}")
  export_s=$(curl -fsS "$url/_sandbox/jobs" | SEEN=$seen python3 -c "
import os
import json, sys
from datetime import datetime
jobs = [j for j in json.load(sys.stdin) if j['object'] == 'export'][int(os.environ['SEEN']):]
spans = [(datetime.fromisoformat(j['finished'].replace('Z', '+00:00')) -
          datetime.fromisoformat(j['created'].replace('Z', '+00:00'))).total_seconds() for j in jobs]
print(f'{sum(spans) / len(spans):.2f} (n={len(spans)})')")
  # The backup export jobs of this size only (created to finished in the sandbox).
  python3 - "$size" "$duration" "$bytes" "$export_s" "${without[*]}" "${with[*]}" <<'PY'
import sys
size, duration, bytes_, export_s, without, with_ = sys.argv[1:]
without = [float(x) for x in without.split()]
with_ = [float(x) for x in with_.split()]
mean = lambda xs: sum(xs) / len(xs)
print(f"| {int(size):,} B | {duration} | {mean(without):.2f} ({min(without):.2f}–{max(without):.2f}) | "
      f"{mean(with_):.2f} ({min(with_):.2f}–{max(with_):.2f}) | {mean(with_) - mean(without):+.2f} | "
      f"{export_s} | {int(bytes_):,} |")
PY
done
