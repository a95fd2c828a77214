#!/usr/bin/env bash
# Give the local test cluster a real node made of host processes, then deploy
# the add-ons: containerd + runc (Debian), CNI bridge + host-local + portmap,
# kubelet and kube-proxy (iptables) joined to the control plane of
# ../up.sh (which runs first, idempotently), then CoreDNS, metrics-server and
# local-path-provisioner (StorageClass `standard`, default).
# Idempotent: a second run while everything is healthy exits 0 quickly.
# Last line of output: the admin kubeconfig path.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$SECONDS
step() { log "[$((SECONDS - T0))s] $*"; }

[[ $EUID -eq 0 ]] || die "the node needs root (containerd, CNI, iptables, mounts)"

bash "$NODE_DIR/build.sh" >/dev/null
KUBECONFIG_FILE="$(bash "$CLUSTER_DIR/up.sh" | tail -n 1)"
step "control plane up ($KUBECONFIG_FILE)"
KUBECTL=("$BIN_DIR/kubectl" --kubeconfig="$KUBECONFIG_FILE" --request-timeout=10s)
PKI="$STATE_DIR/pki"       # the control plane's CA signs the node's certs
NPKI="$NODE_STATE/pki"
mkdir -p "$NODE_STATE"/{pki,logs,pids,cni/net.d,cni/ipam,kubelet,pod-logs,local-path} "$NODE_RUN"

node_pid_alive() {
  local f="$NODE_STATE/pids/$1.pid"
  [[ -s "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null
}
# running_current NAME BINARY: recorded pid alive and running BINARY.
running_current() {
  node_pid_alive "$1" || return 1
  [[ "$(readlink "/proc/$(cat "$NODE_STATE/pids/$1.pid")/exe" 2>/dev/null)" == "$2" ]]
}
node_ready() {
  [[ "$("${KUBECTL[@]}" get node "$NODE_NAME" \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}
kubelet_healthy() { [[ "$(curl -fsS --max-time 2 http://127.0.0.1:10248/healthz 2>/dev/null)" == ok ]]; }
proxy_healthy() { curl -fsS --max-time 2 http://127.0.0.1:10256/healthz >/dev/null 2>&1; }
containerd_ok() { ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; }

# ------------------------------------------------------------------ fail/await
fail() {
  log "FAILED: $1"
  local c
  for c in "${NODE_COMPONENTS[@]}"; do
    [[ -f "$NODE_STATE/logs/$c.log" ]] || continue
    printf '\n===== tail -n 30 %s =====\n' "$NODE_STATE/logs/$c.log" >&2
    tail -n 30 "$NODE_STATE/logs/$c.log" >&2
  done
  die "$1 (node logs in $NODE_STATE/logs; run test/cluster/node/down.sh to clean up)"
}
# await WHAT TIMEOUT NAME CHECK...: wait for CHECK, failing fast if NAME dies
# (NAME "-" watches no process).
await() {
  local what="$1" timeout="$2" name="$3"; shift 3
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    [[ "$name" == - ]] || node_pid_alive "$name" || fail "$name exited while waiting for $what"
    ((SECONDS < deadline)) || fail "timed out after ${timeout}s waiting for $what"
    sleep 0.5
  done
  step "$what"
}

all_healthy() {
  running_current containerd /usr/bin/containerd && containerd_ok || return 1
  running_current kubelet "$NODE_BIN/kubelet" && kubelet_healthy || return 1
  running_current kube-proxy "$NODE_BIN/kube-proxy" && proxy_healthy || return 1
  node_ready && addons_ready
}
addons_ready() {
  "${KUBECTL[@]}" -n kube-system wait --for=condition=Available --timeout=1s \
    deployment/coredns deployment/metrics-server >/dev/null 2>&1 &&
  "${KUBECTL[@]}" -n local-path-storage wait --for=condition=Available --timeout=1s \
    deployment/local-path-provisioner >/dev/null 2>&1 &&
  "${KUBECTL[@]}" get apiservice v1beta1.metrics.k8s.io \
    -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null | grep -qx True
}

if all_healthy; then
  log "node $NODE_NAME already up and healthy"
  echo "$KUBECONFIG_FILE"
  exit 0
fi
# Anything half-running (crash, old build, control plane restarted with a
# fresh etcd) is restarted from a clean node.
for c in "${NODE_COMPONENTS[@]}"; do
  if node_pid_alive "$c"; then
    log "node partially running or stale; restarting it"
    bash "$NODE_DIR/down.sh" >/dev/null
    break
  fi
done

# -------------------------------------------------------------------- PKI
# sign NAME SUBJECT: client key + cert signed by the control plane's CA.
sign() {
  local name="$1" subj="$2"
  if [[ -s "$NPKI/$name.crt" ]] && openssl verify -CAfile "$PKI/ca.crt" "$NPKI/$name.crt" >/dev/null 2>&1; then
    return 0
  fi
  [[ -s "$NPKI/$name.key" ]] || openssl genrsa -out "$NPKI/$name.key" 2048 2>/dev/null
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=clientAuth" >"$NPKI/$name.ext"
  openssl req -new -key "$NPKI/$name.key" -subj "$subj" -out "$NPKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$NPKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -CAserial "$NPKI/ca.srl" -days 3650 -sha256 -extfile "$NPKI/$name.ext" -out "$NPKI/$name.crt" 2>/dev/null \
    || die "openssl could not sign $name"
  rm -f "$NPKI/$name.csr" "$NPKI/$name.ext"
  chmod 600 "$NPKI/$name.key"
}
write_kubeconfig() { # FILE USER CERT
  umask 077
  cat >"$1.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $CLUSTER_NAME
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: $2
  user:
    client-certificate: $NPKI/$3.crt
    client-key: $NPKI/$3.key
contexts:
- name: $CLUSTER_NAME
  context: {cluster: $CLUSTER_NAME, user: $2}
current-context: $CLUSTER_NAME
EOF
  mv "$1.tmp" "$1"
  umask 022
}
sign kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
sign kube-proxy "/CN=system:kube-proxy"
write_kubeconfig "$NODE_STATE/kubelet.kubeconfig" "system:node:$NODE_NAME" kubelet
write_kubeconfig "$NODE_STATE/kube-proxy.kubeconfig" system:kube-proxy kube-proxy
step "node certificates signed by $PKI/ca.crt"

# ---------------------------------------------------------------- network
# Pod bridge with the node's address on it (the CNI bridge plugin adopts it).
if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
  ip link add "$BRIDGE" type bridge
fi
ip addr replace "$NODE_IP/${POD_CIDR#*/}" dev "$BRIDGE"
ip link set "$BRIDGE" up
sysctl -qw net.ipv4.ip_forward=1
# Pod traffic through the bridge must see iptables (Service DNAT, hairpin).
[[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] || modprobe br_netfilter 2>/dev/null || true
sysctl -qw net.bridge.bridge-nf-call-iptables=1
# Pods reach the API server (bound to 127.0.0.1) through the `kubernetes`
# Service: DNAT to 127.0.0.1 from the bridge needs route_localnet.
sysctl -qw net.ipv4.conf.all.route_localnet=1 "net.ipv4.conf.$BRIDGE.route_localnet=1"

cat >"$NODE_STATE/cni/net.d/10-shakedown.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "shakedown",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$NODE_STATE/cni/ipam"
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF

# ------------------------------------------------------------- containerd
start() { # NAME BINARY ARGS...
  local name="$1" bin="$2"; shift 2
  local logf="$NODE_STATE/logs/$name.log"
  : >"$logf"
  nohup setsid "$bin" "$@" >>"$logf" 2>&1 </dev/null &
  echo $! >"$NODE_STATE/pids/$name.pid"
  step "started $name (pid $!, log $logf)"
}

mkdir -p "$NODE_STATE/containerd"
cat >"$NODE_STATE/containerd/config.toml" <<EOF
version = 2
root = "$NODE_STATE/containerd/root"
state = "$NODE_RUN/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$NODE_RUN/containerd.sock.ttrpc"
[debug]
  address = "$NODE_RUN/containerd-debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$NODE_STATE/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # This sandbox withholds CAP_SYS_RESOURCE: negative oom_score_adj values
  # (kubelet asks -998 for sandboxes) would fail, so clamp to containerd's own.
  restrict_oom_score_adj = true
  enable_selinux = false
  max_container_log_line_size = 16384
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$NODE_STATE/cni/net.d"
    max_conf_num = 1
EOF
start containerd /usr/bin/containerd --config "$NODE_STATE/containerd/config.toml"
await "containerd answers on $CONTAINERD_SOCK" 30 containerd containerd_ok

# Images are imported, never pulled (no registry is reachable).
imported() { [[ -n "$("${CTR[@]}" images ls -q "name==$1" 2>/dev/null)" ]]; }
IMPORTS=("pause $PAUSE_IMAGE" "sample $SAMPLE_IMAGE" "coredns $COREDNS_IMAGE"
  "metrics-server $METRICS_SERVER_IMAGE" "local-path-provisioner $LOCAL_PATH_PROVISIONER_IMAGE")
for pair in "${IMPORTS[@]}"; do
  file="${pair%% *}" ref="${pair#* }"
  imported "$ref" && continue
  "${CTR[@]}" images import "$NODE_IMAGES/$file.tar" >/dev/null \
    || fail "ctr images import $NODE_IMAGES/$file.tar"
  imported "$ref" || fail "image $ref missing after import of $NODE_IMAGES/$file.tar"
done
step "images imported: $PAUSE_IMAGE $SAMPLE_IMAGE $COREDNS_IMAGE $METRICS_SERVER_IMAGE $LOCAL_PATH_PROVISIONER_IMAGE"

# ---------------------------------------------------------------- kubelet
cat >"$NODE_STATE/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
cgroupsPerQOS: true
enforceNodeAllocatable: [pods]
failSwapOn: false
clusterDomain: cluster.local
clusterDNS: [$CLUSTER_DNS]
# No upstream resolver for pods: cluster DNS answers cluster names only.
resolvConf: ""
podLogsDir: $NODE_STATE/pod-logs
# Images cannot be pulled again here: never garbage-collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 200Mi, nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
serializeImagePulls: false
nodeStatusUpdateFrequency: 10s
syncFrequency: 10s
fileCheckFrequency: 10s
volumeStatsAggPeriod: 10s
protectKernelDefaults: false
rotateCertificates: false
serverTLSBootstrap: false
maxPods: 110
EOF
start kubelet "$NODE_BIN/kubelet" \
  --config="$NODE_STATE/kubelet-config.yaml" \
  --kubeconfig="$NODE_STATE/kubelet.kubeconfig" \
  --root-dir="$NODE_STATE/kubelet" \
  --cert-dir="$NODE_STATE/kubelet/pki" \
  --hostname-override="$NODE_NAME" \
  --node-ip="$NODE_IP" \
  --v=1
await "kubelet /healthz ok" 60 kubelet kubelet_healthy
await "node $NODE_NAME Ready" 90 kubelet node_ready

# ------------------------------------------------------------- kube-proxy
cat >"$NODE_STATE/kube-proxy-config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $NODE_STATE/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
mode: iptables
clusterCIDR: $CLUSTER_CIDR
# NodePorts answer on loopback (tests use 127.0.0.1) and on the node address.
nodePortAddresses: [127.0.0.0/8, $NODE_IP/32]
iptables: {localhostNodePorts: true, syncPeriod: 30s, minSyncPeriod: 1s}
# Leave the host's conntrack sysctls alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
start kube-proxy "$NODE_BIN/kube-proxy" --config="$NODE_STATE/kube-proxy-config.yaml" --v=1
await "kube-proxy /healthz ok" 60 kube-proxy proxy_healthy

# ----------------------------------------------------------------- add-ons
render() { # FILE: substitute @VARS@ from the pinned versions and paths
  sed -e "s#@COREDNS_IMAGE@#$COREDNS_IMAGE#g" \
      -e "s#@METRICS_SERVER_IMAGE@#$METRICS_SERVER_IMAGE#g" \
      -e "s#@LOCAL_PATH_PROVISIONER_IMAGE@#$LOCAL_PATH_PROVISIONER_IMAGE#g" \
      -e "s#@SAMPLE_IMAGE@#$SAMPLE_IMAGE#g" \
      -e "s#@CLUSTER_DNS@#$CLUSTER_DNS#g" \
      -e "s#@LOCAL_PATH_DIR@#$NODE_STATE/local-path#g" "$1"
}
for m in "$NODE_DIR"/manifests/*.yaml; do
  render "$m" | "${KUBECTL[@]}" apply --server-side --force-conflicts -f - >/dev/null \
    || fail "kubectl apply $m"
done
step "add-on manifests applied"
deploy_available() { "${KUBECTL[@]}" -n "$1" wait --for=condition=Available --timeout=2s "deployment/$2" >/dev/null 2>&1; }
apiservice_available() {
  "${KUBECTL[@]}" get apiservice v1beta1.metrics.k8s.io \
    -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null | grep -qx True
}
node_metrics() { "${KUBECTL[@]}" get --raw "/apis/metrics.k8s.io/v1beta1/nodes/$NODE_NAME" >/dev/null 2>&1; }
await "CoreDNS available" 120 kubelet deploy_available kube-system coredns
await "local-path-provisioner available" 120 kubelet deploy_available local-path-storage local-path-provisioner
await "metrics-server available" 120 kubelet deploy_available kube-system metrics-server
await "APIService v1beta1.metrics.k8s.io available" 120 - apiservice_available
await "metrics API serves node metrics" 120 - node_metrics

step "node $NODE_NAME up with CoreDNS, metrics-server, StorageClass standard"
echo "$KUBECONFIG_FILE"
