"""``export``: a checkpoint → ONNX (TorchScript exporter, opset 17, all axes dynamic).

Policy I/O follows Hugging Face optimum's decoder-with-past input convention:
  inputs  input_ids [b, s] int64, attention_mask [b, p+s] int64, position_ids [b, s] int64,
          past_key_values.{i}.key / .value [b, n_kv_heads, p, head_dim] float32
  outputs logits [b, s, vocab] float32, new_key_values.{i}.key / .value [b, n_kv_heads, s, head_dim]
The graph returns only the keys/values of the s new positions (not optimum's concatenated
``present``): the engine keeps the cache in its own buffers and a decode step moves only one
column per row. Past columns may be padding anywhere (masked by attention_mask); queries see the
whole (unmasked) past and the new positions causally.
PPM I/O: input_ids, attention_mask, position_ids → scores [b, s] float32 (tanh of the scalar head).
"""
import hashlib
import inspect
import os
import warnings

import torch
import torch.nn as nn

from .checkpoint import load_checkpoint, model_from_checkpoint
from .device import set_cpu_threads
from .events import TrainerError, emit

OPSET = 17


class PolicyGraph(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model
        self.n_layers = model.cfg.n_layers

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(self.n_layers)]
        logits, presents = self.model(input_ids, attention_mask, position_ids, past)
        out = [logits]
        for k, v in presents:
            out.extend([k, v])
        return tuple(out)


class PpmGraph(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids):
        scores, _ = self.model(input_ids, attention_mask, position_ids, None)
        return scores


def io_spec(cfg):
    kv = ["batch", cfg.n_kv_heads, "past_seq", cfg.head_dim]
    kvn = ["batch", cfg.n_kv_heads, "seq", cfg.head_dim]
    inputs = [("input_ids", "int64", ["batch", "seq"]), ("attention_mask", "int64", ["batch", "past_seq+seq"]),
              ("position_ids", "int64", ["batch", "seq"])]
    if cfg.kind == "ppm":
        inputs[1] = ("attention_mask", "int64", ["batch", "seq"])
        return inputs, [("scores", "float32", ["batch", "seq"])]
    outputs = [("logits", "float32", ["batch", "seq", cfg.vocab_size])]
    for i in range(cfg.n_layers):
        inputs += [(f"past_key_values.{i}.key", "float32", kv), (f"past_key_values.{i}.value", "float32", kv)]
        outputs += [(f"new_key_values.{i}.key", "float32", kvn), (f"new_key_values.{i}.value", "float32", kvn)]
    return inputs, outputs


def export_onnx(model, out_path: str) -> dict:
    cfg = model.cfg
    model = model.float().eval()
    model.set_sdpa(False)
    B, S, P = 2, 3, 4  # distinct sizes so no axis is specialised by accident
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, cfg.vocab_size, (B, S), generator=g)
    inputs, outputs = io_spec(cfg)
    if cfg.kind == "ppm":
        mask = torch.ones(B, S, dtype=torch.int64)
        mask[1, 0] = 0
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        graph, args = PpmGraph(model), (ids, mask, pos)
        dyn = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
               "position_ids": {0: "batch", 1: "seq"}, "scores": {0: "batch", 1: "seq"}}
    else:
        mask = torch.ones(B, P + S, dtype=torch.int64)
        mask[1, 0] = 0
        pos = torch.arange(P, P + S).unsqueeze(0).expand(B, S).contiguous()
        past = []
        dyn = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "past_seq+seq"},
               "position_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}}
        for i in range(cfg.n_layers):
            for kv in ("key", "value"):
                past.append(torch.randn(B, cfg.n_kv_heads, P, cfg.head_dim, generator=g))
                dyn[f"past_key_values.{i}.{kv}"] = {0: "batch", 2: "past_seq"}
                dyn[f"new_key_values.{i}.{kv}"] = {0: "batch", 2: "seq"}
        model.set_split_past(True)
        graph, args = PolicyGraph(model), (ids, mask, pos, *past)
    kwargs = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # torch >= 2.5: keep the TorchScript exporter (same graph as 1.13)
    tmp = out_path + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(graph, args, tmp, input_names=[n for n, _, _ in inputs],
                          output_names=[n for n, _, _ in outputs], dynamic_axes=dyn, opset_version=OPSET,
                          do_constant_folding=True, **kwargs)
    os.replace(tmp, out_path)
    return verify(out_path, inputs, outputs)


def verify(path: str, inputs, outputs) -> dict:
    """Without onnx/onnxruntime in Python: the file exists, is non-empty, and names every I/O."""
    if not os.path.isfile(path):
        raise TrainerError(f"{path}: the exporter wrote no file")
    with open(path, "rb") as fh:
        blob = fh.read()
    if not blob:
        raise TrainerError(f"{path}: the exported file is empty")
    for name, _, _ in inputs + outputs:
        if name.encode() not in blob:
            raise TrainerError(f"{path}: the exported graph has no {name!r}")
    return {"path": os.path.abspath(path), "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}


def run_export(args) -> None:
    set_cpu_threads(None)
    ck = load_checkpoint(args.ckpt)
    cfg = ck["config"]
    kind = args.kind or cfg.kind
    if kind != cfg.kind:
        raise TrainerError(f"{ck['path']}: --kind {kind} but the checkpoint is a {cfg.kind} model"
                           + (" (make a PPM checkpoint with `init-ppm --from` first)" if kind == "ppm" else ""))
    model = model_from_checkpoint(ck)
    emit("start", command="export", kind=kind, ckpt=ck["path"], torch=torch.__version__, opset=OPSET)
    info = export_onnx(model, args.out)
    inputs, outputs = io_spec(cfg)
    emit("export", kind=kind, **info)
    emit("done", command="export", kind=kind, onnx=info, opset=OPSET, torch=torch.__version__, config=cfg.to_dict(),
         inputs=[{"name": n, "type": t, "shape": s} for n, t, s in inputs],
         outputs=[{"name": n, "type": t, "shape": s} for n, t, s in outputs])
