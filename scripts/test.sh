#!/usr/bin/env bash
# The one test command (README quickstart, CI): installs what is missing (Chromium, and nginx and
# docker-compose for the deployment tests), type-checks and lints, builds, then runs every test
# suite (unit, integration on a real FerretDB, browser e2e in Chromium).
# Extra arguments go to vitest, e.g. `bash scripts/test.sh --project unit`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh --browser --system
# the Node that setup chose (Node 24 in .local/node/ where the machine's is older)
# shellcheck source=scripts/node-env.sh
. scripts/node-env.sh
echo "== node $(node --version) ($(command -v node))" >&2

echo "== check (types, lint, format)" >&2
npm run --silent check

echo "== build" >&2
npm run --silent build >/dev/null

mkdir -p test-results
rm -f test-results/vitest-*.json
# The three projects run one after another: on a 2-core machine, browser tests next to the
# integration suite's servers would only make both slower and noisier.
projects=(unit integration e2e)
for arg in "$@"; do
  case "$arg" in --project|--project=*) projects=(); break ;; esac
done
status=0
if [ "${#projects[@]}" -eq 0 ]; then
  echo "== tests ($*)" >&2
  npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest-custom.json "$@" || status=$?
else
  for project in "${projects[@]}"; do
    echo "== tests: $project" >&2
    npx vitest run --project "$project" --reporter=default --reporter=json \
      --outputFile.json="test-results/vitest-$project.json" "$@" || status=$?
  done
fi

# One plain summary line over every suite, whatever the reporters printed above.
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of fs.readdirSync("test-results").filter((f) => /^vitest-.*\.json$/.test(f))) {
    const r = JSON.parse(fs.readFileSync("test-results/" + f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests;
    skipped += (r.numPendingTests || 0) + (r.numTodoTests || 0);
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
'
exit "$status"
