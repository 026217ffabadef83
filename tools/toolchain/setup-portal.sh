#!/usr/bin/env bash
# Installs the portal (platform/backstage): its own package.json and yarn.lock, with the Yarn 4 the app pins
# (.yarn/releases, yarnPath), exactly as locked (`yarn install --immutable`), apart from the core install.
# Idempotent: skipped while the manifests and the lockfile are those of the last install (a stamp).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
portal="$root/platform/backstage"
quiet=false
[ "${1:-}" = "--quiet" ] && quiet=true
say() { $quiet || printf '\033[36msetup\033[0m %s\n' "$*"; }
cd "$portal"
stamp=node_modules/.mayday-portal-stamp
sum="$(cat package.json packages/*/package.json plugins/*/package.json yarn.lock .yarnrc.yml | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
  say "portal packages up to date"
  exit 0
fi
say "installing the portal's packages (yarn install --immutable in platform/backstage; a few minutes the first time)"
# Yarn reads the registry npm uses; native modules build against the headers of the Node that runs them.
YARN_NPM_REGISTRY_SERVER="$(npm config get registry)"
export YARN_NPM_REGISTRY_SERVER YARN_ENABLE_TELEMETRY=0 YARN_ENABLE_PROGRESS_BARS=0
node_dir="$(dirname "$(dirname "$(command -v node)")")"
[ -d "$node_dir/include/node" ] && export npm_config_nodedir="$node_dir"
log="$(mktemp)"
if ! node .yarn/releases/yarn-4.13.0.cjs install --immutable >"$log" 2>&1; then
  grep -E 'YN0028|YN0001|YN0009|YN0082|Error' "$log" >&2 || tail -20 "$log" >&2
  rm -f "$log"
  printf '\033[31msetup error\033[0m the portal install failed (above). If a package.json under platform/backstage changed, run yarn install there and commit yarn.lock.\n' >&2
  exit 1
fi
rm -f "$log"
echo "$sum" > "$stamp"
