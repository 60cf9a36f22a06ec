#!/usr/bin/env bash
# The image's base, made locally because Docker Hub is out of reach: Debian bookworm (minbase) with Python 3,
# venv and pip, shaped like python:3.12-slim (`python`, pip usable, no apt caches, docs or locales), plus this
# machine's CA bundle and a pip.conf naming it, because package downloads may pass a TLS proxy with its own
# certificate. Prints the image's name on stdout.
#
# Cached in podman's storage under a tag keyed by this script and the CA bundle: changing the suite, the package
# list or any step below makes a new key, so a stale base cannot stand in for a broken step.
# PLAYGROUND_BASE_REBUILD=1 builds it afresh anyway.
set -euo pipefail
SUITE=bookworm
PACKAGES=python3,python3-venv,python3-pip,ca-certificates
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CA=/etc/ssl/certs/ca-certificates.crt

key=$(cat "$0" "$CA" | sha256sum | cut -c1-12)
tag=localhost/playground-base:$key
if [[ -z ${PLAYGROUND_BASE_REBUILD:-} ]] && podman image exists "$tag"; then
    echo "base image $tag (cached; PLAYGROUND_BASE_REBUILD=1 to rebuild)" >&2
    echo "$tag"
    exit 0
fi

start=$SECONDS
root=$(mktemp -d /var/tmp/playground-rootfs.XXXXXX)
cleanup() {
    # debootstrap mounts /proc and /sys (and may bind /dev) inside the root while it works: a failed run can leave
    # them mounted, and rm must not descend into the host's filesystems.
    grep -o " $root/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT
echo "debootstrap $SUITE ($PACKAGES) from $MIRROR" >&2
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$MIRROR" >&2
ln -s python3 "$root/usr/bin/python"
rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED
cp "$CA" "$root/etc/ssl/certs/ca-certificates.crt"
printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > "$root/etc/pip.conf"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
    "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
previous=$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
tar -C "$root" -c . | podman import --change 'ENV=LANG=C.UTF-8' --change 'CMD=["python3"]' - "$tag" >&2
# Older bases (other keys, or this key's last build) would only take space; one still in use stays.
{ podman images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/playground-base:' | grep -vx "$tag"
  [[ -n $previous ]] && echo "$previous"; } | xargs -r podman rmi >/dev/null 2>&1 || true
echo "base image $tag built in $((SECONDS - start)) s" >&2
echo "$tag"
