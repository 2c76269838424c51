"""Checkpoints: ``{format, config, state_dict, step, ...}`` saved atomically (tmp file + rename)."""
import os
import torch

from .config import ModelConfig
from .events import TrainerError
from .model import Decoder
from .paths import portable

FORMAT = "rstar-ckpt/1"


def atomic_save(obj, path: str) -> None:
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        torch.save(obj, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def cpu_state_dict(model: torch.nn.Module) -> dict:
    return {k: v.detach().to("cpu", torch.float32 if v.is_floating_point() else v.dtype).contiguous().clone()
            for k, v in model.state_dict().items()}


def load_checkpoint(path: str) -> dict:
    if os.path.isdir(path):
        path = os.path.join(path, "checkpoint.pt")
    if not os.path.exists(path):
        raise TrainerError(f"{path}: no such checkpoint")
    kwargs = {"map_location": "cpu"}
    if int(torch.__version__.split(".")[0]) >= 2:
        # Our checkpoints hold plain containers, tensors and numbers only. (torch 1.13's
        # weights-only unpickler cannot read floats, so there it is a plain load.)
        kwargs["weights_only"] = True
    try:
        ck = torch.load(path, **kwargs)
    except Exception as e:  # noqa: BLE001 - report any unpickling failure as a user error
        raise TrainerError(f"{path}: cannot load the checkpoint ({type(e).__name__}: {e})")
    if not isinstance(ck, dict) or "config" not in ck or "state_dict" not in ck:
        raise TrainerError(f"{path}: not an rstar_trainer checkpoint (needs fields \"config\" and \"state_dict\")")
    ck["config"] = ModelConfig.from_dict(ck["config"], where=f"{path}: config")
    ck["path"] = path
    return ck


def model_from_checkpoint(ck: dict) -> Decoder:
    cfg: ModelConfig = ck["config"]
    model = Decoder(cfg)
    missing, unexpected = model.load_state_dict(ck["state_dict"], strict=False)
    if missing or unexpected:
        raise TrainerError(f"{ck.get('path', 'checkpoint')}: state_dict does not match the config "
                           f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
    model.eval()
    return model


def init_weights_from(model: Decoder, ck: dict) -> dict:
    """Copies weights from a checkpoint into ``model`` (policy → policy, or policy/ppm → ppm backbone).

    The architecture must match; a policy's LM head is dropped when initialising a PPM (whose scalar
    head keeps its fresh initialisation). Returns a summary for the start event.
    """
    src: ModelConfig = ck["config"]
    dst = model.cfg
    for k in ("vocab_size", "d_model", "n_layers", "n_heads", "n_kv_heads", "d_ff", "rope_theta", "norm_eps"):
        if getattr(src, k) != getattr(dst, k):
            raise TrainerError(f"{ck['path']}: --init checkpoint has {k}={getattr(src, k)} but the model config has {getattr(dst, k)}")
    own = model.state_dict()
    copied, skipped = 0, []
    for name, t in ck["state_dict"].items():
        if name in own and own[name].shape == t.shape:
            own[name] = t
            copied += 1
        else:
            skipped.append(name)
    if dst.kind == "policy" and not dst.tie_embeddings and "lm_head.weight" not in ck["state_dict"]:
        # Tied source → untied target: start the LM head from the embeddings.
        own["lm_head.weight"] = ck["state_dict"]["embed.weight"].clone()
    model.load_state_dict(own)
    return {"init_from": portable(ck["path"]), "init_kind": src.kind, "tensors_copied": copied, "tensors_skipped": skipped}
