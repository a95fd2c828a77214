#!/usr/bin/env bash
# Build everything the local test node runs, into a cache dir keyed by the
# pinned versions and these scripts (idempotent; instant when warm):
#   - Debian packages: containerd, runc, CNI plugins, busybox-static, iptables...
#   - kubelet, kube-proxy: k8s.io/kubernetes@$K8S_VERSION through a wrapper
#     module with the control plane's staging pins (its build.sh runs first)
#   - coredns, metrics-server, local-path-provisioner, pause: Go module proxy
#   - OCI image archives (no registry, no engine) for containerd to import
# Last line of output: the node build dir.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STAMP="$NODE_BUILD_DIR/.complete"
BINARIES=(kubelet kube-proxy cri-clean coredns metrics-server local-path-provisioner pause)
IMAGES=(pause sample coredns metrics-server local-path-provisioner)

packages_ok() {
  local c
  for c in containerd runc ctr iptables conntrack busybox; do command -v "$c" >/dev/null || return 1; done
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/portmap && -x /bin/busybox ]]
}
is_warm() {
  [[ -f "$STAMP" ]] && packages_ok || return 1
  local b
  for b in "${BINARIES[@]}"; do [[ -x "$NODE_BIN/$b" ]] || return 1; done
  for b in "${IMAGES[@]}"; do [[ -s "$NODE_IMAGES/$b.tar" ]] || return 1; done
}

if is_warm; then
  log "node build cache warm: $NODE_BUILD_DIR"
  echo "$NODE_BUILD_DIR"
  exit 0
fi

T0=$SECONDS
step() { log "[$((SECONDS - T0))s] $*"; }

# ------------------------------------------------------------ Debian packages
if ! packages_ok; then
  step "installing Debian packages: $NODE_APT_PACKAGES"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $NODE_APT_PACKAGES >/dev/null
  packages_ok || die "Debian packages installed but a binary is missing"
fi

# The control plane's build gives the wrapper module (staging pins) and kubectl.
CP_BUILD_DIR="$(bash "$CLUSTER_DIR/build.sh" | tail -n 1)"
CP_GOMOD="$CP_BUILD_DIR/src/kubernetes/go.mod"
[[ -f "$CP_GOMOD" ]] || die "control plane wrapper module missing: $CP_GOMOD"

command -v go >/dev/null || die "go not found on PATH"
mkdir -p "$NODE_BIN" "$NODE_IMAGES"
exec 9>"$NODE_BUILD_DIR/.lock"
flock 9
if is_warm; then echo "$NODE_BUILD_DIR"; exit 0; fi

export CGO_ENABLED=0 GOTOOLCHAIN
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"
unset GOFLAGS

# ------------------------------------------------------- kubelet, kube-proxy
K8S_SRC="$NODE_BUILD_DIR/src/kubernetes"
mkdir -p "$K8S_SRC"
K8S_CMDS=(kubelet kube-proxy)
sed 's#^module .*#module shakedown.local/k8s-node-build#' "$CP_GOMOD" >"$K8S_SRC/go.mod"
[[ -f "$CP_BUILD_DIR/src/kubernetes/go.sum" ]] && cp "$CP_BUILD_DIR/src/kubernetes/go.sum" "$K8S_SRC/go.sum"
{
  echo "//go:build tools"
  echo
  echo "package tools"
  echo
  echo "import ("
  for c in "${K8S_CMDS[@]}"; do echo "	_ \"k8s.io/kubernetes/cmd/$c\""; done
  echo ")"
} >"$K8S_SRC/tools.go"
# cri-clean (down.sh's `crictl rmp -af`) uses k8s.io/cri-api from the same pins.
mkdir -p "$K8S_SRC/cri-clean"
cp "$NODE_DIR/cri-clean/main.go" "$K8S_SRC/cri-clean/main.go"
step "go mod tidy (kubelet/kube-proxy wrapper)"
(cd "$K8S_SRC" && go mod tidy)

BUILD_DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
K8S_LDFLAGS="$(k8s_ldflags)"
for c in "${K8S_CMDS[@]}"; do
  t=$SECONDS
  step "building $c $K8S_VERSION ..."
  (cd "$K8S_SRC" && go build -mod=mod -trimpath -ldflags "$K8S_LDFLAGS" -o "$NODE_BIN/$c" "k8s.io/kubernetes/cmd/$c")
  step "built $c in $((SECONDS - t))s"
done
(cd "$K8S_SRC" && go build -mod=mod -trimpath -ldflags "-s -w" -o "$NODE_BIN/cri-clean" ./cri-clean)

# ---------------------------------------------------------------- add-ons
# go_install NAME PKG@VERSION LDFLAGS: static binary NAME in $NODE_BIN.
go_install() {
  local name="$1" pkg="$2" ldflags="$3" t=$SECONDS tmp="$NODE_BUILD_DIR/gobin"
  step "building $name ($pkg) ..."
  rm -rf "$tmp"; mkdir -p "$tmp"
  GOBIN="$tmp" go install -trimpath -ldflags "-s -w $ldflags" "$pkg"
  mv "$tmp/$(basename "${pkg%@*}")" "$NODE_BIN/$name"
  rmdir "$tmp"
  step "built $name in $((SECONDS - t))s"
}
go_install coredns "github.com/coredns/coredns@$COREDNS_VERSION" \
  "-X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION"
go_install metrics-server "sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION" \
  "-X sigs.k8s.io/metrics-server/pkg/version.gitVersion=$METRICS_SERVER_VERSION"
go_install local-path-provisioner "github.com/rancher/local-path-provisioner@$LOCAL_PATH_PROVISIONER_VERSION" \
  "-X main.VERSION=$LOCAL_PATH_PROVISIONER_VERSION"
step "building pause"
(cd "$NODE_DIR/pause" && go build -trimpath -ldflags "-s -w" -o "$NODE_BIN/pause" .)

# ------------------------------------------------------------------ images
ROOTFS="$NODE_BUILD_DIR/rootfs"
# base_rootfs DIR: /etc/passwd, /etc/group, /tmp for a minimal image.
base_rootfs() {
  rm -rf "$1"
  mkdir -p "$1"/{bin,etc,tmp,proc,sys,dev,var/run,root}
  chmod 1777 "$1/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$1/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$1/etc/group"
}
# go_image NAME REF BINARY USER: image with one static binary as entrypoint.
go_image() {
  local dir="$ROOTFS/$1"
  base_rootfs "$dir"
  cp "$NODE_BIN/$3" "$dir/bin/$3"
  bash "$NODE_DIR/mkimage.sh" "$2" "$dir" "$NODE_IMAGES/$1.tar" "[\"/bin/$3\"]" null "$4"
  step "image $2 -> $NODE_IMAGES/$1.tar"
}
go_image pause "$PAUSE_IMAGE" pause 65535
go_image coredns "$COREDNS_IMAGE" coredns ""
go_image metrics-server "$METRICS_SERVER_IMAGE" metrics-server 65534
go_image local-path-provisioner "$LOCAL_PATH_PROVISIONER_IMAGE" local-path-provisioner ""

# Sample image: Debian's busybox-static with every applet linked in /bin
# (sh, sha256sum, httpd, wget, nslookup, timeout, ...).
dir="$ROOTFS/sample"
base_rootfs "$dir"
cp /bin/busybox "$dir/bin/busybox"
for a in $(/bin/busybox --list); do
  [[ "$a" == busybox || -e "$dir/bin/$a" ]] || ln -s busybox "$dir/bin/$a"
done
mkdir -p "$dir/www" && echo "shakedown sample" >"$dir/www/index.html"
bash "$NODE_DIR/mkimage.sh" "$SAMPLE_IMAGE" "$dir" "$NODE_IMAGES/sample.tar" null '["/bin/sh"]' ""
step "image $SAMPLE_IMAGE ($(dpkg-query -W -f '${Version}' busybox-static 2>/dev/null || echo busybox)) -> $NODE_IMAGES/sample.tar"
rm -rf "$ROOTFS"

printf 'k8s=%s coredns=%s metrics-server=%s local-path=%s built=%s go=%s\n' "$K8S_VERSION" "$COREDNS_VERSION" \
  "$METRICS_SERVER_VERSION" "$LOCAL_PATH_PROVISIONER_VERSION" "$BUILD_DATE" "$(go env GOVERSION)" >"$STAMP"
# Older node builds (a version or recipe change) are dead weight unless a
# binary of theirs still runs (then down.sh stops it; the next build prunes).
for old in "$SHAKEDOWN_CACHE"/node-*; do
  [[ -d "$old" && "$old" != "$NODE_BUILD_DIR" ]] || continue
  busy=false
  for p in /proc/[0-9]*; do
    [[ "$(readlink "$p/exe" 2>/dev/null)" == "$old"/bin/* ]] && { busy=true; break; }
  done
  $busy || { rm -rf "$old"; step "removed old node build $old"; }
done
step "done: $(du -sh "$NODE_BUILD_DIR" | cut -f1) in $NODE_BUILD_DIR"
echo "$NODE_BUILD_DIR"
