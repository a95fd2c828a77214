#!/usr/bin/env bash
# Provision the kind tier (idempotent): Debian's docker.io and debootstrap, a dockerd of its own
# (data root, exec root and socket apart from everything else; it leaves IP forwarding and the
# FORWARD policy alone, so the local test cluster's networking is untouched), kind and actionlint
# from the Go module proxy, and the locally assembled node image imported as $KIND_NODE_IMAGE.
# Writes $KIND_ENV (PATH with the test-only docker wrapper and kind, DOCKER_HOST); its last line
# of output is that file's path. Stop the daemon with test/kind/teardown.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
T0=$SECONDS
step() { log "[$((SECONDS - T0))s] $*"; }

need=()
command -v dockerd >/dev/null && [[ -x "$REAL_DOCKER" ]] || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
if ((${#need[@]})); then
  step "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! docker_up; then
  step "starting dockerd ($DOCKER_SOCK, data root $DOCKER_ROOT)"
  mkdir -p "$DOCKER_EXEC" "$DOCKER_ROOT"
  # --ip-forward=false: never switch on forwarding nor set the FORWARD policy to DROP (what
  # dockerd does when it finds forwarding off); kind's nodes talk over one bridge, and the host
  # reaches them directly and through docker-proxy on loopback.
  nohup dockerd --data-root "$DOCKER_ROOT" --exec-root "$DOCKER_EXEC/exec" --pidfile "$DOCKER_PIDFILE" \
    -H "$KIND_DOCKER_HOST" --ip-forward=false --log-level=warn >"$SHAKEDOWN_CACHE/kind-dockerd.log" 2>&1 &
  for _ in $(seq 120); do docker_up && break; sleep 0.5; done
  docker_up || die "dockerd did not answer on $DOCKER_SOCK; see $SHAKEDOWN_CACHE/kind-dockerd.log"
fi
step "docker $(DOCKER_HOST="$KIND_DOCKER_HOST" "$REAL_DOCKER" version -f '{{.Server.Version}} (API {{.Server.APIVersion}})')"

bash "$KIND_DIR/build-tools.sh" >/dev/null
ROOTFS_TAR="$(bash "$KIND_DIR/build-node-image.sh" | tail -n 1)"
have="$(DOCKER_HOST="$KIND_DOCKER_HOST" "$REAL_DOCKER" image inspect -f '{{index .Config.Labels "shakedown.build"}}' "$KIND_NODE_IMAGE" 2>/dev/null || true)"
if [[ "$have" != "$KIND_IMAGE_HASH" ]]; then
  step "importing $ROOTFS_TAR as $KIND_NODE_IMAGE"
  # `docker import` takes no STOPSIGNAL: a one-line build on top of the imported root adds it.
  DOCKER_HOST="$KIND_DOCKER_HOST" "$REAL_DOCKER" import "$ROOTFS_TAR" "$KIND_NODE_IMAGE-rootfs" >/dev/null
  printf '%s\n' "FROM $KIND_NODE_IMAGE-rootfs" 'ENV container=docker' 'STOPSIGNAL SIGRTMIN+3' \
    'ENTRYPOINT ["/usr/local/bin/shakedown-node-init", "/usr/local/bin/entrypoint", "/sbin/init"]' \
    "LABEL shakedown.build=$KIND_IMAGE_HASH" \
    | DOCKER_HOST="$KIND_DOCKER_HOST" DOCKER_BUILDKIT=0 "$REAL_DOCKER" build -q -t "$KIND_NODE_IMAGE" - >/dev/null
  DOCKER_HOST="$KIND_DOCKER_HOST" "$REAL_DOCKER" rmi "$KIND_NODE_IMAGE-rootfs" >/dev/null
fi

# The sample image in Docker too, for the client outside the cluster (a container on kind's
# network): its one layer, out of the OCI archive, through `docker import`.
if ! DOCKER_HOST="$KIND_DOCKER_HOST" "$REAL_DOCKER" image inspect "$SAMPLE_IMAGE" >/dev/null 2>&1; then
  step "importing $SAMPLE_IMAGE into Docker"
  layer="$(tar -xOf "$KIND_SAMPLE_ARCHIVE" index.json | grep -o 'sha256:[0-9a-f]*' | head -n 1 | cut -d: -f2)"
  layer="$(tar -xOf "$KIND_SAMPLE_ARCHIVE" "blobs/sha256/$layer" | grep -o '"layers":\[{[^]]*' | grep -o 'sha256:[0-9a-f]*' | head -n 1 | cut -d: -f2)"
  tar -xOf "$KIND_SAMPLE_ARCHIVE" "blobs/sha256/$layer" \
    | DOCKER_HOST="$KIND_DOCKER_HOST" "$REAL_DOCKER" import --change 'CMD ["/bin/sh"]' - "$SAMPLE_IMAGE" >/dev/null
fi

# The local test cluster's Istio build (test/cluster/istio/build.sh), when present: the kind tier
# then runs `up --with istio` with its istioctl, its two image archives and its install settings
# (the `--set` values of ISTIO_INSTALL_SETTINGS, which upstream Envoy needs). Built here only when
# SHAKEDOWN_ISTIO=1 asks for the Istio layer (as .ci/run does; the build is cached and shared with
# `cluster:up`), so that a required kind tier does not find it missing.
if [[ "${SHAKEDOWN_ISTIO:-}" == 1 ]]; then
  step "building the Istio layer (SHAKEDOWN_ISTIO=1; instant when warm)"
  bash "$CLUSTER_DIR/istio/build.sh" | tail -n 1
fi
ISTIO_ENV="$(
  # shellcheck source=../cluster/istio/lib.sh
  . "$CLUSTER_DIR/istio/lib.sh"
  if [[ -x "$ISTIOCTL" && -f "$ISTIO_IMAGES/pilot.tar" && -f "$ISTIO_IMAGES/proxyv2.tar" ]]; then
    sets=()
    for ((i = 0; i < ${#ISTIO_INSTALL_SETTINGS[@]}; i += 2)); do
      [[ "${ISTIO_INSTALL_SETTINGS[i]}" == --set && "${ISTIO_INSTALL_SETTINGS[i + 1]}" != profile=* ]] && sets+=("${ISTIO_INSTALL_SETTINGS[i + 1]}")
    done
    printf 'export SHAKEDOWN_KIND_ISTIOCTL="%s"\n' "$ISTIOCTL"
    printf 'export SHAKEDOWN_KIND_ISTIO_LOAD="%s"\n' "$ISTIO_IMAGES/pilot.tar:$ISTIO_IMAGES/proxyv2.tar"
    printf 'export SHAKEDOWN_KIND_ISTIO_SET="%s"\n' "${sets[*]}"
  fi
)"
if [[ -n "$ISTIO_ENV" ]]; then step "Istio build found: the kind tier runs up --with istio"
else step "no Istio build (test/cluster/istio/build.sh): the kind tier runs up without Istio"; fi

cat >"$KIND_ENV" <<ENV
# Written by test/kind/setup.sh: the kind tier's Docker and kind (source it).
export PATH="$KIND_SHIM_DIR:$KIND_BIN:\$PATH"
export DOCKER_HOST="$KIND_DOCKER_HOST"
export SHAKEDOWN_KIND_IMAGE="$KIND_NODE_IMAGE"
export SHAKEDOWN_KIND_LOAD="$KIND_SAMPLE_ARCHIVE:$KIND_METRICS_SERVER_ARCHIVE"
export SHAKEDOWN_KIND_METRICS_SERVER_IMAGE="$METRICS_SERVER_IMAGE"
$ISTIO_ENV
ENV
step "ready: . $KIND_ENV"
echo "$KIND_ENV"
