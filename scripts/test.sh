#!/usr/bin/env bash
# The test command: sets up what the tests need on a fresh machine, then runs fmt, clippy and every test.
# Usage: bash scripts/test.sh            (CI runs it through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '\n==> %s\n' "$*" >&2; }

log "rust components"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install cargo-nextest --locked
fi

log "python venv with the official Spark SDK (cspark), actionlint and zizmor"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
export SPARK_PROMOTE_PYTHON="$root/.venv/bin/python"

log "container tools: podman, runc, musl-gcc; shellcheck for actionlint"
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || missing+=(runc)
command -v musl-gcc >/dev/null 2>&1 || missing+=(musl-tools)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Containers here cannot raise their rlimits: no default ulimits (an existing containers.conf is kept).
if [ ! -e /etc/containers/containers.conf ]; then
  printf '[containers]\ndefault_ulimits = []\n' | as_root tee /etc/containers/containers.conf >/dev/null
fi

log "the action's container image (static musl binary, Dockerfile runtime stage)"
rustup target add x86_64-unknown-linux-musl >/dev/null 2>&1
SPARK_PROMOTE_IMAGE=$(bash scripts/container-image.sh)
export SPARK_PROMOTE_IMAGE


log "cargo fmt --check"
cargo fmt --all -- --check

log "actionlint (every workflow in the repository)"
.venv/bin/actionlint .github/workflows/*.yml examples/workflows/*.yml

log "zizmor --offline (every shipped workflow: 0 findings; each suppression says why)"
.venv/bin/zizmor --offline --no-progress --color never .github/workflows/*.yml examples/workflows/*.yml

log "cargo clippy -D warnings"
cargo clippy --all-targets --locked -- -D warnings

log "cargo nextest"
# --run-ignored all: the tests that need the image or the venv are ignored in a plain run (skipped, with the
# reason); here their tools are set up, so they run (and fail if a tool is missing).
cargo nextest run --locked --no-fail-fast --run-ignored all
