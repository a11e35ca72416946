#!/usr/bin/env bash
# What "never twice" costs: API calls of one apply, by route, against a local sandbox (demo seed): the first
# apply, a re-run within Spark's one-hour job list, and a re-run two hours later (sandbox clock moved), for
# an environment source with add_version, one with replace and a remap, a committed package, and the
# add_version one with a lock file (`apply --locked`).
#
# Usage: bash bench/idempotency.sh      (prints a markdown table; raw stats under bench/out/idempotency/)
# BENCH_BIN=target/debug/spark-promote skips the release build (API calls do not depend on the profile).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
root=$(pwd)
out=$root/bench/out/idempotency
rm -rf "$out" && mkdir -p "$out"
command -v jq >/dev/null || { echo "needs jq (apt-get install jq)" >&2; exit 2; }
if [ -z "${BENCH_BIN:-}" ]; then
  cargo build --release --locked >&2
fi
bin=$(realpath "${BENCH_BIN:-$root/target/release/spark-promote}")

sandbox_pid=
trap stop_sandbox EXIT
port=$(free_port)
url=http://127.0.0.1:$port
# A fresh sandbox (demo seed) per promotion: a version id is kept only once per tenant, so cases would
# otherwise change each other's results.
start_sandbox() {
  stop_sandbox
  start_sandbox_with "$bin" "$port" "$out/sandbox.log" --job-duration 1s
}

export SPARK_UAT_CLIENT_ID=ci-uat SPARK_UAT_CLIENT_SECRET=ci-uat-secret SPARK_PROD_TOKEN=tok-acme-prod
head="version: 1
environments:
  uat: { url: $url/acme-uat, auth: { oauth2: { client_id: \"\${SPARK_UAT_CLIENT_ID}\", client_secret: \"\${SPARK_UAT_CLIENT_SECRET}\" } } }
  prod: { url: $url/acme-prod, auth: { bearer: \"\${SPARK_PROD_TOKEN}\" } }
promotions:"
declare -A cases=(
  [add_version]="  - { name: add-version, from: { environment: uat, services: [pricing/quote], version_filter: all }, to: prod, services_existing: add_version }"
  [replace-remap]="  - { name: replace-remap, from: { environment: uat, services: [pricing/rating] }, to: prod, services_existing: replace, services: [{ source: pricing/rating, destination: pricing/rating-v2 }] }"
  [package]="  - { name: package, from: { package: quote.zip }, to: prod, services_existing: replace }"
  [locked]="  - { name: locked, from: { environment: uat, services: [pricing/quote], version_filter: all }, to: prod, services_existing: add_version }"
)
cd "$out"

calls() { curl -fsS "$url/_sandbox/stats" | jq -r '[.requests[] | "\(.route)@\(.tenant) \(.count)"] | join(", ")'; }
total() { curl -fsS "$url/_sandbox/stats" | jq -r '.total'; }
echo "| promotion | run | status | API calls | by route |"
echo "|---|---|---|---:|---|"
for name in add_version replace-remap package locked; do
  start_sandbox
  printf '%s\n  []\n' "$head" >spark-promote.yaml
  "$bin" export --env uat --service pricing/quote -o quote.zip >/dev/null 2>&1
  printf '%s\n%s\n' "$head" "${cases[$name]}" >spark-promote.yaml
  # locked: add_version's promotion with a lock file (`lock` before the first run, then `apply --locked`).
  rm -f spark-promote.lock
  locked=()
  if [ "$name" = locked ]; then
    "$bin" lock >/dev/null 2>&1
    locked=(--locked)
  fi
  for run in first "re-run within the hour" "re-run 2 h later"; do
    [ "$run" = "re-run 2 h later" ] && curl -fsS -X POST "$url/_sandbox/clock" -H 'content-type: application/json' -d '{"advance_seconds": 7200}' >/dev/null
    curl -fsS -X DELETE "$url/_sandbox/stats" >/dev/null
    status=$("$bin" apply --json "${locked[@]}" 2>"apply-$name.log" | jq -r '.promotions[0].status')
    echo "| $name | $run | $status | $(total) | $(calls) |"
  done
done
