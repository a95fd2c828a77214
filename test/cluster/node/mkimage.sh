#!/usr/bin/env bash
# mkimage.sh REF ROOTFS_DIR OUT_TAR [ENTRYPOINT_JSON] [CMD_JSON] [USER]
# Write a single-layer OCI image archive (oci-layout + index.json + blobs) from
# a directory, without a registry or a container engine, for
# `ctr -n k8s.io images import OUT_TAR`. REF is the full reference the image is
# stored under (e.g. registry.k8s.io/pause:3.10). Reproducible: fixed mtimes,
# sorted entries, numeric root ownership.
set -euo pipefail
ref="$1" rootfs="$2" out="$3"
entrypoint="${4:-null}" cmd="${5:-null}" user="${6:-}"
[[ -d "$rootfs" ]] || { echo "mkimage: no rootfs dir $rootfs" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/blobs/sha256"

blob() { # blob FILE -> prints digest hex, moves FILE into blobs/
  local d; d="$(sha256sum "$1" | cut -d' ' -f1)"
  mv "$1" "$work/blobs/sha256/$d"; echo "$d"
}
size() { stat -c %s "$work/blobs/sha256/$1"; }

tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$rootfs" -cf "$work/layer.tar" .
layer="$(blob "$work/layer.tar")"

printf '{"created":"1970-01-01T00:00:00Z","architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Entrypoint":%s,"Cmd":%s,"User":"%s","WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"test/cluster/node/mkimage.sh"}]}' \
  "$entrypoint" "$cmd" "$user" "$layer" >"$work/config.json"
config="$(blob "$work/config.json")"

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
  "$config" "$(size "$config")" "$layer" "$(size "$layer")" >"$work/manifest.json"
manifest="$(blob "$work/manifest.json")"

printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
  "$manifest" "$(size "$manifest")" "$ref" "${ref##*:}" >"$work/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"

mkdir -p "$(dirname "$out")"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work" -cf "$out.tmp" oci-layout index.json blobs
mv "$out.tmp" "$out"
