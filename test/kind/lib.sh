# Shared paths and helpers for test/kind/*.sh (source it, don't run it).
# The kind tier: Docker from Debian (its daemon started by setup.sh), kind and actionlint from the
# Go module proxy, and a kind node image assembled here (build.sh), never pulled.
# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this

KIND_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The local test node's lib: versions, core_pins, NODE_* build paths, SHAKEDOWN_CACHE.
# shellcheck source=../cluster/node/lib.sh
. "$KIND_DIR/../cluster/node/lib.sh"

log() { printf '[kind] %s\n' "$*" >&2; }
die() { printf '[kind] ERROR: %s\n' "$*" >&2; exit 1; }

kind_pins() { sed -n '/^# >>> kind/,/^# <<< kind/p' "$CLUSTER_DIR/versions.env"; }
# Tools (kind, actionlint): keyed by the kind pins and the script that builds them.
KIND_TOOLS_HASH="$({ kind_pins; cat "$KIND_DIR/build-tools.sh"; } | sha256sum | cut -c1-12)"
KIND_TOOLS_DIR="$SHAKEDOWN_CACHE/kind-tools-$KIND_TOOLS_HASH"
KIND_BIN="$KIND_TOOLS_DIR/bin"
# The node image: keyed by the kind pins, the core pins (the Kubernetes build it carries) and
# everything that goes into it.
KIND_IMAGE_HASH="$({ kind_pins; core_pins; cat "$KIND_DIR/build-node-image.sh" "$KIND_DIR"/node/*; } | sha256sum | cut -c1-12)"
KIND_IMAGE_DIR="$SHAKEDOWN_CACHE/kind-node-$KIND_IMAGE_HASH"
# Images `shakedown up --load` loads into the nodes (OCI archives of the local node build).
KIND_SAMPLE_ARCHIVE="$NODE_IMAGES/sample.tar"
KIND_METRICS_SERVER_ARCHIVE="$NODE_IMAGES/metrics-server.tar"

# Docker: Debian's docker.io, its daemon with its own data root, exec root and socket, so it shares
# nothing with the local test node's containerd.
DOCKER_ROOT="$SHAKEDOWN_CACHE/kind-docker"
DOCKER_EXEC=/run/shakedown-docker
DOCKER_SOCK="$DOCKER_EXEC/docker.sock"
DOCKER_PIDFILE="$DOCKER_EXEC/dockerd.pid"
KIND_DOCKER_HOST="unix://$DOCKER_SOCK"
REAL_DOCKER=/usr/bin/docker
# PATH-first wrapper for the tests only: turns `--privileged` into flags this sandbox allows.
KIND_SHIM_DIR="$KIND_DIR/shim"
# What a shell (or the kind tier) sources to use this Docker and kind: PATH and DOCKER_HOST.
KIND_ENV="$SHAKEDOWN_CACHE/kind-env.sh"

docker_up() { [[ -S "$DOCKER_SOCK" ]] && DOCKER_HOST="$KIND_DOCKER_HOST" "$REAL_DOCKER" version >/dev/null 2>&1; }
