#!/usr/bin/env bash
# Builds the action's container image locally without pulling any base image:
#   1. the static x86_64-unknown-linux-musl release binary (cargo, incremental);
#   2. a binary image localhost/spark-promote-bin:<sha256 of the binary> (FROM scratch + /spark-promote),
#      made only when that binary has not been imaged yet;
#   3. the real Dockerfile's runtime stage on top of it (--build-arg BIN_IMAGE=...), tagged $IMAGE.
# Re-runs with unchanged sources take a few seconds (cargo no-op, image exists, layer cache hit).
# Usage: bash scripts/container-image.sh     prints the image name on stdout; logs on stderr.
# Environment: SPARK_PROMOTE_IMAGE (default localhost/spark-promote:test),
#              SPARK_PROMOTE_MUSL_TARGET_DIR (default CARGO_TARGET_DIR, then target/) for the release build,
#              SPARK_PROMOTE_OCI_RUNTIME (default runc when installed).
set -euo pipefail
cd "$(dirname "$0")/.."

image=${SPARK_PROMOTE_IMAGE:-localhost/spark-promote:test}
target=x86_64-unknown-linux-musl
target_dir=${SPARK_PROMOTE_MUSL_TARGET_DIR:-${CARGO_TARGET_DIR:-target}}
binary=$target_dir/$target/release/spark-promote

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

runtime=${SPARK_PROMOTE_OCI_RUNTIME:-}
if [ -z "$runtime" ] && command -v runc >/dev/null 2>&1; then
  runtime=runc
fi
pod() {
  if [ -n "$runtime" ]; then podman --runtime "$runtime" "$@"; else podman "$@"; fi
}

command -v podman >/dev/null 2>&1 || die "podman is not installed (scripts/test.sh installs it)"

if ! rustup target list --installed | grep -qx "$target"; then
  log "rustup target add $target"
  rustup target add "$target" >&2
fi

log "cargo build --release --target $target"
cargo build --release --locked --target "$target" --target-dir "$target_dir" >&2

# A scratch image has no loader and no libc: the binary must not need either.
description=$(file --brief "$binary")
case "$description" in
  *"statically linked"* | *"static-pie linked"*) ;;
  *) die "$binary is not static: $description" ;;
esac
linkage=$(ldd "$binary" 2>&1 || true)
case "$linkage" in
  *"statically linked"* | *"not a dynamic executable"*) ;;
  *) die "ldd lists libraries for $binary: $(printf '%s' "$linkage" | tr '\n' ' ')" ;;
esac

digest=$(sha256sum "$binary" | cut -c1-16)
bin_image=localhost/spark-promote-bin:$digest
if pod image exists "$bin_image"; then
  log "binary image $bin_image exists"
else
  log "binary image $bin_image"
  context=$(mktemp -d)
  trap 'rm -rf "$context"' EXIT
  cp "$binary" "$context/spark-promote"
  printf 'FROM scratch\nCOPY spark-promote /spark-promote\n' >"$context/Containerfile"
  pod build --quiet --file "$context/Containerfile" --tag "$bin_image" "$context" >/dev/null
  # Older binary images are never needed again: the runtime image holds its own copy of the binary.
  pod images --format '{{.Repository}}:{{.Tag}}' localhost/spark-promote-bin \
    | { grep -vx "$bin_image" || true; } \
    | while read -r old; do pod rmi "$old" >/dev/null 2>&1 || true; done
fi

log "runtime stage of Dockerfile -> $image"
pod build --quiet --layers \
  --build-arg "BIN_IMAGE=$bin_image" \
  --target runtime \
  --file Dockerfile \
  --tag "$image" \
  . >/dev/null

printf '%s\n' "$image"
