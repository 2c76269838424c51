"""Times the parts of one training step (collate, forward, backward, optimizer) on a data file:
``python3 profile_step.py DATA CONFIG [--batch-tokens N] [--device cuda]`` (developer tool)."""
import argparse
import contextlib
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from rstar_trainer.config import load_config  # noqa: E402
from rstar_trainer.data import collate, load_token_data  # noqa: E402
from rstar_trainer.loop import make_optimizer  # noqa: E402
from rstar_trainer.model import Decoder  # noqa: E402
from rstar_trainer.sft import batch_loss, plan_sft_epoch  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("data")
p.add_argument("config")
p.add_argument("--batch-tokens", type=int, default=16384)
p.add_argument("--device", default="cuda")
p.add_argument("--steps", type=int, default=30)
p.add_argument("--pad-multiple", type=int, default=64)
a = p.parse_args()
dev = torch.device(a.device)
cfg = load_config(a.config)
t = time.perf_counter()
data = load_token_data(a.data, cfg.vocab_size, cfg.max_seq_len)
print(f"load {time.perf_counter() - t:.2f}s", flush=True)
model = Decoder(cfg).to(dev)
model.set_sdpa(True)
opt = make_optimizer(model, 1e-3, 0.1, dev)
hidden = torch.compile(model.hidden, dynamic=True) if os.environ.get("COMPILE") else None
plan = plan_sft_epoch(data, 0, 0, None, a.batch_tokens, a.pad_multiple)
ac = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if dev.type == "cuda" else contextlib.nullcontext
sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
tot = {"collate": 0.0, "fwd": 0.0, "bwd": 0.0, "opt": 0.0}
for i, b in enumerate(plan[:a.steps]):
    t0 = time.perf_counter()
    x, y, _ = collate(data, b, cfg.pad_id, a.pad_multiple)
    x, y = x.to(dev), y.to(dev)
    sync(); t1 = time.perf_counter()
    s, n = batch_loss(model, x, y, ac, hidden)
    sync(); t2 = time.perf_counter()
    (s / n).backward()
    sync(); t3 = time.perf_counter()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step(); opt.zero_grad(set_to_none=True)
    sync(); t4 = time.perf_counter()
    if i >= 5:
        for k, v in zip(tot, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            tot[k] += v
n = max(1, min(a.steps, len(plan)) - 5)
print({k: f"{1000 * v / n:.2f}ms" for k, v in tot.items()}, "batch shape", tuple(x.shape))
if os.environ.get("PROFILE"):
    from torch.profiler import ProfilerActivity, profile
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if dev.type == "cuda" else [])
    with profile(activities=acts) as prof:
        for b in plan[:5]:
            x, y, _ = collate(data, b, cfg.pad_id, a.pad_multiple)
            s, n = batch_loss(model, x.to(dev), y.to(dev), ac, hidden)
            (s / n).backward()
            opt.step(); opt.zero_grad(set_to_none=True)
        sync()
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=25))
