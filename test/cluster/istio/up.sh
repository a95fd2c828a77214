#!/usr/bin/env bash
# Install Istio on the local test cluster the way a user does (`istioctl install`), from images
# built here (build.sh) and imported into the node's containerd, never pulled. Brings the base
# cluster up first (node/up.sh, idempotent) unless node/up.sh is the caller (SHAKEDOWN_ISTIO=1).
# Idempotent: when istiod already runs this build with these settings it only checks readiness.
# Removed by node/down.sh (hence `npm run cluster:down`) through down.sh.
# Last line of output: the admin kubeconfig path.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$SECONDS
step() { log "[$((SECONDS - T0))s] $*"; }
[[ $EUID -eq 0 ]] || die "the Istio layer needs root (it imports images into the node's containerd)"

if [[ -n "${SHAKEDOWN_ISTIO_FROM_NODE_UP:-}" ]]; then
  KUBECONFIG_FILE="$KUBECONFIG_PATH"
else
  KUBECONFIG_FILE="$(SHAKEDOWN_ISTIO='' bash "$NODE_DIR/up.sh" | tail -n 1)"   # the layer is added below
fi
KUBECTL=("$BIN_DIR/kubectl" --kubeconfig="$KUBECONFIG_FILE" --request-timeout=10s)
"${KUBECTL[@]}" get node "$NODE_NAME" >/dev/null || die "node $NODE_NAME is not registered; run npm run cluster:up"

ISTIO_BUILD_DIR="$(bash "$ISTIO_DIR/build.sh" | tail -n 1)"
step "build ready: $ISTIO_BUILD_DIR"

for pair in "pilot $PILOT_IMAGE" "proxyv2 $PROXY_IMAGE"; do
  file="$ISTIO_IMAGES/${pair%% *}.tar" ref="${pair#* }"
  imported "$ref" "$file" && continue
  "${CTR[@]}" images import "$file" >/dev/null || die "ctr images import $file"
  imported "$ref" "$file" || die "image $ref missing after import of $file"
  step "imported $ref"
done

# The install is recorded on the namespace: this build and these settings.
MARK="$({ echo "$ISTIO_BUILD_HASH"; printf '%s\n' "${ISTIO_INSTALL_SETTINGS[@]}"; } | sha256sum | cut -c1-12)"
installed_mark() {
  "${KUBECTL[@]}" get namespace "$ISTIO_NAMESPACE" -o jsonpath='{.metadata.annotations.shakedown\.io/istio-install}' 2>/dev/null
}
istiod_ready() {
  [[ "$("${KUBECTL[@]}" -n "$ISTIO_NAMESPACE" get deployment istiod \
    -o jsonpath='{.status.readyReplicas}/{.spec.replicas}' 2>/dev/null)" == 1/1 ]]
}
# The injector answers only once istiod has put its CA into the webhook configuration.
injector_ready() {
  [[ -n "$("${KUBECTL[@]}" get mutatingwebhookconfiguration istio-sidecar-injector \
    -o jsonpath='{.webhooks[0].clientConfig.caBundle}' 2>/dev/null)" ]]
}

if [[ "$(installed_mark)" == "$MARK" ]] && istiod_ready && injector_ready; then
  step "Istio already installed ($PILOT_IMAGE, settings $MARK) and istiod Ready"
else
  t=$SECONDS
  step "istioctl install ${ISTIO_INSTALL_SETTINGS[*]}"
  timeout 600 "$ISTIOCTL" --kubeconfig "$KUBECONFIG_FILE" install -y "${ISTIO_INSTALL_SETTINGS[@]}" --readiness-timeout 5m >&2 \
    || die "istioctl install failed"
  "${KUBECTL[@]}" -n "$ISTIO_NAMESPACE" rollout status deployment/istiod --timeout=180s >&2 \
    || die "istiod did not become Ready"
  wait_for "the sidecar injector's CA bundle" 60 injector_ready || die "istiod did not patch the injector webhook"
  "${KUBECTL[@]}" annotate namespace "$ISTIO_NAMESPACE" --overwrite "shakedown.io/istio-install=$MARK" >/dev/null
  step "Istio installed and istiod Ready in $((SECONDS - t))s"
fi
echo "$KUBECONFIG_FILE"
