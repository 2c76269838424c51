#!/usr/bin/env bash
# Installs everything rstar-ts needs, idempotently: Debian packages (when root and missing) and npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
else
  npm run build --silent
fi
