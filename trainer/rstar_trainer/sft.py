"""``sft``: next-token cross-entropy on the solution tokens (positions >= loss_from). The loop is loop.py's."""
import torch.nn.functional as F

from .config import load_config
from .data import IGNORE, TokenData, collate, load_token_data, plan_batches
from .events import TrainerError
from .loop import Objective, Run, train_loop
from .paths import portable


def batch_loss(model, x, y, autocast, hidden=None):
    """Summed cross-entropy over target tokens and their count; the head runs on target positions only."""
    with autocast():
        h, _ = (hidden or model.hidden)(x)
        sel = y != IGNORE
        logits = model.head(h[sel])
    targets = y[sel]
    loss_sum = F.cross_entropy(logits.float(), targets, reduction="sum")
    return loss_sum, int(targets.numel())


def plan_sft_epoch(data: TokenData, seed: int, epoch: int, batch_size, batch_tokens, pad_multiple: int = 1):
    """One epoch's batches: ``batch_size`` examples, or at most ``batch_tokens`` padded input tokens (the
    examples sorted together: 64 batches' worth by the mean length)."""
    chunk = None if batch_size else max(1, 64 * batch_tokens // max(1, data.n_tokens // len(data)))
    return plan_batches(data.input_lengths, seed, epoch, batch_size, batch_tokens, pad_multiple=pad_multiple, chunk=chunk)


class SftObjective(Objective):
    command = "sft"

    def check_args(self, args):
        if args.batch_size is None and args.batch_tokens is None:
            args.batch_tokens = 8192
        if args.batch_size is not None and args.batch_tokens is not None:
            raise TrainerError("give --batch-size or --batch-tokens, not both")

    def model_config(self, args, resume, init, ckpt_path):
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
        return cfg

    def load_data(self, args, cfg):
        self.train = load_token_data(args.data, cfg.vocab_size, cfg.max_seq_len)
        self.val = load_token_data(args.val_data, cfg.vocab_size, cfg.max_seq_len) if args.val_data else None
        return self.train

    def epoch_batches(self, epoch):
        a = self.args
        return plan_sft_epoch(self.train, a.seed, epoch, a.batch_size, a.batch_tokens, a.pad_multiple)

    def loss(self, run: Run, batch):
        x, y, real = collate(self.train, batch, run.cfg.pad_id, self.args.pad_multiple)
        x, y = x.to(run.device, non_blocking=True), y.to(run.device, non_blocking=True)
        loss_sum, n = batch_loss(run.model, x, y, run.autocast, run.hidden)
        return loss_sum, n, real, loss_sum / max(n, 1)

    @property
    def has_val(self):
        return self.val is not None

    def evaluate(self, run: Run):
        a = self.args
        total, count = 0.0, 0
        for b in plan_sft_epoch(self.val, 0, 0, a.batch_size, a.batch_tokens, a.pad_multiple):
            x, y, _ = collate(self.val, b, run.cfg.pad_id, a.pad_multiple)
            s, n = batch_loss(run.model, x.to(run.device), y.to(run.device), run.autocast, run.hidden)
            total += float(s)
            count += n
        return {"val_loss": total / max(count, 1)}

    def start_fields(self):
        return {"target_tokens": self.train.n_targets, "val_examples": len(self.val) if self.val else 0}

    def val_metrics(self):
        val = self.val
        return {"val_data": None if val is None else {"path": portable(self.args.val_data), "sha256": val.sha256, "examples": len(val)}}


def run_sft(args) -> None:
    train_loop(args, SftObjective(args))
