#!/usr/bin/env bash
# What the kind lab needs beyond setup.sh, for `npm run test:lab` and `nx run platform:up`: kind and kubectl at the
# pinned versions, built into .tools/bin (idempotent: seconds once built), and on a Debian machine without them, as
# root, Debian's docker.io (the engine the lab test starts when none answers) and debootstrap (the Debian base of the
# offline images). platform:up builds the rest (the node image's binaries, the components' images) itself when no
# registry serves the images.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
missing=()
command -v docker >/dev/null && command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "setup-lab: installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for module in kind "kubernetes kubectl"; do
  # shellcheck disable=SC2086 # module and binaries are words
  bash "$root/tools/toolchain/build-go.sh" $module | { grep -v ' up to date' || true; }
done
