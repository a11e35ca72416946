#!/usr/bin/env bash
# A plain curl + jq polling-loop import, like Coherent's own examples (the ImpEx page's curl sample for the
# upload; their Azure DevOps how-to's loop that polls the job status every 5 seconds).
# Usage: curl-import.sh BASE_URL PACKAGE SOURCE_URI DESTINATION_URI   (token in SPARK_TOKEN)
#   BASE_URL  the tenant's URL, e.g. http://127.0.0.1:8080/acme
# Environment: POLL_INTERVAL (seconds, default 5), SERVICES_EXISTING (default add_version).
# Prints the final job status JSON; exits 0 when the job completed, 1 otherwise.
set -euo pipefail

base=$1 package=$2 source=$3 destination=$4
: "${SPARK_TOKEN:?set SPARK_TOKEN}"
interval=${POLL_INTERVAL:-5}

entity=$(printf '{"inputs":{"services_modify":[{"service_uri_source":"%s","service_uri_destination":"%s","update_version_type":"minor"}]},"services_existing":"%s","source_system":"curl-example"}' \
  "$source" "$destination" "${SERVICES_EXISTING:-add_version}")

job=$(curl --silent --show-error --fail-with-body \
  --header "Authorization: Bearer $SPARK_TOKEN" \
  --form "file=@$package;type=application/zip" \
  --form "importRequestEntity=$entity" \
  "$base/api/v4/import")
id=$(jq -r '.id // empty' <<<"$job")
[ -n "$id" ] || { echo "no job id in: $job" >&2; exit 1; }
echo "import job $id created" >&2

while :; do
  sleep "$interval"
  reply=$(curl --silent --show-error --fail-with-body \
    --header "Authorization: Bearer $SPARK_TOKEN" \
    "$base/api/v4/import/$id/status")
  status=$(jq -r '.status' <<<"$reply")
  echo "status: $status" >&2
  case $status in
    completed | closed) printf '%s\n' "$reply"; exit 0 ;;
    failed | cancelled) printf '%s\n' "$reply"; exit 1 ;;
  esac
done
