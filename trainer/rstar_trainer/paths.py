"""Paths recorded in manifests: relative to the repository root, never absolute paths of this machine."""
import os

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def portable(path: str) -> str:
    """`path` relative to the repository root when it lies inside it; else its file name alone
    (a sha256 recorded beside it identifies the file either way)."""
    full = os.path.realpath(path)
    root = os.path.realpath(REPO_ROOT)
    if full == root or full.startswith(root + os.sep):
        return os.path.relpath(full, root)
    return os.path.basename(full)
