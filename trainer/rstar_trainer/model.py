"""A small Llama-style decoder (RMSNorm, RoPE, GQA-capable causal attention, SwiGLU).

Everything is written with plain ops so the same module traces to ONNX on torch 1.13 and runs
on torch 2.x. On torch 2 the *training* path (no attention mask, no KV cache) may use
``scaled_dot_product_attention`` with ``is_causal=True``: the math is identical (causal softmax
attention); the export/inference path always uses the hand-written attention below.
"""
import math
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import ModelConfig

_HAS_SDPA = hasattr(F, "scaled_dot_product_attention")

Past = Optional[List[Tuple[torch.Tensor, torch.Tensor]]]


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return (xf * self.weight.float()).to(dtype)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.n_heads = cfg.n_heads
        self.n_kv = cfg.n_kv_heads
        self.rep = cfg.n_heads // cfg.n_kv_heads
        self.hd = cfg.head_dim
        self.q_proj = nn.Linear(cfg.d_model, cfg.n_heads * self.hd, bias=False)
        self.k_proj = nn.Linear(cfg.d_model, cfg.n_kv_heads * self.hd, bias=False)
        self.v_proj = nn.Linear(cfg.d_model, cfg.n_kv_heads * self.hd, bias=False)
        self.o_proj = nn.Linear(cfg.n_heads * self.hd, cfg.d_model, bias=False)
        self.use_sdpa = False
        # Export path for the engine's decode graph: attend to the past and the new keys separately
        # (no concatenated cache inside the graph) and return only the new keys/values as `present`.
        self.split_past = False

    def forward(self, x, cos, sin, mask: Optional[torch.Tensor], past: Optional[Tuple[torch.Tensor, torch.Tensor]]):
        B, S = x.shape[0], x.shape[1]
        q = self.q_proj(x).view(B, S, self.n_heads, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, S, self.n_kv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, S, self.n_kv, self.hd).transpose(1, 2)
        q = (q * cos + rotate_half(q) * sin).to(v.dtype)
        k = (k * cos + rotate_half(k) * sin).to(v.dtype)
        if past is not None and self.split_past:
            return self.split_attention(q, k, v, mask, past, B, S), (k, v)
        if past is not None:
            k = torch.cat([past[0].to(k.dtype), k], dim=2)
            v = torch.cat([past[1].to(v.dtype), v], dim=2)
        present = (k, v)
        if mask is None and past is None and self.use_sdpa and _HAS_SDPA:
            kk, vv = k, v
            if self.rep > 1:
                kk = k.repeat_interleave(self.rep, dim=1)
                vv = v.repeat_interleave(self.rep, dim=1)
            out = F.scaled_dot_product_attention(q, kk, vv, is_causal=True)
        else:
            # Grouped heads by broadcasting: q [B, KV, rep, S, hd] against k [B, KV, 1, T, hd].
            T = k.shape[2]
            qg = q.reshape(B, self.n_kv, self.rep, S, self.hd)
            scores = torch.matmul(qg, k.unsqueeze(2).transpose(-1, -2)) * (1.0 / math.sqrt(self.hd))
            if mask is None:
                mask = causal_mask(S, T, None, x.device)
            # mask: bool [B or 1, 1, S, T] → [B or 1, 1, 1, S, T]. A finite fill keeps fully masked
            # rows (padding queries) finite: they become a uniform average, never NaN.
            scores = scores.float().masked_fill(~mask.unsqueeze(1), torch.finfo(torch.float32).min)
            probs = torch.softmax(scores, dim=-1).to(v.dtype)
            out = torch.matmul(probs, v.unsqueeze(2)).reshape(B, self.n_heads, S, self.hd)
        out = out.transpose(1, 2).reshape(B, S, self.n_heads * self.hd)
        return self.o_proj(out), present

    def split_attention(self, q, k, v, mask, past, B: int, S: int):
        """The same attention as the concatenated path, reading the past cache in place.

        ``mask`` is bool [B, 1, S, P+S] over (past, new) keys as in ``causal_mask``.
        """
        pk, pv = past[0].to(k.dtype), past[1].to(v.dtype)
        P = pk.shape[2]
        qg = q.reshape(B, self.n_kv, self.rep, S, self.hd)
        scale = 1.0 / math.sqrt(self.hd)
        s_past = torch.matmul(qg, pk.unsqueeze(2).transpose(-1, -2)) * scale
        s_new = torch.matmul(qg, k.unsqueeze(2).transpose(-1, -2)) * scale
        scores = torch.cat([s_past, s_new], dim=-1).float().masked_fill(~mask.unsqueeze(1), torch.finfo(torch.float32).min)
        probs = torch.softmax(scores, dim=-1).to(v.dtype)
        out = torch.matmul(probs[..., :P], pv.unsqueeze(2)) + torch.matmul(probs[..., P:], v.unsqueeze(2))
        out = out.reshape(B, self.n_heads, S, self.hd).transpose(1, 2).reshape(B, S, self.n_heads * self.hd)
        return self.o_proj(out)


def causal_mask(S, T, attention_mask: Optional[torch.Tensor], device) -> torch.Tensor:
    """bool [B|1, 1, S, T]: query j (absolute index T-S+j) sees key k iff k <= T-S+j and the key is real."""
    q_idx = torch.arange(S, device=device) + (T - S)
    k_idx = torch.arange(T, device=device)
    allowed = (k_idx.unsqueeze(0) <= q_idx.unsqueeze(1)).unsqueeze(0).unsqueeze(0)
    if attention_mask is not None:
        allowed = allowed & (attention_mask > 0).unsqueeze(1).unsqueeze(2)
    return allowed


class MLP(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.up_proj = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.down_proj = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.attn_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.attn = Attention(cfg)
        self.mlp_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, mask, past):
        a, present = self.attn(self.attn_norm(x), cos, sin, mask, past)
        x = x + a
        x = x + self.mlp(self.mlp_norm(x))
        return x, present


class Decoder(nn.Module):
    """The policy (LM head → logits) or, with ``cfg.kind == "ppm"``, the PPM (scalar head + tanh)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.layers = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layers)])
        self.norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        if cfg.kind == "ppm":
            self.score_head = nn.Linear(cfg.d_model, 1)
        elif not cfg.tie_embeddings:
            self.lm_head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2, dtype=torch.float32) / cfg.head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        self.reset_parameters()

    def reset_parameters(self, seed: Optional[int] = None):
        g = None
        if seed is not None:
            g = torch.Generator().manual_seed(seed)
        std = 0.02
        for name, p in self.named_parameters():
            if name.endswith("norm.weight"):
                nn.init.ones_(p)
            elif name.endswith("score_head.bias"):
                nn.init.zeros_(p)
            elif p.dim() >= 2:
                s = std / math.sqrt(2 * self.cfg.n_layers) if name.endswith(("o_proj.weight", "down_proj.weight")) else std
                with torch.no_grad():
                    p.copy_(torch.randn(p.shape, generator=g) * s)

    def set_split_past(self, on: bool):
        for layer in self.layers:
            layer.attn.split_past = on

    def set_sdpa(self, on: bool):
        for layer in self.layers:
            layer.attn.use_sdpa = on

    def rope(self, position_ids: torch.Tensor):
        freqs = position_ids.unsqueeze(-1).float() * self.inv_freq.float()  # [B, S, hd/2]
        emb = torch.cat((freqs, freqs), dim=-1).unsqueeze(1)  # [B, 1, S, hd]
        return emb.cos(), emb.sin()

    def hidden(self, input_ids, attention_mask=None, position_ids=None, past: Past = None):
        """Final hidden states [B, S, d] and the per-layer (key, value) caches.

        ``attention_mask`` covers past + current tokens ([B, P+S], 1 = real). ``None`` means a plain
        causal mask (training: right padding only affects positions the loss ignores).
        """
        B, S = input_ids.shape[0], input_ids.shape[1]
        P = 0 if past is None else past[0][0].shape[2]
        if position_ids is None:
            position_ids = (torch.arange(S, device=input_ids.device) + P).unsqueeze(0).expand(B, S)
        cos, sin = self.rope(position_ids)
        mask = None
        if attention_mask is not None:
            mask = causal_mask(S, attention_mask.shape[1], attention_mask, input_ids.device)
        elif past is not None:
            mask = causal_mask(S, P + S, None, input_ids.device)
        x = self.embed(input_ids)
        presents = []
        for i, layer in enumerate(self.layers):
            x, pr = layer(x, cos, sin, mask, None if past is None else past[i])
            presents.append(pr)
        return self.norm(x), presents

    def head(self, h):
        if self.cfg.kind == "ppm":
            return torch.tanh(self.score_head(h).squeeze(-1))
        if self.cfg.tie_embeddings:
            return F.linear(h, self.embed.weight)
        return self.lm_head(h)

    def forward(self, input_ids, attention_mask=None, position_ids=None, past: Past = None):
        h, presents = self.hidden(input_ids, attention_mask, position_ids, past)
        return self.head(h), presents


def param_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
