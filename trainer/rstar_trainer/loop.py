"""The one training loop behind ``sft`` and ``reward``.

The loop owns everything the two commands share: the checkpoint to resume from (``--resume``) or
initialise from (``--init``), the model, the optimizer (AdamW), the step plan (``--epochs`` /
``--max-steps`` / ``--max-minutes``; deterministic in (seed, epoch), so a resumed run continues with
exactly the batches it would have had), the learning-rate schedule (linear warmup, cosine decay),
gradient clipping, checkpoints (periodic, on SIGTERM/SIGINT, final), the JSON-line events on stdout
(``start``, ``step``, ``eval``, ``save``, ``done``), the validation cadence and ``train_metrics.json``.
An :class:`Objective` supplies the rest: its model config, its data and batch plan, the loss of a
batch, and the evaluation.
"""
import contextlib
import json
import math
import os
import signal
import time
from typing import List, Optional, Tuple

import torch

from .checkpoint import FORMAT, atomic_save, cpu_state_dict, init_weights_from, load_checkpoint
from .config import ModelConfig
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


def plan_steps(epoch_batches, epochs: Optional[int], max_steps: Optional[int]) -> Tuple[list, int, int]:
    """The run's step plan: ``(epoch, batch)`` pairs, whole epochs until ``epochs`` (default 1, or as many as
    ``max_steps`` needs) and past ``max_steps``. Returns the plan, the steps to take and the epochs planned."""
    plan = []
    e = 0
    while True:
        if epochs is not None and e >= epochs:
            break
        if max_steps and len(plan) >= max_steps:
            break
        plan.extend((e, b) for b in epoch_batches(e))
        e += 1
    total = min(len(plan), max_steps) if max_steps else len(plan)
    return plan, total, e


class Run:
    """What an objective's loss and evaluation run with (set up by the loop)."""

    def __init__(self, args, cfg: ModelConfig, device, model: Decoder, hidden, autocast, train):
        self.args = args
        self.cfg = cfg
        self.device = device
        self.model = model
        self.hidden = hidden  # the compiled backbone (--compile), else None: model.hidden
        self.autocast = autocast
        self.train = train
        self.init_info = None
        self.initial_eval = None


class Objective:
    """What a trainer command supplies to :func:`train_loop`. Constructed from the parsed arguments."""

    command = ""          # the command named in the start and done events
    tag: dict = {}        # fields naming the variant, first in events, checkpoint and metrics (reward: objective)
    eval_at_start = False  # evaluate once before the first step (kept in the checkpoint as "initial_eval")

    def __init__(self, args):
        self.args = args

    def check_args(self, args) -> None:
        """Batch-shape options (may fill defaults); the device is picked before."""

    def model_config(self, args, resume: Optional[dict], init: Optional[dict], ckpt_path: str) -> ModelConfig:
        raise NotImplementedError

    def load_data(self, args, cfg: ModelConfig):
        """Loads the training set (returned: ``len``, ``n_tokens``, ``sha256``) and any validation sets."""
        raise NotImplementedError

    def init_summary(self, info: Optional[dict], resume: Optional[dict]) -> Optional[dict]:
        """The ``init`` reported in events and metrics (``info``: init_weights_from's summary, None when resumed)."""
        return info

    def epoch_batches(self, epoch: int) -> List[list]:
        """One epoch's batches, deterministic in (seed, epoch)."""
        raise NotImplementedError

    def loss(self, run: Run, batch):
        """``(loss_sum, weight, tokens, loss)``: the batch's summed loss (a tensor; a logged loss is a window's
        loss_sum over its weight), the weight it sums over, the real tokens processed, and the loss to
        backpropagate."""
        raise NotImplementedError

    @property
    def has_val(self) -> bool:
        return False

    def evaluate(self, run: Run) -> dict:
        """The fields of an eval event (the model is in eval mode and gradients are off)."""
        raise NotImplementedError

    def start_fields(self) -> dict:
        """The start event's data-set fields, after ``examples`` and ``tokens``."""
        return {}

    def checkpoint_fields(self, run: Run) -> dict:
        """Extra checkpoint fields, after ``loss_history`` (and ``initial_eval``)."""
        return {}

    def finish(self, run: Run, step: int) -> dict:
        """Called after the final checkpoint; returns the done event's extra outputs (reward: weights)."""
        return {}

    def eval_metrics(self, last: Optional[dict], initial: Optional[dict]) -> dict:
        """train_metrics.json's evaluation fields, after the train losses."""
        return {"val_loss": (last or {}).get("val_loss")}

    def val_metrics(self) -> dict:
        """train_metrics.json's validation-set fields, after ``data``."""
        return {}


def _write_json(path: str, obj) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2)
    os.replace(tmp, path)


def train_loop(args, obj: Objective) -> None:
    t_start = time.time()
    device = pick_device(args.device, args.threads)
    obj.check_args(args)
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
    cfg = obj.model_config(args, resume, init, ckpt_path)

    train = obj.load_data(args, cfg)
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
    init_info = obj.init_summary(init_info, resume)
    model.to(device)
    model.set_sdpa(True)
    model.train()

    hidden = None
    if getattr(args, "compile", False):
        if not hasattr(torch, "compile"):
            raise TrainerError(f"--compile needs torch >= 2 (this is {torch.__version__})")
        # The backbone only (the training path: no mask, no cache); weights stay in `model`.
        hidden = torch.compile(model.hidden, dynamic=True)

    min_lr = args.lr * 0.1 if args.min_lr is None else args.min_lr
    opt = make_optimizer(model, args.lr, args.weight_decay, device)
    if resume is not None and resume.get("optimizer"):
        opt.load_state_dict(resume["optimizer"])

    epochs = args.epochs if args.epochs is not None else (None if args.max_steps else 1)
    plan, total, planned_epochs = plan_steps(obj.epoch_batches, epochs, args.max_steps)
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

    run = Run(args, cfg, device, model, hidden, autocast, train)
    run.init_info = init_info
    run.initial_eval = resume.get("initial_eval") if resume is not None else None

    def evaluate() -> dict:
        model.eval()
        try:
            with torch.no_grad():
                return obj.evaluate(run)
        finally:
            model.train()

    emit("start", command=obj.command, **obj.tag, device=str(device), torch=torch.__version__, params=param_count(model),
         config=cfg.to_dict(), examples=len(train), tokens=train.n_tokens, **obj.start_fields(), total_steps=total,
         start_step=step, epochs=planned_epochs, batch_size=args.batch_size, batch_tokens=args.batch_tokens, bf16=use_bf16,
         init=init_info, resumed=resume is not None, data_sha256=train.sha256)

    if obj.eval_at_start and run.initial_eval is None and obj.has_val:
        run.initial_eval = evaluate()
        emit("eval", step=0, **run.initial_eval)

    def save(reason: str):
        atomic_save({
            "format": FORMAT, "config": cfg.to_dict(), "state_dict": cpu_state_dict(model), "step": step, **obj.tag,
            "optimizer": opt.state_dict(), "tokens_seen": tokens_seen, "elapsed_s": prev_elapsed + time.time() - t_start,
            "data_sha256": train.sha256, "loss_history": history[-1000:],
            **({"initial_eval": run.initial_eval} if obj.eval_at_start else {}), **obj.checkpoint_fields(run),
            "torch": str(torch.__version__),
            "args": {k: v for k, v in vars(args).items() if isinstance(v, (str, int, float, bool, type(None)))},
        }, ckpt_path)
        emit("save", step=step, path=ckpt_path, reason=reason)

    _STOP["signal"] = None
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, _on_signal)

    last_eval = None
    stopped = None
    # The step events' window: summed loss (on the device; read back, one sync, only when an event is
    # printed), the weight it sums over, real tokens, start time.
    win_loss, win_w, win_tok, win_t = 0.0, 0, 0, time.time()
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
        loss_sum, weight, real, loss = obj.loss(run, b)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        win_loss = loss_sum.detach() if win_w == 0 else win_loss + loss_sum.detach()
        win_w += weight
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
            win_loss, win_w, win_tok, win_t = 0.0, 0, 0, now
        if obj.has_val and args.eval_every and step % args.eval_every == 0 and step < total:
            last_eval = evaluate()
            emit("eval", step=step, **last_eval)
        if args.save_every and step % args.save_every == 0 and step < total:
            save("periodic")

    if win_w:
        history.append([step, float(win_loss) / win_w])
    if obj.has_val:
        last_eval = evaluate()
        emit("eval", step=step, **last_eval)
    save("final")
    outputs = obj.finish(run, step)
    wall = prev_elapsed + time.time() - t_start
    metrics = {
        **obj.tag,
        "final_train_loss": history[-1][1] if history else None,
        "first_train_loss": history[0][1] if history else None,
        **obj.eval_metrics(last_eval, run.initial_eval),
        "steps": step, "total_steps": total, "stopped": stopped,
        "tokens_seen": tokens_seen, "wall_time_s": wall, "device": str(device), "torch": str(torch.__version__),
        "bf16": use_bf16, "params": param_count(model),
        "data": {"path": portable(args.data), "sha256": train.sha256, "examples": len(train), "tokens": train.n_tokens},
        **obj.val_metrics(),
        "config": cfg.to_dict(), "init": init_info,
        "hyper": {"lr": args.lr, "min_lr": min_lr, "warmup": warmup, "weight_decay": args.weight_decay,
                  "batch_size": args.batch_size, "batch_tokens": args.batch_tokens, "pad_multiple": args.pad_multiple,
                  "seed": args.seed, "epochs": epochs, "max_steps": args.max_steps},
    }
    mpath = os.path.join(args.out, "train_metrics.json")
    _write_json(mpath, metrics)
    emit("done", command=obj.command, **obj.tag, step=step, checkpoint=ckpt_path, **outputs, metrics_path=mpath, metrics=metrics)
