#!/usr/bin/env bash
# Stop the local test node and leave nothing behind: no process (kubelet,
# kube-proxy, containerd, shims, containers), no mount, no pod netns, no
# bridge, no KUBE-*/CNI iptables chain of ours. Imported images stay in the
# containerd root (quick warm up); pod volumes and logs are removed.
#   --purge  also remove the node's whole state dir (images, certs)
#   --all    also stop the control plane (../down.sh) afterwards
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PURGE=false ALL=false
for a in "$@"; do
  case "$a" in
    --purge) PURGE=true ;;
    --all) ALL=true ;;
    *) die "usage: $0 [--purge] [--all]" ;;
  esac
done
[[ $EUID -eq 0 ]] || die "the node needs root to be taken down"
. "$(dirname "${BASH_SOURCE[0]}")/host-settings.sh"

# our_pids: processes of this node, found by executable path or by their
# containerd address argument, never by name alone.
our_pids() {
  local p exe cmd
  for p in /proc/[0-9]*; do
    exe="$(readlink "$p/exe" 2>/dev/null)" || continue
    case "$exe" in
      "$SHAKEDOWN_CACHE"/node-*/bin/*) echo "${p#/proc/}" ;;
      /usr/bin/containerd | /usr/bin/containerd-shim*)
        cmd="$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" || continue
        [[ "$cmd" == *"$NODE_RUN/containerd"* || "$cmd" == *"$NODE_STATE/containerd"* ]] && echo "${p#/proc/}" ;;
    esac
  done
  return 0
}
stop_component() { # NAME TIMEOUT
  local f="$NODE_STATE/pids/$1.pid" pid
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  if [[ -n "$pid" ]] && running "$pid"; then
    log "stopping $1 (pid $pid)"
    stop_pids "$2" "$pid"
  fi
  rm -f "$f"
}

# node_tool NAME: NAME from this build, else from any node build (a version
# bump leaves the running node on an older build dir).
node_tool() {
  local f
  for f in "$NODE_BIN/$1" "$SHAKEDOWN_CACHE"/node-*/bin/"$1"; do
    [[ -x "$f" ]] && { echo "$f"; return 0; }
  done
  return 1
}

# 0. Remove the add-ons (CoreDNS, metrics-server, local-path, StorageClass
#    `standard`) from the API first: nothing is left to surprise tests of a
#    node-less cluster, and once kube-proxy's rules are gone the API server
#    has no APIService left to dial through a ClusterIP.
#    The kubelet still runs here, so the pods stop gracefully and the
#    local-path-storage namespace can finalize (waited for, with a deadline).
KUBECTL=("$BIN_DIR/kubectl" --kubeconfig="$KUBECONFIG_PATH" --request-timeout=10s)
if [[ -x "$BIN_DIR/kubectl" && -s "$KUBECONFIG_PATH" ]] && "${KUBECTL[@]}" get --raw /readyz >/dev/null 2>&1; then
  # The opt-in Istio layer first (its webhooks would otherwise outlive istiod).
  bash "$NODE_DIR/../istio/down.sh" || log "could not remove the Istio layer (istio/down.sh)"
  for m in "$NODE_DIR"/manifests/*.yaml; do
    render "$m" | "${KUBECTL[@]}" delete -f - --ignore-not-found --wait=false >/dev/null 2>&1 \
      || log "could not delete the add-ons of $m"
  done
  ns_gone() { ! "${KUBECTL[@]}" get namespace local-path-storage >/dev/null 2>&1; }
  deadline=$((SECONDS + 60))
  until ns_gone; do
    ((SECONDS < deadline)) || { log "namespace local-path-storage still terminating after 60s; going on"; break; }
    sleep 0.5
  done
fi
# 1. kube-proxy, then its rules.
stop_component kube-proxy 10
if KUBE_PROXY_BIN="$(node_tool kube-proxy)"; then
  "$KUBE_PROXY_BIN" --cleanup --v=0 >/dev/null 2>&1 || log "kube-proxy --cleanup reported errors (chains removed below)"
fi
# 2. kubelet (it would recreate the pods we remove next).
stop_component kubelet 20
# 2b. The Node object (pods bound to it are then garbage-collected by the
#    control plane), when the API server answers.
if [[ -x "$BIN_DIR/kubectl" && -s "$KUBECONFIG_PATH" ]]; then
  "$BIN_DIR/kubectl" --kubeconfig="$KUBECONFIG_PATH" --request-timeout=5s delete node "$NODE_NAME" \
    --ignore-not-found --wait=false >/dev/null 2>&1 || log "could not delete Node $NODE_NAME (API server down?)"
fi
# 3. Every pod through the CRI, so containerd runs CNI DEL (veth, IPAM,
#    portmap rules, netns) and unmounts the rootfs and shm of each.
if [[ -S "$CONTAINERD_SOCK" ]] && CRI_CLEAN="$(node_tool cri-clean)" && ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; then
  "$CRI_CLEAN" -endpoint "unix://$CONTAINERD_SOCK" -timeout 90s >&2 || log "cri-clean reported errors (leftovers removed below)"
  # Containers outside the CRI's view (none expected): kill their tasks.
  for t in $("${CTR[@]}" tasks ls -q 2>/dev/null); do
    "${CTR[@]}" tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
    "${CTR[@]}" tasks delete -f "$t" >/dev/null 2>&1 || true
  done
fi
# 4. containerd, then any shim or container process still around.
stop_component containerd 20
mapfile -t strays < <(our_pids)
if ((${#strays[@]})); then
  log "stopping stray node processes: ${strays[*]}"
  stop_pids 10 "${strays[@]}"
fi
# Container processes whose shim is gone live in our cgroups (kubepods).
for cg in /sys/fs/cgroup/*/kubepods; do
  [[ -d "$cg" ]] || continue
  mapfile -t procs < <(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
  if ((${#procs[@]})); then
    log "killing leftover container processes in $cg: ${procs[*]}"
    kill -KILL "${procs[@]}" 2>/dev/null || true
  fi
done
mapfile -t left < <(our_pids)
((${#left[@]} == 0)) || die "node processes still running: ${left[*]}"
# The kubelet's (now empty) pod cgroups, deepest first.
for cg in /sys/fs/cgroup/*/kubepods; do
  if [[ -d "$cg" ]]; then find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
done

# 5. Mounts under the node's dirs, deepest first.
unmount_under() {
  local dir="$1" mp
  [[ -d "$dir" ]] || return 0
  mapfile -t mps < <(awk '{print $5}' /proc/self/mountinfo | grep -E "^${dir}(/|$)" | awk '{print length, $0}' | sort -rn | cut -d' ' -f2-)
  for mp in "${mps[@]}"; do
    umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || log "could not unmount $mp"
  done
}
unmount_under "$NODE_RUN"
unmount_under "$NODE_STATE"

# 6. Pod network namespaces left by a crashed runtime (ours: eth0 in POD_CIDR).
for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^cni-/ {print $1}'); do
  if ip netns exec "$ns" ip -4 -o addr show dev eth0 2>/dev/null | grep -q " ${POD_CIDR%.*}\."; then
    ip netns delete "$ns" 2>/dev/null || log "could not delete netns $ns"
  fi
done
ip link show "$BRIDGE" >/dev/null 2>&1 && ip link delete "$BRIDGE"   # also drops the ClusterIP route
# Service IPs stay unroutable (never the default route) while the control plane may still dial them.
ip route replace unreachable "$SERVICE_CIDR" 2>/dev/null || true
ip route show type unreachable | grep -q "^unreachable $CLUSTER_CIDR" && ip route delete unreachable "$CLUSTER_CIDR"

# 7. iptables: every KUBE-* chain (kubelet, kube-proxy), our SHAKEDOWN-* chains
#    (API server DNAT), CNI rules carrying
#    our network's name, and the portmap plugin's shared chains once empty.
clean_table() { # CMD TABLE
  local cmd="$1" t="$2" rule chain
  "$cmd" -t "$t" -S >/dev/null 2>&1 || return 0
  # Rules (in any chain) that jump to our chains or carry our CNI comment.
  while IFS= read -r rule; do
    eval "\"$cmd\" -t \"$t\" ${rule/-A /-D }" 2>/dev/null || true
  done < <("$cmd" -t "$t" -S 2>/dev/null | grep -E '^-A ' | grep -E -- '-j (KUBE-|CNI-|SHAKEDOWN-)|name: \\"shakedown\\"' || true)
  # Our chains: flush all, then delete.
  mapfile -t chains < <("$cmd" -t "$t" -S 2>/dev/null | awk '$1 == "-N" {print $2}' | grep -E '^(KUBE-|SHAKEDOWN-)' || true)
  for chain in "${chains[@]}"; do "$cmd" -t "$t" -F "$chain" 2>/dev/null || true; done
  for chain in "${chains[@]}"; do "$cmd" -t "$t" -X "$chain" 2>/dev/null || log "could not delete $t/$chain"; done
  # CNI chains that are now unreferenced and empty (per-pod ones, portmap's).
  mapfile -t chains < <("$cmd" -t "$t" -S 2>/dev/null | awk '$1 == "-N" {print $2}' | grep -E '^CNI-' || true)
  for chain in "${chains[@]}"; do
    if ! "$cmd" -t "$t" -S "$chain" 2>/dev/null | grep -q '^-A'; then
      "$cmd" -t "$t" -X "$chain" 2>/dev/null || true
    fi
  done
}
for cmd in iptables ip6tables; do
  command -v "$cmd" >/dev/null || continue
  for t in filter nat mangle; do clean_table "$cmd" "$t"; done
done
# Say what is left that was not there before the first up (never expected).
mapfile -t added < <(host_rules_added)
if ((${#added[@]})); then
  log "iptables rules left that were not there before cluster:up (not removed):"
  printf '  %s\n' "${added[@]}" >&2
fi
# 7b. Host sysctls and modules back to what they were before the first up
#    (ip_forward, bridge-nf-call-iptables, br_netfilter), after the bridge is gone.
host_restore

# 8. Files: pod logs, kubelet dir, IPAM leases, volumes, container log links.
for l in /var/log/containers/*.log; do
  [[ -L "$l" && "$(readlink "$l")" == "$NODE_STATE"/* ]] && rm -f "$l"
done
if $PURGE; then
  rm -rf "$NODE_STATE" "$NODE_RUN"
  log "node down; purged $NODE_STATE"
else
  rm -rf "$NODE_STATE/kubelet" "$NODE_STATE/pod-logs" "$NODE_STATE/cni/ipam" "$NODE_STATE/local-path" "$NODE_RUN"
  log "node down; images and certificates kept in $NODE_STATE"
fi

if $ALL; then
  bash "$CLUSTER_DIR/down.sh"
fi
