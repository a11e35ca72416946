#!/usr/bin/env bash
# How many times a plan reads the destination: a plan of one promotion over N services (a folder of the
# source, exported), into a destination that holds half of them, the other half new. Prints the sandbox's
# call counts of the destination tenant per route (`GET /_sandbox/stats`, reset before the plan).
#
# Usage: bash bench/plan-reads.sh            (SERVICES=50 by default; SPARK_PROMOTE=path/to/bin, else
#        the release binary, built first)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
services=${SERVICES:-50}
release_binary
work=$(mktemp -d)
sandbox_pid=
trap 'stop_sandbox; rm -rf "$work"' EXIT

{
  printf 'tenants:\n  - name: uat\n    bearer_tokens: [tok-uat]\n    folders:\n      - name: pricing\n        services:\n'
  for i in $(seq "$services"); do printf '          - { name: s%03d, versions: ["1.0.0"] }\n' "$i"; done
  printf '  - name: prod\n    bearer_tokens: [tok-prod]\n    folders:\n      - name: pricing\n        services:\n'
  for i in $(seq $((services / 2))); do printf '          - { name: s%03d, versions: ["0.9.0"] }\n' "$i"; done
} >"$work/seed.yaml"
port=$(free_port)
url=http://127.0.0.1:$port
start_sandbox_with "$SPARK_PROMOTE" "$port" "$work/sandbox.log" --job-duration 200ms --seed "$work/seed.yaml"
cat >"$work/m.yaml" <<YAML
version: 1
environments:
  uat:
    url: $url/uat
    auth: { bearer: "\${UAT_TOKEN}" }
  prod:
    url: $url/prod
    auth: { bearer: "\${PROD_TOKEN}" }
promotions:
  - name: pricing
    from: { environment: uat, folders: [pricing] }
    to: prod
    services_existing: add_version
YAML
curl -fsS -X DELETE "$url/_sandbox/stats" >/dev/null
UAT_TOKEN=tok-uat PROD_TOKEN=tok-prod "$SPARK_PROMOTE" -q plan --json -m "$work/m.yaml" >"$work/plan.json" || echo "plan exited $?"
python3 - "$work/plan.json" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
print("plan:", plan["promotions"][0]["status"], "services:", len(plan["promotions"][0]["services"]))
PY
curl -fsS "$url/_sandbox/stats" | python3 -c '
import json, sys
stats = json.load(sys.stdin)
for row in stats["requests"]:
    print("%-5s %-16s %d" % (row["tenant"], row["route"], row["count"]))
print("total", stats["total"])'
