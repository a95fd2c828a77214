#!/usr/bin/env bash
# Remove Istio from the local test cluster's API: control plane, webhooks, CRDs (and with them
# every PeerAuthentication), and the istio-system namespace. node/down.sh runs it first, while
# the kubelet still stops pods gracefully. istiod and the sidecars are pods, so no process of
# theirs outlives the node's down.sh; istio-init's iptables rules live in pod network
# namespaces only, which go with the pods. Imported images stay, like the node's.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KUBECTL=("$BIN_DIR/kubectl" --kubeconfig="$KUBECONFIG_PATH" --request-timeout=10s)
if [[ ! -x "$BIN_DIR/kubectl" || ! -s "$KUBECONFIG_PATH" ]] || ! "${KUBECTL[@]}" get --raw /readyz >/dev/null 2>&1; then
  log "API server not reachable; nothing to remove"
  exit 0
fi
crds() { "${KUBECTL[@]}" get crd -o name 2>/dev/null | grep '\.istio\.io$' || true; }
if ! "${KUBECTL[@]}" get namespace "$ISTIO_NAMESPACE" >/dev/null 2>&1 && [[ -z "$(crds)" ]]; then
  exit 0
fi

# istioctl knows every object its install made; without a build, delete them by kind and name.
if [[ -x "$ISTIOCTL" ]]; then
  timeout 120 "$ISTIOCTL" --kubeconfig "$KUBECONFIG_PATH" uninstall --purge -y >/dev/null 2>&1 || log "istioctl uninstall reported errors (removing the rest by name)"
fi
mapfile -t hooks < <("${KUBECTL[@]}" get mutatingwebhookconfiguration,validatingwebhookconfiguration -o name 2>/dev/null | grep -E '/istio' || true)
((${#hooks[@]} == 0)) || "${KUBECTL[@]}" delete "${hooks[@]}" --ignore-not-found >/dev/null
mapfile -t left < <(crds)
((${#left[@]} == 0)) || "${KUBECTL[@]}" delete "${left[@]}" --ignore-not-found --wait=false >/dev/null
"${KUBECTL[@]}" delete namespace "$ISTIO_NAMESPACE" --ignore-not-found --wait=false >/dev/null
ns_gone() { ! "${KUBECTL[@]}" get namespace "$ISTIO_NAMESPACE" >/dev/null 2>&1; }
wait_for "namespace $ISTIO_NAMESPACE to be deleted" 60 ns_gone || log "namespace $ISTIO_NAMESPACE still terminating after 60s; going on"
log "Istio removed from the API"
