# Sourced by the bench scripts: a free loopback port, a sandbox started in the background and waited for,
# stopped on exit, and the official CLI's profile for a sandbox.

# Prints a free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits (up to 10 s) until the sandbox at URL answers; fails when it never does.
wait_sandbox() {
  local url=$1
  for _ in $(seq 100); do
    curl -fsS "$url/_sandbox/jobs" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  curl -fsS "$url/_sandbox/jobs" >/dev/null
}

# start_sandbox_with BIN PORT LOG [SANDBOX ARGS...]: starts `BIN sandbox --listen 127.0.0.1:PORT ARGS` in the
# background (output appended to LOG), sets sandbox_pid and waits until it answers.
start_sandbox_with() {
  local bin=$1 port=$2 log=$3
  shift 3
  "$bin" sandbox --listen "127.0.0.1:$port" "$@" >>"$log" 2>&1 &
  sandbox_pid=$!
  wait_sandbox "http://127.0.0.1:$port"
}

# Stops the sandbox that start_sandbox_with started (if any); safe to call twice (use it in an EXIT trap).
stop_sandbox() {
  if [ -n "${sandbox_pid:-}" ]; then
    kill -INT "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
    sandbox_pid=
  fi
}

# cspark_profile FILE ROOT TOKEN: the official CLI reads its base URL and credentials from the active
# profile (the CSPARK_* variables are read by the SDK only when no profile value is given). max_retries:
# the default (2) gives up on a 5 s job.
cspark_profile() {
  cat >"$1" <<YAML
version: '1.0'
profile: bench
accounts:
  - name: bench
    base_url: $2/bench
    auth: { token: $3 }
    max_retries: 30
YAML
}

# release_binary: keeps SPARK_PROMOTE when set, else builds the release binary and points SPARK_PROMOTE at it.
release_binary() {
  if [[ -z "${SPARK_PROMOTE:-}" ]]; then
    cargo build --release --quiet --bin spark-promote
    SPARK_PROMOTE=target/release/spark-promote
  fi
}

# prod_manifest FILE PORT NAME PACKAGE: a manifest with one promotion NAME that applies the committed PACKAGE
# into the demo tenant acme-prod of the sandbox on PORT (its token read from SPARK_PROD_TOKEN).
prod_manifest() {
  cat >"$1" <<YAML
version: 1
environments:
  prod:
    url: http://127.0.0.1:$2/acme-prod
    auth: { bearer: "\${SPARK_PROD_TOKEN}" }
promotions:
  - name: $3
    from: { package: $4 }
    to: prod
YAML
}
