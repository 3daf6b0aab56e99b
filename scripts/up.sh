#!/usr/bin/env bash
# Brings the whole system up on local defaults: installs what is missing, builds, starts the
# database (FerretDB unless MONGODB_URI is set), seeds the demo catalog and accounts, then runs
# the sync-server and the web app in the foreground.
#
# Ctrl-C, or SIGINT/SIGTERM to this script's pid (also when it runs in the background, as in
# `bash scripts/up.sh &`), stops everything it started: the sync-server, the web app and the
# database. If the sync-server or the web app exits by itself, the script says which one and
# with what status, stops the rest the same way and exits with status 1.
#
# Environment: PORT, SYNC_PORT, HOST, SYNC_HOST, ORIGIN, ALLOWED_ORIGINS, ADMIN_EMAIL,
# ADMIN_PASSWORD, SYNC_SECRET, MONGODB_URI (an external database: none is started), DB_PORT and
# DB_DIR (where scripts/db.sh runs FerretDB), and
#   UP_SKIP_BUILD=1  neither run scripts/setup.sh nor build: use what is installed and what
#                    build/ and build-sync/ hold (the tests, after the suite's build). Not set:
#                    set up and build, as always.
set -euo pipefail

# A script started in the background by a non-interactive shell inherits SIGINT ignored, and bash
# cannot trap a signal that was ignored when it started: run again with SIGINT and SIGTERM reset
# to their defaults, so that the traps below work however the script was started.
if [ -z "${UP_SIGNALS_RESET:-}" ] && env --default-signal=INT true 2>/dev/null; then
  export UP_SIGNALS_RESET=1
  exec env --default-signal=INT,TERM bash "${BASH_SOURCE[0]}" "$@"
fi
unset UP_SIGNALS_RESET

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

pids=()   # the processes started below, and their names
names=()
started_db=0

# Stops every process started here (SIGTERM; SIGKILL after 20 s), then the database if this
# script started it, and exits with $1.
cleanup() {
  local code="$1" pid alive
  trap - EXIT
  trap '' INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 100); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$started_db" = 1 ]; then bash scripts/db.sh stop || true; fi
  exit "$code"
}
on_signal() {
  echo "up.sh: $1, stopping everything" >&2
  cleanup "$2"
}
trap 'on_signal SIGINT 130' INT
trap 'on_signal SIGTERM 143' TERM
trap 'cleanup $?' EXIT

[ "${UP_SKIP_BUILD:-}" = 1 ] || bash scripts/setup.sh
# the Node that setup chose (Node 24 in .local/node/ where the machine's is older)
# shellcheck source=scripts/node-env.sh
. scripts/node-env.sh

export PORT="${PORT:-3000}"
export SYNC_PORT="${SYNC_PORT:-3001}"
export HOST="${HOST:-127.0.0.1}"
export SYNC_HOST="${SYNC_HOST:-127.0.0.1}"
export ORIGIN="${ORIGIN:-http://localhost:$PORT}"
export ALLOWED_ORIGINS="${ALLOWED_ORIGINS:-$ORIGIN,http://127.0.0.1:$PORT}"
export ADMIN_EMAIL="${ADMIN_EMAIL:-admin@dispatch.local}"
export ADMIN_PASSWORD="${ADMIN_PASSWORD:-admin-demo-pass}"
mkdir -p .local
if [ -z "${SYNC_SECRET:-}" ]; then
  [ -s .local/sync-secret ] || node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))' > .local/sync-secret
  SYNC_SECRET="$(cat .local/sync-secret)"
  export SYNC_SECRET
fi

if [ -z "${MONGODB_URI:-}" ]; then
  started_db=1 # (before it starts, so that an interrupted start is stopped too)
  bash scripts/db.sh start
  export MONGODB_URI="$(bash scripts/db.sh uri)dispatch"
fi

if [ "${UP_SKIP_BUILD:-}" = 1 ]; then
  [ -f build/index.js ] && [ -f build-sync/main.js ] ||
    { echo "up.sh: UP_SKIP_BUILD=1 but build/ or build-sync/ is missing: run npm run build" >&2; exit 1; }
else
  echo "== building" >&2
  npm run --silent build >/dev/null
fi

echo "== seeding the demo catalog and accounts" >&2
node --import tsx scripts/seed.ts

# Notes the process just started in the background ($!) under a name for the messages below.
started() { pids+=("$!"); names+=("$1"); }
name_of() {
  local i
  for i in "${!pids[@]}"; do [ "${pids[$i]}" = "$1" ] && echo "${names[$i]}"; done
}
# "status 1", or "status 137 (SIGKILL)" for a process a signal ended
describe_status() {
  if [ "$1" -gt 128 ]; then echo "status $1 (SIG$(kill -l "$(($1 - 128))" 2>/dev/null || echo "?"))"
  else echo "status $1"; fi
}
# Stops everything and exits 1 after the process $1 ended with status $2.
died() {
  echo "up.sh: the $(name_of "$1") (pid $1) exited with $(describe_status "$2"); stopping everything" >&2
  cleanup 1
}

# the same flags as npm run start:sync (docs/performance.md, "Why it is built this way")
node --single-threaded-gc --heap-growing-percent=100 --enable-source-maps build-sync/main.js &
started sync-server
node build/index.js &
started "web app"

healthy=0
for _ in $(seq 1 100); do
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      status=0; wait "$pid" || status=$?
      died "$pid" "$status"
    fi
  done
  if curl -fsS "http://127.0.0.1:$PORT/api/health" >/dev/null 2>&1 && curl -fsS "http://127.0.0.1:$SYNC_PORT/healthz" >/dev/null 2>&1; then
    healthy=1
    break
  fi
  sleep 0.2
done
[ "$healthy" = 1 ] || echo "up.sh: not healthy after 20 s; still watching (Ctrl-C stops everything)" >&2

cat <<INFO

  Dispatch is up.
    Web app      $ORIGIN
    Sync-server  ws://localhost:$SYNC_PORT  (health: http://127.0.0.1:$SYNC_PORT/healthz, metrics: /metrics)
    Database     $MONGODB_URI
    Mail outbox  $ORIGIN/dev/outbox

  Demo logins
    customer  customer@dispatch.local / customer-demo-pass
    partner   partner@dispatch.local  / partner-demo-pass   (a second: partner2@dispatch.local)
    admin     $ADMIN_EMAIL / $ADMIN_PASSWORD

  Ctrl-C stops everything.
INFO

# Until one of them exits (a signal to this script runs its trap instead).
status=0
wait -n -p ended "${pids[@]}" || status=$?
died "$ended" "$status"
