"""rstar_trainer: the PyTorch side of rstar-ts (SFT training, checkpoints, ONNX export).

Runs on torch >= 1.13 (CPU) and torch 2.x (CUDA). The TypeScript side owns the tokenizer and
hands this package token ids only. Run as ``python3 -m rstar_trainer <command>``; every command
prints JSON-line events on stdout (see ``events.py``).
"""

__version__ = "0.1.0"
