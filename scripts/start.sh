#!/usr/bin/env bash
# The main job (README): build what is missing, start the lab for the bundled mesh, create its
# trust hierarchy, render every manifest into out/ and print the plan.
set -euo pipefail
cd "$(dirname "$0")/.."
MESH=${MESH:-examples/lab/mesh.yaml}
[ -d node_modules ] || npm ci --no-audit --no-fund
npx tsc -p tsconfig.json
meshfed() { node bin/meshfed.js "$@"; }
meshfed lab build
meshfed validate -f "$MESH"
meshfed plan -f "$MESH"
meshfed certs -f "$MESH"
meshfed render -f "$MESH" -o out
meshfed lab up -f "$MESH"
meshfed lab status -f "$MESH"
