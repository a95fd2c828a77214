#!/usr/bin/env bash
# What statefulset-identity checks, as a plain kubectl script: the baseline bench/compare.mjs
# runs beside the harness. For each ordinal: record the pod's UID, IP and claim, write a token to
# its volume, check its DNS record; then delete the pods `batch` at a time, wait for each to come
# back with a new UID and Ready, and check its claim, its token and its DNS record again. Prints
# one line per pod, `recovered <pod> <ms from the delete to Ready>`, and `checks <passed> <failed>`.
#
#   bench/kubectl-check.sh <namespace> <statefulset> <replicas> [batch=1] [log=/dev/null]
#
# Every kubectl call runs with -v=6, its log appended to `log`: one line per API request.
set -u
ns=$1 sts=$2 replicas=$3 batch=${4:-1} log=${5:-/dev/null}
svc="$sts-headless"
k() { kubectl -v=6 -n "$ns" "$@" 2>>"$log"; }
now() { date +%s%3N; }
passed=0 failed=0
check() { if [ "$1" = "$2" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "check failed: $3: expected '$1', got '$2'" >&2; fi; }

declare -A uid ip claim token
for ((o = 0; o < replicas; o++)); do
  pod="$sts-$o"
  read -r uid[$o] ip[$o] < <(k get pod "$pod" -o jsonpath='{.metadata.uid} {.status.podIP}')
  claim[$o]=$(k get pvc "data-$pod" -o jsonpath='{.metadata.uid}')
  token[$o]="kubectl-$RANDOM-$o"
  k exec "$pod" -c web -- sh -c 'echo "$1" > /data/.kubectl-token && sync' token "${token[$o]}" >/dev/null
  resolver="$sts-$(((o + 1) % replicas))"
  got=$(k exec "$resolver" -c web -- nslookup "$pod.$svc.$ns.svc.cluster.local" 2>/dev/null | awk '/^Address/ && !/#53/ {print $NF}' | tail -1)
  check "${ip[$o]}" "$got" "dns before $pod"
done

follow() { # <ordinal> <delete time>: wait for a new UID, then Ready; print the recovery
  local o=$1 t0=$2 pod="$sts-$1" new=""
  while :; do
    new=$(k get pod "$pod" -o jsonpath='{.metadata.uid}' 2>/dev/null)
    [ -n "$new" ] && [ "$new" != "${uid[$o]}" ] && break
    sleep 0.2
  done
  k wait --for=condition=Ready "pod/$pod" --timeout=240s >/dev/null
  echo "recovered $pod $(($(now) - t0))"
}

for ((start = 0; start < replicas; start += batch)); do
  pods=()
  for ((o = start; o < start + batch && o < replicas; o++)); do pods+=("$sts-$o"); done
  t0=$(now)
  k delete pod "${pods[@]}" --wait=false >/dev/null
  for ((o = start; o < start + batch && o < replicas; o++)); do follow "$o" "$t0" & done
  wait
  for ((o = start; o < start + batch && o < replicas; o++)); do
    pod="$sts-$o"
    check "${claim[$o]}" "$(k get pvc "data-$pod" -o jsonpath='{.metadata.uid}')" "claim of $pod"
    check "${token[$o]}" "$(k exec "$pod" -c web -- cat /data/.kubectl-token)" "token of $pod"
    newip=$(k get pod "$pod" -o jsonpath='{.status.podIP}')
    resolver="$sts-$(((o + 1) % replicas))"
    got=""
    for _ in $(seq 1 60); do
      got=$(k exec "$resolver" -c web -- nslookup "$pod.$svc.$ns.svc.cluster.local" 2>/dev/null | awk '/^Address/ && !/#53/ {print $NF}' | tail -1)
      [ "$got" = "$newip" ] && break
      sleep 1
    done
    check "$newip" "$got" "dns after $pod"
  done
done
echo "checks $passed $failed"
