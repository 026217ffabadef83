#!/usr/bin/env bash
# `npm run portal`: the portal on http://127.0.0.1:7007 (guest sign-in). Builds the frontend when its sources
# changed, then starts the backend, which serves it. The template works on MAYDAY_REPOSITORY_URL (default: this
# clone) and publishes as MAYDAY_PUBLISH says (default: branch, i.e. a branch mayday/<app> to merge).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root/platform/backstage"
yarn() { node .yarn/releases/yarn-4.13.0.cjs "$@"; }
stamp=packages/app/dist/.mayday-build-stamp
sum="$(find packages/app/src packages/app/public packages/app/package.json yarn.lock -type f -print0 | sort -z | xargs -0 cat | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
  printf '\033[36mportal\033[0m building the frontend (packages/app, about 45 s)\n'
  yarn workspace app build >/dev/null
  echo "$sum" > "$stamp"
fi
export MAYDAY_REPOSITORY_URL="${MAYDAY_REPOSITORY_URL:-file://$root}" MAYDAY_PUBLISH="${MAYDAY_PUBLISH:-branch}"
configs=(--config ../../app-config.yaml)
[ -f app-config.local.yaml ] && configs+=(--config ../../app-config.local.yaml)
printf '\033[36mportal\033[0m starting on http://127.0.0.1:7007 (templates work on %s, publish: %s); Ctrl-C stops it\n' \
  "$MAYDAY_REPOSITORY_URL" "$MAYDAY_PUBLISH"
cd packages/backend
exec node ../../.yarn/releases/yarn-4.13.0.cjs start "${configs[@]}"
