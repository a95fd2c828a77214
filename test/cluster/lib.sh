# Shared paths and helpers for test/cluster/*.sh (source it, don't run it).
# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this

CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The node's tools (iptables, conntrack, modprobe, ...) are in sbin, which a shell started with a
# minimal PATH (env -i, su without -) lacks: add it rather than call them missing.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" && export PATH ;; esac
# shellcheck source=versions.env
. "$CLUSTER_DIR/versions.env"
export GOTOOLCHAIN

SHAKEDOWN_CACHE="${SHAKEDOWN_CACHE:-$HOME/.cache/shakedown}"
# versions.env without the blocks of its opt-in layers (Istio: test/cluster/istio; kind:
# test/kind): the control plane and the node do not depend on those pins, so bumping them
# rebuilds only that layer.
core_pins() { sed -e '/^# >>> istio/,/^# <<< istio/d' -e '/^# >>> kind/,/^# <<< kind/d' -e '/^# >>> image/,/^# <<< image/d' "$CLUSTER_DIR/versions.env"; }
# The build dir is keyed by the inputs that decide what gets built, so a
# version bump (or build recipe change) never reuses stale binaries.
BUILD_HASH="$({ core_pins; cat "$CLUSTER_DIR/build.sh"; } | sha256sum | cut -c1-12)"
BUILD_DIR="$SHAKEDOWN_CACHE/k8s-$BUILD_HASH"
BIN_DIR="$BUILD_DIR/bin"
STATE_DIR="$SHAKEDOWN_CACHE/local-cluster"
KUBECONFIG_PATH="$STATE_DIR/kubeconfig"
CLUSTER_NAME=shakedown-local
# Service ClusterIPs (kube-apiserver and kube-controller-manager; the node routes them).
SERVICE_CIDR=10.96.0.0/16

# Loopback-only ports, chosen away from defaults to avoid clashing with a real
# etcd/apiserver on a developer's machine (apiserver keeps 6443 as asked).
ETCD_CLIENT_PORT=23791
ETCD_PEER_PORT=23801
APISERVER_PORT=6443
KCM_PORT=10257
SCHED_PORT=10259

COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler)

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }

# wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND... : poll every 0.5 s until the
# command succeeds or the deadline passes (returns 1 then).
wait_for() {
  local what="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${timeout}s waiting for: $what"
      return 1
    fi
    sleep 0.5
  done
}

# pid_alive NAME: the component's recorded pid is a live process.
pid_alive() {
  local f="$STATE_DIR/pids/$1.pid"
  [[ -s "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null
}

# lock_cluster: hold the state dir's lock until the script exits, so up.sh and
# down.sh never interleave. Children inherit the hold (SHAKEDOWN_CLUSTER_LOCKED)
# instead of deadlocking on it (up.sh runs down.sh).
lock_cluster() {
  [[ -n "${SHAKEDOWN_CLUSTER_LOCKED:-}" ]] && return 0
  exec 8>"$STATE_DIR/.lock"
  if ! flock -w 300 8; then die "another up.sh/down.sh has held $STATE_DIR/.lock for 300 s"; fi
  export SHAKEDOWN_CLUSTER_LOCKED=1
}

# Print the tail of every component log (for failure diagnosis).
dump_logs() {
  local n="${1:-40}" c
  for c in "${COMPONENTS[@]}"; do
    local f="$STATE_DIR/logs/$c.log"
    [[ -f "$f" ]] || continue
    printf '\n===== tail -n %s %s =====\n' "$n" "$f" >&2
    tail -n "$n" "$f" >&2
  done
}

# running PID: exists and is not a zombie (an unreaped zombie is already dead;
# kill -0 would still succeed on it).
running() {
  local st
  st="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  st="${st##*) }"
  [[ "${st%% *}" != Z ]]
}

# stop_pids TIMEOUT PID...: SIGTERM, wait until gone, SIGKILL at the deadline,
# then give up (non-zero) if even that did not work within 5 s.
stop_pids() {
  local timeout="$1"; shift
  (($#)) || return 0
  kill -TERM "$@" 2>/dev/null || true
  local deadline=$((SECONDS + timeout)) killed=false p alive
  while :; do
    alive=()
    for p in "$@"; do running "$p" && alive+=("$p"); done
    ((${#alive[@]})) || return 0
    if ((SECONDS >= deadline)); then
      $killed && { log "could not kill: ${alive[*]}"; return 1; }
      log "still running after ${timeout}s, sending SIGKILL: ${alive[*]}"
      kill -KILL "${alive[@]}" 2>/dev/null || true
      killed=true deadline=$((SECONDS + 5))
    fi
    sleep 0.2
  done
}

# k8s_ldflags: -ldflags stamping K8S_VERSION into a Kubernetes binary (so `kubectl version`
# reports v1.34.x, not v0.0.0), shared by the control plane and node builds.
k8s_ldflags() {
  local minor="${K8S_VERSION#v1.}" date pkg flags="-s -w"
  minor="${minor%%.*}"
  date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  echo "$flags"
}

# write_kubeconfig FILE USER CERT: a kubeconfig for the local cluster with the CA and the client
# certificate CERT.crt / CERT.key embedded (CERT is a path without extension), written atomically.
write_kubeconfig() {
  local file="$1" user="$2" cert="$3"
  (
    umask 077
    cat >"$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $CLUSTER_NAME
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 <"$STATE_DIR/pki/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 <"$cert.crt")
    client-key-data: $(base64 -w0 <"$cert.key")
contexts:
- name: $CLUSTER_NAME
  context:
    cluster: $CLUSTER_NAME
    user: $user
current-context: $CLUSTER_NAME
EOF
    mv "$file.tmp" "$file"
  )
}
