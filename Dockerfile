# spark-promote as a GitHub Action container: a static musl binary in an empty image.
#
# Stages:
#   build    compiles the static x86_64-unknown-linux-musl binary and leaves it at /spark-promote
#   bin      whatever image holds /spark-promote: the build stage (default) or a prebuilt binary image
#            (--build-arg BIN_IMAGE=localhost/spark-promote-bin:TAG), so the runtime stage can be built
#            without pulling a Rust image (scripts/container-image.sh does this)
#   runtime  FROM scratch with the binary and nothing else (the default target)
#
# The default BIN_IMAGE=build names a stage through an ARG: docker build (BuildKit and the classic builder)
# and docker/build-push-action resolve it. podman 4.3 (Debian 12) looks for an image called "build" instead,
# so with such a podman always pass BIN_IMAGE (docs/releasing.md). With BIN_IMAGE set, both skip the build
# stage entirely, so nothing is pulled but the binary image.
ARG BIN_IMAGE=build

FROM rust:1-alpine AS build
# gcc is in the image; musl-dev brings the C runtime and headers that ring's C and assembly need.
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY examples ./examples
# On Alpine the host target is already musl, and Rust links musl statically (crt-static) by default.
RUN cargo build --release --locked --target x86_64-unknown-linux-musl \
 && cp target/x86_64-unknown-linux-musl/release/spark-promote /spark-promote

FROM ${BIN_IMAGE} AS bin

FROM scratch AS runtime
# No CA bundle: reqwest's rustls-tls and octocrab's rustls-webpki-tokio compile the Mozilla (webpki) roots
# into the binary, so TLS to Spark and GitHub verifies with nothing else in the image.
COPY --from=bin /spark-promote /spark-promote
# Runs as root on purpose (no USER): GitHub mounts /github/file_commands, /github/workspace and /github/home
# owned by the runner's user and docker actions need root to write GITHUB_OUTPUT and GITHUB_STEP_SUMMARY.
# No WORKDIR: the runner sets --workdir /github/workspace, where relative manifest paths resolve.
LABEL org.opencontainers.image.title="spark-promote" \
      org.opencontainers.image.description="Promote Coherent Spark services between environments through the ImpEx API" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/spark-promote/spark-promote"
ENTRYPOINT ["/spark-promote", "action"]
