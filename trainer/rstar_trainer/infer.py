"""``logits`` (PyTorch reference outputs for parity tests), ``bench-generate`` (eager greedy
generation with a KV cache, the fair eager baseline) and ``init-ppm``."""
import json
import os
import time

import torch

from .checkpoint import FORMAT, atomic_save, cpu_state_dict, init_weights_from, load_checkpoint, model_from_checkpoint
from .config import ModelConfig
from .device import pick_device, set_cpu_threads
from .events import TrainerError, emit
from .model import Decoder


def _read_json(path: str):
    try:
        with open(path, "r", encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise TrainerError(f"{path}: no such file")
    except json.JSONDecodeError as e:
        raise TrainerError(f"{path}: not valid JSON ({e})")


def _int_matrix(raw, path: str, field: str, rows=None, cols=None):
    if not isinstance(raw, list) or not raw or not all(isinstance(r, list) for r in raw):
        raise TrainerError(f"{path}: field \"{field}\" must be a non-empty array of arrays of integers")
    if rows is not None and len(raw) != rows:
        raise TrainerError(f"{path}: field \"{field}\" has {len(raw)} rows, expected {rows}")
    for i, r in enumerate(raw):
        if len(r) != (cols if cols is not None else len(raw[0])) or not r:
            raise TrainerError(f"{path}: field \"{field}[{i}]\" has {len(r)} entries, expected {cols or len(raw[0])}")
        for j, v in enumerate(r):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TrainerError(f"{path}: field \"{field}[{i}][{j}]\" must be an integer")
    return torch.tensor(raw, dtype=torch.int64)


def run_logits(args) -> None:
    set_cpu_threads(None)
    ck = load_checkpoint(args.ckpt)
    cfg: ModelConfig = ck["config"]
    model = model_from_checkpoint(ck)
    raw = _read_json(args.input)
    if not isinstance(raw, dict):
        raise TrainerError(f"{args.input}: expected an object {{\"input_ids\", \"attention_mask\", \"position_ids\"}}")
    ids = _int_matrix(raw.get("input_ids"), args.input, "input_ids")
    B, S = ids.shape
    if int(ids.min()) < 0 or int(ids.max()) >= cfg.vocab_size:
        raise TrainerError(f"{args.input}: field \"input_ids\": token ids must be in [0, {cfg.vocab_size})")
    mask = _int_matrix(raw["attention_mask"], args.input, "attention_mask", B, S) if "attention_mask" in raw else torch.ones(B, S, dtype=torch.int64)
    if "position_ids" in raw:
        pos = _int_matrix(raw["position_ids"], args.input, "position_ids", B, S)
    else:
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        out, _ = model(ids, mask, pos)
    key = "scores" if cfg.kind == "ppm" else "logits"
    result = {"command": "logits", "kind": cfg.kind, "shape": list(out.shape), key: out.tolist()}
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump({key: result[key], "shape": result["shape"]}, fh)
        result[key] = None
        result["path"] = os.path.abspath(args.out)
    emit("done", **result)


def _load_prompts(path: str, vocab: int):
    raw = _read_json(path)
    if isinstance(raw, dict):
        raw = raw.get("prompts")
    if not isinstance(raw, list) or not raw:
        raise TrainerError(f"{path}: expected {{\"prompts\": [[ids...], ...]}} or an array of token-id arrays")
    out = []
    for i, p in enumerate(raw):
        if not isinstance(p, list) or not p or not all(isinstance(t, int) and not isinstance(t, bool) and 0 <= t < vocab for t in p):
            raise TrainerError(f"{path}: prompt {i} must be a non-empty array of token ids in [0, {vocab})")
        out.append(p)
    return out


@torch.inference_mode()
def greedy(model, prompts, new_tokens: int, pad_id: int, device):
    """Left-padded batch; returns (tokens [B, new_tokens], prefill seconds, total seconds)."""
    B = len(prompts)
    L = max(len(p) for p in prompts)
    ids = torch.full((B, L), pad_id, dtype=torch.int64)
    mask = torch.zeros(B, L, dtype=torch.int64)
    for r, p in enumerate(prompts):
        ids[r, L - len(p):] = torch.tensor(p)
        mask[r, L - len(p):] = 1
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    ids, mask, pos = ids.to(device), mask.to(device), pos.to(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    sync()
    t0 = time.perf_counter()
    logits, past = model(ids, mask, pos)
    tok = logits[:, -1].argmax(-1)
    sync()
    t1 = time.perf_counter()
    out = [tok]
    pos = pos[:, -1:]
    ones = torch.ones(B, 1, dtype=torch.int64, device=device)
    for _ in range(new_tokens - 1):
        mask = torch.cat([mask, ones], dim=1)
        pos = pos + 1
        logits, past = model(tok.unsqueeze(1), mask, pos, past)
        tok = logits[:, -1].argmax(-1)
        out.append(tok)
    sync()
    t2 = time.perf_counter()
    return torch.stack(out, 1).cpu(), t1 - t0, t2 - t0


def run_bench_generate(args) -> None:
    device = pick_device(args.device)
    threads = set_cpu_threads(args.threads) if device.type == "cpu" else torch.get_num_threads()
    ck = load_checkpoint(args.ckpt)
    cfg: ModelConfig = ck["config"]
    if cfg.kind != "policy":
        raise TrainerError(f"{ck['path']}: bench-generate needs a policy checkpoint")
    model = model_from_checkpoint(ck).to(device)
    model.set_sdpa(False)
    prompts = _load_prompts(args.prompts, cfg.vocab_size)
    try:
        sizes = [int(s) for s in args.batch_sizes.split(",") if s.strip()]
    except ValueError:
        raise TrainerError(f"--batch-sizes must be comma-separated integers (got {args.batch_sizes!r})")
    if not sizes or min(sizes) <= 0 or args.new_tokens <= 0:
        raise TrainerError("--batch-sizes and --new-tokens must be positive")
    if max(len(p) for p in prompts) + args.new_tokens > cfg.max_seq_len:
        raise TrainerError(f"prompt + --new-tokens exceeds max_seq_len {cfg.max_seq_len}")
    emit("start", command="bench-generate", torch=torch.__version__, threads=threads, device=str(device),
         prompts=len(prompts), batch_sizes=sizes, new_tokens=args.new_tokens)
    greedy(model, prompts[:1], 2, cfg.pad_id, device)  # warm-up
    results = []
    for b in sizes:
        batch = [prompts[i % len(prompts)] for i in range(b)]
        toks, t_prefill, t_total = greedy(model, batch, args.new_tokens, cfg.pad_id, device)
        decode = t_total - t_prefill
        r = {"batch": b, "new_tokens": args.new_tokens, "prompt_tokens": sum(len(p) for p in batch),
             "tokens_per_s": b * args.new_tokens / t_total,
             "decode_tokens_per_s": b * (args.new_tokens - 1) / decode if args.new_tokens > 1 else None,
             "prefill_ms": t_prefill * 1000, "total_ms": t_total * 1000,
             "first_tokens": toks[0, :8].tolist()}
        emit("result", **r)
        results.append(r)
    emit("done", command="bench-generate", results=results, torch=torch.__version__, threads=threads, device=str(device))


def run_init_ppm(args) -> None:
    """A PPM checkpoint whose backbone is a policy checkpoint's and whose scalar head is fresh."""
    src = load_checkpoint(args.source)
    cfg = ModelConfig.from_dict({**src["config"].to_dict(), "kind": "ppm"})
    torch.manual_seed(args.seed)
    model = Decoder(cfg)
    model.reset_parameters(args.seed)
    info = init_weights_from(model, src)
    out = os.path.join(args.out, "checkpoint.pt")
    atomic_save({"format": FORMAT, "config": cfg.to_dict(), "state_dict": cpu_state_dict(model), "step": 0,
                 "init": {k: v for k, v in info.items() if k != "tensors_skipped"}, "torch": str(torch.__version__)}, out)
    emit("done", command="init-ppm", checkpoint=out, **info)
