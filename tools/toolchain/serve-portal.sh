#!/usr/bin/env bash
# `npm run portal`: the portal on http://127.0.0.1:7007 (guest sign-in). Builds the frontend when its sources
# changed, then starts the backend, which serves it. The template works on MAYDAY_REPOSITORY_URL (default: this
# clone) and publishes as MAYDAY_PUBLISH says (default: branch, i.e. a branch mayday/<app> to merge).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root/platform/backstage"
bash "$root/tools/toolchain/build-portal-app.sh"
export MAYDAY_REPOSITORY_URL="${MAYDAY_REPOSITORY_URL:-file://$root}" MAYDAY_PUBLISH="${MAYDAY_PUBLISH:-branch}"
configs=(--config ../../app-config.yaml)
[ -f app-config.local.yaml ] && configs+=(--config ../../app-config.local.yaml)
printf '\033[36mportal\033[0m starting on http://127.0.0.1:7007 (templates work on %s, publish: %s); Ctrl-C stops it\n' \
  "$MAYDAY_REPOSITORY_URL" "$MAYDAY_PUBLISH"
cd packages/backend
exec node ../../.yarn/releases/yarn-4.13.0.cjs start "${configs[@]}"
