#!/usr/bin/env bash
# `make test-image`, first half: build the real Dockerfile into IMAGE (default localhost/playground:test) with podman,
# from scratch (--no-cache: a broken pip install cannot hide in a cached layer), keeping the HEALTHCHECK
# (--format docker). The base is BASE if set (e.g. BASE=python:3.12-slim where Docker Hub is reachable), else the
# debootstrap base of tests/image/base.sh (root, podman, runc and debootstrap needed). Writes the timings to
# test-artifacts/image-build.json; tests/image/test_image.py reads it and the image.
set -euo pipefail
cd "$(dirname "$0")/../.."
IMAGE=${1:-localhost/playground:test}
tools=(podman runc)
[[ -z ${BASE:-} ]] && tools+=(debootstrap)
missing=()
for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "make test-image needs ${missing[*]}: sudo apt-get install -y podman runc debootstrap" >&2
    exit 1
fi

start=$SECONDS
base=${BASE:-$(bash tests/image/base.sh)}
base_seconds=$((SECONDS - start))

# A proxy in the environment is passed on to the build's RUN steps (pip), as docker build does with these names.
proxy_args=()
for name in HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy; do
    [[ -n ${!name:-} ]] && proxy_args+=(--build-arg "$name=${!name}")
done
previous=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
echo "podman build $IMAGE from $base" >&2
start=$SECONDS
podman build --format docker --isolation=chroot --network=host --no-cache --layers=false \
    --build-arg "BASE=$base" "${proxy_args[@]}" --label "playground.test-base=$base" -t "$IMAGE" . >&2
build_seconds=$((SECONDS - start))
if [[ -n $previous && $previous != $(podman image inspect --format '{{.Id}}' "$IMAGE") ]]; then
    podman rmi "$previous" >/dev/null 2>&1 || true  # the last build's image, now untagged (unless in use)
fi
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
echo "built $IMAGE in $build_seconds s (base: $base_seconds s), $((size / 1000000)) MB" >&2
mkdir -p test-artifacts
printf '{"image": "%s", "base": "%s", "base_seconds": %d, "build_seconds": %d, "size_bytes": %d}\n' \
    "$IMAGE" "$base" "$base_seconds" "$build_seconds" "$size" > test-artifacts/image-build.json
