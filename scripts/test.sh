#!/usr/bin/env bash
# The one test command (README quickstart, CI): installs what is missing, type-checks and lints,
# builds, then runs every test suite (unit, integration on a real FerretDB, browser e2e in Chromium).
# Extra arguments go to vitest, e.g. `bash scripts/test.sh --project unit`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh --browser

echo "== check (types, lint, format)" >&2
npm run --silent check

echo "== build" >&2
npm run --silent build >/dev/null

echo "== tests" >&2
mkdir -p test-results
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?

# One plain summary line, whatever the reporters printed above.
if [ -f test-results/vitest.json ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync("test-results/vitest.json", "utf8"));
    const skipped = (r.numPendingTests || 0) + (r.numTodoTests || 0);
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  '
fi
exit "$status"
