"""``reward``: trains the process preference model (the policy's backbone + a scalar head + tanh).

Objectives (the paper's reward-model ablation):
  pairwise  Bradley-Terry on preference pairs, ``-log sigmoid(z_chosen - z_rejected)`` (rStar-Math's PPM)
  orm       outcome classification: ``s = tanh(z)`` read as ``P(correct) = (s + 1) / 2 = sigmoid(2z)``,
            so binary cross-entropy with logits ``2z`` against ``(t + 1) / 2``
  qreg      Q-value regression: ``(tanh(z) - q)^2``
where ``z`` is the scalar head's pre-tanh output at a sequence's last real token (the model's
``scores`` output, what search reads, is ``tanh(z)`` at that position).

Data (token ids written by the TS side): pairwise ``{"chosen": [ids], "rejected": [ids], "weight": w}``,
pointwise ``{"ids": [ids], "target": t, "weight": w}``. Batches are grouped by length and right-padded;
with right padding every real token attends only to real tokens (causal), so the score at a row's last
real token is exactly the unpadded sequence's, and the backbone can run its plain causal path.

Held-out pair accuracy (fraction of ``--val-pairs`` with ``score(chosen) > score(rejected)``, plain and
weighted) is measured for every objective, so the three can be compared on the same pairs.
"""
import contextlib
import json
import math
import os
import signal
import time

import torch
import torch.nn.functional as F

from .checkpoint import FORMAT, atomic_save, cpu_state_dict, init_weights_from, load_checkpoint
from .config import ModelConfig, load_config
from .paths import portable
from .data import PairData, PointData, collate_seqs, load_pair_data, load_point_data, plan_length_batches
from .device import pick_device
from .events import TrainerError, emit, log
from .model import Decoder, param_count
from .train import default_warmup, lr_at, make_optimizer

OBJECTIVES = ("pairwise", "orm", "qreg")

_STOP = {"signal": None}


def _on_signal(signum, _frame):
    _STOP["signal"] = signal.Signals(signum).name


def last_token_logits(model, x, last, autocast, hidden=None):
    """Pre-tanh head outputs z [R] at each row's last real token (rows right-padded, plain causal path)."""
    with autocast():
        h, _ = (hidden or model.hidden)(x)
        h_last = h[torch.arange(x.shape[0], device=x.device), last]
        z = model.score_head(h_last).squeeze(-1)
    return z.float()


def pair_rows(batch):
    rows = []
    for i in batch:
        rows.extend((2 * i, 2 * i + 1))
    return rows


def pairwise_losses(zc, zr):
    # Bradley-Terry on the pre-tanh values z, not on the tanh scores: tanh is monotone, so the
    # ranking (and pair accuracy) is the same, but BT on tanh values caps the margin at 2 (the loss
    # cannot go below -log sigmoid(2) = 0.127, so every pair keeps pushing its scores to +-1), and its
    # gradient carries a factor tanh'(z) = 1 - s^2 that vanishes once a score saturates: a pair that
    # is confidently misordered (chosen near -1, rejected near +1) can then barely be corrected. On z
    # the gradient of a misordered pair stays near 1. The scores search reads are still tanh(z).
    return -F.logsigmoid(zc - zr)


def pointwise_losses(objective, z, t):
    if objective == "orm":
        # s = tanh(z) ∈ [-1, 1] read as P(correct) = (s + 1) / 2 = sigmoid(2z): BCE with logits 2z.
        return F.binary_cross_entropy_with_logits(2 * z, (t + 1) / 2, reduction="none")
    return (torch.tanh(z) - t) ** 2


def batch_loss(objective, model, data, batch, cfg, args, device, autocast, hidden=None):
    """Summed weighted loss over the batch's items, summed weight, and real tokens processed."""
    if objective == "pairwise":
        rows = pair_rows(batch)
        x, last = collate_seqs(data.seqs, rows, cfg.pad_id, args.pad_multiple)
        z = last_token_logits(model, x.to(device, non_blocking=True), last.to(device), autocast, hidden)
        losses = pairwise_losses(z[0::2], z[1::2])
    else:
        rows = list(batch)
        x, last = collate_seqs(data.seqs, rows, cfg.pad_id, args.pad_multiple)
        z = last_token_logits(model, x.to(device, non_blocking=True), last.to(device), autocast, hidden)
        t = torch.tensor([data.targets[i] for i in batch], dtype=torch.float32, device=device)
        losses = pointwise_losses(objective, z, t)
    ws = [data.weights[i] for i in batch]
    w = torch.tensor(ws, dtype=torch.float32, device=device)
    real = sum(data.seqs.lengths[r] for r in rows)
    return (w * losses).sum(), float(sum(ws)), real


def eval_batches(data, args, rows_per_item):
    return plan_length_batches(data.lengths, 0, 0, max(args.batch_size * 2, 1), args.batch_tokens, rows_per_item,
                               args.pad_multiple, shuffle=False)


def evaluate_pairs(model, data: PairData, cfg, args, device, autocast, hidden=None) -> dict:
    """Pair accuracy (strict: score(chosen) > score(rejected)), weighted accuracy, and the weighted BT loss."""
    model.eval()
    correct = ties = 0
    w_correct = w_total = loss_sum = margin_sum = 0.0
    with torch.no_grad():
        for b in eval_batches(data, args, 2):
            rows = pair_rows(b)
            x, last = collate_seqs(data.seqs, rows, cfg.pad_id, args.pad_multiple)
            z = last_token_logits(model, x.to(device), last.to(device), autocast, hidden).double().cpu()
            zc, zr = z[0::2], z[1::2]
            w = torch.tensor([data.weights[i] for i in b], dtype=torch.float64)
            ok = (zc > zr).double()
            correct += int(ok.sum())
            ties += int((zc == zr).sum())
            w_correct += float((w * ok).sum())
            w_total += float(w.sum())
            loss_sum += float((w * pairwise_losses(zc, zr)).sum())
            margin_sum += float((torch.tanh(zc) - torch.tanh(zr)).sum())
    model.train()
    n = len(data)
    return {"pair_accuracy": correct / n, "pair_accuracy_weighted": w_correct / w_total, "pair_loss": loss_sum / w_total,
            "pair_ties": ties, "mean_score_margin": margin_sum / n, "pairs": n}


def evaluate_points(objective, model, data: PointData, cfg, args, device, autocast, hidden=None) -> dict:
    model.eval()
    loss_sum = w_total = 0.0
    agree = known = 0
    with torch.no_grad():
        for b in eval_batches(data, args, 1):
            x, last = collate_seqs(data.seqs, list(b), cfg.pad_id, args.pad_multiple)
            z = last_token_logits(model, x.to(device), last.to(device), autocast, hidden).cpu()
            t = torch.tensor([data.targets[i] for i in b], dtype=torch.float32)
            w = torch.tensor([data.weights[i] for i in b], dtype=torch.float32)
            loss_sum += float((w * pointwise_losses(objective, z, t)).sum())
            w_total += float(w.sum())
            nz = t != 0
            known += int(nz.sum())
            agree += int(((z > 0) == (t > 0))[nz].sum())
    model.train()
    out = {"val_loss": loss_sum / w_total, "examples": len(data)}
    if objective == "orm":
        out["orm_accuracy"] = agree / known if known else None
    return out


def _init_config(args, resume, init) -> ModelConfig:
    if resume is not None:
        cfg = resume["config"]
    elif init is not None:
        cfg = init["config"]
    elif args.config:
        cfg = load_config(args.config)
    else:
        raise TrainerError("--init is required (a policy or PPM checkpoint; or --config for a fresh model)")
    if args.config and (resume is not None or init is not None):
        raise TrainerError("give --init (or --resume) or --config, not both")
    return ModelConfig.from_dict({**cfg.to_dict(), "kind": "ppm"})


def run_reward(args) -> None:
    t_start = time.time()
    objective = args.objective
    if objective not in OBJECTIVES:
        raise TrainerError(f"--objective must be one of {', '.join(OBJECTIVES)} (got {objective!r})")
    device = pick_device(args.device, args.threads)
    if args.batch_size < 1:
        raise TrainerError("--batch-size must be >= 1")
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
    cfg = _init_config(args, resume, init)
    if resume is not None:
        if resume["config"].kind != "ppm":
            raise TrainerError(f"{ckpt_path}: --resume: not a PPM checkpoint")
        if resume.get("objective") != objective:
            raise TrainerError(f"{ckpt_path}: --resume: the checkpoint was trained with --objective {resume.get('objective')}, not {objective}")

    pairwise = objective == "pairwise"
    train = (load_pair_data if pairwise else load_point_data)(args.data, cfg.vocab_size, cfg.max_seq_len)
    val_pairs = load_pair_data(args.val_pairs, cfg.vocab_size, cfg.max_seq_len) if args.val_pairs else None
    val_data = None
    if args.val_data:
        val_data = (load_pair_data if pairwise else load_point_data)(args.val_data, cfg.vocab_size, cfg.max_seq_len)
    if resume is not None and resume.get("data_sha256") not in (None, train.sha256):
        raise TrainerError(f"{args.data}: --resume: the data file changed since the checkpoint "
                           f"(sha256 {train.sha256[:12]} vs {str(resume.get('data_sha256'))[:12]}); use --init to start a new run from it")

    torch.manual_seed(args.seed)
    model = Decoder(cfg)
    model.reset_parameters(args.seed)
    init_info = None
    if resume is not None:
        model.load_state_dict(resume["state_dict"])
        init_info = resume.get("init")
    elif init is not None:
        init_info = init_weights_from(model, init)
        init_info = {k: v for k, v in init_info.items() if k != "tensors_skipped"}
    model.to(device)
    model.set_sdpa(True)
    model.train()

    min_lr = args.lr * 0.1 if args.min_lr is None else args.min_lr
    opt = make_optimizer(model, args.lr, args.weight_decay, device)
    if resume is not None and resume.get("optimizer"):
        opt.load_state_dict(resume["optimizer"])

    rows_per_item = 2 if pairwise else 1
    # Deterministic in (seed, epoch): a resumed run continues with exactly the same batches.
    plan = []
    epochs = args.epochs if args.epochs is not None else (None if args.max_steps else 1)
    e = 0
    while True:
        if epochs is not None and e >= epochs:
            break
        if args.max_steps and len(plan) >= args.max_steps:
            break
        plan.extend((e, b) for b in plan_length_batches(train.lengths, args.seed, e, args.batch_size, args.batch_tokens,
                                                        rows_per_item, args.pad_multiple))
        e += 1
    total = min(len(plan), args.max_steps) if args.max_steps else len(plan)
    warmup = args.warmup if args.warmup is not None else default_warmup(total)
    step = int(resume["step"]) if resume is not None else 0
    tokens_seen = int(resume.get("tokens_seen", 0)) if resume is not None else 0
    prev_elapsed = float(resume.get("elapsed_s", 0.0)) if resume is not None else 0.0
    history = list(resume.get("loss_history", [])) if resume is not None else []
    initial_eval = resume.get("initial_eval") if resume is not None else None
    # A batch's loss is sum(w * loss) / (items x mean weight of the whole set): an unbiased estimate of
    # the data set's weighted mean loss. (Dividing by the batch's own weight sum would re-inflate
    # batches that happen to hold only small-weight pairs, e.g. big 1/(pos x neg) groups.)
    mean_w = sum(train.weights) / len(train)

    use_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()

    def autocast():
        if use_bf16:
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def run_eval() -> dict:
        out = {}
        if val_data is not None:
            if pairwise:
                r = evaluate_pairs(model, val_data, cfg, args, device, autocast)
                out["val_loss"] = r["pair_loss"]
            else:
                out.update(evaluate_points(objective, model, val_data, cfg, args, device, autocast))
        if val_pairs is not None:
            out.update(evaluate_pairs(model, val_pairs, cfg, args, device, autocast))
            out.setdefault("val_loss", out["pair_loss"])
        return out

    emit("start", command="reward", objective=objective, device=str(device), torch=torch.__version__,
         params=param_count(model), config=cfg.to_dict(), examples=len(train), tokens=train.n_tokens,
         val_pairs=len(val_pairs) if val_pairs else 0, val_examples=len(val_data) if val_data else 0,
         total_steps=total, start_step=step, epochs=e, batch_size=args.batch_size, batch_tokens=args.batch_tokens,
         bf16=use_bf16, init=init_info, resumed=resume is not None, data_sha256=train.sha256)

    if initial_eval is None and (val_pairs is not None or val_data is not None):
        initial_eval = run_eval()
        emit("eval", step=0, **initial_eval)

    def save(reason: str):
        atomic_save({
            "format": FORMAT, "config": cfg.to_dict(), "state_dict": cpu_state_dict(model), "step": step,
            "objective": objective, "optimizer": opt.state_dict(), "tokens_seen": tokens_seen,
            "elapsed_s": prev_elapsed + time.time() - t_start, "data_sha256": train.sha256,
            "loss_history": history[-1000:], "initial_eval": initial_eval, "init": init_info,
            "torch": str(torch.__version__),
            "args": {k: v for k, v in vars(args).items() if isinstance(v, (str, int, float, bool, type(None)))},
        }, ckpt_path)
        emit("save", step=step, path=ckpt_path, reason=reason)

    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, _on_signal)

    last_eval = None
    stopped = None
    win_loss, win_w, win_tok, win_t = 0.0, 0.0, 0, time.time()
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
        loss_sum, w_sum, real = batch_loss(objective, model, train, b, cfg, args, device, autocast)
        (loss_sum / (len(b) * mean_w)).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        win_loss = loss_sum.detach() if win_w == 0 else win_loss + loss_sum.detach()
        win_w += w_sum
        win_tok += real
        tokens_seen += real
        if step == 1 or step % args.log_every == 0 or step == total:
            now = time.time()
            mean = float(win_loss) / max(win_w, 1e-12)
            if not math.isfinite(mean):
                raise TrainerError(f"the loss became {mean} by step {step} (lower --lr?)")
            history.append([step, mean])
            emit("step", step=step, epoch=epoch, loss=mean, lr=lr, tokens_per_s=win_tok / max(now - win_t, 1e-9),
                 tokens_seen=tokens_seen, elapsed_s=prev_elapsed + now - t_start)
            win_loss, win_w, win_tok, win_t = 0.0, 0.0, 0, now
        if args.eval_every and step % args.eval_every == 0 and step < total and (val_pairs is not None or val_data is not None):
            last_eval = run_eval()
            emit("eval", step=step, **last_eval)
        if args.save_every and step % args.save_every == 0 and step < total:
            save("periodic")

    if win_w:
        history.append([step, float(win_loss) / win_w])
    if val_pairs is not None or val_data is not None:
        last_eval = run_eval()
        emit("eval", step=step, **last_eval)
    save("final")
    # The weights alone (no optimizer state: a third of the size) for bundles; export/logits read either.
    weights_path = os.path.join(args.out, "ppm.pt")
    atomic_save({"format": FORMAT, "config": cfg.to_dict(), "state_dict": cpu_state_dict(model), "step": step,
                 "objective": objective, "init": init_info, "data_sha256": train.sha256, "torch": str(torch.__version__)},
                weights_path)
    wall = prev_elapsed + time.time() - t_start
    ev = last_eval or {}
    metrics = {
        "objective": objective,
        "final_train_loss": history[-1][1] if history else None,
        "first_train_loss": history[0][1] if history else None,
        "val_loss": ev.get("val_loss"),
        "pair_accuracy": ev.get("pair_accuracy"),
        "pair_accuracy_weighted": ev.get("pair_accuracy_weighted"),
        "pair_loss": ev.get("pair_loss"),
        "pair_ties": ev.get("pair_ties"),
        "mean_score_margin": ev.get("mean_score_margin"),
        "orm_accuracy": ev.get("orm_accuracy"),
        "initial_pair_accuracy": (initial_eval or {}).get("pair_accuracy"),
        "initial_val_loss": (initial_eval or {}).get("val_loss"),
        "steps": step, "total_steps": total, "stopped": stopped,
        "tokens_seen": tokens_seen, "wall_time_s": wall, "device": str(device), "torch": str(torch.__version__),
        "bf16": use_bf16, "params": param_count(model),
        "data": {"path": portable(args.data), "sha256": train.sha256, "examples": len(train), "tokens": train.n_tokens},
        "val_pairs": None if val_pairs is None else {"path": portable(args.val_pairs), "sha256": val_pairs.sha256, "pairs": len(val_pairs)},
        "val_data": None if val_data is None else {"path": portable(args.val_data), "sha256": val_data.sha256, "examples": len(val_data)},
        "config": cfg.to_dict(), "init": init_info,
        "hyper": {"lr": args.lr, "min_lr": min_lr, "warmup": warmup, "weight_decay": args.weight_decay,
                  "batch_size": args.batch_size, "batch_tokens": args.batch_tokens, "pad_multiple": args.pad_multiple,
                  "seed": args.seed, "epochs": epochs, "max_steps": args.max_steps},
    }
    mpath = os.path.join(args.out, "train_metrics.json")
    tmp = mpath + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(metrics, fh, indent=2)
    os.replace(tmp, mpath)
    emit("done", command="reward", objective=objective, step=step, checkpoint=ckpt_path, weights=weights_path, metrics_path=mpath, metrics=metrics)
