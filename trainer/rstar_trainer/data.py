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


# ───────────────────── reward-model data (PPM, ORM, Q-regression) ─────────────────────

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


def _read_records(path: str, shape: str):
    try:
        fh = open(path, "r", encoding="utf-8")
    except OSError as e:
        raise TrainerError(f"{path}: cannot read ({e.strerror or e})")
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
            yield where, rec


def _check_ids(where: str, rec: dict, field: str, vocab_size: int, max_seq_len: int) -> list:
    ids = rec.get(field)
    if ids is None:
        raise TrainerError(f"{where}: field \"{field}\" is required")
    if not isinstance(ids, list):
        raise TrainerError(f"{where}: field \"{field}\" must be an array of token ids")
    if not ids:
        raise TrainerError(f"{where}: field \"{field}\" needs at least 1 token")
    if len(ids) > max_seq_len:
        raise TrainerError(f"{where}: field \"{field}\" has {len(ids)} tokens, more than max_seq_len {max_seq_len} (truncate from the left)")
    for j, t in enumerate(ids):
        if not _is_int(t) or not 0 <= t < vocab_size:
            raise TrainerError(f"{where}: field \"{field}[{j}]\" must be an integer token id in [0, {vocab_size}) (got {json.dumps(t)})")
    return ids


def _check_number(where: str, rec: dict, field: str, default=None, lo=None, hi=None, positive=False) -> float:
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


def load_pair_data(path: str, vocab_size: int, max_seq_len: int) -> PairData:
    """JSONL ``{"chosen": [ids], "rejected": [ids], "weight": w}`` (weight optional, default 1)."""
    flat: List[int] = []
    offsets = [0]
    weights: List[float] = []
    shape = '{"chosen": [...], "rejected": [...], "weight": number}'
    for where, rec in _read_records(path, shape):
        c = _check_ids(where, rec, "chosen", vocab_size, max_seq_len)
        r = _check_ids(where, rec, "rejected", vocab_size, max_seq_len)
        w = _check_number(where, rec, "weight", default=1.0, positive=True)
        flat.extend(c)
        offsets.append(len(flat))
        flat.extend(r)
        offsets.append(len(flat))
        weights.append(w)
    if not weights:
        raise TrainerError(f"{path}: no records")
    return PairData(path, SeqStore(torch.tensor(flat, dtype=torch.int64), offsets), weights, sha256_file(path))


def load_point_data(path: str, vocab_size: int, max_seq_len: int) -> PointData:
    """JSONL ``{"ids": [ids], "target": t in [-1, 1], "weight": w}`` (weight optional, default 1)."""
    flat: List[int] = []
    offsets = [0]
    targets: List[float] = []
    weights: List[float] = []
    shape = '{"ids": [...], "target": number, "weight": number}'
    for where, rec in _read_records(path, shape):
        ids = _check_ids(where, rec, "ids", vocab_size, max_seq_len)
        t = _check_number(where, rec, "target", lo=-1.0, hi=1.0)
        w = _check_number(where, rec, "weight", default=1.0, positive=True)
        flat.extend(ids)
        offsets.append(len(flat))
        targets.append(t)
        weights.append(w)
    if not weights:
        raise TrainerError(f"{path}: no records")
    return PointData(path, SeqStore(torch.tensor(flat, dtype=torch.int64), offsets), targets, weights, sha256_file(path))


def plan_length_batches(lengths: List[int], seed: int, epoch: int, batch_size: int, batch_tokens: Optional[int] = None,
                        rows_per_item: int = 1, pad_multiple: int = 1, shuffle: bool = True) -> List[List[int]]:
    """Batches of item indices: shuffle, sort by length inside large chunks (little padding), cut
    into batches of at most ``batch_size`` items (and, with ``batch_tokens``, at most that many
    padded tokens: items x rows_per_item x padded length), then shuffle the batches. Deterministic
    in (seed, epoch). ``shuffle=False`` (evaluation): one global sort by length, batches in order."""
    idx = list(range(len(lengths)))
    rng = random.Random(seed * 1_000_003 + epoch)
    if shuffle:
        rng.shuffle(idx)
        chunk = max(1, batch_size * 64)
    else:
        chunk = len(idx) or 1
    batches: List[List[int]] = []
    for c in range(0, len(idx), chunk):
        part = sorted(idx[c:c + chunk], key=lambda i: lengths[i])
        cur: List[int] = []
        longest = 0
        for i in part:
            L = padded_len(lengths[i], pad_multiple)
            full = len(cur) >= batch_size
            over = batch_tokens is not None and cur and (len(cur) + 1) * rows_per_item * max(longest, L) > batch_tokens
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


def collate_seqs(seqs: SeqStore, rows: List[int], pad_id: int, pad_multiple: int = 1):
    """Right-padded ids [R, L] and each row's last real index [R] (where its score is read)."""
    L = padded_len(max(seqs.lengths[i] for i in rows), pad_multiple)
    x = torch.full((len(rows), L), pad_id, dtype=torch.int64)
    last = torch.empty(len(rows), dtype=torch.int64)
    for r, i in enumerate(rows):
        ids = seqs.ids(i)
        x[r, :ids.shape[0]] = ids
        last[r] = ids.shape[0] - 1
    return x, last
