#!/usr/bin/env bash
# Prints the version of the Helm mayday renders with (the same lookup as libs/render resolveHelm).
# Nx hashes this output into the render and lint targets, so another Helm never reuses a cached render.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
helm="${MAYDAY_HELM:-}"
[ -z "$helm" ] && [ -x "$root/.tools/bin/helm" ] && helm="$root/.tools/bin/helm"
"${helm:-helm}" version --short 2>/dev/null || echo "helm-missing"
