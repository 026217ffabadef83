#!/usr/bin/env bash
# Runs a command with mayday's toolchain first on PATH (the private Node and Helm that setup.sh installed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=env.sh
source "$root/tools/toolchain/env.sh"
exec "$@"
