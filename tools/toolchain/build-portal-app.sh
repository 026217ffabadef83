#!/usr/bin/env bash
# Builds the portal's frontend (platform/backstage/packages/app/dist, which the backend serves) when its sources,
# its packages or the lockfile changed since the last build (a stamp); about 45 s, nothing once built.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../platform/backstage"
stamp=packages/app/dist/.mayday-build-stamp
sum="$(find packages/app/src packages/app/public packages/app/package.json yarn.lock app-config.yaml -type f -print0 | sort -z | xargs -0 cat | sha256sum | cut -d' ' -f1)"
[ "$(cat "$stamp" 2>/dev/null)" = "$sum" ] && exit 0
printf '\033[36mportal\033[0m building the frontend (packages/app, about 45 s)\n'
node .yarn/releases/yarn-4.13.0.cjs workspace app build >/dev/null
echo "$sum" > "$stamp"
