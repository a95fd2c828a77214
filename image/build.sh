#!/usr/bin/env bash
# Builds the harness image from this checkout (see the Dockerfile beside the repo root):
#   image/build.sh [--base REF] [--tag REF] [--label KEY=VALUE]... [--docker CMD]
# 1. `npm pack` (which builds dist/), 2. installs the packed package with its production
# dependencies into a build context (npm's registry or cache, on this machine, not in the build),
# 3. `docker build` with BASE=<--base>. Prints the image reference on its last line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(node -p "require('$root/package.json').version")"
base=node:24-bookworm-slim
tag="shakedown:$version"
docker=(docker)
labels=()
usage() { echo "usage: image/build.sh [--base REF] [--tag REF] [--label KEY=VALUE]... [--docker CMD]" >&2; exit 2; }
while (($#)); do
  case "$1" in
    --base) [[ $# -ge 2 && -n "$2" ]] || usage; base="$2"; shift 2 ;;
    --tag) [[ $# -ge 2 && -n "$2" ]] || usage; tag="$2"; shift 2 ;;
    --docker) [[ $# -ge 2 && -n "$2" ]] || usage; read -r -a docker <<<"$2"; shift 2 ;;
    --label) [[ $# -ge 2 && "$2" == ?*=* ]] || usage; labels+=(--label "$2"); shift 2 ;;
    -h | --help) usage ;;
    *) echo "image/build.sh: unknown argument $1" >&2; usage ;;
  esac
done
command -v "${docker[0]}" >/dev/null || { echo "image/build.sh: ${docker[0]} is not on PATH" >&2; exit 2; }

ctx="$(mktemp -d "${TMPDIR:-/tmp}/shakedown-image.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
say() { printf '[image] %s\n' "$*" >&2; }

say "packing shakedown $version"
tgz="$(cd "$root" && npm pack --silent --pack-destination "$ctx" | tail -n 1)"
say "installing $tgz with its production dependencies into the build context"
mkdir -p "$ctx/app"
(cd "$ctx/app" && npm install --silent --omit=dev --no-audit --no-fund --no-save --ignore-scripts "$ctx/$tgz" >/dev/null)
# The installed tree only: no tarball, no lockfile churn in the image.
cp "$root/Dockerfile" "$ctx/Dockerfile"
rm -f "$ctx/$tgz"
say "docker build --build-arg BASE=$base -t $tag"
# The classic builder: the Dockerfile needs nothing BuildKit adds, and some hosts lack buildx.
DOCKER_BUILDKIT=0 "${docker[@]}" build -q --build-arg "BASE=$base" "${labels[@]}" -t "$tag" "$ctx" >/dev/null
say "built $tag"
echo "$tag"
