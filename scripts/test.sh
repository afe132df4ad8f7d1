#!/usr/bin/env bash
# The test command (README): builds what is missing, then runs every test, unit and lab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-lab.sh          # real binaries for the lab; seconds when cached
npm run build                      # dist/: the CLI and the lab's detached processes run from it, and the dashboard bundle
npx tsc -p test/tsconfig.json --noEmit
report_unit=$(mktemp)
report_lab=$(mktemp)
status=0
# The unit tests first, then the lab tests on their own: lab tests restart real API servers and
# wait on them with deadlines, and on 2 cores they should not share the machine with the unit
# suite's workers (lab.lab's API server restart passed in 2 s alone but timed out at 120 s in
# two full runs beside the unit suite).
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json="$report_unit" || status=$?
npx vitest run --project lab --reporter=default --reporter=json --outputFile.json="$report_lab" || status=$?
node -e '
  const fs = require("fs");
  const t = { p: 0, f: 0, s: 0 };
  for (const file of process.argv.slice(1)) {
    try {
      const r = JSON.parse(fs.readFileSync(file, "utf8"));
      t.p += r.numPassedTests; t.f += r.numFailedTests; t.s += r.numPendingTests + r.numTodoTests;
    } catch { console.log(`no report in ${file}`); }
  }
  console.log(`${t.p} passed, ${t.f} failed, ${t.s} skipped`);
' "$report_unit" "$report_lab" || true
rm -f "$report_unit" "$report_lab"
exit $status
