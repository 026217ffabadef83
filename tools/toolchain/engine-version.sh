#!/usr/bin/env bash
# Prints the version of the render engine mayday renders with (the same lookup as libs/render resolveEngine): the
# Helm module it was built with and its Go. Nx hashes this output into the render and lint targets, so a render
# cached by another engine or Helm is never reused.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
engine="${MAYDAY_ENGINE:-}"
[ -z "$engine" ] && [ -x "$root/.tools/bin/mayday-engine" ] && engine="$root/.tools/bin/mayday-engine"
"${engine:-mayday-engine}" --version 2>/dev/null || echo "engine-missing"
