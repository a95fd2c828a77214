#!/usr/bin/env bash
# Build kind and actionlint from the Go module proxy into a cache dir keyed by their pins
# (idempotent; instant when warm). Last line of output: the bin dir.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ -x "$KIND_BIN/kind" && -x "$KIND_BIN/actionlint" ]]; then echo "$KIND_BIN"; exit 0; fi
command -v go >/dev/null || die "go not found on PATH"
mkdir -p "$KIND_BIN"
exec 9>"$KIND_TOOLS_DIR/.lock"
flock 9
export CGO_ENABLED=0 GOTOOLCHAIN GOFLAGS=
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"
T0=$SECONDS
if [[ ! -x "$KIND_BIN/kind" ]]; then
  log "building kind $KIND_VERSION (sigs.k8s.io/kind) ..."
  GOBIN="$KIND_BIN" go install -trimpath "sigs.k8s.io/kind@$KIND_VERSION"
fi
if [[ ! -x "$KIND_BIN/actionlint" ]]; then
  log "building actionlint $ACTIONLINT_VERSION ..."
  GOBIN="$KIND_BIN" go install -trimpath \
    -ldflags "-s -w -X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" \
    "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi
[[ "$("$KIND_BIN/kind" version)" == *"$KIND_VERSION"* ]] || die "kind does not report $KIND_VERSION"
log "tools ready in $((SECONDS - T0))s: $KIND_BIN"
echo "$KIND_BIN"
