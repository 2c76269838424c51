"""Writes a learnable toy SFT set (copy task: BOS a1..ak SEP a1..ak EOS, loss on the copy) and a
matching model config, for smoke tests: ``python3 make_copy_data.py OUT_DIR [--n 2000] [--vocab 24]``."""
import argparse
import json
import os
import random

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--n", type=int, default=2000)
p.add_argument("--vocab", type=int, default=24)
p.add_argument("--d-model", type=int, default=64)
p.add_argument("--n-kv-heads", type=int, default=2)
a = p.parse_args()
os.makedirs(a.out, exist_ok=True)
r = random.Random(1)
for name, n in (("train.jsonl", a.n), ("val.jsonl", max(50, a.n // 20))):
    with open(os.path.join(a.out, name), "w") as fh:
        for _ in range(n):
            k = r.randint(3, 10)
            s = [r.randint(4, a.vocab - 1) for _ in range(k)]
            fh.write(json.dumps({"ids": [1] + s + [2] + s + [3], "loss_from": k + 2}) + "\n")
with open(os.path.join(a.out, "model.json"), "w") as fh:
    json.dump({"vocab_size": a.vocab, "d_model": a.d_model, "n_layers": 2, "n_heads": 4, "n_kv_heads": a.n_kv_heads,
               "d_ff": 176, "max_seq_len": 64, "rope_theta": 10000, "tie_embeddings": False, "pad_id": 0}, fh)
