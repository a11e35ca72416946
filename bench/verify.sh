#!/usr/bin/env bash
# Verification of 1,000 cases: `spark-promote verify --env uat --against prod` (v4 batches, one call per
# chunk per environment) against a naive loop that runs each case with one v3 call per environment
# (bench/naive-verify.py: keep-alive HTTP, one record per call, as the SDK's dict form does).
#   bash bench/verify.sh [CASES]   (default 1000; runs 3 of each; prints the figures, keeps raw outputs in
#                                   bench/out/verify/)
# Needs the release build (cargo build --release; BENCH_BIN overrides the binary) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
cases=${1:-1000}
runs=3
bin=${BENCH_BIN:-target/release/spark-promote}
out=bench/out/verify
rm -rf "$out" && mkdir -p "$out"
[ -x "$bin" ] || { echo "build the release binary first: cargo build --release" >&2; exit 2; }

port=$(free_port)
root=http://127.0.0.1:$port
trap stop_sandbox EXIT
start_sandbox_with "$bin" "$port" "$out/sandbox.log"

python3 - "$cases" >"$out/cases.csv" <<'PY'
import random, sys
random.seed(7)
print("age,cover")
for _ in range(int(sys.argv[1])):
    print(f"{random.randint(18, 90)},{random.choice([50000, 100000, 250000, 500000])}")
PY
cat >"$out/spark-promote.yaml" <<YAML
version: 1
environments:
  uat: { url: "$root/acme-uat", auth: { bearer: "\${UAT_TOKEN}" } }
  prod: { url: "$root/acme-prod", auth: { bearer: "\${PROD_TOKEN}" } }
promotions:
  - name: quote
    from: { environment: uat, services: [pricing/quote] }
    to: prod
    services_existing: add_version
    verify: { cases: [cases.csv] }
YAML
export UAT_TOKEN=tok-acme-uat PROD_TOKEN=tok-acme-prod

calls() { curl -fsS "$root/_sandbox/stats" | python3 -c 'import json,sys; print(sum(r["count"] for r in json.load(sys.stdin)["requests"] if r["route"].startswith("execute")))'; }
now_ms() { date +%s%3N; }

measure() {
  local name=$1
  shift
  for i in $(seq "$runs"); do
    curl -fsS -X DELETE "$root/_sandbox/stats" >/dev/null
    local start end code=0
    start=$(now_ms)
    "$@" >"$out/$name-$i.json" 2>"$out/$name-$i.err" || code=$?
    end=$(now_ms)
    echo "$name $i ms=$((end - start)) calls=$(calls) exit=$code" | tee -a "$out/runs.txt"
  done
}

measure spark-promote "$bin" verify -m "$out/spark-promote.yaml" --env uat --against prod --json
measure naive python3 bench/naive-verify.py "$root" "$out/cases.csv"

# An apply with the same `verify:` (once: it changes prod): its calls beyond the import are the execute
# calls of the verification after it (the source version and the imported one, by their ids).
curl -fsS -X DELETE "$root/_sandbox/stats" >/dev/null
start=$(now_ms)
code=0
bin_path=$(realpath "$bin")
(cd "$out" && "$bin_path" apply -m spark-promote.yaml --json >apply.json 2>apply.err) || code=$?
end=$(now_ms)
echo "apply 1 ms=$((end - start)) calls=$(calls) exit=$code" | tee -a "$out/runs.txt"

python3 - "$out" "$cases" <<'PY'
import json, re, statistics, sys
out, cases = sys.argv[1], int(sys.argv[2])
rows = {}
for line in open(f"{out}/runs.txt"):
    name, _, ms, calls, code = line.split()
    rows.setdefault(name, []).append((int(ms[3:]), int(calls[6:]), int(code[5:])))
ours = json.load(open(f"{out}/spark-promote-1.json"))[0]["comparison"]
naive = json.load(open(f"{out}/naive-1.json"))
assert ours["cases"] == naive["cases"] == cases, (ours["cases"], naive["cases"])
assert ours["changed"] == naive["changed"], ("both find the same changed cases", ours["changed"], naive["changed"])
for name, runs in rows.items():
    assert all(code == 1 for _, _, code in runs) or name != "spark-promote", (name, runs)
applied = json.load(open(f"{out}/apply.json"))["promotions"][0]
assert applied["status"] == "completed", applied
proof = applied["verification"]["comparison"]
assert (proof["cases"], proof["changed"]) == (cases, 0), proof
print(f"apply: verified {proof['cases']} cases after the import with {proof['calls']} execute calls "
      f"(by version id: {proof['now']} -> {proof['after']}), wall {rows['apply'][0][0]} ms, import included")
med = {name: statistics.median(ms for ms, _, _ in runs) for name, runs in rows.items()}
calls = {name: runs[0][1] for name, runs in rows.items()}
print(f"cases {cases}, changed {ours['changed']} (both)")
for name in ("spark-promote", "naive"):
    print(f"{name}: calls {calls[name]}, median wall {med[name]:.0f} ms over {len(rows[name])} runs")
print(f"ratio naive/spark-promote: calls {calls['naive'] / calls['spark-promote']:.0f}x, wall {med['naive'] / med['spark-promote']:.1f}x")
PY
