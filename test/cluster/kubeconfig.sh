#!/usr/bin/env bash
# Print the local test cluster's admin kubeconfig path (last line of output).
# Exits non-zero (message on stderr) when the cluster was never brought up,
# so `$(bash kubeconfig.sh | tail -1)` under pipefail fails loudly.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -s "$KUBECONFIG_PATH" ]] || die "no kubeconfig at $KUBECONFIG_PATH; run test/cluster/up.sh (npm run cluster:up) first"
pid_alive kube-apiserver || log "warning: kube-apiserver is not running; run test/cluster/up.sh"
echo "$KUBECONFIG_PATH"
