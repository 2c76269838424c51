"""``sft``: next-token cross-entropy on the solution tokens (positions >= loss_from)."""
import contextlib
import json
import math
import os
import signal
import time

import torch
import torch.nn.functional as F

from .checkpoint import FORMAT, atomic_save, cpu_state_dict, init_weights_from, load_checkpoint
from .config import load_config
from .data import IGNORE, collate, load_token_data, plan_epoch
from .device import pick_device
from .events import TrainerError, emit, log
from .model import Decoder, param_count
from .paths import portable

_STOP = {"signal": None}


def _on_signal(signum, _frame):
    _STOP["signal"] = signal.Signals(signum).name


def default_warmup(total: int) -> int:
    """The warmup when none is given: 5% of the run, at least 1 step, at most 100 (one default for every trainer).

    A fixed 100 would make any run shorter than ~100 steps all warmup (peak lr at its last step, no decay).
    """
    return min(100, max(1, total // 20))


def lr_at(step: int, total: int, lr: float, min_lr: float, warmup: int) -> float:
    """Linear warmup to ``lr`` over ``warmup`` steps, then cosine decay to ``min_lr`` at ``total``."""
    warmup = min(warmup, max(total - 1, 0))
    if step < warmup:
        return lr * (step + 1) / warmup
    span = max(total - warmup, 1)
    p = min(max(step - warmup, 0) / span, 1.0)
    return min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * p))


def make_optimizer(model, lr, weight_decay, device):
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    kwargs = {"lr": lr, "betas": (0.9, 0.95), "eps": 1e-8}
    if device.type == "cuda":
        try:
            return torch.optim.AdamW(groups, fused=True, **kwargs)
        except (TypeError, RuntimeError):
            pass
    return torch.optim.AdamW(groups, **kwargs)


def batch_loss(model, x, y, autocast, hidden=None):
    """Summed cross-entropy over target tokens and their count; the head runs on target positions only."""
    with autocast():
        h, _ = (hidden or model.hidden)(x)
        sel = y != IGNORE
        logits = model.head(h[sel])
    targets = y[sel]
    loss_sum = F.cross_entropy(logits.float(), targets, reduction="sum")
    return loss_sum, int(targets.numel())


def evaluate(model, data, cfg, args, device, autocast, hidden=None):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for b in plan_epoch(data, 0, 0, args.batch_size, args.batch_tokens, args.pad_multiple):
            x, y, _ = collate(data, b, cfg.pad_id, args.pad_multiple)
            s, n = batch_loss(model, x.to(device), y.to(device), autocast, hidden)
            total += float(s)
            count += n
    model.train()
    return total / max(count, 1)


def run_sft(args) -> None:
    t_start = time.time()
    device = pick_device(args.device, args.threads)
    if args.batch_size is None and args.batch_tokens is None:
        args.batch_tokens = 8192
    if args.batch_size is not None and args.batch_tokens is not None:
        raise TrainerError("give --batch-size or --batch-tokens, not both")
    if args.pad_multiple is None:
        args.pad_multiple = 64 if device.type == "cuda" else 1
    if args.pad_multiple < 1:
        raise TrainerError("--pad-multiple must be >= 1")
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "checkpoint.pt")

    resume = None
    if args.resume:
        if os.path.exists(ckpt_path):
            resume = load_checkpoint(ckpt_path)
        else:
            log(f"--resume: no checkpoint in {args.out} yet, starting fresh")
    init = load_checkpoint(args.init) if args.init and resume is None else None

    if args.config:
        cfg = load_config(args.config)
    elif resume is not None:
        cfg = resume["config"]
    elif init is not None:
        cfg = init["config"]
    else:
        raise TrainerError("--config is required (or --init / --resume with a checkpoint)")
    if cfg.kind != "policy":
        raise TrainerError(f"{args.config or 'config'}: sft trains a policy; field \"kind\" is {cfg.kind!r}")
    if resume is not None and resume["config"].to_dict() != cfg.to_dict():
        raise TrainerError(f"{ckpt_path}: --resume: the checkpoint's model config differs from {args.config}")

    train = load_token_data(args.data, cfg.vocab_size, cfg.max_seq_len)
    val = load_token_data(args.val_data, cfg.vocab_size, cfg.max_seq_len) if args.val_data else None
    if resume is not None and resume.get("data_sha256") not in (None, train.sha256):
        raise TrainerError(f"{args.data}: --resume: the data file changed since the checkpoint "
                           f"(sha256 {train.sha256[:12]} vs {str(resume.get('data_sha256'))[:12]}); use --init to start a new run from it")

    torch.manual_seed(args.seed)
    model = Decoder(cfg)
    model.reset_parameters(args.seed)
    init_info = None
    if resume is not None:
        model.load_state_dict(resume["state_dict"])
    elif init is not None:
        init_info = init_weights_from(model, init)
    model.to(device)
    model.set_sdpa(True)
    model.train()

    hidden = None
    if args.compile:
        if not hasattr(torch, "compile"):
            raise TrainerError(f"--compile needs torch >= 2 (this is {torch.__version__})")
        # The backbone only (the training path: no mask, no cache); weights stay in `model`.
        hidden = torch.compile(model.hidden, dynamic=True)

    min_lr = args.lr * 0.1 if args.min_lr is None else args.min_lr
    opt = make_optimizer(model, args.lr, args.weight_decay, device)
    if resume is not None and resume.get("optimizer"):
        opt.load_state_dict(resume["optimizer"])

    # The whole batch plan is deterministic in (seed, epoch), so a resumed run continues exactly.
    plan = []
    epochs = args.epochs if args.epochs is not None else (None if args.max_steps else 1)
    e = 0
    while True:
        if epochs is not None and e >= epochs:
            break
        if args.max_steps and len(plan) >= args.max_steps:
            break
        plan.extend((e, b) for b in plan_epoch(train, args.seed, e, args.batch_size, args.batch_tokens, args.pad_multiple))
        e += 1
    total = min(len(plan), args.max_steps) if args.max_steps else len(plan)
    warmup = args.warmup if args.warmup is not None else default_warmup(total)
    step = int(resume["step"]) if resume is not None else 0
    tokens_seen = int(resume.get("tokens_seen", 0)) if resume is not None else 0
    prev_elapsed = float(resume.get("elapsed_s", 0.0)) if resume is not None else 0.0
    history = list(resume.get("loss_history", [])) if resume is not None else []

    use_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()

    def autocast():
        if use_bf16:
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    emit("start", command="sft", device=str(device), torch=torch.__version__, params=param_count(model),
         config=cfg.to_dict(), examples=len(train), tokens=train.n_tokens, target_tokens=train.n_targets,
         val_examples=len(val) if val else 0, total_steps=total, start_step=step, epochs=e,
         batch_size=args.batch_size, batch_tokens=args.batch_tokens, bf16=use_bf16, init=init_info,
         resumed=resume is not None, data_sha256=train.sha256)

    def save(reason: str):
        atomic_save({
            "format": FORMAT, "config": cfg.to_dict(), "state_dict": cpu_state_dict(model), "step": step,
            "optimizer": opt.state_dict(), "tokens_seen": tokens_seen, "elapsed_s": prev_elapsed + time.time() - t_start,
            "data_sha256": train.sha256, "loss_history": history[-1000:], "torch": str(torch.__version__),
            "args": {k: v for k, v in vars(args).items() if isinstance(v, (str, int, float, bool, type(None)))},
        }, ckpt_path)
        emit("save", step=step, path=ckpt_path, reason=reason)

    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, _on_signal)

    last_val = None
    stopped = None
    win_loss, win_n, win_tok, win_t = 0.0, 0, 0, time.time()
    run_t0 = time.time()
    while step < total:
        if _STOP["signal"]:
            save("signal")
            raise TrainerError(f"interrupted by {_STOP['signal']} at step {step}; checkpoint saved, rerun with --resume")
        if args.max_minutes is not None and time.time() - run_t0 > args.max_minutes * 60:
            stopped = "max_minutes"
            break
        epoch, b = plan[step]
        lr = lr_at(step, total, args.lr, min_lr, warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        x, y, real = collate(train, b, cfg.pad_id, args.pad_multiple)
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        loss_sum, n = batch_loss(model, x, y, autocast, hidden)
        (loss_sum / max(n, 1)).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        # Summed on the device; read back (one sync) only when a step event is printed.
        win_loss = loss_sum.detach() if win_n == 0 else win_loss + loss_sum.detach()
        win_n += n
        win_tok += real
        tokens_seen += real
        if step == 1 or step % args.log_every == 0 or step == total:
            now = time.time()
            mean = float(win_loss) / max(win_n, 1)
            if not math.isfinite(mean):
                raise TrainerError(f"the loss became {mean} by step {step} (lower --lr?)")
            history.append([step, mean])
            emit("step", step=step, epoch=epoch, loss=mean, lr=lr, tokens_per_s=win_tok / max(now - win_t, 1e-9),
                 tokens_seen=tokens_seen, elapsed_s=prev_elapsed + now - t_start)
            win_loss, win_n, win_tok, win_t = 0.0, 0, 0, now
        if val is not None and args.eval_every and step % args.eval_every == 0 and step < total:
            last_val = evaluate(model, val, cfg, args, device, autocast, hidden)
            emit("eval", step=step, val_loss=last_val)
        if args.save_every and step % args.save_every == 0 and step < total:
            save("periodic")

    if win_n:
        history.append([step, float(win_loss) / win_n])
    if val is not None:
        last_val = evaluate(model, val, cfg, args, device, autocast, hidden)
        emit("eval", step=step, val_loss=last_val)
    save("final")
    wall = prev_elapsed + time.time() - t_start
    metrics = {
        "final_train_loss": history[-1][1] if history else None,
        "first_train_loss": history[0][1] if history else None,
        "val_loss": last_val, "steps": step, "total_steps": total, "stopped": stopped,
        "tokens_seen": tokens_seen, "wall_time_s": wall, "device": str(device), "torch": str(torch.__version__),
        "bf16": use_bf16, "params": param_count(model),
        "data": {"path": portable(args.data), "sha256": train.sha256, "examples": len(train), "tokens": train.n_tokens},
        "val_data": None if val is None else {"path": portable(args.val_data), "sha256": val.sha256, "examples": len(val)},
        "config": cfg.to_dict(), "init": init_info,
        "hyper": {"lr": args.lr, "min_lr": min_lr, "warmup": warmup, "weight_decay": args.weight_decay,
                  "batch_size": args.batch_size, "batch_tokens": args.batch_tokens, "pad_multiple": args.pad_multiple, "seed": args.seed, "epochs": epochs,
                  "max_steps": args.max_steps},
    }
    mpath = os.path.join(args.out, "train_metrics.json")
    tmp = mpath + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(metrics, fh, indent=2)
    os.replace(tmp, mpath)
    emit("done", command="sft", step=step, checkpoint=ckpt_path, metrics_path=mpath, metrics=metrics)
