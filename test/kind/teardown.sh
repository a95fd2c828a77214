#!/usr/bin/env bash
# Stop what setup.sh started: kind clusters on this dockerd (there should be none left), then
# dockerd and its containerd. The data root (with the imported node image) stays, for next time.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if docker_up; then
  for c in $(DOCKER_HOST="$KIND_DOCKER_HOST" "$KIND_BIN/kind" get clusters 2>/dev/null); do
    log "deleting leftover kind cluster $c"
    DOCKER_HOST="$KIND_DOCKER_HOST" PATH="$KIND_SHIM_DIR:$PATH" "$KIND_BIN/kind" delete cluster --name "$c" || true
  done
fi
if [[ -f "$DOCKER_PIDFILE" ]]; then
  pid="$(cat "$DOCKER_PIDFILE")"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping dockerd ($pid)"
    kill "$pid"
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
fi
log "dockerd stopped"
