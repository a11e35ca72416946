#!/usr/bin/env bash
# Peak memory (maximum resident set size) of `spark-promote apply` importing a 20 MB and a 200 MB package
# into a sandbox that runs as a separate process. The upload is streamed from disk, so the figure must not
# grow with the package's size.
#
# Usage: bench/apply-memory.sh            (builds the release binary first)
#        SPARK_PROMOTE=path/to/bin bench/apply-memory.sh
# Needs: python3 (to write the packages), GNU time (/usr/bin/time, Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

release_binary
[[ -x /usr/bin/time ]] || { echo "GNU time is missing: apt-get install time" >&2; exit 2; }

work=$(mktemp -d)
sandbox_pid=
cleanup() {
  stop_sandbox
  rm -rf "$work"
}
trap cleanup EXIT

port=$(free_port)
start_sandbox_with "$SPARK_PROMOTE" "$port" "$work/sandbox.log" --job-duration 1s --max-upload-mb 200 \
  --state-dir "$work/sandbox"

# A package in the sandbox's format: manifest.json and one stored (uncompressed) entry of random bytes.
write_package() { # path service bytes
  python3 - "$@" <<'PY'
import json, os, sys, uuid, zipfile
path, service, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
version_id = str(uuid.uuid4())
entry = f"versions/{version_id}.bin"
with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
    with zf.open(entry, "w", force_zip64=True) as out:
        left = size
        while left:
            n = min(left, 1 << 20)
            out.write(os.urandom(n))
            left -= n
    folder, name = service.split("/")
    zf.writestr("manifest.json", json.dumps({
        "format": "spark-promote-sandbox-package/1",
        "source_tenant": "acme-uat",
        "file_filter": "migrate",
        "services": [{"folder": folder, "service": name, "service_id": str(uuid.uuid4()),
                      "versions": [{"version": "1.0.0", "version_id": version_id, "file": entry}]}],
    }))
PY
}

export SPARK_PROD_TOKEN=tok-acme-prod
printf '| package | file bytes | peak RSS (KiB) | wall time | status |\n|---|---|---|---|---|\n'
for mb in 20 200; do
  write_package "$work/p$mb.zip" "pricing/memory-$mb" $((mb * 1000 * 1000))
  prod_manifest "$work/m$mb.yaml" "$port" "memory-$mb" "p$mb.zip"
  /usr/bin/time -v -o "$work/time$mb.txt" "$SPARK_PROMOTE" -q apply --json -m "$work/m$mb.yaml" >"$work/result$mb.json"
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time$mb.txt")
  wall=$(awk -F'): ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time$mb.txt")
  status=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["promotions"][0]["status"])' "$work/result$mb.json")
  printf '| %s MB | %s | %s | %s | %s |\n' "$mb" "$(stat -c %s "$work/p$mb.zip")" "$rss" "$wall" "$status"
done
