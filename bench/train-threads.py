"""CPU threading of the PyTorch trainer, side by side: policy SFT steps (forward, backward, AdamW) of the
shipped v2 policy architecture on random tokens (batch 32 x 200), in fresh processes under each thread
setting, alternating, median s/step. Usage: /usr/bin/python3 bench/train-threads.py [--repeats 3] [--steps 4]
Prints JSON (kept in docs/results/bench/train-threads.json)."""
import argparse, json, os, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VARIANTS = {
    "torch default (libgomp active wait)": {"OMP_WAIT_POLICY": "ACTIVE"},
    "OMP_WAIT_POLICY=PASSIVE (the trainer's default)": {"OMP_WAIT_POLICY": "PASSIVE"},
    "OPENBLAS_NUM_THREADS=1": {"OMP_WAIT_POLICY": "ACTIVE", "OPENBLAS_NUM_THREADS": "1"},
}


def one(steps: int) -> float:
    sys.path.insert(0, os.path.join(ROOT, "trainer"))
    import torch
    import torch.nn.functional as F
    from rstar_trainer.config import ModelConfig
    from rstar_trainer.model import Decoder

    arch = json.load(open(os.path.join(ROOT, "models", "round0-v2", "manifest.json")))["architecture"]
    cfg = ModelConfig.from_dict(arch)
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(0)
    model = Decoder(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.randint(2, cfg.vocab_size, (32, 200))

    def step():
        logits, _ = model(x)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, cfg.vocab_size), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t) / steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--child", action="store_true")
    a = ap.parse_args()
    if a.child:
        print(one(a.steps))
        return
    times = {k: [] for k in VARIANTS}
    for _ in range(a.repeats):
        for name, env in VARIANTS.items():
            e = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS")}
            e.update(env)
            out = subprocess.run([sys.executable, __file__, "--child", "--steps", str(a.steps)], env=e, capture_output=True, text=True, check=True)
            times[name].append(float(out.stdout.strip().splitlines()[-1]))
    base = statistics.median(times[next(iter(VARIANTS))])
    print(json.dumps({
        "bench": "train-threads",
        "command": "/usr/bin/python3 bench/train-threads.py --repeats %d --steps %d" % (a.repeats, a.steps),
        "cpus": os.cpu_count(),
        "batch": [32, 200],
        "variants": {k: {"s_per_step_median": round(statistics.median(v), 3), "tokens_per_s": round(32 * 200 / statistics.median(v)), "speedup": round(base / statistics.median(v), 2), "runs": [round(x, 3) for x in v]} for k, v in times.items()},
    }, indent=1))


if __name__ == "__main__":
    main()
