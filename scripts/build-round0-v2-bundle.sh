#!/usr/bin/env bash
# Builds the curriculum-v2 bootstrap (round 0 of configs/evolve-v2.yaml): seed SFT on v2 rungs 1-3
# with worked solutions (train split, seed 1), primed with a small share of rung 4-5 reference
# solutions (train set priming: a few longer examples open the next rung), a tokenizer that also saw
# rung 4-10 questions, and SFT of the `small` preset. One pass with 5000 per rung (3.2M tokens, ~50 min on
# 2 CPU cores) was measured to be far under-trained (docs/results/evolve/bootstrap-v2-onepass): give it
# more data or epochs (EPOCHS, the 5th argument) on a GPU or in a long background run.
# Usage: bash scripts/build-round0-v2-bundle.sh [OUT_DIR] [cpu|cuda] [SEED_PER_RUNG] [PRIME_PER_RUNG] [EPOCHS]
# OUT_DIR defaults to models/rebuilt-round0-v2 and must not exist yet: no shipped bundle is overwritten.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-models/rebuilt-round0-v2}
device=${2:-cpu}
per_rung=${3:-8000}
prime=${4:-250}
epochs=${5:-1}
if [ -e "$out" ]; then echo "$out: already exists; give a new OUT_DIR (or remove it first)" >&2; exit 2; fi
work=$(mktemp -d)
for r in 1 2 3; do node bin/rstar.js gen --curriculum v2 --level "$r" --count "$per_rung" --seed 1 --split train; done > "$work/seed.jsonl"
node scripts/reference-solutions.mjs --curriculum v2 --levels 4,5 --count "$prime" --seed 1 >> "$work/seed.jsonl"
for r in 4 5 6 7 8 9 10; do node bin/rstar.js gen --curriculum v2 --level "$r" --count 2000 --seed 1 --split train --no-solutions; done > "$work/tokenizer-corpus.jsonl"
node bin/rstar.js train policy --data "$work/seed.jsonl" --tokenizer-corpus "$work/tokenizer-corpus.jsonl" \
  --out "$out" --preset small --vocab-size 1024 --epochs "$epochs" --batch-size 32 --lr 2e-3 --device "$device" --seed 0
rm -rf "$out/work"
