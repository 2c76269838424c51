"""SFT data: JSONL ``{"ids": [int, ...], "loss_from": int}``; length-bucketed, right-padded batches."""
import hashlib
import json
import random
from typing import List, Optional

import torch

from .events import TrainerError

IGNORE = -100


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class TokenData:
    """Sequences stored flat (int64 tensor + offsets) so millions of examples stay compact."""

    def __init__(self, path: str, flat: torch.Tensor, offsets: List[int], loss_from: List[int], sha256: str):
        self.path = path
        self.flat = flat
        self.offsets = offsets
        self.loss_from = loss_from
        self.sha256 = sha256
        self.lengths = [offsets[i + 1] - offsets[i] for i in range(len(loss_from))]

    def __len__(self) -> int:
        return len(self.loss_from)

    def ids(self, i: int) -> torch.Tensor:
        return self.flat[self.offsets[i]:self.offsets[i + 1]]

    @property
    def n_tokens(self) -> int:
        return self.offsets[-1]

    @property
    def n_targets(self) -> int:
        return sum(n - max(lf, 1) for n, lf in zip(self.lengths, self.loss_from))


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def load_token_data(path: str, vocab_size: int, max_seq_len: int) -> TokenData:
    """Reads and validates the file; any bad line raises an error naming file, line and field."""
    try:
        fh = open(path, "r", encoding="utf-8")
    except OSError as e:
        raise TrainerError(f"{path}: cannot read ({e.strerror or e})")
    flat: List[int] = []
    offsets = [0]
    loss_from: List[int] = []
    with fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise TrainerError(f"{where}: not valid JSON ({e.msg} at column {e.colno})")
            if not isinstance(rec, dict):
                raise TrainerError(f"{where}: a record must be a JSON object {{\"ids\": [...], \"loss_from\": int}}")
            ids = rec.get("ids")
            if ids is None:
                raise TrainerError(f"{where}: field \"ids\" is required")
            if not isinstance(ids, list):
                raise TrainerError(f"{where}: field \"ids\" must be an array of token ids")
            if len(ids) < 2:
                raise TrainerError(f"{where}: field \"ids\" needs at least 2 tokens (got {len(ids)})")
            if len(ids) > max_seq_len:
                raise TrainerError(f"{where}: field \"ids\" has {len(ids)} tokens, more than max_seq_len {max_seq_len}")
            for j, t in enumerate(ids):
                if not _is_int(t) or not 0 <= t < vocab_size:
                    raise TrainerError(f"{where}: field \"ids[{j}]\" must be an integer token id in [0, {vocab_size}) (got {json.dumps(t)})")
            lf = rec.get("loss_from")
            if lf is None:
                raise TrainerError(f"{where}: field \"loss_from\" is required")
            if not _is_int(lf):
                raise TrainerError(f"{where}: field \"loss_from\" must be an integer (got {json.dumps(lf)})")
            if not 0 <= lf < len(ids):
                raise TrainerError(f"{where}: field \"loss_from\" ({lf}) must be in [0, {len(ids)}) so that at least one token is trained on")
            flat.extend(ids)
            offsets.append(len(flat))
            loss_from.append(lf)
    if not loss_from:
        raise TrainerError(f"{path}: no records")
    return TokenData(path, torch.tensor(flat, dtype=torch.int64), offsets, loss_from, sha256_file(path))


def padded_len(n: int, multiple: int) -> int:
    return -(-n // multiple) * multiple if multiple > 1 else n


def plan_epoch(data: TokenData, seed: int, epoch: int, batch_size: Optional[int], batch_tokens: Optional[int],
               pad_multiple: int = 1) -> List[List[int]]:
    """Batches of example indices for one epoch: shuffle, sort by length inside large chunks
    (so a batch pads little), group, then shuffle the batches. Deterministic in (seed, epoch).
    With ``batch_tokens``, a batch's padded size (rows x padded length) stays within it."""
    rng = random.Random(seed * 1_000_003 + epoch)
    idx = list(range(len(data)))
    rng.shuffle(idx)
    lengths = data.lengths
    if batch_size:
        chunk = batch_size * 64
    else:
        mean = max(1, data.n_tokens // len(data))
        chunk = max(1, 64 * batch_tokens // mean)
    batches: List[List[int]] = []
    for c in range(0, len(idx), chunk):
        part = sorted(idx[c:c + chunk], key=lambda i: lengths[i])
        if batch_size:
            batches.extend(part[k:k + batch_size] for k in range(0, len(part), batch_size))
        else:
            cur: List[int] = []
            longest = 0
            for i in part:
                L = padded_len(lengths[i] - 1, pad_multiple)  # input length (the last token is only a target)
                if cur and (len(cur) + 1) * max(longest, L) > batch_tokens:
                    batches.append(cur)
                    cur, longest = [], 0
                cur.append(i)
                longest = max(longest, L)
            if cur:
                batches.append(cur)
    rng.shuffle(batches)
    return batches


def collate(data: TokenData, batch: List[int], pad_id: int, pad_multiple: int = 1):
    """Right-padded inputs [B, L] and labels [B, L] (IGNORE outside the trained positions), L the
    longest input rounded up to ``pad_multiple`` (few distinct shapes: kernels and allocator blocks
    get reused on CUDA).

    Position t of the inputs predicts token t+1; a token at index t >= max(loss_from, 1) is a target.
    """
    L = padded_len(max(data.lengths[i] for i in batch) - 1, pad_multiple)
    x = torch.full((len(batch), L), pad_id, dtype=torch.int64)
    y = torch.full((len(batch), L), IGNORE, dtype=torch.int64)
    for r, i in enumerate(batch):
        ids = data.ids(i)
        n = ids.shape[0]
        x[r, :n - 1] = ids[:-1]
        start = max(data.loss_from[i], 1)
        y[r, start - 1:n - 1] = ids[start:]
    real = sum(data.lengths[i] - 1 for i in batch)
    return x, y, real
