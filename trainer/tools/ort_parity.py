"""PyTorch vs onnxruntime (Python) parity for an exported checkpoint, where the Python
onnxruntime package exists (e.g. a GPU box): ``python3 ort_parity.py CKPT ONNX``.
Prints JSON max |diff| for (a) one prefill, (b) a left-padded batch, (c) prefix + 3 KV-cached steps."""
import json
import os
import sys

import numpy as np
import onnxruntime as ort
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from rstar_trainer.checkpoint import load_checkpoint, model_from_checkpoint  # noqa: E402


def left_pad(seqs, pad):
    L = max(map(len, seqs))
    ids = np.full((len(seqs), L), pad, np.int64)
    mask = np.zeros((len(seqs), L), np.int64)
    pos = np.zeros((len(seqs), L), np.int64)
    for r, s in enumerate(seqs):
        ids[r, L - len(s):] = s
        mask[r, L - len(s):] = 1
        pos[r, L - len(s):] = np.arange(len(s))
    return ids, mask, pos


def main():
    ck = load_checkpoint(sys.argv[1])
    cfg = ck["config"]
    model = model_from_checkpoint(ck)
    sess = ort.InferenceSession(sys.argv[2], providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    A = rng.integers(1, cfg.vocab_size, 12).tolist()
    B = rng.integers(1, cfg.vocab_size, 7).tolist()

    def torch_out(ids, mask, pos):
        with torch.no_grad():
            out, _ = model(torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(pos))
        return out.numpy()

    res = {}
    if cfg.kind == "ppm":
        ids, mask, pos = left_pad([A, B], cfg.pad_id)
        o = sess.run(["scores"], {"input_ids": ids, "attention_mask": mask, "position_ids": pos})[0]
        res["ppm"] = float(np.abs(o - torch_out(ids, mask, pos)).max())
        print(json.dumps(res))
        return

    def empty(b):
        z = np.zeros((b, cfg.n_kv_heads, 0, cfg.head_dim), np.float32)
        return {f"past_key_values.{i}.{kv}": z for i in range(cfg.n_layers) for kv in ("key", "value")}

    names = [o.name for o in sess.get_outputs()]
    run = lambda feeds: dict(zip(names, sess.run(names, feeds)))  # noqa: E731
    ids, mask, pos = left_pad([A], cfg.pad_id)
    res["a"] = float(np.abs(run({"input_ids": ids, "attention_mask": mask, "position_ids": pos, **empty(1)})["logits"] - torch_out(ids, mask, pos)).max())
    ids, mask, pos = left_pad([A, B], cfg.pad_id)
    res["b"] = float(np.abs(run({"input_ids": ids, "attention_mask": mask, "position_ids": pos, **empty(2)})["logits"] - torch_out(ids, mask, pos)).max())
    ref = torch_out(ids, mask, pos)
    pi, pm, pp = left_pad([A[:-3], B[:-3]], cfg.pad_id)
    out = run({"input_ids": pi, "attention_mask": pm, "position_ids": pp, **empty(2)})
    P = pi.shape[1]
    worst = float(np.abs((out["logits"] - ref[:, :P]) * pm[:, :, None]).max())
    m = pm
    # The graph returns only the new positions' keys/values; the caller keeps the cache.
    past = {f"{i}.{kv}": out[f"new_key_values.{i}.{kv}"] for i in range(cfg.n_layers) for kv in ("key", "value")}
    for t in range(3):
        feeds = {"input_ids": ids[:, P + t:P + t + 1], "attention_mask": np.concatenate([m, np.ones((2, 1), np.int64)], 1),
                 "position_ids": pos[:, P + t:P + t + 1]}
        feeds.update({f"past_key_values.{k}": v for k, v in past.items()})
        out = run(feeds)
        m = feeds["attention_mask"]
        past = {k: np.concatenate([v, out[f"new_key_values.{k}"]], 2) for k, v in past.items()}
        worst = max(worst, float(np.abs(out["logits"][:, 0] - ref[:, P + t]).max()))
    res["c"] = worst
    print(json.dumps(res))


main()
