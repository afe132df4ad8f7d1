#!/usr/bin/env bash
# The main job (README): build what is missing, validate and plan the bundled lab mesh, render
# every manifest into out/, then the lab demo: real control planes, certificates, apply, and
# seed 000's HelloWorld v1/v2 + sleep layout.
set -euo pipefail
cd "$(dirname "$0")/.."
MESH=${MESH:-examples/lab/mesh.yaml}
[ -d node_modules ] || npm ci --no-audit --no-fund
npx tsc -p tsconfig.json
meshfed() { node bin/meshfed.js "$@"; }
meshfed lab build
meshfed validate -f "$MESH"
meshfed plan -f "$MESH"
meshfed render -f "$MESH" -o out
meshfed lab demo -f "$MESH"
