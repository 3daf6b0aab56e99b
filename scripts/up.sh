#!/usr/bin/env bash
# Brings the whole system up on local defaults: installs what is missing, builds, starts the
# database (FerretDB unless MONGODB_URI is set), seeds the demo catalog and accounts, then runs
# the sync-server and the web app in the foreground. Ctrl-C stops everything it started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh

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

started_db=0
if [ -z "${MONGODB_URI:-}" ]; then
  bash scripts/db.sh start
  started_db=1
  export MONGODB_URI="$(bash scripts/db.sh uri)dispatch"
fi

echo "== building" >&2
npm run --silent build >/dev/null

echo "== seeding the demo catalog and accounts" >&2
node --import tsx scripts/seed.ts

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "$started_db" = 1 ] && bash scripts/db.sh stop
}
trap cleanup INT TERM EXIT

# the same flags as npm run start:sync (docs/performance.md, changes 23 and 33)
node --single-threaded-gc --heap-growing-percent=100 --enable-source-maps build-sync/main.js &
pids+=($!)
node build/index.js &
pids+=($!)

for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$PORT/api/health" >/dev/null 2>&1 && curl -fsS "http://127.0.0.1:$SYNC_PORT/healthz" >/dev/null 2>&1; then
    break
  fi
  sleep 0.2
done

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

wait -n "${pids[@]}"
