#!/usr/bin/env bash
# The whole test suite: system deps (idempotent), build, then node's test runner over dist/test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
npx tsc -p tsconfig.json
node --test --test-concurrency=2 dist/test/
