#!/usr/bin/env bash
# Local MongoDB-compatible database for dev and tests: FerretDB 1.24 with its SQLite backend.
# Usage: scripts/db.sh install|start|stop|status|uri
#   (env: DB_PORT, DB_DIR, FERRETDB_BUILD, FERRETDB_SYNCHRONOUS, FERRETDB_DEBUG_ADDR for pprof)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FERRETDB_VERSION="v1.24.2"
# FERRETDB_BUILD=patched (default) or stock. FerretDB 1.24's SQLite backend creates the `_id`
# index on `_ferretdb_sjson->"_id"` but looks rows up by `_ferretdb_sjson->'$._id'`, a different
# expression, so SQLite never uses the index: every find, update and delete by `_id` reads the
# whole collection (docs/performance.md, "Why it is built this way"). And it only looks up by
# `_id` when the filter has no other field, though every command filters the rows it gets again.
# The patched build changes that constant and that condition, so `_id` lookups use the index,
# as they do on MongoDB (a filter `{_id, status}` reads one row, then checks `status`), and it
# adds a lookup through the index for `{_id: {$in: [...]}}` (scripts/ferretdb/id_in_pushdown.go),
# which the release answers by reading the whole collection too. `stock` builds the release as is.
FERRETDB_BUILD="${FERRETDB_BUILD:-patched}"
case "$FERRETDB_BUILD" in patched|stock) ;; *) echo "db.sh: FERRETDB_BUILD must be patched or stock" >&2; exit 2 ;; esac
# FERRETDB_SYNCHRONOUS: SQLite's `synchronous` for FerretDB's WAL (normal by default). With `full`
# (SQLite's default) every commit waits for an fsync of the WAL, which makes the sync-server's
# accept → durable p99 follow the disk (docs/performance.md, "Why it is built this way").
# `normal` keeps every acknowledged write through a crash of FerretDB (the WAL is written before
# the commit returns) and fsyncs at checkpoints, like MongoDB's default write concern, which
# acknowledges before its journal is flushed (every 100 ms). Production runs MongoDB 7, which this
# does not touch.
FERRETDB_SYNCHRONOUS="${FERRETDB_SYNCHRONOUS:-normal}"
case "$FERRETDB_SYNCHRONOUS" in normal|full|extra) ;; *) echo "db.sh: FERRETDB_SYNCHRONOUS must be normal, full or extra" >&2; exit 2 ;; esac
BIN_DIR="$ROOT/.local/bin"
BIN="$BIN_DIR/ferretdb"
[ "$FERRETDB_BUILD" = stock ] && BIN="$BIN_DIR/ferretdb-stock"
STAMP="$BIN.build"
BUILD_ID="$FERRETDB_VERSION $FERRETDB_BUILD id-index-3"
DB_PORT="${DB_PORT:-27017}"
DB_DIR="${DB_DIR:-$ROOT/.local/db-$DB_PORT}"
PID_FILE="$DB_DIR/ferretdb.pid"
LOG_FILE="$DB_DIR/ferretdb.log"

install() {
  # (no `| grep -q` here: with pipefail, grep closing the pipe early fails the whole check)
  if [ -x "$BIN" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$BUILD_ID" ] &&
    [[ "$("$BIN" --version 2>/dev/null)" == *"version: $FERRETDB_VERSION"* ]]; then return 0; fi
  command -v go >/dev/null || { echo "db.sh: Go is required to build FerretDB" >&2; exit 1; }
  echo "db.sh: building FerretDB $FERRETDB_VERSION ($FERRETDB_BUILD; one-time, about a minute)…" >&2
  # `go install …@v1.24.2` builds a binary that panics at start: the module ships without the
  # generated build/version/version.txt. So we build from the module source with that file added.
  local src tmp
  src="$(cd /tmp && GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$src" ] || { echo "db.sh: could not download the FerretDB module" >&2; exit 1; }
  tmp="$(mktemp -d)"
  cp -r "$src/." "$tmp/"
  chmod -R u+w "$tmp"
  echo "$FERRETDB_VERSION" > "$tmp/build/version/version.txt"
  if [ "$FERRETDB_BUILD" = patched ]; then
    local meta="$tmp/internal/backends/sqlite/metadata/metadata.go"
    grep -q "IDColumn = DefaultColumn + \"->'\$._id'\"" "$meta" ||
      { echo "db.sh: FerretDB source changed; the _id index patch does not apply" >&2; exit 1; }
    sed -i "s|IDColumn = DefaultColumn + \"->'\$._id'\"|IDColumn = DefaultColumn + \`->\"_id\"\`|" "$meta"
    grep -q 'IDColumn = DefaultColumn + `->"_id"`' "$meta" ||
      { echo "db.sh: patching FerretDB's _id lookup failed" >&2; exit 1; }
    local coll="$tmp/internal/backends/sqlite/collection.go"
    [ "$(grep -c 'if params.Filter.Len() == 1 {' "$coll")" = 2 ] ||
      { echo "db.sh: FerretDB source changed; the _id pushdown patch does not apply" >&2; exit 1; }
    sed -i 's/if params.Filter.Len() == 1 {/if params.Filter.Len() >= 1 {/' "$coll"
    # `{_id: {$in: [...]}}` through the index too, in Query (the first of the two `_id` cases)
    local eq_case='args = \[\]any{string(must.NotFail(sjson.MarshalSingleValue(v)))}'
    [ "$(grep -c "$eq_case" "$coll")" = 2 ] ||
      { echo "db.sh: FerretDB source changed; the \$in pushdown patch does not apply" >&2; exit 1; }
    sed -i "0,/$eq_case/s//&\n\t\tcase *types.Document:\n\t\t\twhereClause, args = idInWhereClause(v)/" "$coll"
    grep -q 'whereClause, args = idInWhereClause(v)' "$coll" ||
      { echo "db.sh: patching FerretDB's \$in lookup failed" >&2; exit 1; }
    cp "$ROOT/scripts/ferretdb/id_in_pushdown.go" "$tmp/internal/backends/sqlite/"
  fi
  mkdir -p "$BIN_DIR"
  (cd "$tmp" && GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -o "$BIN" ./cmd/ferretdb)
  rm -rf "$tmp"
  echo "$BUILD_ID" > "$STAMP"
  "$BIN" --version 2>/dev/null | sed -n 1p >&2   # (sed reads it all: `head` could end it with SIGPIPE)
}

running() { [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

start() {
  install
  if running; then echo "db.sh: FerretDB already running on 127.0.0.1:$DB_PORT" >&2; return 0; fi
  mkdir -p "$DB_DIR/data"
  nohup "$BIN" --handler=sqlite --sqlite-url="file:$DB_DIR/data/?_pragma=synchronous($FERRETDB_SYNCHRONOUS)" --state-dir="$DB_DIR" \
    --listen-addr="127.0.0.1:$DB_PORT" --telemetry=disable --debug-addr="${FERRETDB_DEBUG_ADDR:--}" --log-level=warn \
    >"$LOG_FILE" 2>&1 &
  echo $! > "$PID_FILE"
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$DB_PORT") 2>/dev/null; then
      echo "db.sh: FerretDB listening on 127.0.0.1:$DB_PORT (data in $DB_DIR)" >&2; return 0
    fi
    running || { cat "$LOG_FILE" >&2; echo "db.sh: FerretDB exited" >&2; exit 1; }
    sleep 0.1
  done
  echo "db.sh: FerretDB did not start in 10 s" >&2; cat "$LOG_FILE" >&2; exit 1
}

stop() {
  if running; then
    local pid; pid="$(cat "$PID_FILE")"; kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running on 127.0.0.1:$DB_PORT"; else echo "stopped"; exit 1; fi ;;
  uri) echo "mongodb://127.0.0.1:$DB_PORT/" ;;
  *) echo "usage: $0 install|start|stop|status|uri" >&2; exit 2 ;;
esac
