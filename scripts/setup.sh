#!/usr/bin/env bash
# Installs what Dispatch needs on a fresh Debian machine, skipping whatever is already there:
#   --browser  Debian's chromium (for the browser tests)
#   --system   also nginx and redis-server (for the scale-out/compose-like local setups)
# Always: Node dependencies (npm ci) and the FerretDB binary (scripts/db.sh install).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

want_browser=0
want_system=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    --system) want_system=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

apt_packages=()
command -v go >/dev/null || { echo "setup.sh: Go 1.24+ is required to build FerretDB (https://go.dev/doc/install)" >&2; exit 1; }
command -v node >/dev/null || apt_packages+=(nodejs npm)
[ "$want_browser" = 1 ] && { command -v chromium >/dev/null || apt_packages+=(chromium fonts-dejavu-core); }
[ "$want_system" = 1 ] && { command -v nginx >/dev/null || apt_packages+=(nginx); command -v redis-server >/dev/null || apt_packages+=(redis-server); }

if [ "${#apt_packages[@]}" -gt 0 ]; then
  echo "setup.sh: installing ${apt_packages[*]}" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "setup.sh: Node 20.19+ is required (found $(node --version))" >&2; exit 1
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup.sh: installing Node dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

bash scripts/db.sh install
