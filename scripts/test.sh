#!/usr/bin/env bash
# The test command (README): builds what is missing, then runs every test, unit and lab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-lab.sh          # real binaries for the lab; seconds when cached
npx tsc -p tsconfig.json           # dist/: the CLI and the lab's detached processes run from it
npx tsc -p test/tsconfig.json --noEmit
report=$(mktemp)
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$report" || true
rm -f "$report"
exit $status
