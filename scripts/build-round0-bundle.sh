#!/usr/bin/env bash
# Rebuilds the round-0 bundle (models/round0, the bootstrap of evolve; it was models/default before
# evolve round 4 replaced it): the seed set (levels 1-2 with worked solutions, train split, seed 1),
# a tokenizer that also saw level 3-5 questions, and SFT of the `small` preset for 8 epochs. The
# shipped one trained in 231 s on one H100 (its manifest); on a 2-core CPU, hours (not measured).
# Usage: bash scripts/build-round0-bundle.sh [OUT_DIR] [cuda|cpu]
# OUT_DIR defaults to models/rebuilt-round0 and must not exist yet: no shipped bundle is overwritten.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-models/rebuilt-round0}
device=${2:-cuda}
if [ -e "$out" ]; then echo "$out: already exists; give a new OUT_DIR (or remove it first)" >&2; exit 2; fi
work=$(mktemp -d)
node bin/rstar.js gen --curriculum v1 --level 1 --count 30000 --seed 1 --split train > "$work/l1.jsonl"
node bin/rstar.js gen --curriculum v1 --level 2 --count 30000 --seed 1 --split train > "$work/l2.jsonl"
cat "$work/l1.jsonl" "$work/l2.jsonl" > "$work/seed.jsonl"
for l in 3 4 5; do node bin/rstar.js gen --curriculum v1 --level "$l" --count 3000 --seed 1 --split train; done > "$work/tokenizer-corpus.jsonl"
node bin/rstar.js train policy --data "$work/seed.jsonl" --tokenizer-corpus "$work/tokenizer-corpus.jsonl" \
  --out "$out" --preset small --vocab-size 1024 --epochs 8 --batch-size 64 --lr 2e-3 --device "$device" --seed 0
rm -rf "$out/work"
