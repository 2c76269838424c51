"""rstar_trainer: the PyTorch side of rstar-ts (SFT training, checkpoints, ONNX export).

Runs on torch >= 1.13 (CPU) and torch 2.x (CUDA). The TypeScript side owns the tokenizer and
hands this package token ids only. Run as ``python3 -m rstar_trainer <command>``; every command
prints JSON-line events on stdout (see ``events.py``).
"""

import os

# Before torch loads libgomp: its worker threads otherwise spin between parallel regions and starve
# OpenBLAS's own threads on a small CPU (measured on 2 cores: median 3.53 -> 2.16 s per policy SFT step,
# 1.64x, bench/train-threads.py, docs/results/bench/train-threads.json). A value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
