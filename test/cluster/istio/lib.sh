# Shared paths and helpers for test/cluster/istio/*.sh (source it, don't run it).
# The opt-in mesh layer: istiod, pilot-agent and istioctl built from the Go module proxy, upstream
# Envoy from a PyPI wheel, images built here and imported into the node's containerd.
# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this

ISTIO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The node's lib (and through it the control plane's): pins, CTR, BIN_DIR (kubectl), wait_for.
# shellcheck source=../node/lib.sh
. "$ISTIO_DIR/../node/lib.sh"

log() { printf '[istio] %s\n' "$*" >&2; }
die() { printf '[istio] ERROR: %s\n' "$*" >&2; exit 1; }

# versions.env's Istio block, the only pins this layer reads.
istio_pins() { sed -n '/^# >>> istio/,/^# <<< istio/p' "$CLUSTER_DIR/versions.env"; }
# Build dir keyed by those pins and the recipe. Its name matches neither "k8s-*" nor "node-*"
# (the control plane's and node's down.sh stop processes running binaries from those).
ISTIO_BUILD_HASH="$({ istio_pins; cat "$ISTIO_DIR/build.sh" "$NODE_DIR/mkimage.sh"; } | sha256sum | cut -c1-12)"
ISTIO_BUILD_DIR="$SHAKEDOWN_CACHE/istio-$ISTIO_BUILD_HASH"
ISTIO_BIN="$ISTIO_BUILD_DIR/bin"
ISTIO_IMAGES="$ISTIO_BUILD_DIR/images"
ISTIOCTL="$ISTIO_BIN/istioctl"

ISTIO_NAMESPACE=istio-system
PILOT_IMAGE="$ISTIO_HUB/pilot:$ISTIO_TAG"
PROXY_IMAGE="$ISTIO_HUB/proxyv2:$ISTIO_TAG"

# The install, as a user would type it (see README.md for why each setting is there).
ISTIO_INSTALL_SETTINGS=(
  --set profile=minimal
  --set "hub=$ISTIO_HUB" --set "tag=$ISTIO_TAG"
  # The images exist only in the node's containerd: never pull.
  --set values.global.imagePullPolicy=IfNotPresent
  # Upstream Envoy lacks Istio's filters: without these istiod adds the ALPN override and the
  # metadata-exchange filters, which Envoy rejects (NACK) with the whole listener update.
  --set values.pilot.env.PILOT_ENABLE_ALPN_FILTER=false
  --set values.pilot.env.PILOT_ENABLE_METADATA_EXCHANGE=false
  # No telemetry providers (the default `prometheus` provider emits Istio's stats filter).
  --set values.telemetry.enabled=false
  # Nothing leaves the machine: no tracer, and no probing of cloud metadata servers
  # (pilot-agent's platform discovery dials 169.254.169.254 and metadata.google.internal).
  --set meshConfig.enableTracing=false
  --set meshConfig.defaultConfig.proxyMetadata.CLOUD_PLATFORM=none
  --set values.pilot.env.CLOUD_PLATFORM=none
  # A 2-core node shared with other tests: one small istiod, no HPA scaling it out.
  --set values.pilot.autoscaleEnabled=false
  --set values.pilot.resources.requests.cpu=100m
  --set values.pilot.resources.requests.memory=256Mi
  --set values.global.proxy.resources.requests.cpu=10m
  --set values.global.proxy.resources.requests.memory=64Mi
)
