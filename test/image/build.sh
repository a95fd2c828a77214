#!/usr/bin/env bash
# The harness image for the tests, built here without pulling anything: a Node base assembled from
# the Node that ./with-node runs (its binary and the host's glibc libraries it links), imported
# into the kind tier's Docker, then image/build.sh FROM that base, then the image imported into
# the local test node's containerd (and, with --kind NAME, into that kind cluster's nodes).
#   bash test/image/build.sh [--kind CLUSTER]
# Needs the kind tier's dockerd (test/kind/setup.sh) and, for the import, a running local node.
# Prints the image reference on its last line.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$root/test/kind/lib.sh"

kind_cluster=
[[ "${1:-}" == --kind ]] && kind_cluster="${2:?--kind needs a cluster name}"

docker_up || die "the kind tier's dockerd is not running (bash test/kind/setup.sh)"
export DOCKER_HOST="$KIND_DOCKER_HOST"
# The Node the image gets is the one ./with-node runs (a supported one, whatever is on PATH).
node_bin="$("$root/with-node" node -p process.execPath)"
node_version="$("$node_bin" --version)"
base="shakedown.local/node-base:${node_version#v}"
# SHAKEDOWN_HARNESS_IMAGE: another tag, for worktrees that share one Docker and node.
tag="${SHAKEDOWN_HARNESS_IMAGE:-$HARNESS_IMAGE}"

if ! "$REAL_DOCKER" image inspect "$base" >/dev/null 2>&1; then
  log "assembling $base from $node_bin and the host's libraries"
  rootfs="$(mktemp -d)"
  trap 'rm -rf "$rootfs"' EXIT
  mkdir -p "$rootfs/usr/local/bin" "$rootfs/tmp" "$rootfs/etc"
  chmod 1777 "$rootfs/tmp"
  cp "$node_bin" "$rootfs/usr/local/bin/node"
  # The dynamic loader and every library node links, at the paths the loader looks for them.
  for lib in $(ldd "$node_bin" | grep -o '/[^ ]*'); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/tmp:/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/etc/group"
  [[ -f /etc/ssl/certs/ca-certificates.crt ]] && install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  tar --numeric-owner -C "$rootfs" -c . | "$REAL_DOCKER" import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' - "$base" >/dev/null
fi

# What goes into the image, hashed: a tier that finds the image built from the same sources (an
# earlier tier of the same `npm test`) reuses it.
source_hash="$(cd "$root" && find harness experiments image Dockerfile package.json package-lock.json tsconfig.build.json api-extractor.json -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
have="$("$REAL_DOCKER" image inspect -f '{{index .Config.Labels "shakedown.source"}}' "$tag" 2>/dev/null || true)"
if [[ "$have" == "$source_hash" ]]; then
  log "$tag is built from these sources already ($source_hash)"
else
  log "building $tag FROM $base"
  PATH="$(dirname "$node_bin"):$PATH" bash "$root/image/build.sh" --base "$base" --tag "$tag" --label "shakedown.source=$source_hash" --docker "$REAL_DOCKER" >/dev/null
fi

# Into the local test node's containerd, when it runs.
# (Always: an import of what the node holds already is quick, and the node may have been remade.)
if [[ -S "$CONTAINERD_SOCK" ]]; then
  log "importing $tag into the local test node"
  "$REAL_DOCKER" save "$tag" | "${CTR[@]}" images import - >/dev/null
fi
if [[ -n "$kind_cluster" ]]; then
  log "loading $tag into kind cluster $kind_cluster"
  PATH="$KIND_BIN:$PATH" kind load docker-image --name "$kind_cluster" "$tag" >/dev/null
fi
echo "$tag"
