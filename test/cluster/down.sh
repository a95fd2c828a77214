#!/usr/bin/env bash
# Stop the local test control plane and leave no process behind.
# Keeps pki/, kubeconfigs and logs/ (for post-mortems); removes etcd data so
# the next up.sh starts from an empty cluster. --purge removes the whole
# state dir (pki included).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PURGE=false
case "${1:-}" in
  --purge) PURGE=true ;;
  "") ;;
  *) die "usage: $0 [--purge]" ;;
esac

mkdir -p "$STATE_DIR"
lock_cluster

# Pids of any process running a binary from ANY shakedown build dir (also an
# older hash after a version bump), matched on /proc/PID/exe, not by name, so
# an unrelated etcd or kube-apiserver on the machine is never touched.
our_pids() {
  local p exe
  for p in /proc/[0-9]*; do
    exe="$(readlink "$p/exe" 2>/dev/null)" || continue
    [[ "$exe" == "$SHAKEDOWN_CACHE"/k8s-*/bin/* ]] && echo "${p#/proc/}"
  done
  return 0
}

# Clients first, etcd last, so the apiserver doesn't spend its shutdown
# retrying a vanished store.
stopped=0
all_pids=()
for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
  c="${COMPONENTS[i]}"
  f="$STATE_DIR/pids/$c.pid"
  [[ -f "$f" ]] || continue
  pid="$(cat "$f")"
  # Only signal the pid if it still runs one of our binaries (pids get reused).
  if [[ -n "$pid" && "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$SHAKEDOWN_CACHE"/k8s-*/bin/* ]]; then
    log "stopping $c (pid $pid)"
    stop_pids 20 "$pid"
    all_pids+=("$pid")
    stopped=$((stopped + 1))
  fi
  rm -f "$f"
done

# Safety net: strays (lost pid file, crashed up.sh) from any build dir.
mapfile -t strays < <(our_pids)
if ((${#strays[@]})); then
  log "stopping stray processes: ${strays[*]}"
  stop_pids 20 "${strays[@]}"
  all_pids+=("${strays[@]}")
fi
mapfile -t left < <(our_pids)
((${#left[@]} == 0)) || die "processes still running: ${left[*]}"

# Exited components stay zombies until their parent (often pid 1, after the
# calling shell is gone) reaps them; wait briefly so `pgrep` shows nothing
# once down.sh returns. Zombies hold no ports or files, so this isn't fatal.
gone() { local p; for p in "$@"; do [[ -e /proc/$p ]] && return 1; done; return 0; }
if ((${#all_pids[@]})) && ! wait_for "exited components to be reaped" 10 gone "${all_pids[@]}"; then
  log "note: zombie(s) not yet reaped by their parent: ${all_pids[*]}"
fi

# The unreachable route up.sh added for Service IPs (only ours: a node's route is not touched).
ip route show type unreachable 2>/dev/null | grep -q "^unreachable $SERVICE_CIDR" && ip route delete unreachable "$SERVICE_CIDR" 2>/dev/null || true

if $PURGE; then
  rm -rf "$STATE_DIR"
  log "down ($stopped stopped); purged $STATE_DIR"
else
  rm -rf "$STATE_DIR/etcd" "$STATE_DIR/run"
  log "down ($stopped stopped); etcd data removed, pki/kubeconfig/logs kept in $STATE_DIR"
fi
