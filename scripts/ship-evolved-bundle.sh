#!/usr/bin/env bash
# Ships one round of an `rstar evolve` run as an embedded bundle (policy + PPM):
#   bash scripts/ship-evolved-bundle.sh runs/evolve 4 [DEST] [--replace]
# DEST defaults to models/rebuilt-evolved-rROUND. An existing DEST (models/default, say) is replaced
# only with --replace.
# Copies the inference files, keeps the policy weights (checkpoint.pt, without optimizer state) so
# later runs can fine-tune from it, and records the run and the command that reproduces it.
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:?usage: ship-evolved-bundle.sh RUN ROUND [DEST] [--replace]}
round=${2:?round}
dest=${3:-models/rebuilt-evolved-r$round}
replace=${4:-}
if [ -e "$dest" ] && [ "$replace" != "--replace" ]; then echo "$dest: already exists; pass --replace to overwrite it, or give a new DEST" >&2; exit 2; fi
src="$run/round-$round/ppm"
[ -f "$src/manifest.json" ] || { echo "$src/manifest.json: not found (round $round has no PPM bundle yet)" >&2; exit 2; }
py=${RSTAR_PYTHON:-/usr/bin/python3}
tmp="$dest.tmp-$$"
rm -rf "$tmp" && mkdir -p "$tmp"
cp "$src/policy.onnx" "$src/ppm.onnx" "$src/tokenizer.json" "$tmp/"
PYTHONPATH=trainer "$py" - "$src/checkpoint.pt" "$tmp/checkpoint.pt" <<'PY'
import sys, torch
ck = torch.load(sys.argv[1], map_location="cpu")
ck.pop("optimizer", None)
torch.save(ck, sys.argv[2])
PY
node - "$src/manifest.json" "$tmp/manifest.json" "$run" "$round" <<'JS'
const fs = require('node:fs');
const [src, out, run, round] = process.argv.slice(2);
const m = JSON.parse(fs.readFileSync(src, 'utf8'));
const state = JSON.parse(fs.readFileSync(`${run}/evolve.json`, 'utf8'));
m.name = `rstar-curriculum-evolved-r${round}`;
m.created = new Date().toISOString();
if (m.ppm?.training) m.ppm.training.checkpoint = null;
m.provenance = {
  ...m.provenance,
  evolve_run: run,
  evolve_round: Number(round),
  evolve_command: state.command,
  evolve_config: state.config,
  reproduce: `rstar evolve --config configs/evolve.yaml --out ${run} && bash scripts/ship-evolved-bundle.sh ${run} ${round} models/rebuilt-evolved-r${round}`,
};
fs.writeFileSync(out, JSON.stringify(m, null, 2) + '\n');
JS
rm -rf "$dest.old" && { [ -d "$dest" ] && mv "$dest" "$dest.old" || true; } && mv "$tmp" "$dest" && rm -rf "$dest.old"
echo "shipped $src → $dest"
