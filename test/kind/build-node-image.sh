#!/usr/bin/env bash
# Assemble the kind node image offline, never pulled, into a cache dir keyed by the pins and the
# files that go into it (idempotent; instant when warm). Output: a root filesystem tarball for
# `docker import` (setup.sh imports it as $KIND_NODE_IMAGE). Last line of output: its path.
#   - Debian userland by debootstrap: systemd, containerd, runc, CNI plugins, iptables (cached)
#   - kind's own base files (entrypoint, systemd units, containerd config) from the kind module
#   - kubeadm (built here), kubelet and kubectl: the local test cluster's Kubernetes build
#   - control-plane images (kube-apiserver, -controller-manager, -scheduler, kube-proxy, etcd,
#     coredns, pause) at the references kubeadm expects, local-path-provisioner and the sample
#     image, all imported into the node's containerd at build time
#   - pod network: shakedown-cni (node/shakedown-cni); storage: local-path, class `standard`
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OUT="$KIND_IMAGE_DIR/node-rootfs.tar"
STAMP="$KIND_IMAGE_DIR/.complete"
if [[ -f "$STAMP" && -s "$OUT" ]]; then log "node image cache warm: $OUT"; echo "$OUT"; exit 0; fi

T0=$SECONDS
step() { log "[$((SECONDS - T0))s] $*"; }
command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install debootstrap)"
command -v containerd >/dev/null || die "containerd not found (the local node's build installs Debian's)"

# The local test node's build: Kubernetes binaries (kubelet, kube-proxy, control plane, kubectl,
# etcd), add-ons and their OCI archives. Warm after `npm run cluster:build`.
step "local node build (test/cluster/node/build.sh)"
bash "$CLUSTER_DIR/node/build.sh" >/dev/null
mkdir -p "$KIND_IMAGE_DIR"
exec 9>"$KIND_IMAGE_DIR/.lock"
flock 9
if [[ -f "$STAMP" && -s "$OUT" ]]; then echo "$OUT"; exit 0; fi

export CGO_ENABLED=0 GOTOOLCHAIN
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"
unset GOFLAGS

# ------------------------------------------------------------------ kubeadm
KBIN="$KIND_IMAGE_DIR/bin"
mkdir -p "$KBIN"
if [[ ! -x "$KBIN/kubeadm" ]]; then
  SRC="$KIND_IMAGE_DIR/src/kubernetes"
  mkdir -p "$SRC"
  sed 's#^module .*#module shakedown.local/k8s-kind-build#' "$BUILD_DIR/src/kubernetes/go.mod" >"$SRC/go.mod"
  cp "$BUILD_DIR/src/kubernetes/go.sum" "$SRC/go.sum"
  printf '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kubeadm"\n' >"$SRC/tools.go"
  step "go mod tidy (kubeadm wrapper)"
  (cd "$SRC" && go mod tidy)
  step "building kubeadm $K8S_VERSION ..."
  (cd "$SRC" && go build -mod=mod -trimpath -ldflags "$(k8s_ldflags)" -o "$KBIN/kubeadm" k8s.io/kubernetes/cmd/kubeadm)
fi
[[ "$("$KBIN/kubeadm" version -o short)" == "$K8S_VERSION" ]] || die "kubeadm does not report $K8S_VERSION"

# ------------------------------------------------------------ Debian userland
DEBOOT="$SHAKEDOWN_CACHE/kind-debootstrap-$(printf '%s %s' "$KIND_NODE_SUITE" "$KIND_NODE_APT_PACKAGES" | sha256sum | cut -c1-12).tar"
if [[ ! -s "$DEBOOT" ]]; then
  step "debootstrap $KIND_NODE_SUITE (minbase + $KIND_NODE_APT_PACKAGES)"
  tmp="$KIND_IMAGE_DIR/debootstrap"
  rm -rf "$tmp"
  debootstrap --variant=minbase --include="$KIND_NODE_APT_PACKAGES" "$KIND_NODE_SUITE" "$tmp" \
    "${KIND_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$KIND_IMAGE_DIR/debootstrap.log" 2>&1 \
    || die "debootstrap failed; see $KIND_IMAGE_DIR/debootstrap.log"
  tar --numeric-owner -C "$tmp" -cf "$DEBOOT.tmp" . && mv "$DEBOOT.tmp" "$DEBOOT"
  rm -rf "$tmp"
fi
R="$KIND_IMAGE_DIR/rootfs"
rm -rf "$R"; mkdir -p "$R"
step "root filesystem from $DEBOOT"
tar --numeric-owner -C "$R" -xf "$DEBOOT"
rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/*

# ------------------------------------------------------------ kind's base files
KIND_MOD="$(go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
F="$KIND_MOD/images/base/files"
[[ -d "$F" ]] || die "kind's base files missing in $KIND_MOD"
step "kind $KIND_VERSION base files"
install -d -m 0755 "$R/kind" "$R/kind/bin" "$R/usr/local/bin" "$R/etc/containerd" "$R/etc/default" \
  "$R/etc/sysctl.d" "$R/etc/systemd/system/kubelet.service.d" "$R/kind/manifests" "$R/etc/kubernetes/manifests" "$R/opt/cni/bin"
install -m 0755 "$F"/usr/local/bin/* "$R/usr/local/bin/"
install -m 0644 "$F"/kind/README.txt "$R/kind/"
install -m 0755 "$F"/kind/bin/* "$R/kind/bin/"
install -m 0644 "$F"/etc/crictl.yaml "$R/etc/"
install -m 0644 "$F"/etc/default/* "$R/etc/default/"
install -m 0644 "$F"/etc/sysctl.d/* "$R/etc/sysctl.d/"
install -m 0644 "$F"/etc/systemd/system/*.service "$F"/etc/systemd/system/*.slice "$R/etc/systemd/system/"
install -m 0644 "$F"/etc/systemd/system/kubelet.service.d/* "$R/etc/systemd/system/kubelet.service.d/"
# containerd: Debian's 1.6 (config format v2, as kind's); no fuse-overlayfs (rootless only).
rm -f "$R/etc/systemd/system/containerd-fuse-overlayfs.service"
# restrict_oom_score_adj: the sandbox withholds CAP_SYS_RESOURCE, so no container may ask for a
# lower OOM score than containerd's own (runc fails with "can't get final child's PID" otherwise).
sed -e '/^\[proxy_plugins\]/,/^  address = /d' -e "s#^\(  sandbox_image = \).*#\1\"$PAUSE_IMAGE\"#" \
  -e 's#^\(  restrict_oom_score_adj = \).*#\1true#' \
  "$F/etc/containerd/config.toml" >"$R/etc/containerd/config.toml"
ln -sf /usr/bin/containerd "$R/usr/local/bin/containerd"
python3 - "$R/etc/containerd/cri-base.json" <<'PY'
import json, subprocess, sys
spec = json.loads(subprocess.run(['ctr', 'oci', 'spec'], check=True, capture_output=True, text=True).stdout)
spec.setdefault('hooks', {}).setdefault('createContainer', []).append({'path': '/kind/bin/mount-product-files.sh'})
spec['process'].pop('rlimits', None)
open(sys.argv[1], 'w').write(json.dumps(spec, indent=2))
PY
# The Dockerfile's service clean-up, then kind's services and ours.
find "$R/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
rm -f "$R"/lib/systemd/system/multi-user.target.wants/* "$R"/etc/systemd/system/*.wants/* \
  "$R"/lib/systemd/system/local-fs.target.wants/* "$R"/lib/systemd/system/sockets.target.wants/*udev* \
  "$R"/lib/systemd/system/sockets.target.wants/*initctl* "$R"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >>"$R/etc/systemd/journald.conf"
[[ -e "$R/sbin/init" ]] || ln -s /usr/lib/systemd/systemd "$R/sbin/init"
install -m 0755 "$KIND_DIR/node/shakedown-node-init" "$KIND_DIR/node/shakedown-cni" "$R/usr/local/bin/"
install -m 0644 "$KIND_DIR/node/shakedown-cni.service" "$R/etc/systemd/system/"
install -m 0644 "$KIND_DIR/node/20-shakedown-cni.conf" "$R/etc/sysctl.d/"
chroot "$R" systemctl enable kubelet.service containerd.service undo-mount-hacks.service shakedown-cni.service >/dev/null 2>&1
chroot "$R" systemctl mask systemd-binfmt.service >/dev/null 2>&1
for p in host-local loopback ptp portmap bridge; do cp "$R/usr/lib/cni/$p" "$R/opt/cni/bin/$p"; done

# ------------------------------------------------------------ Kubernetes
install -m 0755 "$KBIN/kubeadm" "$NODE_BIN/kubelet" "$BIN_DIR/kubectl" "$R/usr/bin/"
printf '%s' "$K8S_VERSION" >"$R/kind/version"
install -m 0644 "$KIND_DIR/node/default-cni.yaml" "$R/kind/manifests/default-cni.yaml"
sed -e "s#@LOCAL_PATH_PROVISIONER_IMAGE@#$LOCAL_PATH_PROVISIONER_IMAGE#g" -e "s#@SAMPLE_IMAGE@#$SAMPLE_IMAGE#g" \
  -e "s#@LOCAL_PATH_DIR@#/var/local-path-provisioner#g" \
  "$CLUSTER_DIR/node/manifests/30-local-path-storage.yaml" >"$R/kind/manifests/default-storage.yaml"

# ------------------------------------------------------------ images
IMG="$KIND_IMAGE_DIR/images"
rm -rf "$IMG"; mkdir -p "$IMG"
mapfile -t WANT < <("$KBIN/kubeadm" config images list --kubernetes-version "$K8S_VERSION" 2>/dev/null)
ref_of() { printf '%s\n' "${WANT[@]}" | grep "/$1:" | head -n 1; }
base() {
  rm -rf "$1"; mkdir -p "$1"/{usr/local/bin,etc,tmp,proc,sys,dev,run,var/run,root}
  chmod 1777 "$1/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$1/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$1/etc/group"
}
# with_libs ROOT FILE...: copy files of the node's userland with the libraries they link.
with_libs() {
  local root="$1" f l; shift
  for f in "$@"; do
    mkdir -p "$root/$(dirname "$f")"; cp -a "$R$f" "$root$f"
    [[ -L "$R$f" ]] && continue
    for l in $(chroot "$R" ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
      mkdir -p "$root/$(dirname "$l")"; cp -L "$R$l" "$root$l"
    done
  done
}
image() { # image NAME REF ROOTFS ENTRYPOINT_JSON
  bash "$NODE_DIR/mkimage.sh" "$2" "$3" "$IMG/$1.tar" "$4" null ""
  rm -rf "$3"
}
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  ref="$(ref_of "$c")"; [[ -n "$ref" ]] || die "kubeadm lists no $c image"
  d="$IMG/root-$c"; base "$d"; cp "$BIN_DIR/$c" "$d/usr/local/bin/"
  image "$c" "$ref" "$d" "[\"/usr/local/bin/$c\"]"
done
ref="$(ref_of etcd)"; d="$IMG/root-etcd"; base "$d"; cp "$BIN_DIR/etcd" "$d/usr/local/bin/"; mkdir -p "$d/var/lib/etcd"
image etcd "$ref" "$d" '["/usr/local/bin/etcd"]'
ref="$(ref_of coredns)"; d="$IMG/root-coredns"; base "$d"; cp "$NODE_BIN/coredns" "$d/coredns"
image coredns "$ref" "$d" '["/coredns"]'
# kube-proxy programs iptables (nft backend, as Debian's and Docker's default) and conntrack.
ref="$(ref_of kube-proxy)"; d="$IMG/root-kube-proxy"; base "$d"; cp "$NODE_BIN/kube-proxy" "$d/usr/local/bin/"
mkdir -p "$d/usr/lib/x86_64-linux-gnu" "$d/usr/lib64" "$d/usr/sbin"; ln -s usr/lib "$d/lib"; ln -s usr/lib64 "$d/lib64"
# iptables loads its match and target extensions at run time: each with the libraries it links.
mapfile -t EXT < <(cd "$R" && find usr/lib/x86_64-linux-gnu/xtables -name '*.so' | sed 's#^#/#')
with_libs "$d" /usr/sbin/xtables-nft-multi /usr/sbin/conntrack "${EXT[@]}"
for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
  ln -s xtables-nft-multi "$d/usr/sbin/$t"
done
image kube-proxy "$ref" "$d" '["/usr/local/bin/kube-proxy"]'
[[ "$(ref_of pause)" == "$PAUSE_IMAGE" ]] || log "note: kubeadm lists $(ref_of pause), the node's pause is $PAUSE_IMAGE"
for a in pause local-path-provisioner sample; do cp "$NODE_IMAGES/$a.tar" "$IMG/$a.tar"; done
step "images: $(cd "$IMG" && echo *.tar)"

# Import into the node's containerd store with a containerd of the same version on its root.
CT="$(mktemp -d /tmp/shakedown-kind-ctr.XXXXXX)"
cat >"$CT/config.toml" <<TOML
version = 2
root = "$R/var/lib/containerd"
state = "$CT/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CT/containerd.sock"
TOML
containerd --config "$CT/config.toml" >"$CT/log" 2>&1 &
CPID=$!
trap 'kill $CPID 2>/dev/null || true; wait $CPID 2>/dev/null || true; rm -rf "$CT"' EXIT
for _ in $(seq 100); do ctr --address "$CT/containerd.sock" version >/dev/null 2>&1 && break; sleep 0.1; done
for t in "$IMG"/*.tar; do
  ctr --address "$CT/containerd.sock" -n k8s.io images import --all-platforms --no-unpack --digests "$t" >/dev/null \
    || die "importing $t failed"
done
ctr --address "$CT/containerd.sock" -n k8s.io images ls -q >"$KIND_IMAGE_DIR/images.txt"
kill $CPID; wait $CPID 2>/dev/null || true
rm -rf "$R/var/lib/containerd/tmpmounts" "$IMG"
step "imported: $(tr '\n' ' ' <"$KIND_IMAGE_DIR/images.txt")"

tar --numeric-owner -C "$R" -cf "$OUT.tmp" . && mv "$OUT.tmp" "$OUT"
rm -rf "$R"
printf 'kind=%s k8s=%s built=%s\n' "$KIND_VERSION" "$K8S_VERSION" "$(date -u +%FT%TZ)" >"$STAMP"
step "done: $(du -h "$OUT" | cut -f1) $OUT"
echo "$OUT"
