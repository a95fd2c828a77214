# Shared paths and helpers for test/cluster/node/*.sh (source it, don't run it).
# The node is made of host processes: containerd + runc (Debian), kubelet and
# kube-proxy (built from the control plane's Kubernetes version), the CNI
# bridge plugin, and add-ons (CoreDNS, metrics-server, local-path-provisioner)
# running as pods from images built here.
# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this

NODE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The control plane's lib: versions (K8S_VERSION), STATE_DIR, BIN_DIR
# (kubectl), KUBECONFIG_PATH, log/die/wait_for.
# shellcheck source=../lib.sh
. "$NODE_DIR/../lib.sh"

log() { printf '[node] %s\n' "$*" >&2; }
die() { printf '[node] ERROR: %s\n' "$*" >&2; exit 1; }

# Build dir keyed by everything that decides what gets built. Its name must
# NOT match "$SHAKEDOWN_CACHE/k8s-*": the control plane's down.sh stops any
# process running a binary from there.
NODE_BUILD_HASH="$({ core_pins; cat "$NODE_DIR/build.sh" "$NODE_DIR/mkimage.sh" \
  "$NODE_DIR/pause/main.go" "$NODE_DIR/cri-clean/main.go"; } | sha256sum | cut -c1-12)"
NODE_BUILD_DIR="$SHAKEDOWN_CACHE/node-$NODE_BUILD_HASH"
NODE_BIN="$NODE_BUILD_DIR/bin"
NODE_IMAGES="$NODE_BUILD_DIR/images"

NODE_NAME=shakedown-node
NODE_STATE="$SHAKEDOWN_CACHE/local-node"   # kubelet root, containerd root, certs, logs, volumes
NODE_RUN=/run/shakedown-node               # sockets and runtime state
CONTAINERD_SOCK="$NODE_RUN/containerd.sock"
CTR=(ctr --address "$CONTAINERD_SOCK" --namespace k8s.io)

# Pod network: one /24 on a host bridge. The bridge's address is the node's
# InternalIP, so pods reach the kubelet (metrics-server) without leaving the
# machine's own networks.
POD_CIDR=10.244.0.0/24
CLUSTER_CIDR=10.244.0.0/16
BRIDGE=shakedown0
NODE_IP=10.244.0.1
CLUSTER_DNS=10.96.0.10
KUBELET_PORT=10250
NODE_COMPONENTS=(containerd kubelet kube-proxy)

# render FILE: a manifest with @VARS@ substituted from the pinned versions/paths.
render() {
  sed -e "s#@COREDNS_IMAGE@#$COREDNS_IMAGE#g" \
      -e "s#@METRICS_SERVER_IMAGE@#$METRICS_SERVER_IMAGE#g" \
      -e "s#@LOCAL_PATH_PROVISIONER_IMAGE@#$LOCAL_PATH_PROVISIONER_IMAGE#g" \
      -e "s#@SAMPLE_IMAGE@#$SAMPLE_IMAGE#g" \
      -e "s#@CLUSTER_DNS@#$CLUSTER_DNS#g" \
      -e "s#@LOCAL_PATH_DIR@#$NODE_STATE/local-path#g" "$1"
}

# imported REF TAR: containerd holds REF with the manifest digest TAR (an OCI archive of
# mkimage.sh) carries.
imported() {
  local want
  want="$(tar -xOf "$2" index.json | grep -o '"digest":"sha256:[0-9a-f]*"' | head -n 1 | cut -d'"' -f4)"
  [[ -n "$want" ]] && "${CTR[@]}" images ls "name==$1" 2>/dev/null | awk 'NR > 1 {print $3}' | grep -qx "$want"
}
