#!/usr/bin/env bash
# Start the local test control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler) on loopback. No kubelet, so pods
# stay Pending; everything else (controllers, RBAC, SSA, watches) is real.
# Idempotent: a second run while everything is healthy exits 0 at once.
# Last line of output: the admin kubeconfig path.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$SECONDS
step() { log "[$((SECONDS - T0))s] $*"; }

# Build (instant when the cache is warm). Progress goes to stderr.
bash "$CLUSTER_DIR/build.sh" >/dev/null

PKI="$STATE_DIR/pki"

# Address the apiserver advertises in the `kubernetes` Service endpoints.
# Loopback by default (control plane only). A node whose pods must reach the
# apiserver sets a non-loopback host address that exists before up.sh runs
# (e.g. its bridge IP); the apiserver then listens on all addresses, because
# kubeconfigs keep using 127.0.0.1.
ADVERTISE="${SHAKEDOWN_APISERVER_ADVERTISE_ADDRESS:-127.0.0.1}"
if [[ "$ADVERTISE" == 127.* ]]; then
  BIND=127.0.0.1
  # Endpoints may not hold loopback IPs; the lease reconciler would log an
  # error every 10 s, so don't publish endpoints at all.
  RECONCILER=none
else
  BIND=0.0.0.0
  RECONCILER=lease
fi
# What a running cluster must match for a second up.sh to be a no-op.
CONFIG_ID="bin=$BIN_DIR advertise=$ADVERTISE"
CURL_ADMIN=(curl -fsS --max-time 2 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key")

# running_current NAME: recorded pid is alive AND runs this build's binary
# (a versions.env bump must not silently keep old binaries running).
running_current() {
  pid_alive "$1" || return 1
  [[ "$(readlink "/proc/$(cat "$STATE_DIR/pids/$1.pid")/exe" 2>/dev/null)" == "$BIN_DIR/$1" ]]
}

apiserver_ready() { [[ "$("${CURL_ADMIN[@]}" "https://127.0.0.1:$APISERVER_PORT/readyz" 2>/dev/null)" == ok ]]; }
etcd_healthy() { [[ "$(curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_CLIENT_PORT/health" 2>/dev/null)" == *'"health":"true"'* ]]; }
# /healthz is always-allowed for anonymous on the components' secure ports.
kcm_healthy() { [[ "$(curl -fsSk --max-time 2 "https://127.0.0.1:$KCM_PORT/healthz" 2>/dev/null)" == ok ]]; }
sched_healthy() { [[ "$(curl -fsSk --max-time 2 "https://127.0.0.1:$SCHED_PORT/healthz" 2>/dev/null)" == ok ]]; }

all_healthy() {
  local c
  for c in "${COMPONENTS[@]}"; do running_current "$c" || return 1; done
  [[ "$(cat "$STATE_DIR/config-id" 2>/dev/null)" == "$CONFIG_ID" ]] || return 1
  [[ -s "$KUBECONFIG_PATH" ]] && etcd_healthy && apiserver_ready && kcm_healthy && sched_healthy
}

# Concurrent up/down calls (a test runner and the node's up.sh) serialize
# here; the later one then finds the cluster healthy and returns.
mkdir -p "$STATE_DIR"
lock_cluster

if all_healthy; then
  log "already up and healthy (context $CLUSTER_NAME)"
  echo "$KUBECONFIG_PATH"
  exit 0
fi

# Anything half-running (crashed component, old build, other settings) or
# left over is stopped first, so every start is a clean one.
for c in "${COMPONENTS[@]}"; do
  if pid_alive "$c"; then
    log "cluster partially running, unhealthy or configured differently; restarting it"
    break
  fi
done
bash "$CLUSTER_DIR/down.sh" >/dev/null

# Refuse to start on top of someone else's listener: a clear error beats a
# component crash-looping on "address already in use".
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$ETCD_CLIENT_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" "$KCM_PORT" "$SCHED_PORT"; do
  port_busy "$p" && die "port 127.0.0.1:$p is already in use by another process (ss -ltnp 'sport = :$p'); stop it or run test/cluster/down.sh"
done

mkdir -p "$STATE_DIR"/{pki,logs,pids,etcd,run}

# The API server dials Service IPs (APIServices, webhooks). With no node nothing routes them and
# they would follow the default route off this machine: an unreachable route keeps them here.
# The node's up.sh replaces it with a route to its bridge; its down.sh puts this one back.
ip route show "$SERVICE_CIDR" 2>/dev/null | grep -q . || ip route add unreachable "$SERVICE_CIDR" 2>/dev/null \
  || log "warning: could not add an unreachable route for $SERVICE_CIDR (not root?)"
echo "$CONFIG_ID" >"$STATE_DIR/config-id"

# ------------------------------------------------------------------- PKI
# Kept across down/up so kubeconfigs handed out stay valid; delete
# $STATE_DIR/pki (or run down.sh --purge) to regenerate.
gen_key() { [[ -s "$1" ]] || openssl genrsa -out "$1" 2048 2>/dev/null; }

# sign NAME SUBJECT EXT_LINES...: key + cert for NAME signed by CA $CA_NAME.
# Re-signed (same key) when subject or extensions change, e.g. a new SAN.
sign() {
  local name="$1" subj="$2"; shift 2
  printf '%s\n' "subject=$subj" "$@" >"$PKI/$name.spec.new"
  if [[ -s "$PKI/$name.crt" && -s "$PKI/$name.key" ]] && cmp -s "$PKI/$name.spec.new" "$PKI/$name.spec"; then
    rm -f "$PKI/$name.spec.new"
    return 0
  fi
  gen_key "$PKI/$name.key"
  printf '%s\n' "$@" >"$PKI/$name.ext"
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$CA_NAME.crt" -CAkey "$PKI/$CA_NAME.key" \
    -CAcreateserial -days 3650 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null \
    || { rm -f "$PKI/$name".{csr,ext,spec.new}; die "openssl could not sign $name (subject $subj; $*)"; }
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
  mv "$PKI/$name.spec.new" "$PKI/$name.spec"
}

make_ca() {
  [[ -s "$PKI/$1.crt" ]] && return 0
  gen_key "$PKI/$1.key"
  openssl req -x509 -new -key "$PKI/$1.key" -subj "/CN=$2" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/$1.crt" 2>/dev/null || die "openssl could not create CA $1"
}

CLIENT_EXT=("basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=clientAuth")
step "generating PKI in $PKI (skipped for parts that exist)"
make_ca ca shakedown-local-ca
CA_NAME=ca
sign apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE" \
  "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
  "subjectAltName=IP:127.0.0.1,IP:10.96.0.1$([[ "$ADVERTISE" == 127.* ]] || echo ",IP:$ADVERTISE"),DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
sign admin "/O=system:masters/CN=kubernetes-admin" "${CLIENT_EXT[@]}"
sign kube-controller-manager "/CN=system:kube-controller-manager" "${CLIENT_EXT[@]}"
sign kube-scheduler "/CN=system:kube-scheduler" "${CLIENT_EXT[@]}"
# For a future kubelet: the apiserver's client identity towards kubelets.
sign apiserver-kubelet-client "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client" "${CLIENT_EXT[@]}"
# Aggregation layer (needed by a future metrics-server) has its own CA.
make_ca front-proxy-ca shakedown-local-front-proxy-ca
CA_NAME=front-proxy-ca
sign front-proxy-client "/CN=front-proxy-client" "${CLIENT_EXT[@]}"
# Service-account token signing key pair.
gen_key "$PKI/sa.key"
[[ -s "$PKI/sa.pub" ]] || openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
chmod 600 "$PKI"/*.key

write_kubeconfig "$KUBECONFIG_PATH" "$CLUSTER_NAME-admin" "$PKI/admin"
write_kubeconfig "$STATE_DIR/kube-controller-manager.kubeconfig" system:kube-controller-manager "$PKI/kube-controller-manager"
write_kubeconfig "$STATE_DIR/kube-scheduler.kubeconfig" system:kube-scheduler "$PKI/kube-scheduler"

# -------------------------------------------------------------- processes
# start NAME ARGS...: run $BIN_DIR/NAME detached (own session, survives the
# calling shell), output to logs/NAME.log, pid to pids/NAME.pid.
start() {
  local name="$1"; shift
  local logf="$STATE_DIR/logs/$name.log"
  : >"$logf"  # one log per run; the previous one is of no use after a restart
  # In a non-interactive shell the background child is not a group leader,
  # so setsid calls setsid(2) and execs in place: $! is the component's pid.
  # 8>&-: the component must not inherit (and so hold forever) the up.sh lock.
  nohup setsid "$BIN_DIR/$name" "$@" >>"$logf" 2>&1 </dev/null 8>&- &
  echo $! >"$STATE_DIR/pids/$name.pid"
  step "started $name (pid $!, log $logf)"
}

# fail WHAT: diagnose, stop what we started, exit non-zero.
fail() {
  log "FAILED: $1"
  dump_logs 40
  bash "$CLUSTER_DIR/down.sh" >/dev/null 2>&1 || true
  die "$1 (logs kept in $STATE_DIR/logs)"
}

# await WHAT TIMEOUT NAME CHECK...: wait for CHECK, failing fast if NAME dies.
await() {
  local what="$1" timeout="$2" name="$3"; shift 3
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    pid_alive "$name" || fail "$name exited while waiting for $what"
    ((SECONDS < deadline)) || fail "timed out after ${timeout}s waiting for $what"
    sleep 0.5
  done
  step "$what"
}

# Keep the previous run's logs apart, so a failure dump shows only this run.
mkdir -p "$STATE_DIR/logs/prev"
for c in "${COMPONENTS[@]}"; do
  if [[ -f "$STATE_DIR/logs/$c.log" ]]; then mv -f "$STATE_DIR/logs/$c.log" "$STATE_DIR/logs/prev/$c.log"; fi
done

# Fresh data every up: tests want a clean cluster, and down.sh wipes it too.
rm -rf "$STATE_DIR/etcd"
mkdir -p "$STATE_DIR/etcd" && chmod 700 "$STATE_DIR/etcd"

# Plain HTTP is fine for etcd: it listens on loopback only and only the
# apiserver talks to it. --unsafe-no-fsync: a throwaway test store needs no
# durability, and fsync latency dominates on slow CI disks.
start etcd \
  --name=shakedown-local \
  --data-dir="$STATE_DIR/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --advertise-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="shakedown-local=http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster-state=new \
  --unsafe-no-fsync \
  --log-level=warn
await "etcd healthy" 30 etcd etcd_healthy

start kube-apiserver \
  --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --bind-address="$BIND" \
  --advertise-address="$ADVERTISE" \
  --endpoint-reconciler-type="$RECONCILER" \
  --secure-port="$APISERVER_PORT" \
  --tls-cert-file="$PKI/apiserver.crt" \
  --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --authorization-mode=Node,RBAC \
  --enable-admission-plugins=NodeRestriction \
  --allow-privileged=true \
  --enable-bootstrap-token-auth=true \
  --service-cluster-ip-range=$SERVICE_CIDR \
  --service-node-port-range=30000-32767 \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" \
  --service-account-signing-key-file="$PKI/sa.key" \
  --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
  --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types=InternalIP,Hostname \
  --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" \
  --requestheader-allowed-names=front-proxy-client \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --requestheader-group-headers=X-Remote-Group \
  --requestheader-username-headers=X-Remote-User \
  --proxy-client-cert-file="$PKI/front-proxy-client.crt" \
  --proxy-client-key-file="$PKI/front-proxy-client.key" \
  --cert-dir="$STATE_DIR/run/kube-apiserver" \
  --profiling=false \
  --v=1
await "kube-apiserver /readyz ok" 90 kube-apiserver apiserver_ready

start kube-controller-manager \
  --kubeconfig="$STATE_DIR/kube-controller-manager.kubeconfig" \
  --authentication-kubeconfig="$STATE_DIR/kube-controller-manager.kubeconfig" \
  --authorization-kubeconfig="$STATE_DIR/kube-controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 \
  --secure-port="$KCM_PORT" \
  --cert-dir="$STATE_DIR/run/kube-controller-manager" \
  --client-ca-file="$PKI/ca.crt" \
  --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" \
  --cluster-name="$CLUSTER_NAME" \
  --controllers='*' \
  --leader-elect=false \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$PKI/sa.key" \
  --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" \
  --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range=$SERVICE_CIDR \
  --horizontal-pod-autoscaler-sync-period=15s \
  --profiling=false \
  --v=1
# single instance: --leader-elect=false avoids waiting on a stale lease

start kube-scheduler \
  --kubeconfig="$STATE_DIR/kube-scheduler.kubeconfig" \
  --authentication-kubeconfig="$STATE_DIR/kube-scheduler.kubeconfig" \
  --authorization-kubeconfig="$STATE_DIR/kube-scheduler.kubeconfig" \
  --bind-address=127.0.0.1 \
  --secure-port="$SCHED_PORT" \
  --cert-dir="$STATE_DIR/run/kube-scheduler" \
  --leader-elect=false \
  --profiling=false \
  --v=1

await "kube-controller-manager /healthz ok" 60 kube-controller-manager kcm_healthy
await "kube-scheduler /healthz ok" 60 kube-scheduler sched_healthy

# The serviceaccount controller creating `default` proves the controllers
# actually reconcile against the apiserver, not just that they listen.
KUBECTL=("$BIN_DIR/kubectl" --kubeconfig="$KUBECONFIG_PATH" --request-timeout=5s)
sa_exists() { "${KUBECTL[@]}" -n default get serviceaccount default >/dev/null 2>&1; }
await "ServiceAccount default/default exists" 60 kube-controller-manager sa_exists

step "cluster up: context $CLUSTER_NAME, kubeconfig $KUBECONFIG_PATH"
echo "$KUBECONFIG_PATH"
