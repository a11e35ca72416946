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

log "python venv with the official Spark SDK (cspark) and actionlint"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
export SPARK_PROMOTE_PYTHON="$root/.venv/bin/python"

# Tests that need an external tool fail (instead of skipping) when this is set.
export SPARK_PROMOTE_REQUIRE_ALL=1

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy -D warnings"
cargo clippy --all-targets --locked -- -D warnings

log "cargo nextest"
cargo nextest run --locked --no-fail-fast
