"""Training data: one JSONL reader (a bad line fails with ``FILE:LINE: field "…": …``), the data sets
it builds, one batch planner and the two collations.

  SFT      ``{"ids": [ids], "loss_from": int}``                        → TokenData
  pairwise ``{"chosen": [ids], "rejected": [ids], "weight": w}``        → PairData
  ORM/Q    ``{"ids": [ids], "target": t in [-1, 1], "weight": w}``      → PointData

Token ids are stored flat (one int64 tensor + offsets) so millions of sequences stay compact.
"""
import hashlib
import json
import random
from typing import Callable, List, Optional, Tuple

import torch

from .events import TrainerError

IGNORE = -100


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class SeqStore:
    """Variable-length token sequences stored flat (int64 tensor + offsets)."""

    def __init__(self, flat: torch.Tensor, offsets: List[int]):
        self.flat = flat
        self.offsets = offsets
        self.lengths = [offsets[i + 1] - offsets[i] for i in range(len(offsets) - 1)]

    def __len__(self) -> int:
        return len(self.lengths)

    def ids(self, i: int) -> torch.Tensor:
        return self.flat[self.offsets[i]:self.offsets[i + 1]]

    @property
    def n_tokens(self) -> int:
        return self.offsets[-1]


# ───────────────────────────── reading ─────────────────────────────

def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def read_jsonl(path: str, shape: str, parse: Callable[[str, dict], Tuple[list, object]]):
    """Reads ``path`` (blank lines skipped); ``parse(where, record)`` validates one JSON object and returns
    its token sequences and its item (what the data set keeps per record). Returns the sequences of every
    record in order (a SeqStore), the items, and the file's sha256. ``shape`` is named when a line is not
    a JSON object."""
    try:
        fh = open(path, "r", encoding="utf-8")
    except OSError as e:
        raise TrainerError(f"{path}: cannot read ({e.strerror or e})")
    flat: List[int] = []
    offsets = [0]
    items = []
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
                raise TrainerError(f"{where}: a record must be a JSON object {shape}")
            seqs, item = parse(where, rec)
            for ids in seqs:
                flat.extend(ids)
                offsets.append(len(flat))
            items.append(item)
    if not items:
        raise TrainerError(f"{path}: no records")
    return SeqStore(torch.tensor(flat, dtype=torch.int64), offsets), items, sha256_file(path)


def check_ids(where: str, rec: dict, field: str, vocab_size: int, max_seq_len: int, min_tokens: int = 1,
              too_long_hint: str = "") -> list:
    ids = rec.get(field)
    if ids is None:
        raise TrainerError(f"{where}: field \"{field}\" is required")
    if not isinstance(ids, list):
        raise TrainerError(f"{where}: field \"{field}\" must be an array of token ids")
    if len(ids) < min_tokens:
        need = "1 token" if min_tokens == 1 else f"{min_tokens} tokens (got {len(ids)})"
        raise TrainerError(f"{where}: field \"{field}\" needs at least {need}")
    if len(ids) > max_seq_len:
        raise TrainerError(f"{where}: field \"{field}\" has {len(ids)} tokens, more than max_seq_len {max_seq_len}{too_long_hint}")
    for j, t in enumerate(ids):
        if not _is_int(t) or not 0 <= t < vocab_size:
            raise TrainerError(f"{where}: field \"{field}[{j}]\" must be an integer token id in [0, {vocab_size}) (got {json.dumps(t)})")
    return ids


def check_number(where: str, rec: dict, field: str, default=None, lo=None, hi=None, positive=False) -> float:
    v = rec.get(field, default)
    if v is None:
        raise TrainerError(f"{where}: field \"{field}\" is required")
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v in (float("inf"), float("-inf")):
        raise TrainerError(f"{where}: field \"{field}\" must be a finite number (got {json.dumps(v)})")
    if positive and not v > 0:
        raise TrainerError(f"{where}: field \"{field}\" must be positive (got {v})")
    if lo is not None and not lo <= v <= hi:
        raise TrainerError(f"{where}: field \"{field}\" must be in [{lo}, {hi}] (got {v})")
    return float(v)


# ───────────────────────────── data sets ─────────────────────────────

class TokenData:
    """SFT examples: token ids, and loss_from (tokens at index >= max(loss_from, 1) are targets)."""

    def __init__(self, path: str, seqs: SeqStore, loss_from: List[int], sha256: str):
        self.path = path
        self.seqs = seqs
        self.loss_from = loss_from
        self.sha256 = sha256
        self.lengths = seqs.lengths

    def __len__(self) -> int:
        return len(self.loss_from)

    def ids(self, i: int) -> torch.Tensor:
        return self.seqs.ids(i)

    @property
    def n_tokens(self) -> int:
        return self.seqs.n_tokens

    @property
    def n_targets(self) -> int:
        return sum(n - max(lf, 1) for n, lf in zip(self.lengths, self.loss_from))

    @property
    def input_lengths(self) -> List[int]:
        """What a batch pads: the inputs (the last token is only a target)."""
        return [n - 1 for n in self.lengths]


class PairData:
    """Preference pairs: sequence ``2i`` is pair i's chosen text, ``2i + 1`` its rejected one."""

    def __init__(self, path: str, seqs: SeqStore, weights: List[float], sha256: str):
        self.path = path
        self.seqs = seqs
        self.weights = weights
        self.sha256 = sha256
        # A pair's rows are padded to the longer of its two sequences.
        self.lengths = [max(seqs.lengths[2 * i], seqs.lengths[2 * i + 1]) for i in range(len(weights))]

    def __len__(self) -> int:
        return len(self.weights)

    @property
    def n_tokens(self) -> int:
        return self.seqs.n_tokens


class PointData:
    """Pointwise examples (ORM / Q-regression): a sequence, a target in [-1, 1] and a weight."""

    def __init__(self, path: str, seqs: SeqStore, targets: List[float], weights: List[float], sha256: str):
        self.path = path
        self.seqs = seqs
        self.targets = targets
        self.weights = weights
        self.sha256 = sha256
        self.lengths = seqs.lengths

    def __len__(self) -> int:
        return len(self.weights)

    @property
    def n_tokens(self) -> int:
        return self.seqs.n_tokens


def load_token_data(path: str, vocab_size: int, max_seq_len: int) -> TokenData:
    """JSONL ``{"ids": [ids], "loss_from": int}``, ``0 <= loss_from < len(ids)``."""
    def parse(where, rec):
        ids = check_ids(where, rec, "ids", vocab_size, max_seq_len, min_tokens=2)
        lf = rec.get("loss_from")
        if lf is None:
            raise TrainerError(f"{where}: field \"loss_from\" is required")
        if not _is_int(lf):
            raise TrainerError(f"{where}: field \"loss_from\" must be an integer (got {json.dumps(lf)})")
        if not 0 <= lf < len(ids):
            raise TrainerError(f"{where}: field \"loss_from\" ({lf}) must be in [0, {len(ids)}) so that at least one token is trained on")
        return [ids], lf

    seqs, loss_from, sha = read_jsonl(path, '{"ids": [...], "loss_from": int}', parse)
    return TokenData(path, seqs, loss_from, sha)


_TRUNCATE = " (truncate from the left)"


def load_pair_data(path: str, vocab_size: int, max_seq_len: int) -> PairData:
    """JSONL ``{"chosen": [ids], "rejected": [ids], "weight": w}`` (weight optional, default 1)."""
    def parse(where, rec):
        c = check_ids(where, rec, "chosen", vocab_size, max_seq_len, too_long_hint=_TRUNCATE)
        r = check_ids(where, rec, "rejected", vocab_size, max_seq_len, too_long_hint=_TRUNCATE)
        return [c, r], check_number(where, rec, "weight", default=1.0, positive=True)

    seqs, weights, sha = read_jsonl(path, '{"chosen": [...], "rejected": [...], "weight": number}', parse)
    return PairData(path, seqs, weights, sha)


def load_point_data(path: str, vocab_size: int, max_seq_len: int) -> PointData:
    """JSONL ``{"ids": [ids], "target": t in [-1, 1], "weight": w}`` (weight optional, default 1)."""
    def parse(where, rec):
        ids = check_ids(where, rec, "ids", vocab_size, max_seq_len, too_long_hint=_TRUNCATE)
        t = check_number(where, rec, "target", lo=-1.0, hi=1.0)
        return [ids], (t, check_number(where, rec, "weight", default=1.0, positive=True))

    seqs, items, sha = read_jsonl(path, '{"ids": [...], "target": number, "weight": number}', parse)
    return PointData(path, seqs, [t for t, _ in items], [w for _, w in items], sha)


# ───────────────────────────── batches ─────────────────────────────

def padded_len(n: int, multiple: int) -> int:
    return -(-n // multiple) * multiple if multiple > 1 else n


def plan_batches(lengths: List[int], seed: int, epoch: int, batch_size: Optional[int] = None,
                 batch_tokens: Optional[int] = None, rows_per_item: int = 1, pad_multiple: int = 1,
                 chunk: Optional[int] = None, shuffle: bool = True) -> List[List[int]]:
    """Batches of item indices (every item once), deterministic in (seed, epoch): shuffle, sort by length
    inside chunks of ``chunk`` items (default ``batch_size`` x 64) so a batch pads little, cut into batches
    of at most ``batch_size`` items and, with ``batch_tokens``, at most that many padded tokens (items x
    ``rows_per_item`` x the longest padded length; an item alone may exceed it), then shuffle the batches.
    ``lengths``: each item's length as a batch pads it. ``shuffle=False`` (evaluation): one sort by length
    over the whole set, batches in that order."""
    idx = list(range(len(lengths)))
    rng = random.Random(seed * 1_000_003 + epoch)
    if shuffle:
        rng.shuffle(idx)
    if chunk is None:
        chunk = batch_size * 64 if shuffle else len(idx)
    chunk = max(1, chunk)
    batches: List[List[int]] = []
    for c in range(0, len(idx), chunk):
        part = sorted(idx[c:c + chunk], key=lambda i: lengths[i])
        cur: List[int] = []
        longest = 0
        for i in part:
            L = padded_len(lengths[i], pad_multiple)
            full = batch_size is not None and len(cur) >= batch_size
            over = batch_tokens is not None and (len(cur) + 1) * rows_per_item * max(longest, L) > batch_tokens
            if cur and (full or over):
                batches.append(cur)
                cur, longest = [], 0
            cur.append(i)
            longest = max(longest, L)
        if cur:
            batches.append(cur)
    if shuffle:
        rng.shuffle(batches)
    return batches


def collate(data: TokenData, batch: List[int], pad_id: int, pad_multiple: int = 1):
    """SFT: right-padded inputs [B, L] and labels [B, L] (IGNORE outside the trained positions), L the
    longest input rounded up to ``pad_multiple`` (few distinct shapes: kernels and allocator blocks
    get reused on CUDA), and the real input tokens.

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


def collate_seqs(seqs: SeqStore, rows: List[int], pad_id: int, pad_multiple: int = 1):
    """Reward models: right-padded ids [R, L] and each row's last real index [R] (where its score is read)."""
    L = padded_len(max(seqs.lengths[i] for i in rows), pad_multiple)
    x = torch.full((len(rows), L), pad_id, dtype=torch.int64)
    last = torch.empty(len(rows), dtype=torch.int64)
    for r, i in enumerate(rows):
        ids = seqs.ids(i)
        x[r, :ids.shape[0]] = ids
        last[r] = ids.shape[0] - 1
    return x, last
