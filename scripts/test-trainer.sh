#!/usr/bin/env bash
# Unit tests of the Python trainer (trainer/tests, plain unittest: nothing beyond torch). The Python is
# chosen as src/util/python.ts findPython(['torch']) does: $RSTAR_PYTHON when set, else the first of
# /usr/bin/python3, python3, /usr/local/bin/python3, python that can import torch.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${RSTAR_PYTHON:-}" ]; then
  candidates=("$RSTAR_PYTHON")
else
  candidates=(/usr/bin/python3 python3 /usr/local/bin/python3 python)
fi
py=
for c in "${candidates[@]}"; do
  if "$c" -c 'import torch' >/dev/null 2>&1; then py=$c; break; fi
done
if [ -z "$py" ]; then
  echo "test-trainer: no Python that can import torch (tried ${candidates[*]}); run \`npm run setup\` or set RSTAR_PYTHON" >&2
  exit 1
fi
PYTHONDONTWRITEBYTECODE=1 exec "$py" -m unittest discover -s trainer/tests -t trainer "$@"
