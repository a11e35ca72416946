#!/usr/bin/env bash
# Where an apply of one committed package of SIZE_MB (default 200) goes: the apply's stderr logs (-vv)
# timestamped from its start, the sandbox's job times. Prints the wall time, when the first HTTP call was
# sent, when the upload was done, when the completed status was read, and the job's created → finished.
#
# Usage: bash bench/apply-timeline.sh        (SPARK_PROMOTE=path/to/bin, else the release binary, built first)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
mb=${SIZE_MB:-200}
release_binary
work=$(mktemp -d)
sandbox_pid=
trap 'stop_sandbox; rm -rf "$work"' EXIT
port=$(free_port)
start_sandbox_with "$SPARK_PROMOTE" "$port" "$work/sandbox.log" --job-duration 1s --max-upload-mb 200 \
  --state-dir "$work/sandbox"
python3 bench/make-package.py $((mb * 1000 * 1000)) "$work/p.zip"
prod_manifest "$work/m.yaml" "$port" timeline p.zip
echo '    services: [{ source: source/payload, destination: pricing/timeline }]' >>"$work/m.yaml"
export SPARK_PROD_TOKEN=tok-acme-prod
start=$(date +%s.%N)
"$SPARK_PROMOTE" -vv apply --json -m "$work/m.yaml" 2>&1 >"$work/result.json" \
  | python3 -u -c '
import sys, time
t0 = float(sys.argv[1])
for line in sys.stdin:
    sys.stdout.write("%.3f %s" % (time.time() - t0, line))' "$start" >"$work/log.txt"
end=$(date +%s.%N)
curl -fsS "http://127.0.0.1:$port/_sandbox/jobs" >"$work/jobs.json"
python3 - "$start" "$end" "$work/log.txt" "$work/jobs.json" <<'PY'
import datetime, json, sys
start, end, log, jobs = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
lines = open(log).read().splitlines()
def first(word):
    return next((line.split(" ", 1)[0] for line in lines if word in line), "?")
job = [j for j in json.load(open(jobs)) if j["object"] == "import"][-1]
at = lambda text: datetime.datetime.fromisoformat(text.rstrip("Z"))
print("wall %.3f s; first call %s s; upload done %s s; completed read %s s; job %.3f s (%s)" % (
    end - start, first("DEBUG sending"), first("bytes (100%)"), first(": completed"),
    (at(job["finished"]) - at(job["created"])).total_seconds(), job["status"]))
PY
