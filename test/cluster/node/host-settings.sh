# Host settings the node changes, recorded before the first change and put back by down.sh, so
# `cluster:down` leaves the host as `cluster:up` found it. Sourced by up.sh and down.sh.
#   HOST_SAVED   the record (in the node's state dir); SYSCTL_ROOT is /proc/sys (tests point it elsewhere)
# The record is written once: a second `up` without a `down` keeps the values from before the
# first, not the node's own.
HOST_SAVED="${HOST_SAVED:-$NODE_STATE/host-settings.saved}"
SYSCTL_ROOT="${SYSCTL_ROOT:-/proc/sys}"

sysctl_path() { echo "$SYSCTL_ROOT/${1//.//}"; }

# host_set_sysctl KEY VALUE: record KEY's current value (once), then set it.
host_set_sysctl() {
  local key="$1" value="$2" path
  path="$(sysctl_path "$key")"
  [[ -e "$path" ]] || { log "no sysctl $key on this host; not set"; return 0; }
  mkdir -p "$(dirname "$HOST_SAVED")"
  grep -q "^sysctl $key " "$HOST_SAVED" 2>/dev/null || printf 'sysctl %s %s\n' "$key" "$(cat "$path")" >>"$HOST_SAVED"
  echo "$value" >"$path"
}

# host_record_sysctl KEY...: record current values (once) of sysctls that a component started
# next sets by itself (kubelet's kernel tunables, kube-proxy's route_localnet).
host_record_sysctl() {
  local key path
  mkdir -p "$(dirname "$HOST_SAVED")"
  for key in "$@"; do
    path="$(sysctl_path "$key")"
    [[ -e "$path" ]] || continue
    grep -q "^sysctl $key " "$HOST_SAVED" 2>/dev/null || printf 'sysctl %s %s\n' "$key" "$(cat "$path")" >>"$HOST_SAVED"
  done
}

# host_load_module NAME: load a kernel module, recording that the node loaded it (if it did).
host_load_module() {
  local name="$1"
  [[ -d "/sys/module/$name" ]] && return 0
  modprobe "$name" 2>/dev/null || { log "could not load module $name"; return 0; }
  grep -q "^module $name\$" "$HOST_SAVED" 2>/dev/null || echo "module $name" >>"$HOST_SAVED"
}

# host_restore: put back every recorded sysctl (values as they were before the first up) and
# unload the modules the node loaded; then forget the record.
host_restore() {
  [[ -f "$HOST_SAVED" ]] || return 0
  local kind key value path
  # Modules after sysctls: a module's sysctls vanish with it.
  while read -r kind key value; do
    [[ "$kind" == sysctl ]] || continue
    path="$(sysctl_path "$key")"
    if [[ -e "$path" ]]; then
      echo "$value" >"$path" 2>/dev/null || log "could not restore $key=$value"
    fi
  done <"$HOST_SAVED"
  while read -r kind key value; do
    [[ "$kind" == module ]] || continue
    modprobe -r "$key" 2>/dev/null || log "module $key is in use; left loaded"
  done <"$HOST_SAVED"
  rm -f "$HOST_SAVED"
}

# The host's iptables rules before the first up (once, like the sysctls), to say on down what
# the node left behind that cleanup did not remove. Only compared, never restored: other
# software (docker) may have changed the rules since.
HOST_RULES_BEFORE="${HOST_RULES_BEFORE:-$NODE_STATE/host-iptables.before}"
iptables_rules() {
  local cmd t
  for cmd in iptables ip6tables; do
    command -v "$cmd" >/dev/null || continue
    for t in filter nat mangle raw; do "$cmd" -t "$t" -S 2>/dev/null | sed -n "s/^-A /$cmd -t $t -A /p"; done
  done | sort
}
host_snapshot_rules() {
  [[ -f "$HOST_RULES_BEFORE" ]] && return 0
  mkdir -p "$(dirname "$HOST_RULES_BEFORE")"
  iptables_rules >"$HOST_RULES_BEFORE"
}
# host_rules_added: rules present now that were not there before the first up; forgets the snapshot.
host_rules_added() {
  [[ -f "$HOST_RULES_BEFORE" ]] || return 0
  iptables_rules | comm -13 "$HOST_RULES_BEFORE" -
  rm -f "$HOST_RULES_BEFORE"
}
