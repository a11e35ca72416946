#!/usr/bin/env bash
# Side-by-side benchmarks of spark-promote, the official Python CLI (cspark import run) and a plain curl + jq
# polling loop, on this machine, against one local sandbox on 127.0.0.1 (see bench/RESULTS.md).
#
# Usage: bash bench/run.sh
# Writes raw outputs under bench/out/ (gitignored) and prints the tables (also in bench/out/tables.md).
# Environment (for a quick try; RESULTS.md uses the defaults):
#   BENCH_SIZES   package sizes in MB (10^6 bytes), default "1 50 200"
#   BENCH_RUNS    hyperfine runs per size, default "1:5 50:3 200:2"
#   BENCH_LONG    samples per client with --job-duration 60s, default 2 (0 skips)
#   BENCH_IMAGE   0 skips the container image part
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
root=$(pwd)
out=$root/bench/out
sizes=${BENCH_SIZES:-1 50 200}
smallest=${sizes%% *}
runs_by_size=${BENCH_RUNS:-1:5 50:3 200:2}
long_samples=${BENCH_LONG:-2}
clients=(spark-promote cspark curl)
started=$(date +%s)
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)

log() { printf '\n==> [%ss] %s\n' "$(($(date +%s) - started))" "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

log "tools: hyperfine, GNU time, jq (Debian), cspark[cli]==0.3.3 (PyPI, in .venv)"
missing=()
command -v hyperfine >/dev/null 2>&1 || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
command -v jq >/dev/null 2>&1 || missing+=(jq)
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
if ! .venv/bin/python -c 'import importlib.metadata as m, sys; sys.exit(m.version("cspark") != "0.3.3")' 2>/dev/null \
  || ! .venv/bin/python -c 'import click, rich' 2>/dev/null; then
  .venv/bin/pip install --quiet --disable-pip-version-check 'cspark[cli]==0.3.3'
fi
python=$root/.venv/bin/python

log "release binary"
cargo build --release --locked
bin=$root/target/release/spark-promote

rm -rf "${out:?}"/{runs,home,pending} "$out"/state-*.json "$out"/hyperfine-*.json
mkdir -p "$out/packages" "$out/runs" "$out/home/.cspark"

log "packages (valid sandbox packages, random payload stored uncompressed)"
for size in $sizes; do
  package=$out/packages/$size.zip
  if [ "$(stat -c %s "$package" 2>/dev/null || echo 0)" != "$((size * 1000000))" ]; then
    python3 bench/make-package.py "$((size * 1000000))" "$package"
  fi
done

export BENCH_OUT=$out BENCH_BIN=$bin BENCH_PYTHON=$python SPARK_TOKEN=tok-bench
sandbox_pid=
trap stop_sandbox EXIT

# Starts the sandbox on a free loopback port with a job duration; sets BENCH_ROOT and the cspark profile.
start_sandbox() {
  local duration=$1 port
  stop_sandbox
  port=$(free_port)
  export BENCH_ROOT=http://127.0.0.1:$port BENCH_PHASE=$duration
  start_sandbox_with "$bin" "$port" "$out/sandbox-$duration.log" --seed bench/seed.yaml --job-duration "$duration"
  cspark_profile "$out/home/.cspark/profiles.yml" "$BENCH_ROOT" "$SPARK_TOKEN"
  bash bench/client.sh settle
}

log "sandbox --job-duration 5s; hyperfine per size (each run imports into a fresh service)"
start_sandbox 5s
for size in $sizes; do
  runs=$(tr ' ' '\n' <<<"$runs_by_size" | sed -n "s/^$size://p")
  args=()
  for client in "${clients[@]}"; do
    args+=(-n "$client" "bash bench/client.sh run $client $size")
  done
  hyperfine -N --runs "${runs:-3}" --prepare "bash bench/client.sh settle" \
    --export-json "$out/hyperfine-$size.json" "${args[@]}" >&2
  bash bench/client.sh settle
done
curl -fsS "$BENCH_ROOT/_sandbox/state" >"$out/state-5s.json"
stop_sandbox

if [ "$long_samples" -gt 0 ]; then
  log "sandbox --job-duration 60s; $long_samples sample(s) per client ($smallest MB)"
  start_sandbox 60s
  for _ in $(seq "$long_samples"); do
    for client in "${clients[@]}"; do
      bash bench/client.sh run "$client" "$smallest"
      bash bench/client.sh settle
    done
  done
  curl -fsS "$BENCH_ROOT/_sandbox/state" >"$out/state-60s.json"
  stop_sandbox
fi

if [ "${BENCH_IMAGE:-1}" != 0 ]; then
  log "container image (scripts/container-image.sh) and start times"
  image=$(bash scripts/container-image.sh)
  podman image inspect --format '{{.Size}}' "$image" >"$out/image-size"
  mkdir -p "$out/container"
  cp "$out/packages/$smallest.zip" "$out/container/package.zip"
  cat >"$out/container/spark-promote.yaml" <<YAML
version: 1
environments:
  bench:
    url: http://127.0.0.1:8080/bench
    auth: { bearer: "\${SPARK_TOKEN}" }
promotions:
  - name: payload
    from: { package: package.zip }
    to: bench
    services_existing: add_version
    services:
      - { source: source/payload, destination: bench/payload }
YAML
  pod="podman --runtime runc run --rm -e SPARK_TOKEN -v $out/container:/w:ro --entrypoint /spark-promote $image"
  hyperfine -N --warmup 1 --runs 5 --export-json "$out/hyperfine-start.json" \
    -n "container --version" "$pod --version" \
    -n "container validate" "$pod validate -m /w/spark-promote.yaml" \
    -n "binary --version" "$bin --version" \
    -n "binary validate" "$bin validate -m $out/container/spark-promote.yaml" \
    -n "cspark --version" "$python $root/bench/cspark-loopback.py --version" >&2
fi

log "versions and machine"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "nproc: $(nproc)"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  echo "kernel: $(uname -r)"
  echo "load average (1, 5, 15 min) at start: $load_at_start; at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "spark-promote: $("$bin" --version), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml Cargo.lock || echo ' (with local changes)')"
  echo "cspark: $("$python" "$root/bench/cspark-loopback.py" --version)"
  echo "curl: $(curl --version | head -1 | cut -d' ' -f1-2)"
  echo "jq: $(jq --version)"
  echo "python: $("$python" --version)"
  echo "podman: $(podman --version 2>/dev/null || echo none)"
  echo "runc: $(runc --version 2>/dev/null | head -1 || echo none)"
  echo "hyperfine: $(hyperfine --version)"
  echo "rustc: $(rustc --version)"
  echo "binary size: $(stat -c %s "$bin")"
  echo "elapsed: $(($(date +%s) - started)) s"
} >"$out/env.txt"

log "tables"
python3 bench/report.py "$out" | tee "$out/tables.md"
