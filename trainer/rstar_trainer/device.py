import os

import torch

from .events import TrainerError


def pick_device(name: str, threads=None) -> torch.device:
    """``auto`` → CUDA when available, else CPU. On CPU every core is used."""
    if name in (None, "auto"):
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise TrainerError("--device cuda: CUDA is not available to this torch " + torch.__version__)
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        return torch.device(name)
    if name != "cpu":
        raise TrainerError(f"--device must be cpu, cuda or auto (got {name!r})")
    set_cpu_threads(threads)
    return torch.device("cpu")


def set_cpu_threads(n) -> int:
    n = n or os.cpu_count() or 1
    torch.set_num_threads(n)
    return n
