#!/usr/bin/env bash
# Builds pinned Go programs into .tools/bin from a module of tools/toolchain/go/<module>/ (go.mod + go.sum pin the
# versions and checksums; `binaries` says what to build), or from mayday's own Go module at a path of the repository
# (libs/render/engine). Idempotent: a stamp of go.mod, go.sum, `binaries`, the module's own .go files and the Go
# toolchain skips the build when nothing changed, so a second run takes well under a second.
#   build-go.sh <module|path> [binary...]     (default: every binary the module lists)
# Cold builds are CPU-heavy: builds of different modules take turns (a lock), never run at once.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
module="${1:?usage: build-go.sh <module> [binary...]}"
shift
case "$module" in
  */*) dir="$root/$module" ;;
  *) dir="$root/tools/toolchain/go/$module" ;;
esac
[ -f "$dir/go.mod" ] || { echo "build-go: no module at ${dir#"$root"/} (go.mod missing)" >&2; exit 2; }
command -v go >/dev/null || { echo "build-go: Go is required to build $module: install Go 1.26+ (https://go.dev/dl/)" >&2; exit 1; }
bin="$root/.tools/bin"
stamps="$root/.tools/stamps"
mkdir -p "$bin" "$stamps"

mapfile -t entries < <(grep -vE '^\s*(#|$|version:|ldflags:)' "$dir/binaries")
version_of="$(sed -nE 's/^version: *//p' "$dir/binaries")"
ldflags_tpl="$(sed -nE 's/^ldflags: *//p' "$dir/binaries")"
wanted=("$@")
selected=()
for entry in "${entries[@]}"; do
  name="${entry%% *}"
  if [ ${#wanted[@]} -eq 0 ] || [[ " ${wanted[*]} " == *" $name "* ]]; then selected+=("$entry"); fi
done
[ ${#selected[@]} -gt 0 ] || { echo "build-go: $module builds none of: ${wanted[*]} (see $dir/binaries)" >&2; exit 2; }

# A module that needs a newer Go names it (`toolchain go1.27.3`); Go fetches that toolchain from the module proxy.
pinned_toolchain="$(sed -nE 's/^toolchain +(go[0-9.]+)$/\1/p' "$dir/go.mod")"
[ -n "$pinned_toolchain" ] && export GOTOOLCHAIN="$pinned_toolchain"
toolchain="$(cd "$dir" && go env GOVERSION)"
mapfile -t sources < <(cd "$dir" && find . -name '*.go' | LC_ALL=C sort)
sum="$(cd "$dir" && cat go.mod go.sum binaries "${sources[@]}" | sha256sum | cut -c1-16)-$toolchain"
todo=()
for entry in "${selected[@]}"; do
  name="${entry%% *}"
  if [ -x "$bin/$name" ] && [ "$(cat "$stamps/$name" 2>/dev/null)" = "$sum" ]; then continue; fi
  todo+=("$entry")
done
if [ ${#todo[@]} -eq 0 ]; then
  echo "build-go: $module up to date (${selected[*]%% *})"
  exit 0
fi

exec 9>"${TMPDIR:-/tmp}/mayday-go-build.lock"
flock 9
cd "$dir"
version="$( [ -n "$version_of" ] && go list -m -f '{{.Version}}' "$version_of" || true)"
# @VERSION@ is the module's version (v3.6.1), @VERSION_NUMBER@ the same without its v (Argo CD adds its own)
ldflags="${ldflags_tpl//@VERSION@/$version}"
ldflags="-s -w ${ldflags//@VERSION_NUMBER@/${version#v}}"
for entry in "${todo[@]}"; do
  name="${entry%% *}"
  pkg="${entry#* }"
  start=$SECONDS
  echo "build-go: building $name ($pkg $version, $toolchain)"
  CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$bin/$name.partial" "$pkg"
  mv "$bin/$name.partial" "$bin/$name"
  echo "$sum" > "$stamps/$name"
  echo "build-go: $name built in $((SECONDS - start)) s"
done
