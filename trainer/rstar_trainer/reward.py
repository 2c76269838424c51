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

The loop (resume, plan, schedule, checkpoints, events) is loop.py's. Besides ``checkpoint.pt`` a run
writes ``ppm.pt``: the weights alone, for bundles.
"""
import os

import torch
import torch.nn.functional as F

from .checkpoint import FORMAT, atomic_save, cpu_state_dict
from .config import ModelConfig, load_config
from .data import PairData, PointData, collate_seqs, load_pair_data, load_point_data, plan_batches
from .events import TrainerError
from .loop import Objective, Run, train_loop
from .paths import portable

OBJECTIVES = ("pairwise", "orm", "qreg")


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


def eval_batches(data, args, rows_per_item):
    return plan_batches(data.lengths, 0, 0, max(args.batch_size * 2, 1), args.batch_tokens, rows_per_item,
                        args.pad_multiple, shuffle=False)


def evaluate_pairs(run: Run, data: PairData) -> dict:
    """Pair accuracy (strict: score(chosen) > score(rejected)), weighted accuracy, and the weighted BT loss."""
    correct = ties = 0
    w_correct = w_total = loss_sum = margin_sum = 0.0
    for b in eval_batches(data, run.args, 2):
        rows = pair_rows(b)
        x, last = collate_seqs(data.seqs, rows, run.cfg.pad_id, run.args.pad_multiple)
        z = last_token_logits(run.model, x.to(run.device), last.to(run.device), run.autocast).double().cpu()
        zc, zr = z[0::2], z[1::2]
        w = torch.tensor([data.weights[i] for i in b], dtype=torch.float64)
        ok = (zc > zr).double()
        correct += int(ok.sum())
        ties += int((zc == zr).sum())
        w_correct += float((w * ok).sum())
        w_total += float(w.sum())
        loss_sum += float((w * pairwise_losses(zc, zr)).sum())
        margin_sum += float((torch.tanh(zc) - torch.tanh(zr)).sum())
    n = len(data)
    return {"pair_accuracy": correct / n, "pair_accuracy_weighted": w_correct / w_total, "pair_loss": loss_sum / w_total,
            "pair_ties": ties, "mean_score_margin": margin_sum / n, "pairs": n}


def evaluate_points(run: Run, objective: str, data: PointData) -> dict:
    loss_sum = w_total = 0.0
    agree = known = 0
    for b in eval_batches(data, run.args, 1):
        x, last = collate_seqs(data.seqs, list(b), run.cfg.pad_id, run.args.pad_multiple)
        z = last_token_logits(run.model, x.to(run.device), last.to(run.device), run.autocast).cpu()
        t = torch.tensor([data.targets[i] for i in b], dtype=torch.float32)
        w = torch.tensor([data.weights[i] for i in b], dtype=torch.float32)
        loss_sum += float((w * pointwise_losses(objective, z, t)).sum())
        w_total += float(w.sum())
        nz = t != 0
        known += int(nz.sum())
        agree += int(((z > 0) == (t > 0))[nz].sum())
    out = {"val_loss": loss_sum / w_total, "examples": len(data)}
    if objective == "orm":
        out["orm_accuracy"] = agree / known if known else None
    return out


class RewardObjective(Objective):
    command = "reward"
    eval_at_start = True

    def __init__(self, args):
        super().__init__(args)
        self.objective = args.objective
        if self.objective not in OBJECTIVES:
            raise TrainerError(f"--objective must be one of {', '.join(OBJECTIVES)} (got {self.objective!r})")
        self.tag = {"objective": self.objective}
        self.pairwise = self.objective == "pairwise"

    def check_args(self, args):
        if args.batch_size < 1:
            raise TrainerError("--batch-size must be >= 1")

    def model_config(self, args, resume, init, ckpt_path):
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
        if resume is not None:
            if resume["config"].kind != "ppm":
                raise TrainerError(f"{ckpt_path}: --resume: not a PPM checkpoint")
            if resume.get("objective") != self.objective:
                raise TrainerError(f"{ckpt_path}: --resume: the checkpoint was trained with --objective {resume.get('objective')}, not {self.objective}")
        return ModelConfig.from_dict({**cfg.to_dict(), "kind": "ppm"})

    def load_data(self, args, cfg):
        load = load_pair_data if self.pairwise else load_point_data
        self.train = load(args.data, cfg.vocab_size, cfg.max_seq_len)
        self.val_pairs = load_pair_data(args.val_pairs, cfg.vocab_size, cfg.max_seq_len) if args.val_pairs else None
        self.val_data = load(args.val_data, cfg.vocab_size, cfg.max_seq_len) if args.val_data else None
        # A batch's loss is sum(w * loss) / (items x mean weight of the whole set): an unbiased estimate of
        # the data set's weighted mean loss. (Dividing by the batch's own weight sum would re-inflate
        # batches that happen to hold only small-weight pairs, e.g. big 1/(pos x neg) groups.)
        self.mean_w = sum(self.train.weights) / len(self.train)
        return self.train

    def init_summary(self, info, resume):
        # Kept in the checkpoint, so a resumed run still reports where its weights came from.
        if resume is not None:
            return resume.get("init")
        return None if info is None else {k: v for k, v in info.items() if k != "tensors_skipped"}

    def epoch_batches(self, epoch):
        a = self.args
        return plan_batches(self.train.lengths, a.seed, epoch, a.batch_size, a.batch_tokens, 2 if self.pairwise else 1,
                            a.pad_multiple)

    def loss(self, run: Run, batch):
        data, device = self.train, run.device
        if self.pairwise:
            rows = pair_rows(batch)
            x, last = collate_seqs(data.seqs, rows, run.cfg.pad_id, self.args.pad_multiple)
            z = last_token_logits(run.model, x.to(device, non_blocking=True), last.to(device), run.autocast, run.hidden)
            losses = pairwise_losses(z[0::2], z[1::2])
        else:
            rows = list(batch)
            x, last = collate_seqs(data.seqs, rows, run.cfg.pad_id, self.args.pad_multiple)
            z = last_token_logits(run.model, x.to(device, non_blocking=True), last.to(device), run.autocast, run.hidden)
            t = torch.tensor([data.targets[i] for i in batch], dtype=torch.float32, device=device)
            losses = pointwise_losses(self.objective, z, t)
        ws = [data.weights[i] for i in batch]
        w = torch.tensor(ws, dtype=torch.float32, device=device)
        real = sum(data.seqs.lengths[r] for r in rows)
        loss_sum = (w * losses).sum()
        return loss_sum, float(sum(ws)), real, loss_sum / (len(batch) * self.mean_w)

    @property
    def has_val(self):
        return self.val_pairs is not None or self.val_data is not None

    def evaluate(self, run: Run):
        out = {}
        if self.val_data is not None:
            if self.pairwise:
                out["val_loss"] = evaluate_pairs(run, self.val_data)["pair_loss"]
            else:
                out.update(evaluate_points(run, self.objective, self.val_data))
        if self.val_pairs is not None:
            out.update(evaluate_pairs(run, self.val_pairs))
            out.setdefault("val_loss", out["pair_loss"])
        return out

    def start_fields(self):
        return {"val_pairs": len(self.val_pairs) if self.val_pairs else 0,
                "val_examples": len(self.val_data) if self.val_data else 0}

    def checkpoint_fields(self, run: Run):
        return {"init": run.init_info}

    def finish(self, run: Run, step: int):
        # The weights alone (no optimizer state: a third of the size) for bundles; export/logits read either.
        path = os.path.join(self.args.out, "ppm.pt")
        atomic_save({"format": FORMAT, "config": run.cfg.to_dict(), "state_dict": cpu_state_dict(run.model), "step": step,
                     "objective": self.objective, "init": run.init_info, "data_sha256": self.train.sha256,
                     "torch": str(torch.__version__)}, path)
        return {"weights": path}

    def eval_metrics(self, last, initial):
        ev = last or {}
        return {
            "val_loss": ev.get("val_loss"),
            "pair_accuracy": ev.get("pair_accuracy"),
            "pair_accuracy_weighted": ev.get("pair_accuracy_weighted"),
            "pair_loss": ev.get("pair_loss"),
            "pair_ties": ev.get("pair_ties"),
            "mean_score_margin": ev.get("mean_score_margin"),
            "orm_accuracy": ev.get("orm_accuracy"),
            "initial_pair_accuracy": (initial or {}).get("pair_accuracy"),
            "initial_val_loss": (initial or {}).get("val_loss"),
        }

    def val_metrics(self):
        vp, vd = self.val_pairs, self.val_data
        return {
            "val_pairs": None if vp is None else {"path": portable(self.args.val_pairs), "sha256": vp.sha256, "pairs": len(vp)},
            "val_data": None if vd is None else {"path": portable(self.args.val_data), "sha256": vd.sha256, "examples": len(vd)},
        }


def run_reward(args) -> None:
    train_loop(args, RewardObjective(args))
