#!/usr/bin/env bash
# What a team without mayday would script: the same `helm template` calls, one after the other,
# each app and env written to a file. Usage: naive-loop.sh <out-dir> <env>|<kube-version>|<namespace-rule>|<platform-json> ...
set -euo pipefail
out="$1"; shift
helm="${MAYDAY_HELM:-$PWD/.tools/bin/helm}"
[ -x "$helm" ] || helm=helm
for values in apps/*/values.yaml; do
  app="$(basename "$(dirname "$values")")"
  for spec in "$@"; do
    IFS='|' read -r env kube rule platform <<<"$spec"
    ns="${rule//\{app\}/$app}"; ns="${ns//\{env\}/$env}"
    files=(--values "$PWD/apps/$app/values.yaml")
    [ -f "apps/$app/values-$env.yaml" ] && files+=(--values "$PWD/apps/$app/values-$env.yaml")
    mkdir -p "$out/$env"
    "$helm" template "$app" "$PWD/platform/charts/app" --namespace "$ns" --kube-version "$kube" "${files[@]}" \
      --set-json "platform=$platform" >"$out/$env/$app.yaml"
  done
done
