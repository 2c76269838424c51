"""JSON-line events on stdout (machine-readable progress); human chatter goes to stderr."""
import json
import math
import os
import sys


class TrainerError(Exception):
    """An error with a message meant for the user (printed as an error event, exit code 1)."""


def _clean(v):
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


_out = None


def take_stdout() -> None:
    """Keeps fd 1 for events only: the event stream gets a private duplicate of stdout, and fd 1
    (with ``sys.stdout``) is pointed at stderr, so prints from torch or C++ code cannot corrupt it."""
    global _out
    if _out is not None:
        return
    sys.stdout.flush()
    fd = os.dup(1)
    os.dup2(2, 1)
    _out = os.fdopen(fd, "w", buffering=1, encoding="utf-8")
    sys.stdout = sys.stderr


def emit(event: str, **fields) -> None:
    rec = {"event": event}
    rec.update(fields)
    out = _out or sys.stdout
    out.write(json.dumps(_clean(rec), separators=(",", ":"), allow_nan=False) + "\n")
    out.flush()


def log(msg: str) -> None:
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()
