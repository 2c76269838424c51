"""Model configuration: a JSON object stored in every checkpoint."""
import json
from dataclasses import asdict, dataclass, fields

from .events import TrainerError

KINDS = ("policy", "ppm")


@dataclass
class ModelConfig:
    vocab_size: int
    d_model: int
    n_layers: int
    n_heads: int
    d_ff: int
    max_seq_len: int
    n_kv_heads: int = 0  # 0 → n_heads
    rope_theta: float = 10000.0
    tie_embeddings: bool = False
    pad_id: int = 0
    norm_eps: float = 1e-5
    kind: str = "policy"  # "policy" (LM head) or "ppm" (scalar head + tanh)

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(raw, where: str = "config") -> "ModelConfig":
        if not isinstance(raw, dict):
            raise TrainerError(f"{where}: the model config must be a JSON object")
        known = {f.name: f for f in fields(ModelConfig)}
        # A bundle manifest's architecture carries "type": "llama"; accept and ignore it.
        extra = [k for k in raw if k not in known and k != "type"]
        if extra:
            raise TrainerError(f"{where}: unknown field \"{extra[0]}\" (known: {', '.join(known)})")
        if raw.get("type", "llama") != "llama":
            raise TrainerError(f"{where}: field \"type\": only \"llama\" is supported")
        required = ["vocab_size", "d_model", "n_layers", "n_heads", "d_ff", "max_seq_len"]
        for k in required:
            if k not in raw:
                raise TrainerError(f"{where}: field \"{k}\" is required")
        vals = {}
        for name, f in known.items():
            if name not in raw:
                continue
            v = raw[name]
            if f.type in (int, "int"):
                if isinstance(v, bool) or not isinstance(v, int):
                    raise TrainerError(f"{where}: field \"{name}\" must be an integer (got {json.dumps(v)})")
            elif f.type in (float, "float"):
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise TrainerError(f"{where}: field \"{name}\" must be a number (got {json.dumps(v)})")
                v = float(v)
            elif f.type in (bool, "bool"):
                if not isinstance(v, bool):
                    raise TrainerError(f"{where}: field \"{name}\" must be true or false (got {json.dumps(v)})")
            elif f.type in (str, "str"):
                if not isinstance(v, str):
                    raise TrainerError(f"{where}: field \"{name}\" must be a string (got {json.dumps(v)})")
            vals[name] = v
        cfg = ModelConfig(**vals)
        if cfg.n_kv_heads == 0:
            cfg.n_kv_heads = cfg.n_heads
        for k in ("vocab_size", "d_model", "n_layers", "n_heads", "n_kv_heads", "d_ff", "max_seq_len"):
            if getattr(cfg, k) <= 0:
                raise TrainerError(f"{where}: field \"{k}\" must be positive")
        if cfg.d_model % cfg.n_heads:
            raise TrainerError(f"{where}: field \"d_model\" ({cfg.d_model}) must be divisible by n_heads ({cfg.n_heads})")
        if cfg.head_dim % 2:
            raise TrainerError(f"{where}: head_dim = d_model / n_heads = {cfg.head_dim} must be even (RoPE)")
        if cfg.n_heads % cfg.n_kv_heads:
            raise TrainerError(f"{where}: field \"n_kv_heads\" ({cfg.n_kv_heads}) must divide n_heads ({cfg.n_heads})")
        if not 0 <= cfg.pad_id < cfg.vocab_size:
            raise TrainerError(f"{where}: field \"pad_id\" ({cfg.pad_id}) must be in [0, vocab_size)")
        if cfg.rope_theta <= 0 or cfg.norm_eps <= 0:
            raise TrainerError(f"{where}: fields \"rope_theta\" and \"norm_eps\" must be positive")
        if cfg.kind not in KINDS:
            raise TrainerError(f"{where}: field \"kind\" must be one of {', '.join(KINDS)} (got {json.dumps(cfg.kind)})")
        return cfg


def load_config(path: str) -> ModelConfig:
    try:
        with open(path, "r", encoding="utf-8") as fh:
            raw = json.load(fh)
    except FileNotFoundError:
        raise TrainerError(f"{path}: no such file")
    except json.JSONDecodeError as e:
        raise TrainerError(f"{path}: not valid JSON ({e})")
    return ModelConfig.from_dict(raw, where=path)
