#!/usr/bin/env bash
# Provisions what the live view's tests drive (root, Debian): the system's chromium, which
# puppeteer-core starts headless (no browser download), and tmux, which captures the terminal
# view. Installs only what is missing; .ci/run calls it before the tiers run. Those tests fail,
# never skip, when either is missing.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
if ((${#missing[@]} == 0)); then
  echo "live-view test tools present: $(command -v chromium) $(command -v tmux)"
  exit 0
fi
echo "installing ${missing[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" || { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
command -v chromium && command -v tmux
