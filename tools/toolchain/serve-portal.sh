#!/usr/bin/env bash
# `nx run portal:serve` (and `npm run portal`): the portal on http://127.0.0.1:7007 (guest sign-in). Starts a real
# Argo CD that syncs hello (libs/cluster's live GitOps loop, on 127.0.0.1; MAYDAY_PORTAL_ARGOCD=off leaves it out,
# e.g. when app-config.local.yaml points at the lab's), builds the frontend when its sources changed, then starts the
# backend, which serves it, and says where to open it and how to sign in once it answers. The template works on
# MAYDAY_REPOSITORY_URL (default: this clone) and publishes as MAYDAY_PUBLISH says (default: branch, i.e. a branch
# mayday/<app> to merge). Ctrl-C stops everything it started.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root/platform/backstage"
say() { printf '\033[36mportal\033[0m %s\n' "$*"; }
url=http://127.0.0.1:7007
if (exec 3<>/dev/tcp/127.0.0.1/7007) 2>/dev/null; then
  echo "portal: 127.0.0.1:7007 is already in use (another portal?): stop it, or set backend.listen.port and backend.baseUrl in platform/backstage/app-config.local.yaml" >&2
  exit 1
fi
run="$(mktemp -d "${TMPDIR:-/tmp}/mayday-portal-XXXXXX")"
backend='' live=''
stop() {
  if [ -n "$backend" ]; then
    kill -TERM -- "-$backend" 2>/dev/null || true
    wait "$backend" 2>/dev/null || true
    backend=''
  fi
  if [ -n "$live" ]; then
    # closing its stdin stops the live GitOps loop: every server it started, then itself
    exec {live_in}>&-
    wait "$live" 2>/dev/null || true
    live=''
  fi
  rm -rf "$run"
}
trap 'stop; exit 130' INT TERM
trap stop EXIT

configs=(--config ../../app-config.yaml)
[ -f app-config.local.yaml ] && configs+=(--config ../../app-config.local.yaml)
if [ "${MAYDAY_PORTAL_ARGOCD:-live}" != off ]; then
  say "starting Argo CD 3.6.1 with hello synced (etcd, kube-apiserver, Argo CD, a git server on 127.0.0.1; 30 to 90 s)"
  mkfifo "$run/live-in"
  node "$root/libs/cluster/src/serve-live-gitops.ts" <"$run/live-in" >"$run/live.json" &
  live=$!
  exec {live_in}>"$run/live-in"
fi
bash "$root/tools/toolchain/build-portal-app.sh"
if [ -n "$live" ]; then
  until [ -s "$run/live.json" ]; do
    kill -0 "$live" 2>/dev/null || { echo "portal: the live Argo CD did not start (above); MAYDAY_PORTAL_ARGOCD=off starts the portal without it" >&2; exit 1; }
    sleep 1
  done
  # the read-only account's token goes to the backend only (a config file of this run, JSON being YAML)
  node -e '
    const { argocd } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const instances = [{ name: "mayday", url: argocd.url, token: argocd.token }];
    require("fs").writeFileSync(process.argv[2], JSON.stringify({ argocd: { appLocatorMethods: [{ type: "config", instances }] } }), { mode: 0o600 });
    const host = argocd.url.replace(/^http:\/\//, "");
    console.log(`\x1b[36mportal\x1b[0m Argo CD: ${argocd.url}, login ${argocd.username} / ${argocd.password} (its API; with the CLI in .tools/bin: argocd login ${host} --plaintext --username ${argocd.username} --password ${argocd.password})`);
  ' "$run/live.json" "$run/app-config.argocd.yaml"
  configs+=(--config "$run/app-config.argocd.yaml")
fi
export MAYDAY_REPOSITORY_URL="${MAYDAY_REPOSITORY_URL:-file://$root}" MAYDAY_PUBLISH="${MAYDAY_PUBLISH:-branch}"
say "starting on $url (templates work on $MAYDAY_REPOSITORY_URL, publish: $MAYDAY_PUBLISH; 20 to 40 s)"
cd packages/backend
# a process group of its own, so stopping it stops backstage-cli's backend process too
setsid node ../../.yarn/releases/yarn-4.13.0.cjs start "${configs[@]}" &
backend=$!
until curl -fsS -o /dev/null "$url/.backstage/health/v1/readiness" 2>/dev/null; do
  kill -0 "$backend" 2>/dev/null || { wait "$backend"; exit $?; }
  sleep 1
done
shown='' && [ -n "$live" ] && shown=" (hello's page shows its Argo CD status)"
say "ready: open $url and press Enter to sign in as guest, then Create → mayday app$shown. Ctrl-C stops it"
wait "$backend"
