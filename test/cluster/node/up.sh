#!/usr/bin/env bash
# Give the local test cluster a real node made of host processes, then deploy
# the add-ons: containerd + runc (Debian), CNI bridge + host-local + portmap,
# kubelet and kube-proxy (iptables) joined to the control plane of
# ../up.sh (which runs first, idempotently), then CoreDNS, metrics-server and
# local-path-provisioner (StorageClass `standard`, default).
# Idempotent: a second run while everything is healthy exits 0 quickly.
# SHAKEDOWN_NODE_TAINT (e.g. shakedown.io/isolated=true:NoSchedule) registers
# the node tainted, so only the add-ons and pods that tolerate it run there
# (useful while others test "no kubelet" behaviour on the same control plane).
# SHAKEDOWN_ISTIO=1 adds the opt-in Istio layer (../istio/up.sh) once the node is up.
# Last line of output: the admin kubeconfig path.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$SECONDS
step() { log "[$((SECONDS - T0))s] $*"; }

[[ $EUID -eq 0 ]] || die "the node needs root (containerd, CNI, iptables, mounts)"
. "$(dirname "${BASH_SOURCE[0]}")/host-settings.sh"

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
# node_ready: Ready=True, reported after KUBELET_STARTED (epoch seconds), so
# a Node object left from an earlier kubelet does not count.
KUBELET_STARTED=0
node_ready() {
  local s st hb
  s="$("${KUBECTL[@]}" get node "$NODE_NAME" -o \
    jsonpath='{.status.conditions[?(@.type=="Ready")].status}|{.status.conditions[?(@.type=="Ready")].lastHeartbeatTime}' 2>/dev/null)" || return 1
  IFS='|' read -r st hb <<<"$s"
  [[ "$st" == True ]] && (($(date -d "$hb" +%s 2>/dev/null || echo 0) >= KUBELET_STARTED))
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
  bash "$NODE_DIR/down.sh" >/dev/null 2>&1 || true   # logs/ is kept
  die "$1 (node logs kept in $NODE_STATE/logs)"
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

# deploy_ready NS NAME: the current generation rolled out and every replica
# Ready (Available alone also holds with 0 ready pods when maxUnavailable=1).
deploy_ready() {
  local s
  s="$("${KUBECTL[@]}" -n "$1" get deployment "$2" -o \
    jsonpath='{.metadata.generation}|{.status.observedGeneration}|{.spec.replicas}|{.status.readyReplicas}|{.status.updatedReplicas}' 2>/dev/null)" || return 1
  local gen obs want ready updated
  IFS='|' read -r gen obs want ready updated <<<"$s"
  [[ -n "$gen" && "$gen" == "$obs" && "${ready:-0}" == "$want" && "${updated:-0}" == "$want" ]] || return 1
  pods_fresh_ready "$1" "$(deploy_selector "$2")"
}
deploy_selector() {
  case "$1" in
    coredns) echo k8s-app=kube-dns ;;
    metrics-server) echo k8s-app=metrics-server ;;
    local-path-provisioner) echo app=local-path-provisioner ;;
  esac
}
# pods_fresh_ready NS SELECTOR: every live pod Ready, and Ready since the
# kubelet started (a restarted node's pods keep a stale Ready for a moment).
pods_fresh_ready() {
  local out n=0 st since del
  out="$("${KUBECTL[@]}" -n "$1" get pods -l "$2" -o jsonpath='{range .items[*]}{.metadata.deletionTimestamp}|{.status.conditions[?(@.type=="Ready")].status}|{.status.conditions[?(@.type=="Ready")].lastTransitionTime}{"\n"}{end}' 2>/dev/null)" || return 1
  while IFS='|' read -r del st since; do
    [[ -z "$del$st$since" || -n "$del" ]] && continue
    [[ "$st" == True ]] && (($(date -d "$since" +%s 2>/dev/null || echo 0) >= KUBELET_STARTED)) || return 1
    n=$((n + 1))
  done <<<"$out"
  ((n > 0))
}
all_healthy() {
  running_current containerd /usr/bin/containerd && containerd_ok || return 1
  running_current kubelet "$NODE_BIN/kubelet" && kubelet_healthy || return 1
  running_current kube-proxy "$NODE_BIN/kube-proxy" && proxy_healthy || return 1
  node_ready && addons_ready
}
addons_ready() {
  deploy_ready kube-system coredns && deploy_ready kube-system metrics-server &&
  deploy_ready local-path-storage local-path-provisioner &&
  "${KUBECTL[@]}" get apiservice v1beta1.metrics.k8s.io \
    -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null | grep -qx True
}

# finish: the opt-in layers on top of a healthy node, then the kubeconfig as the last line.
finish() {
  if [[ "${SHAKEDOWN_ISTIO:-}" == 1 ]]; then
    SHAKEDOWN_ISTIO_FROM_NODE_UP=1 bash "$CLUSTER_DIR/istio/up.sh" >/dev/null || die "the Istio layer failed (istio/up.sh)"
  fi
  echo "$KUBECONFIG_FILE"
  exit 0
}

if all_healthy; then
  log "node $NODE_NAME already up and healthy"
  finish
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
sign kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
sign kube-proxy "/CN=system:kube-proxy"
write_kubeconfig "$NODE_STATE/kubelet.kubeconfig" "system:node:$NODE_NAME" "$NPKI/kubelet"
write_kubeconfig "$NODE_STATE/kube-proxy.kubeconfig" system:kube-proxy "$NPKI/kube-proxy"
step "node certificates signed by $PKI/ca.crt"

# ---------------------------------------------------------------- network
# Pod bridge with the node's address on it (the CNI bridge plugin adopts it).
if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
  ip link add "$BRIDGE" type bridge
fi
ip addr replace "$NODE_IP/${POD_CIDR#*/}" dev "$BRIDGE"
ip link set "$BRIDGE" up
# Containment: nothing addressed to the cluster's ranges may take the default
# route off this machine. ClusterIPs route to the bridge (kube-proxy DNATs
# them to pods; a ClusterIP without rules dies here instead of leaking, e.g.
# the API server probing an APIService before kube-proxy synced), the rest of
# the pod supernet is unreachable, and pods may talk only to pods and to this
# host (no forwarding out of the bridge).
ip route replace "$SERVICE_CIDR" dev "$BRIDGE" src "$NODE_IP"
ip route replace unreachable "$CLUSTER_CIDR"
host_snapshot_rules   # before the node's first rule
iptables -N SHAKEDOWN-EGRESS 2>/dev/null || iptables -F SHAKEDOWN-EGRESS
iptables -A SHAKEDOWN-EGRESS -m comment --comment "shakedown: pods reach only pods and this host" \
  -j REJECT --reject-with icmp-net-prohibited
iptables -C FORWARD -i "$BRIDGE" ! -o "$BRIDGE" -j SHAKEDOWN-EGRESS 2>/dev/null \
  || iptables -I FORWARD 1 -i "$BRIDGE" ! -o "$BRIDGE" -j SHAKEDOWN-EGRESS
# Every host-wide setting below is recorded first (host-settings.sh) and put
# back by down.sh. The CNI bridge plugin (isGateway) turns on ip_forward
# itself; it is set here so that it is recorded before.
host_set_sysctl net.ipv4.ip_forward 1
# Pod traffic through the bridge must see iptables (Service DNAT, hairpin).
host_load_module br_netfilter
host_set_sysctl net.bridge.bridge-nf-call-iptables 1
# Pods reach the API server (bound to 127.0.0.1) through the `kubernetes`
# Service: DNAT to 127.0.0.1 from the bridge needs route_localnet, on the
# bridge only (the routing input device of bridged traffic, and the output
# device of the replies); the bridge, and its setting, go away on down.
sysctl -qw "net.ipv4.conf.$BRIDGE.route_localnet=1"

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

# Images are imported, never pulled (no registry is reachable; `imported` is in lib.sh).
IMPORTS=("pause $PAUSE_IMAGE" "sample $SAMPLE_IMAGE" "coredns $COREDNS_IMAGE"
  "metrics-server $METRICS_SERVER_IMAGE" "local-path-provisioner $LOCAL_PATH_PROVISIONER_IMAGE")
for pair in "${IMPORTS[@]}"; do
  file="${pair%% *}" ref="${pair#* }"
  imported "$ref" "$NODE_IMAGES/$file.tar" && continue
  "${CTR[@]}" images import "$NODE_IMAGES/$file.tar" >/dev/null \
    || fail "ctr images import $NODE_IMAGES/$file.tar"
  imported "$ref" "$NODE_IMAGES/$file.tar" || fail "image $ref missing after import of $NODE_IMAGES/$file.tar"
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
KUBELET_STARTED=$(($(date +%s) - 1))
# The kubelet (protectKernelDefaults: false) sets these kernel tunables itself;
# recorded first so down.sh puts them back.
host_record_sysctl vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops \
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes
start kubelet "$NODE_BIN/kubelet" \
  --config="$NODE_STATE/kubelet-config.yaml" \
  --kubeconfig="$NODE_STATE/kubelet.kubeconfig" \
  --root-dir="$NODE_STATE/kubelet" \
  --cert-dir="$NODE_STATE/kubelet/pki" \
  --hostname-override="$NODE_NAME" \
  --node-ip="$NODE_IP" \
  ${SHAKEDOWN_NODE_TAINT:+--register-with-taints="$SHAKEDOWN_NODE_TAINT"} \
  --v=1
await "kubelet /healthz ok" 60 kubelet kubelet_healthy
await "node $NODE_NAME Ready" 90 kubelet node_ready

# ------------------------------------------------- API server for pods
# The API server listens on 127.0.0.1 only, and a loopback address cannot be
# an endpoint of the `kubernetes` Service (Endpoints validation rejects it), so
# kube-proxy has no endpoint for 10.96.0.1:443. In-cluster clients (CoreDNS,
# metrics-server, the provisioner) reach it through this DNAT instead: from the
# pod bridge (needs route_localnet, set above) and from host-network pods.
APISERVER_SVC_IP=10.96.0.1
iptables -t nat -N SHAKEDOWN-APISERVER 2>/dev/null || iptables -t nat -F SHAKEDOWN-APISERVER
iptables -t nat -A SHAKEDOWN-APISERVER -d "$APISERVER_SVC_IP/32" -p tcp --dport 443 \
  -m comment --comment "shakedown: kubernetes service to 127.0.0.1:$APISERVER_PORT" \
  -j DNAT --to-destination "127.0.0.1:$APISERVER_PORT"
iptables -t nat -C PREROUTING -i "$BRIDGE" -j SHAKEDOWN-APISERVER 2>/dev/null \
  || iptables -t nat -I PREROUTING 1 -i "$BRIDGE" -j SHAKEDOWN-APISERVER
iptables -t nat -C OUTPUT -d "$APISERVER_SVC_IP/32" -j SHAKEDOWN-APISERVER 2>/dev/null \
  || iptables -t nat -I OUTPUT 1 -d "$APISERVER_SVC_IP/32" -j SHAKEDOWN-APISERVER

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
# kube-proxy sets all.route_localnet=1 itself for NodePorts on 127.0.0.1
# (localhostNodePorts); recorded first so down.sh puts it back.
host_record_sysctl net.ipv4.conf.all.route_localnet
start kube-proxy "$NODE_BIN/kube-proxy" --config="$NODE_STATE/kube-proxy-config.yaml" --v=1
await "kube-proxy /healthz ok" 60 kube-proxy proxy_healthy

# ----------------------------------------------------------------- add-ons
# A namespace still terminating (an earlier down.sh) rejects new objects.
ns_not_terminating() {
  [[ "$("${KUBECTL[@]}" get namespace local-path-storage -o jsonpath='{.status.phase}' 2>/dev/null)" != Terminating ]]
}
await "namespace local-path-storage not terminating" 90 kubelet ns_not_terminating
for m in "$NODE_DIR"/manifests/*.yaml; do
  render "$m" | "${KUBECTL[@]}" apply --server-side --force-conflicts -f - >/dev/null \
    || fail "kubectl apply $m"
done
step "add-on manifests applied"

apiservice_available() {
  "${KUBECTL[@]}" get apiservice v1beta1.metrics.k8s.io \
    -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null | grep -qx True
}
node_metrics() { "${KUBECTL[@]}" get --raw "/apis/metrics.k8s.io/v1beta1/nodes/$NODE_NAME" >/dev/null 2>&1; }
await "CoreDNS ready" 120 kubelet deploy_ready kube-system coredns
await "local-path-provisioner ready" 120 kubelet deploy_ready local-path-storage local-path-provisioner
await "metrics-server ready" 120 kubelet deploy_ready kube-system metrics-server
await "APIService v1beta1.metrics.k8s.io available" 120 - apiservice_available
await "metrics API serves node metrics" 120 - node_metrics

step "node $NODE_NAME up with CoreDNS, metrics-server, StorageClass standard"
finish
