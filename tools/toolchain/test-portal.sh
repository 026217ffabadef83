#!/usr/bin/env bash
# The portal's suite (platform/backstage): its type check, then its Jest tests with Backstage's own test
# utilities: the mayday actions, the template as a real task in a real backend against a git remote, the catalog,
# and the browser test (Debian's chromium). Run by `npm run test:portal` and .ci/run, after `npm test`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root/platform/backstage"
yarn() { node .yarn/releases/yarn-4.13.0.cjs "$@"; }
# On CI's fresh clone the setup has just installed the portal: its lockfile must be as committed (issue: a clean tree).
if [ -n "${CI:-}" ] && [ -n "$(git status --porcelain -- .)" ]; then
  git status --porcelain -- . >&2
  echo "the portal install changed files under platform/backstage (above): run yarn install there and commit" >&2
  exit 1
fi
yarn tsc
# the browser test: Debian's chromium (installed here when missing, as root), the built frontend
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    printf '\033[36mportal\033[0m installing Debian'"'"'s chromium for the browser test\n'
    apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
  else
    echo "the browser test needs chromium (Debian/Ubuntu: sudo apt-get install chromium), or CHROMIUM_PATH" >&2
    exit 1
  fi
fi
bash "$root/tools/toolchain/build-portal-app.sh"
# CI=true: backstage-cli runs Jest once instead of watching
CI=true yarn backstage-cli repo test --reporters=default --reporters="$root/tools/toolchain/jest-summary-reporter.js" "$@"
