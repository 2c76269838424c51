#!/usr/bin/env bash
# The whole test suite, as CI runs it: system deps (idempotent), lint and format check (Biome), the
# unit tier (TypeScript run directly through tsx, no build, seconds; then the Python trainer's unit
# tests), then the build (tsc, which also type-checks) and the end-to-end tier over dist/test/e2e.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
npm run lint
npm run test:unit
npm run test:trainer
npm run test:e2e
