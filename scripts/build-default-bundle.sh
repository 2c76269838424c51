#!/usr/bin/env bash
# Reproduces the shipped round-0 bundle (models/default): the seed set (levels 1-2 with worked
# solutions, train split, seed 1), a tokenizer that also saw level 3-5 questions, and SFT of the
# `small` preset for 8 epochs. On a host with CUDA this takes ~4 minutes; on a 2-core CPU, hours.
# Usage: bash scripts/build-default-bundle.sh [OUT_DIR] [cuda|cpu]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-models/default}
device=${2:-cuda}
work=$(mktemp -d)
node bin/rstar.js gen --curriculum v1 --level 1 --count 30000 --seed 1 --split train > "$work/l1.jsonl"
node bin/rstar.js gen --curriculum v1 --level 2 --count 30000 --seed 1 --split train > "$work/l2.jsonl"
cat "$work/l1.jsonl" "$work/l2.jsonl" > "$work/seed.jsonl"
for l in 3 4 5; do node bin/rstar.js gen --curriculum v1 --level "$l" --count 3000 --seed 1 --split train; done > "$work/tokenizer-corpus.jsonl"
node bin/rstar.js train policy --data "$work/seed.jsonl" --tokenizer-corpus "$work/tokenizer-corpus.jsonl" \
  --out "$out" --preset small --vocab-size 1024 --epochs 8 --batch-size 64 --lr 2e-3 --device "$device" --seed 0
rm -rf "$out/work"
