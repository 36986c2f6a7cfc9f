#!/usr/bin/python3
"""Generate small exported transformer models as end-to-end test fixtures.

Usage:
    /usr/bin/python3 test/models/generate.py OUT_DIR [--only NAME ...] [--list]

For every registered model this writes, in the layout of the ONNX backend
tests:

    OUT_DIR/<name>/model.onnx
    OUT_DIR/<name>/test_data_set_0/input_<i>.pb, output_<i>.pb
    OUT_DIR/<name>/test_data_set_1/...      (usually a different sequence length)

Expected outputs are PyTorch's own outputs (eval mode, torch.no_grad) on the
same inputs.  Weights and inputs come from fixed seeds, so running the script
twice produces byte-identical files.

Each architecture is one builder function registered with @register.  A
builder returns a ModelSpec: (module, datasets, input_names, output_names,
dynamic_axes) plus an optional opset.  ``datasets`` is a list of input tuples,
one per test_data_set_<n>; the first one is also the example used for tracing.
"""

import argparse
import math
import os
import sys
import time
import zlib
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import onnx
from onnx import numpy_helper


DEFAULT_OPSET = 17


class ModelSpec(NamedTuple):
    module: nn.Module
    datasets: List[Tuple[torch.Tensor, ...]]
    input_names: List[str]
    output_names: List[str]
    dynamic_axes: Dict[str, Dict[int, str]]
    opset: int = DEFAULT_OPSET
    # Compute reference outputs with autograd enabled.  Used for the built-in
    # torch.nn transformer modules: under no_grad they switch to fused "fast
    # path" kernels, while the exporter traces the regular composite path.
    reference_with_grad: bool = False


REGISTRY: Dict[str, Callable[[], ModelSpec]] = {}


def register(name: str):
    def deco(fn):
        if name in REGISTRY:
            raise ValueError(f"duplicate model name {name}")
        REGISTRY[name] = fn
        return fn
    return deco


# ----------------------------------------------------------------------------
# Deterministic helpers
# ----------------------------------------------------------------------------

def seed_for(name: str) -> int:
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def rng_for(name: str) -> np.random.Generator:
    """numpy generator for a model's input data (independent of weights)."""
    return np.random.default_rng(seed_for("data:" + name))


class Norm(nn.Module):
    """Marker base class: parameters of Norm subclasses (and nn.LayerNorm)
    are initialised as scale ~ 1, shift ~ 0."""


def init_weights(module: nn.Module, seed_name: str, std: float = 0.1,
                 bias_std: float = 0.02, embed_std: float = 0.2) -> nn.Module:
    """Deterministically re-initialise every parameter of ``module``.

    Plain weights ~ N(0, std); biases ~ N(0, bias_std); embeddings ~
    N(0, embed_std); norm scales ~ 1 + N(0, 0.1), norm shifts ~ N(0, bias_std).
    """
    torch.manual_seed(seed_for(seed_name))
    gen = torch.Generator().manual_seed(seed_for(seed_name))
    norm_params = set()
    embed_params = set()
    for m in module.modules():
        if isinstance(m, (nn.LayerNorm, Norm)):
            norm_params.update(id(p) for p in m.parameters(recurse=False))
        if isinstance(m, nn.Embedding):
            embed_params.update(id(p) for p in m.parameters(recurse=False))
    with torch.no_grad():
        for pname, p in module.named_parameters():
            noise = torch.randn(p.shape, generator=gen, dtype=p.dtype)
            leaf = pname.rsplit(".", 1)[-1]
            if id(p) in norm_params:
                if leaf == "weight":
                    p.copy_(1.0 + 0.1 * noise)
                else:
                    p.copy_(bias_std * noise)
            elif id(p) in embed_params:
                p.copy_(embed_std * noise)
            elif "bias" in leaf:
                p.copy_(bias_std * noise)
            else:
                p.copy_(std * noise)
    module.eval()
    return module


def rand_ids(rng: np.random.Generator, shape, vocab: int) -> torch.Tensor:
    return torch.from_numpy(rng.integers(0, vocab, size=shape, dtype=np.int64))


def rand_floats(rng: np.random.Generator, shape, scale: float = 1.0) -> torch.Tensor:
    return torch.from_numpy((scale * rng.standard_normal(size=shape)).astype(np.float32))


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    """GPT-2's tanh approximation of GELU, written out."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


# ----------------------------------------------------------------------------
# GPT-2
# ----------------------------------------------------------------------------

class Conv1D(nn.Module):
    """HF GPT-2 "Conv1D": a linear layer with transposed weight, via addmm."""

    def __init__(self, nf: int, nx: int):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class GPT2Attention(nn.Module):
    def __init__(self, d, n_head, max_pos):
        super().__init__()
        self.n_head = n_head
        self.head_dim = d // n_head
        self.d = d
        self.register_buffer(
            "bias",
            torch.tril(torch.ones((max_pos, max_pos), dtype=torch.bool)).view(1, 1, max_pos, max_pos),
            persistent=False,
        )
        self.c_attn = Conv1D(3 * d, d)
        self.c_proj = Conv1D(d, d)

    def _split_heads(self, x):
        new_shape = x.size()[:-1] + (self.n_head, self.head_dim)
        return x.view(new_shape).permute(0, 2, 1, 3)

    def _merge_heads(self, x):
        x = x.permute(0, 2, 1, 3).contiguous()
        new_shape = x.size()[:-2] + (self.n_head * self.head_dim,)
        return x.view(new_shape)

    def _attn(self, query, key, value):
        attn_weights = torch.matmul(query, key.transpose(-1, -2))
        attn_weights = attn_weights / torch.full(
            [], value.size(-1) ** 0.5, dtype=attn_weights.dtype, device=attn_weights.device)
        query_length, key_length = query.size(-2), key.size(-2)
        causal_mask = self.bias[:, :, key_length - query_length: key_length, :key_length]
        mask_value = torch.finfo(attn_weights.dtype).min
        mask_value = torch.full([], mask_value, dtype=attn_weights.dtype, device=attn_weights.device)
        attn_weights = torch.where(causal_mask, attn_weights, mask_value)
        attn_weights = nn.functional.softmax(attn_weights, dim=-1)
        return torch.matmul(attn_weights, value)

    def forward(self, hidden_states, layer_past=None):
        query, key, value = self.c_attn(hidden_states).split(self.d, dim=2)
        query = self._split_heads(query)
        key = self._split_heads(key)
        value = self._split_heads(value)
        if layer_past is not None:
            past_key, past_value = layer_past
            key = torch.cat((past_key, key), dim=-2)
            value = torch.cat((past_value, value), dim=-2)
        present = (key, value)
        out = self._attn(query, key, value)
        out = self._merge_heads(out)
        return self.c_proj(out), present


class GPT2MLP(nn.Module):
    def __init__(self, d, inner):
        super().__init__()
        self.c_fc = Conv1D(inner, d)
        self.c_proj = Conv1D(d, inner)

    def forward(self, x):
        return self.c_proj(gelu_tanh(self.c_fc(x)))


class GPT2Block(nn.Module):
    def __init__(self, d, n_head, max_pos):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=1e-5)
        self.attn = GPT2Attention(d, n_head, max_pos)
        self.ln_2 = nn.LayerNorm(d, eps=1e-5)
        self.mlp = GPT2MLP(d, 4 * d)

    def forward(self, x, layer_past=None):
        a, present = self.attn(self.ln_1(x), layer_past)
        x = x + a
        x = x + self.mlp(self.ln_2(x))
        return x, present


class GPT2LMHeadModel(nn.Module):
    def __init__(self, vocab=96, d=48, n_layer=2, n_head=4, max_pos=32):
        super().__init__()
        self.n_layer = n_layer
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(max_pos, d)
        self.h = nn.ModuleList([GPT2Block(d, n_head, max_pos) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d, eps=1e-5)

    def forward(self, input_ids, past_key_values=None):
        seq_len = input_ids.size(-1)
        if past_key_values is None:
            past_length = 0
            past_key_values = [None] * self.n_layer
        else:
            past_length = past_key_values[0][0].size(-2)
        position_ids = torch.arange(past_length, seq_len + past_length, dtype=torch.long,
                                    device=input_ids.device).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(position_ids)
        presents = []
        for block, past in zip(self.h, past_key_values):
            x, present = block(x, past)
            presents.append(present)
        x = self.ln_f(x)
        logits = torch.matmul(x, self.wte.weight.t())  # tied lm_head
        return logits, presents


class GPT2Logits(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids):
        return self.model(input_ids)[0]


class GPT2DecodeStep(nn.Module):
    """One decode step; past/present KV are flattened to separate tensors."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, *past_flat):
        pkv = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, presents = self.model(input_ids, pkv)
        flat = []
        for k, v in presents:
            flat += [k, v]
        return (logits, *flat)


GPT2_CFG = dict(vocab=96, d=48, n_layer=2, n_head=4, max_pos=32)


def make_gpt2() -> GPT2LMHeadModel:
    # gpt2 and gpt2_kv_cache share the same weights (same seed name).
    return init_weights(GPT2LMHeadModel(**GPT2_CFG), "gpt2")


@register("gpt2")
def build_gpt2() -> ModelSpec:
    rng = rng_for("gpt2")
    V = GPT2_CFG["vocab"]
    datasets = [(rand_ids(rng, (1, 8), V),), (rand_ids(rng, (1, 5), V),)]
    return ModelSpec(
        GPT2Logits(make_gpt2()).eval(), datasets,
        ["input_ids"], ["logits"],
        {"input_ids": {1: "sequence"}, "logits": {1: "sequence"}})


@register("gpt2_long")
def build_gpt2_long() -> ModelSpec:
    # Real sequence lengths: a 512-position tril buffer sliced to 200 and 130
    # tokens (masks far beyond what constant folding keeps; several attention
    # blocks per head).
    cfg = dict(GPT2_CFG, max_pos=512)
    rng = rng_for("gpt2_long")
    V = cfg["vocab"]
    datasets = [(rand_ids(rng, (1, 200), V),), (rand_ids(rng, (1, 130), V),)]
    return ModelSpec(
        GPT2Logits(init_weights(GPT2LMHeadModel(**cfg), "gpt2_long")).eval(), datasets,
        ["input_ids"], ["logits"],
        {"input_ids": {1: "sequence"}, "logits": {1: "sequence"}})


@register("gpt2_kv_cache")
def build_gpt2_kv_cache() -> ModelSpec:
    gpt2 = make_gpt2()
    rng = rng_for("gpt2_kv_cache")
    V, L = GPT2_CFG["vocab"], GPT2_CFG["n_layer"]
    datasets = []
    for past_len in (7, 3):
        # A real cache: run the full model on a random prefix.
        prefix = rand_ids(rng, (1, past_len), V)
        with torch.no_grad():
            _, presents = gpt2(prefix)
        flat = []
        for k, v in presents:
            flat += [k.contiguous(), v.contiguous()]
        datasets.append((rand_ids(rng, (1, 1), V), *flat))
    in_names = ["input_ids"]
    out_names = ["logits"]
    axes = {}
    for i in range(L):
        in_names += [f"past_key_{i}", f"past_value_{i}"]
        out_names += [f"present_key_{i}", f"present_value_{i}"]
        axes[f"past_key_{i}"] = {2: "past_sequence"}
        axes[f"past_value_{i}"] = {2: "past_sequence"}
        axes[f"present_key_{i}"] = {2: "total_sequence"}
        axes[f"present_value_{i}"] = {2: "total_sequence"}
    return ModelSpec(GPT2DecodeStep(gpt2).eval(), datasets, in_names, out_names, axes)


# ----------------------------------------------------------------------------
# BERT
# ----------------------------------------------------------------------------

class BertEmbeddings(nn.Module):
    def __init__(self, vocab, d, max_pos, type_vocab=2):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, d)
        self.position_embeddings = nn.Embedding(max_pos, d)
        self.token_type_embeddings = nn.Embedding(type_vocab, d)
        self.LayerNorm = nn.LayerNorm(d, eps=1e-12)
        self.register_buffer("position_ids", torch.arange(max_pos).expand((1, -1)), persistent=False)
        self.register_buffer("token_type_ids", torch.zeros((1, max_pos), dtype=torch.long), persistent=False)

    def forward(self, input_ids):
        batch, seq_len = input_ids.size()
        position_ids = self.position_ids[:, :seq_len]
        token_type_ids = self.token_type_ids[:, :seq_len].expand(batch, seq_len)
        x = (self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
             + self.position_embeddings(position_ids))
        return self.LayerNorm(x)


class BertSelfAttention(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.n_head = n_head
        self.head_dim = d // n_head
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d)
        self.value = nn.Linear(d, d)

    def transpose_for_scores(self, x):
        new_shape = x.size()[:-1] + (self.n_head, self.head_dim)
        return x.view(new_shape).permute(0, 2, 1, 3)

    def forward(self, hidden, ext_mask):
        q = self.transpose_for_scores(self.query(hidden))
        k = self.transpose_for_scores(self.key(hidden))
        v = self.transpose_for_scores(self.value(hidden))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        scores = scores + ext_mask
        probs = F.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        new_shape = ctx.size()[:-2] + (self.n_head * self.head_dim,)
        return ctx.view(new_shape)


class BertLayer(nn.Module):
    def __init__(self, d, n_head, inner):
        super().__init__()
        self.attention = BertSelfAttention(d, n_head)
        self.attn_out = nn.Linear(d, d)
        self.attn_ln = nn.LayerNorm(d, eps=1e-12)
        self.intermediate = nn.Linear(d, inner)
        self.output = nn.Linear(inner, d)
        self.output_ln = nn.LayerNorm(d, eps=1e-12)

    def forward(self, x, ext_mask):
        x = self.attn_ln(self.attn_out(self.attention(x, ext_mask)) + x)
        h = F.gelu(self.intermediate(x))  # exact (erf) GELU
        return self.output_ln(self.output(h) + x)


class BertModel(nn.Module):
    def __init__(self, vocab=80, d=32, n_layer=2, n_head=2, inner=64, max_pos=32):
        super().__init__()
        self.embeddings = BertEmbeddings(vocab, d, max_pos)
        self.layers = nn.ModuleList([BertLayer(d, n_head, inner) for _ in range(n_layer)])
        self.pooler = nn.Linear(d, d)

    def forward(self, input_ids, attention_mask):
        dtype = torch.float32
        ext = attention_mask[:, None, None, :].to(dtype=dtype)
        ext = (1.0 - ext) * torch.finfo(dtype).min
        x = self.embeddings(input_ids)
        for layer in self.layers:
            x = layer(x, ext)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return x, pooled


@register("bert")
def build_bert() -> ModelSpec:
    vocab = 80
    model = init_weights(BertModel(vocab=vocab), "bert")
    rng = rng_for("bert")
    datasets = []
    for seq, pad in ((8, 3), (6, 2)):
        ids = rand_ids(rng, (2, seq), vocab)
        mask = torch.ones((2, seq), dtype=torch.int64)
        mask[1, seq - pad:] = 0
        datasets.append((ids, mask))
    return ModelSpec(
        model, datasets, ["input_ids", "attention_mask"], ["last_hidden_state", "pooler_output"],
        {"input_ids": {1: "sequence"}, "attention_mask": {1: "sequence"},
         "last_hidden_state": {1: "sequence"}},
        opset=14)


# ----------------------------------------------------------------------------
# LLaMA / Mistral
# ----------------------------------------------------------------------------

class RMSNorm(Norm):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        variance = x.pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(variance + self.eps)
        return self.weight * x


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def repeat_kv(x, n_rep: int):
    b, n_kv, s, hd = x.shape
    if n_rep == 1:
        return x
    x = x[:, :, None, :, :].expand(b, n_kv, n_rep, s, hd)
    return x.reshape(b, n_kv * n_rep, s, hd)


class RotaryEmbedding(nn.Module):
    def __init__(self, head_dim, base):
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, position_ids):
        # position_ids: [B, S] int64 -> cos/sin [B, S, head_dim]
        inv = self.inv_freq[None, :, None].expand(position_ids.shape[0], -1, 1)
        pos = position_ids[:, None, :].float()
        freqs = torch.matmul(inv, pos).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()


class LlamaAttention(nn.Module):
    def __init__(self, d, n_head, n_kv_head):
        super().__init__()
        self.n_head, self.n_kv_head = n_head, n_kv_head
        self.head_dim = d // n_head
        self.q_proj = nn.Linear(d, n_head * self.head_dim, bias=False)
        self.k_proj = nn.Linear(d, n_kv_head * self.head_dim, bias=False)
        self.v_proj = nn.Linear(d, n_kv_head * self.head_dim, bias=False)
        self.o_proj = nn.Linear(n_head * self.head_dim, d, bias=False)

    def forward(self, x, cos, sin, mask_fn):
        b, s, _ = x.size()
        q = self.q_proj(x).view(b, s, self.n_head, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, s, self.n_kv_head, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.n_kv_head, self.head_dim).transpose(1, 2)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.n_head // self.n_kv_head
        k = repeat_kv(k, rep)
        v = repeat_kv(v, rep)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        scores = mask_fn(scores)
        probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        out = torch.matmul(probs, v).transpose(1, 2).contiguous().reshape(b, s, -1)
        return self.o_proj(out)


class LlamaMLP(nn.Module):
    def __init__(self, d, inner):
        super().__init__()
        self.gate_proj = nn.Linear(d, inner, bias=False)
        self.up_proj = nn.Linear(d, inner, bias=False)
        self.down_proj = nn.Linear(inner, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaBlock(nn.Module):
    def __init__(self, d, n_head, n_kv_head, inner, eps):
        super().__init__()
        self.input_layernorm = RMSNorm(d, eps)
        self.self_attn = LlamaAttention(d, n_head, n_kv_head)
        self.post_attention_layernorm = RMSNorm(d, eps)
        self.mlp = LlamaMLP(d, inner)

    def forward(self, x, cos, sin, mask_fn):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask_fn)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaForCausalLM(nn.Module):
    """LLaMA-style decoder.  ``sliding_window`` switches to the Mistral mask."""

    def __init__(self, vocab=64, d=64, n_layer=2, n_head=4, n_kv_head=2, inner=128,
                 eps=1e-6, rope_base=10000.0, sliding_window: Optional[int] = None):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList(
            [LlamaBlock(d, n_head, n_kv_head, inner, eps) for _ in range(n_layer)])
        self.norm = RMSNorm(d, eps)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.rotary = RotaryEmbedding(d // n_head, rope_base)
        self.sliding_window = sliding_window

    def forward(self, input_ids):
        b, s = input_ids.shape
        position_ids = torch.arange(s, dtype=torch.long, device=input_ids.device).unsqueeze(0).expand(b, s)
        x = self.embed_tokens(input_ids)
        cos, sin = self.rotary(position_ids)
        if self.sliding_window is None:
            # LLaMA: additive -inf upper triangle.
            mask = torch.full((s, s), float("-inf"), device=input_ids.device).triu(1)

            def mask_fn(scores):
                return scores + mask[None, None, :, :]
        else:
            # Mistral: sliding-window causal mask from index comparisons.
            i = torch.arange(s, device=input_ids.device)[:, None]
            j = torch.arange(s, device=input_ids.device)[None, :]
            allowed = (j <= i) & ((i - j) < self.sliding_window)

            def mask_fn(scores):
                return scores.masked_fill(~allowed[None, None, :, :], float("-inf"))
        for layer in self.layers:
            x = layer(x, cos, sin, mask_fn)
        return self.lm_head(self.norm(x))


@register("llama")
def build_llama() -> ModelSpec:
    vocab = 64
    model = init_weights(LlamaForCausalLM(vocab=vocab, n_head=4, n_kv_head=2), "llama")
    rng = rng_for("llama")
    datasets = [(rand_ids(rng, (1, 7), vocab),), (rand_ids(rng, (1, 12), vocab),)]
    return ModelSpec(model, datasets, ["input_ids"], ["logits"],
                     {"input_ids": {1: "sequence"}, "logits": {1: "sequence"}})


class LlamaDecodeStep(nn.Module):
    """A LlamaForCausalLM run with a KV cache, as exporters write one step:
    input_ids [1, S] after past_key_i / past_value_i [1, Hkv, P, D] (keys
    after RoPE, before the grouped heads are repeated), positions P..P+S-1,
    a causal mask over the P + S keys -> logits and the presents."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, *past_flat):
        m = self.model
        b, s = input_ids.shape
        p = past_flat[0].size(2)
        position_ids = torch.arange(p, p + s, dtype=torch.long).unsqueeze(0)
        x = m.embed_tokens(input_ids)
        cos, sin = m.rotary(position_ids)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        rows = torch.arange(p, p + s)[:, None]
        cols = torch.arange(p + s)[None, :]
        if m.sliding_window is None:
            mask = torch.zeros(s, p + s).masked_fill(cols > rows, float("-inf"))
        else:
            # Mistral: each query sees itself and the window - 1 keys before.
            allowed = (cols <= rows) & ((rows - cols) < m.sliding_window)
            mask = torch.zeros(s, p + s).masked_fill(~allowed, float("-inf"))
        presents = []
        for i, layer in enumerate(m.layers):
            a = layer.self_attn
            h = layer.input_layernorm(x)
            q = a.q_proj(h).view(b, s, a.n_head, a.head_dim).transpose(1, 2)
            k = a.k_proj(h).view(b, s, a.n_kv_head, a.head_dim).transpose(1, 2)
            v = a.v_proj(h).view(b, s, a.n_kv_head, a.head_dim).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            k = torch.cat((past_flat[2 * i], k), dim=2)
            v = torch.cat((past_flat[2 * i + 1], v), dim=2)
            presents += [k, v]
            rep = a.n_head // a.n_kv_head
            scores = torch.matmul(q, repeat_kv(k, rep).transpose(2, 3)) / math.sqrt(a.head_dim)
            probs = F.softmax(scores + mask[None, None, :, :], dim=-1)
            out = torch.matmul(probs, repeat_kv(v, rep)).transpose(1, 2).reshape(b, s, -1)
            x = x + a.o_proj(out)
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        return (m.lm_head(m.norm(x)), *presents)


def llama_kv_cache_spec(step: LlamaDecodeStep, name: str, vocab: int, n_kv: int, hd: int,
                        layers: int, past_and_seq) -> ModelSpec:
    """A LlamaDecodeStep's test model: per (past, seq), a cache from running
    a random prefix of `past` tokens, then `seq` new tokens."""
    rng = rng_for(name)
    datasets = []
    for past, seq in past_and_seq:
        empty = [torch.zeros((1, n_kv, 0, hd)) for _ in range(2 * layers)]
        with torch.no_grad():
            _, *cache = step(rand_ids(rng, (1, past), vocab), *empty)
        datasets.append((rand_ids(rng, (1, seq), vocab), *[c.contiguous() for c in cache]))
    in_names, out_names = ["input_ids"], ["logits"]
    axes = {"input_ids": {1: "sequence"}, "logits": {1: "sequence"}}
    for i in range(layers):
        for kind in ("key", "value"):
            in_names.append(f"past_{kind}_{i}")
            out_names.append(f"present_{kind}_{i}")
            axes[in_names[-1]] = {2: "past_sequence"}
            axes[out_names[-1]] = {2: "total_sequence"}
    return ModelSpec(step, datasets, in_names, out_names, axes)


@register("llama_kv_cache")
def build_llama_kv_cache() -> ModelSpec:
    # The same weights as "llama"; a cache from running a prefix.
    model = init_weights(LlamaForCausalLM(vocab=64, n_head=4, n_kv_head=2), "llama")
    return llama_kv_cache_spec(LlamaDecodeStep(model).eval(), "llama_kv_cache", vocab=64,
                               n_kv=2, hd=16, layers=2, past_and_seq=((6, 1), (3, 4)))


def make_mistral() -> LlamaForCausalLM:
    # mistral and mistral_kv_cache share the same weights (same seed name).
    return init_weights(
        LlamaForCausalLM(vocab=72, d=32, n_head=4, n_kv_head=2, inner=96, eps=1e-5,
                         rope_base=1000.0, sliding_window=4), "mistral")


@register("mistral")
def build_mistral() -> ModelSpec:
    vocab = 72
    model = make_mistral()
    rng = rng_for("mistral")
    datasets = [(rand_ids(rng, (1, 9), vocab),), (rand_ids(rng, (1, 6), vocab),)]
    return ModelSpec(model, datasets, ["input_ids"], ["logits"],
                     {"input_ids": {1: "sequence"}, "logits": {1: "sequence"}})


@register("mistral_kv_cache")
def build_mistral_kv_cache() -> ModelSpec:
    # The same weights as "mistral" (a window of 4 positions); the second
    # cache is longer than the window (its oldest positions are no longer
    # seen).
    return llama_kv_cache_spec(LlamaDecodeStep(make_mistral()).eval(), "mistral_kv_cache",
                               vocab=72, n_kv=2, hd=8, layers=2, past_and_seq=((2, 3), (12, 3)))


# ----------------------------------------------------------------------------
# ViT
# ----------------------------------------------------------------------------

class ViTAttention(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.n_head = n_head
        self.head_dim = d // n_head
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.n_head, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class ViTBlock(nn.Module):
    def __init__(self, d, n_head, inner):
        super().__init__()
        self.norm1 = nn.LayerNorm(d, eps=1e-6)
        self.attn = ViTAttention(d, n_head)
        self.norm2 = nn.LayerNorm(d, eps=1e-6)
        self.fc1 = nn.Linear(d, inner)
        self.fc2 = nn.Linear(inner, d)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class ViT(nn.Module):
    def __init__(self, image=16, patch=4, chans=3, d=32, n_layer=2, n_head=4, inner=64, classes=10):
        super().__init__()
        n_patches = (image // patch) ** 2
        self.patch_embed = nn.Conv2d(chans, d, kernel_size=patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embed = nn.Parameter(torch.zeros(1, n_patches + 1, d))
        self.blocks = nn.ModuleList([ViTBlock(d, n_head, inner) for _ in range(n_layer)])
        self.norm = nn.LayerNorm(d, eps=1e-6)
        self.head = nn.Linear(d, classes)

    def forward(self, pixel_values):
        x = self.patch_embed(pixel_values).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x)
        return self.head(x[:, 0])


@register("vit")
def build_vit() -> ModelSpec:
    model = init_weights(ViT(), "vit")
    rng = rng_for("vit")
    datasets = [(rand_floats(rng, (1, 3, 16, 16)),), (rand_floats(rng, (1, 3, 16, 16)),)]
    return ModelSpec(model, datasets, ["pixel_values"], ["logits"], {}, opset=14)


# ----------------------------------------------------------------------------
# Whisper (encoder-decoder)
# ----------------------------------------------------------------------------

def sinusoids(length, channels, max_timescale=10000.0):
    log_inc = math.log(max_timescale) / (channels // 2 - 1)
    inv = torch.exp(-log_inc * torch.arange(channels // 2, dtype=torch.float32))
    t = torch.arange(length, dtype=torch.float32)[:, None] * inv[None, :]
    return torch.cat([torch.sin(t), torch.cos(t)], dim=1)


class WhisperAttention(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.n_head = n_head
        self.head_dim = d // n_head
        self.scaling = self.head_dim ** -0.5
        self.q_proj = nn.Linear(d, d)
        self.k_proj = nn.Linear(d, d, bias=False)
        self.v_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)

    def _shape(self, t, seq, bsz):
        return t.view(bsz, seq, self.n_head, self.head_dim).transpose(1, 2).contiguous()

    def forward(self, hidden, kv=None, attn_mask=None):
        bsz, tgt_len, _ = hidden.size()
        q = self._shape(self.q_proj(hidden) * self.scaling, tgt_len, bsz)
        src = hidden if kv is None else kv
        src_len = src.size(1)
        k = self._shape(self.k_proj(src), src_len, bsz)
        v = self._shape(self.v_proj(src), src_len, bsz)
        w = torch.matmul(q, k.transpose(2, 3))
        if attn_mask is not None:
            w = w + attn_mask
        w = F.softmax(w, dim=-1)
        out = torch.matmul(w, v).transpose(1, 2).reshape(bsz, tgt_len, -1)
        return self.out_proj(out)


class WhisperEncoderLayer(nn.Module):
    def __init__(self, d, n_head, inner):
        super().__init__()
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.self_attn = WhisperAttention(d, n_head)
        self.final_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, inner)
        self.fc2 = nn.Linear(inner, d)

    def forward(self, x):
        x = x + self.self_attn(self.self_attn_layer_norm(x))
        return x + self.fc2(F.gelu(self.fc1(self.final_layer_norm(x))))


class WhisperDecoderLayer(nn.Module):
    def __init__(self, d, n_head, inner):
        super().__init__()
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.self_attn = WhisperAttention(d, n_head)
        self.encoder_attn_layer_norm = nn.LayerNorm(d)
        self.encoder_attn = WhisperAttention(d, n_head)
        self.final_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, inner)
        self.fc2 = nn.Linear(inner, d)

    def forward(self, x, enc, causal_mask):
        x = x + self.self_attn(self.self_attn_layer_norm(x), attn_mask=causal_mask)
        x = x + self.encoder_attn(self.encoder_attn_layer_norm(x), kv=enc)
        return x + self.fc2(F.gelu(self.fc1(self.final_layer_norm(x))))


class Whisper(nn.Module):
    def __init__(self, n_mels=8, d=32, n_head=4, n_enc=2, n_dec=2, inner=64, vocab=64,
                 max_source=32, max_target=16):
        super().__init__()
        self.conv1 = nn.Conv1d(n_mels, d, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(d, d, kernel_size=3, stride=2, padding=1)
        self.register_buffer("embed_positions", sinusoids(max_source, d), persistent=False)
        self.encoder_layers = nn.ModuleList([WhisperEncoderLayer(d, n_head, inner) for _ in range(n_enc)])
        self.encoder_layer_norm = nn.LayerNorm(d)
        self.embed_tokens = nn.Embedding(vocab, d)
        self.decoder_positions = nn.Embedding(max_target, d)
        self.decoder_layers = nn.ModuleList([WhisperDecoderLayer(d, n_head, inner) for _ in range(n_dec)])
        self.decoder_layer_norm = nn.LayerNorm(d)

    def encode(self, input_features):
        x = F.gelu(self.conv1(input_features))
        x = F.gelu(self.conv2(x))
        x = x.permute(0, 2, 1)
        x = x + self.embed_positions[: x.size(1)]
        for layer in self.encoder_layers:
            x = layer(x)
        return self.encoder_layer_norm(x)

    def forward(self, input_features, decoder_input_ids):
        enc = self.encode(input_features)
        tgt_len = decoder_input_ids.size(1)
        positions = torch.arange(tgt_len, device=decoder_input_ids.device)
        x = self.embed_tokens(decoder_input_ids) + self.decoder_positions(positions)
        # Additive causal mask: 0 where key <= query, finfo.min above.
        cond = torch.arange(tgt_len, device=x.device)
        mask = torch.zeros((tgt_len, tgt_len), dtype=x.dtype, device=x.device)
        mask = mask.masked_fill(cond[None, :] > cond[:, None], torch.finfo(x.dtype).min)
        mask = mask[None, None, :, :]
        for layer in self.decoder_layers:
            x = layer(x, enc, mask)
        x = self.decoder_layer_norm(x)
        return torch.matmul(x, self.embed_tokens.weight.t())


@register("whisper")
def build_whisper() -> ModelSpec:
    model = init_weights(Whisper(), "whisper")
    rng = rng_for("whisper")
    datasets = [
        (rand_floats(rng, (1, 8, 16)), rand_ids(rng, (1, 5), 64)),   # 8 encoder positions
        (rand_floats(rng, (1, 8, 10)), rand_ids(rng, (1, 3), 64)),   # 5 encoder positions
    ]
    return ModelSpec(
        model, datasets, ["input_features", "decoder_input_ids"], ["logits"],
        {"input_features": {2: "frames"}, "decoder_input_ids": {1: "decoder_sequence"},
         "logits": {1: "decoder_sequence"}})


# ----------------------------------------------------------------------------
# BART-style seq2seq (HF BartAttention, as Marian/Pegasus/M2M/Whisper write it)
# ----------------------------------------------------------------------------

class BartAttention(nn.Module):
    """HF's seq2seq attention: q scaled after its projection, heads folded
    into the batch for 3-D bmm over [B·H, T, d], and the mask added between
    a view to [B, H, T, S] and a view back."""

    def __init__(self, d, n_head):
        super().__init__()
        self.embed_dim, self.num_heads = d, n_head
        self.head_dim = d // n_head
        self.scaling = self.head_dim ** -0.5
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.q_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)

    def _shape(self, tensor, seq_len, bsz):
        return tensor.view(bsz, seq_len, self.num_heads, self.head_dim).transpose(1, 2).contiguous()

    def forward(self, hidden_states, key_value_states=None, attention_mask=None):
        bsz, tgt_len, _ = hidden_states.size()
        query_states = self.q_proj(hidden_states) * self.scaling
        source = hidden_states if key_value_states is None else key_value_states
        key_states = self._shape(self.k_proj(source), -1, bsz)
        value_states = self._shape(self.v_proj(source), -1, bsz)
        proj_shape = (bsz * self.num_heads, -1, self.head_dim)
        query_states = self._shape(query_states, tgt_len, bsz).view(*proj_shape)
        key_states = key_states.reshape(*proj_shape)
        value_states = value_states.reshape(*proj_shape)
        src_len = key_states.size(1)
        attn_weights = torch.bmm(query_states, key_states.transpose(1, 2))
        if attention_mask is not None:
            attn_weights = attn_weights.view(bsz, self.num_heads, tgt_len, src_len) + attention_mask
            attn_weights = attn_weights.view(bsz * self.num_heads, tgt_len, src_len)
        attn_weights = F.softmax(attn_weights, dim=-1)
        attn_output = torch.bmm(attn_weights, value_states)
        attn_output = attn_output.view(bsz, self.num_heads, tgt_len, self.head_dim)
        attn_output = attn_output.transpose(1, 2).reshape(bsz, tgt_len, self.embed_dim)
        return self.out_proj(attn_output)


def bart_expand_mask(mask, dtype, tgt_len):
    """HF's _expand_mask: [B, S] 1/0 -> additive [B, 1, T, S] (finfo.min)."""
    bsz, src_len = mask.size()
    expanded = mask[:, None, None, :].expand(bsz, 1, tgt_len, src_len).to(dtype)
    inverted = 1.0 - expanded
    return inverted.masked_fill(inverted.to(torch.bool), torch.finfo(dtype).min)


def bart_causal_mask(bsz, tgt_len, dtype):
    """HF's _make_causal_mask: finfo.min above the diagonal, [B, 1, T, T]."""
    mask = torch.full((tgt_len, tgt_len), torch.finfo(dtype).min)
    cond = torch.arange(mask.size(-1))
    mask.masked_fill_(cond < (cond + 1).view(mask.size(-1), 1), 0)
    return mask.to(dtype)[None, None, :, :].expand(bsz, 1, tgt_len, tgt_len)


class BartEncoderLayer(nn.Module):
    def __init__(self, d, n_head, inner):
        super().__init__()
        self.self_attn = BartAttention(d, n_head)
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, inner)
        self.fc2 = nn.Linear(inner, d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, x, mask):
        x = self.self_attn_layer_norm(x + self.self_attn(x, attention_mask=mask))
        return self.final_layer_norm(x + self.fc2(F.gelu(self.fc1(x))))


class BartDecoderLayer(nn.Module):
    def __init__(self, d, n_head, inner):
        super().__init__()
        self.self_attn = BartAttention(d, n_head)
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.encoder_attn = BartAttention(d, n_head)
        self.encoder_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, inner)
        self.fc2 = nn.Linear(inner, d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, x, self_mask, enc, cross_mask):
        x = self.self_attn_layer_norm(x + self.self_attn(x, attention_mask=self_mask))
        x = self.encoder_attn_layer_norm(
            x + self.encoder_attn(x, key_value_states=enc, attention_mask=cross_mask))
        return self.final_layer_norm(x + self.fc2(F.gelu(self.fc1(x))))


class Bart(nn.Module):
    def __init__(self, vocab=64, d=32, n_head=4, n_enc=2, n_dec=2, inner=64, max_pos=32):
        super().__init__()
        self.shared = nn.Embedding(vocab, d)
        self.enc_pos = nn.Embedding(max_pos, d)
        self.dec_pos = nn.Embedding(max_pos, d)
        self.encoder_layers = nn.ModuleList([BartEncoderLayer(d, n_head, inner) for _ in range(n_enc)])
        self.decoder_layers = nn.ModuleList([BartDecoderLayer(d, n_head, inner) for _ in range(n_dec)])

    def forward(self, input_ids, attention_mask, decoder_input_ids, decoder_attention_mask):
        src_len, tgt_len = input_ids.size(1), decoder_input_ids.size(1)
        x = self.shared(input_ids) + self.enc_pos(torch.arange(src_len))
        enc_mask = bart_expand_mask(attention_mask, x.dtype, src_len)
        for layer in self.encoder_layers:
            x = layer(x, enc_mask)
        y = self.shared(decoder_input_ids) + self.dec_pos(torch.arange(tgt_len))
        # HF's _prepare_decoder_attention_mask: causal plus the decoder's padding.
        self_mask = bart_causal_mask(y.size(0), tgt_len, y.dtype) + \
            bart_expand_mask(decoder_attention_mask, y.dtype, tgt_len)
        cross_mask = bart_expand_mask(attention_mask, y.dtype, tgt_len)
        for layer in self.decoder_layers:
            y = layer(y, self_mask, x, cross_mask)
        return torch.matmul(y, self.shared.weight.t())


@register("bart")
def build_bart() -> ModelSpec:
    model = init_weights(Bart(), "bart")
    rng = rng_for("bart")

    def data(src, tgt, src_pad, tgt_pad):
        enc_mask = torch.ones((2, src), dtype=torch.int64)
        enc_mask[1, src - src_pad:] = 0
        dec_mask = torch.ones((2, tgt), dtype=torch.int64)
        dec_mask[1, tgt - tgt_pad:] = 0
        return (rand_ids(rng, (2, src), 64), enc_mask, rand_ids(rng, (2, tgt), 64), dec_mask)

    datasets = [data(9, 6, 3, 2), data(7, 4, 2, 1)]
    return ModelSpec(
        model, datasets,
        ["input_ids", "attention_mask", "decoder_input_ids", "decoder_attention_mask"], ["logits"],
        {"input_ids": {1: "sequence"}, "attention_mask": {1: "sequence"},
         "decoder_input_ids": {1: "decoder_sequence"},
         "decoder_attention_mask": {1: "decoder_sequence"}, "logits": {1: "decoder_sequence"}})


# ----------------------------------------------------------------------------
# Conformer (NeMo-style encoder with limited attention context)
# ----------------------------------------------------------------------------

class NemoMultiHeadAttention(nn.Module):
    """NeMo's MultiHeadAttention: scores masked with -10000 before the
    softmax and the probabilities zeroed with the same mask after it."""

    def __init__(self, n_head, n_feat):
        super().__init__()
        self.d_k = n_feat // n_head
        self.s_d_k = math.sqrt(self.d_k)
        self.h = n_head
        self.linear_q = nn.Linear(n_feat, n_feat)
        self.linear_k = nn.Linear(n_feat, n_feat)
        self.linear_v = nn.Linear(n_feat, n_feat)
        self.linear_out = nn.Linear(n_feat, n_feat)

    def forward(self, query, key, value, mask):
        n_batch = value.size(0)
        q = self.linear_q(query).view(n_batch, -1, self.h, self.d_k).transpose(1, 2)
        k = self.linear_k(key).view(n_batch, -1, self.h, self.d_k).transpose(1, 2)
        v = self.linear_v(value).view(n_batch, -1, self.h, self.d_k).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-2, -1)) / self.s_d_k
        mask = mask.unsqueeze(1)
        scores = scores.masked_fill(mask, -10000.0)
        attn = torch.softmax(scores, dim=-1).masked_fill(mask, 0.0)
        x = torch.matmul(attn, v)
        x = x.transpose(1, 2).reshape(n_batch, -1, self.h * self.d_k)
        return self.linear_out(x)


class ConformerLayer(nn.Module):
    """Macaron feed-forwards around self-attention and a depthwise
    convolution module, as NeMo's ConformerLayer (without relative
    positions and with LayerNorm in the convolution module)."""

    def __init__(self, d, n_head, inner, kernel=3):
        super().__init__()
        self.norm_ff1 = nn.LayerNorm(d)
        self.ff1 = nn.Sequential(nn.Linear(d, inner), nn.SiLU(), nn.Linear(inner, d))
        self.norm_att = nn.LayerNorm(d)
        self.self_attn = NemoMultiHeadAttention(n_head, d)
        self.norm_conv = nn.LayerNorm(d)
        self.pointwise1 = nn.Conv1d(d, 2 * d, 1)
        self.depthwise = nn.Conv1d(d, d, kernel, padding=kernel // 2, groups=d)
        self.conv_norm = nn.LayerNorm(d)
        self.pointwise2 = nn.Conv1d(d, d, 1)
        self.norm_ff2 = nn.LayerNorm(d)
        self.ff2 = nn.Sequential(nn.Linear(d, inner), nn.SiLU(), nn.Linear(inner, d))
        self.norm_out = nn.LayerNorm(d)

    def forward(self, x, att_mask, pad_mask):
        x = x + 0.5 * self.ff1(self.norm_ff1(x))
        y = self.norm_att(x)
        x = x + self.self_attn(y, y, y, att_mask)
        y = self.norm_conv(x).transpose(1, 2)
        y = F.glu(self.pointwise1(y), dim=1)
        y = y.masked_fill(pad_mask.unsqueeze(1), 0.0)
        y = self.depthwise(y)
        y = F.silu(self.conv_norm(y.transpose(1, 2))).transpose(1, 2)
        x = x + self.pointwise2(y).transpose(1, 2)
        x = x + 0.5 * self.ff2(self.norm_ff2(x))
        return self.norm_out(x)


class Conformer(nn.Module):
    def __init__(self, feat=8, d=32, n_head=4, n_layer=2, inner=64, att_context=(4, 2)):
        super().__init__()
        self.pre_encode = nn.Linear(feat, d)
        self.att_context = att_context
        self.layers = nn.ModuleList([ConformerLayer(d, n_head, inner) for _ in range(n_layer)])

    def create_masks(self, length, max_len):
        """NeMo's ConformerEncoder._create_masks, "regular" context style."""
        att_mask = torch.ones(1, max_len, max_len, dtype=torch.bool)
        att_mask = att_mask.triu(diagonal=-self.att_context[0])
        att_mask = att_mask.tril(diagonal=self.att_context[1])
        pad_mask = torch.arange(0, max_len).expand(length.size(0), -1) < length.unsqueeze(-1)
        pad_for_att = pad_mask.unsqueeze(1).repeat([1, max_len, 1])
        pad_for_att = torch.logical_and(pad_for_att, pad_for_att.transpose(1, 2))
        att_mask = torch.logical_and(pad_for_att, att_mask[:, :max_len, :max_len])
        return ~pad_mask, ~att_mask

    def forward(self, audio_signal, length):
        x = self.pre_encode(audio_signal)
        pad_mask, att_mask = self.create_masks(length, x.size(1))
        for layer in self.layers:
            x = layer(x, att_mask, pad_mask)
        return x


@register("conformer")
def build_conformer() -> ModelSpec:
    model = init_weights(Conformer(), "conformer")
    rng = rng_for("conformer")
    datasets = [
        (rand_floats(rng, (2, 12, 8)), torch.tensor([12, 7], dtype=torch.int64)),
        (rand_floats(rng, (2, 9, 8)), torch.tensor([5, 9], dtype=torch.int64)),
    ]
    return ModelSpec(model, datasets, ["audio_signal", "length"], ["encoded"],
                     {"audio_signal": {1: "time"}, "encoded": {1: "time"}})


# ----------------------------------------------------------------------------
# Built-in torch.nn transformer modules
# ----------------------------------------------------------------------------

class TorchEncoder(nn.Module):
    def __init__(self, d=32, nhead=4, ff=64, n_layer=2):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d_model=d, nhead=nhead, dim_feedforward=ff,
                                           dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=n_layer, enable_nested_tensor=False)

    def forward(self, x, src_key_padding_mask):
        mask = nn.Transformer.generate_square_subsequent_mask(x.size(1))
        return self.encoder(x, mask=mask, src_key_padding_mask=src_key_padding_mask)


@register("torch_encoder_layer")
def build_torch_encoder_layer() -> ModelSpec:
    model = init_weights(TorchEncoder(), "torch_encoder_layer")
    rng = rng_for("torch_encoder_layer")
    datasets = []
    # Two rows padded differently: the key padding mask, repeated per head
    # by torch's MHA, differs by batch row.
    for seq, pad in ((8, 2), (5, 1)):
        pm = torch.zeros((2, seq), dtype=torch.bool)
        pm[0, seq - pad:] = True
        pm[1, seq - pad - 1:] = True
        datasets.append((rand_floats(rng, (2, seq, 32)), pm))
    return ModelSpec(
        model, datasets, ["x", "src_key_padding_mask"], ["y"],
        {"x": {1: "sequence"}, "src_key_padding_mask": {1: "sequence"}, "y": {1: "sequence"}},
        reference_with_grad=True)


class TorchMHA(nn.Module):
    def __init__(self, d=32, nhead=4):
        super().__init__()
        self.mha = nn.MultiheadAttention(d, nhead, dropout=0.0, batch_first=True)

    def forward(self, x):
        out, _ = self.mha(x, x, x, need_weights=False)
        return out


@register("torch_mha")
def build_torch_mha() -> ModelSpec:
    model = init_weights(TorchMHA(), "torch_mha")
    rng = rng_for("torch_mha")
    datasets = [(rand_floats(rng, (1, 7, 32)),), (rand_floats(rng, (1, 12, 32)),)]
    return ModelSpec(model, datasets, ["x"], ["y"], {"x": {1: "sequence"}, "y": {1: "sequence"}},
                     reference_with_grad=True)


# ----------------------------------------------------------------------------
# Attention export variants
#
# Small single-purpose models (hidden 32, one or two attention layers) that
# each write attention, or its mask, in one particular way.  They are fixtures
# for attention fusion (recognise every exported form of attention) and mask
# inference (turn masks into #attn.window / key-padding structure, and leave
# near misses dense).  All take float hidden states x [B,S,32]; README.md has
# the table of what each one exercises and which mask a reader would name.
# ----------------------------------------------------------------------------

VAR_D = 32          # hidden size of every variant model
VAR_MAX_POS = 16    # length of registered mask buffers (sliced to S in forward)
VAR_STD = 0.2       # weight std: scores of O(1), so a wrong mask entry shows up


class VarAttention(nn.Module):
    """q/k/v/o projections plus head split/merge helpers; subclasses write
    the attention itself (``forward``) in one particular way."""

    def __init__(self, n_head: int, n_kv_head: Optional[int] = None, d: int = VAR_D):
        super().__init__()
        self.n_head = n_head
        self.n_kv_head = n_head if n_kv_head is None else n_kv_head
        self.head_dim = d // n_head
        self.q_proj = nn.Linear(d, self.n_head * self.head_dim)
        self.k_proj = nn.Linear(d, self.n_kv_head * self.head_dim)
        self.v_proj = nn.Linear(d, self.n_kv_head * self.head_dim)
        self.o_proj = nn.Linear(self.n_head * self.head_dim, d)

    def split(self, t: torch.Tensor, n: int) -> torch.Tensor:
        """[B, S, n*hd] -> [B, n, S, hd]"""
        b, s, _ = t.shape
        return t.view(b, s, n, self.head_dim).transpose(1, 2)

    def merge(self, t: torch.Tensor) -> torch.Tensor:
        """[B, n, S, hd] -> [B, S, n*hd] -> o_proj"""
        b, n, s, hd = t.shape
        return self.o_proj(t.transpose(1, 2).reshape(b, s, n * hd))

    def qkv(self, x):
        return (self.split(self.q_proj(x), self.n_head),
                self.split(self.k_proj(x), self.n_kv_head),
                self.split(self.v_proj(x), self.n_kv_head))


class VarStack(nn.Module):
    """x -> x + layer(x) for each layer (positional extra inputs are passed on)."""

    def __init__(self, *layers: nn.Module):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x, *extra):
        for layer in self.layers:
            x = x + layer(x, *extra)
        return x


def _causal_bool(s: int, t: int, device) -> torch.Tensor:
    """[s, t] True where key j <= query i + (t - s) (bottom-right aligned)."""
    i = torch.arange(s, device=device)[:, None] + (t - s)
    j = torch.arange(t, device=device)[None, :]
    return j <= i


def _variant_spec(name: str, module: nn.Module, seqs=(8, 6), batch: int = 1) -> ModelSpec:
    model = init_weights(module, name, std=VAR_STD)
    rng = rng_for(name)
    datasets = [(rand_floats(rng, (batch, s, VAR_D)),) for s in seqs]
    return ModelSpec(model, datasets, ["x"], ["y"],
                     {"x": {1: "sequence"}, "y": {1: "sequence"}})


# 1. Scale on q before the score MatMul; K^T via k.transpose(-1, -2); no mask.
class PrescaledQAttention(VarAttention):
    def forward(self, x):
        q, k, v = self.qkv(x)
        q = q * self.head_dim ** -0.5
        probs = torch.matmul(q, k.transpose(-1, -2)).softmax(dim=-1)
        return self.merge(torch.matmul(probs, v))


@register("attn_prescaled_q")
def build_attn_prescaled_q() -> ModelSpec:
    return _variant_spec("attn_prescaled_q", VarStack(PrescaledQAttention(4)))


# 2. K^T straight from a MatMul: K^T = W_k @ x^T, i.e. the nn.Linear weight
#    [H*hd, d] on the left of the transposed hidden states [B, d, T], giving
#    [B, H*hd, T] -> reshape [B, H, hd, T].  The scores' K operand has no
#    Transpose at all (the only Transpose is of x, before the projection).
#    Scale as a Mul on the scores.  (Written as x @ W then a permute to
#    [B,H,hd,T], it would export exactly like k.transpose(-1, -2) does: the
#    exporter merges the head-split permute and the transpose into one
#    Transpose[0,2,3,1].)
class PretransposedKAttention(VarAttention):
    def forward(self, x):
        b, t, _ = x.shape
        q = self.split(self.q_proj(x), self.n_head)
        kt = torch.matmul(self.k_proj.weight, x.transpose(1, 2)) + self.k_proj.bias[:, None]
        kt = kt.view(b, self.n_head, self.head_dim, t)  # [B, H, hd, T]
        v = self.split(self.v_proj(x), self.n_head)
        scores = torch.matmul(q, kt) * (1.0 / math.sqrt(self.head_dim))
        probs = F.softmax(scores, dim=-1)
        return self.merge(torch.matmul(probs, v))


@register("attn_pretransposed_k")
def build_attn_pretransposed_k() -> ModelSpec:
    return _variant_spec("attn_pretransposed_k", VarStack(PretransposedKAttention(2)))


# 3. Heads folded into the batch: [B*H, S, hd] and torch.bmm; causal mask as
#    an additive float tensor (1 - tril(ones)) * -1e4 (not -inf).
class HeadsFolded3DAttention(VarAttention):
    def forward(self, x):
        b, s, _ = x.shape
        h, hd = self.n_head, self.head_dim
        q, k, v = (t.reshape(b * h, s, hd) for t in self.qkv(x))
        scores = torch.bmm(q, k.transpose(1, 2)) / math.sqrt(hd)
        mask = (1.0 - torch.ones(s, s, device=x.device).tril()) * -10000.0
        probs = F.softmax(scores + mask[None, :, :], dim=-1)
        out = torch.bmm(probs, v).view(b, h, s, hd)
        return self.merge(out)


@register("attn_heads_folded_3d")
def build_attn_heads_folded_3d() -> ModelSpec:
    return _variant_spec("attn_heads_folded_3d", VarStack(HeadsFolded3DAttention(4)), batch=2)


# 4. torch.baddbmm(mask_bias, q, k^T, beta=1, alpha=scale) on folded heads;
#    the causal bias is full(finfo.min).triu(1).
class BaddbmmAttention(VarAttention):
    def forward(self, x):
        b, s, _ = x.shape
        h, hd = self.n_head, self.head_dim
        q, k, v = (t.reshape(b * h, s, hd) for t in self.qkv(x))
        bias = torch.full((s, s), torch.finfo(x.dtype).min, device=x.device).triu(1)
        scores = torch.baddbmm(bias[None, :, :], q, k.transpose(1, 2),
                               beta=1.0, alpha=1.0 / math.sqrt(hd))
        probs = F.softmax(scores, dim=-1)
        return self.merge(torch.bmm(probs, v).view(b, h, s, hd))


@register("attn_baddbmm")
def build_attn_baddbmm() -> ModelSpec:
    return _variant_spec("attn_baddbmm", VarStack(BaddbmmAttention(2)), batch=2)


# 5. Softmax written out (max-subtract, exp, normalise): layer 0 divides by
#    the sum, layer 1 multiplies by reciprocal(sum).  Causal via
#    masked_fill(tril[:S, :S] == 0, -inf) from a registered float buffer
#    (nanoGPT style).
class ManualSoftmaxAttention(VarAttention):
    def __init__(self, n_head, use_reciprocal: bool):
        super().__init__(n_head)
        self.use_reciprocal = use_reciprocal
        self.register_buffer("tril", torch.tril(torch.ones(VAR_MAX_POS, VAR_MAX_POS)),
                             persistent=False)

    def forward(self, x):
        s = x.size(1)
        q, k, v = self.qkv(x)
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))
        scores = scores.masked_fill(self.tril[:s, :s] == 0, float("-inf"))
        e = torch.exp(scores - scores.amax(dim=-1, keepdim=True))
        denom = e.sum(dim=-1, keepdim=True)
        probs = e * torch.reciprocal(denom) if self.use_reciprocal else e / denom
        return self.merge(torch.matmul(probs, v))


@register("attn_manual_softmax")
def build_attn_manual_softmax() -> ModelSpec:
    return _variant_spec("attn_manual_softmax",
                         VarStack(ManualSoftmaxAttention(4, False), ManualSoftmaxAttention(4, True)))


# 6. Causal mask as log of a 0/1 lower triangle (log 0 = -inf), added.
class LogMaskAttention(VarAttention):
    def forward(self, x):
        s = x.size(1)
        q, k, v = self.qkv(x)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        mask = torch.log(torch.ones(s, s, device=x.device).tril())
        probs = F.softmax(scores + mask, dim=-1)
        return self.merge(torch.matmul(probs, v))


@register("attn_log_mask")
def build_attn_log_mask() -> ModelSpec:
    return _variant_spec("attn_log_mask", VarStack(LogMaskAttention(2)))


# 7. Multi-query attention: 4 query heads share one K/V head, kept as
#    [B,1,T,hd] and broadcast by MatMul (no repeat).  Causal via
#    where(j <= i, s, finfo.min).
class MQABroadcastAttention(VarAttention):
    def forward(self, x):
        s = x.size(1)
        q, k, v = self.qkv(x)                            # k, v: [B, 1, T, hd]
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        keep = _causal_bool(s, s, x.device)
        scores = torch.where(keep, scores, torch.full([], torch.finfo(scores.dtype).min, dtype=scores.dtype))
        probs = F.softmax(scores, dim=-1)
        return self.merge(torch.matmul(probs, v))


@register("attn_mqa_broadcast")
def build_attn_mqa_broadcast() -> ModelSpec:
    return _variant_spec("attn_mqa_broadcast", VarStack(MQABroadcastAttention(4, 1)))


# 8. Grouped-query attention, 4 query heads / 2 KV heads, KV heads repeated
#    with .repeat (ONNX Tile) rather than llama's expand+reshape.  Layer 0
#    tiles a new axis, [B,Hkv,1,T,hd] -> [B,Hkv,rep,T,hd] -> reshape: query
#    head h reads KV head h // rep (interleaved, same assignment as llama and
#    as repeat_interleave).  Layer 1 tiles the head axis itself,
#    [B,Hkv,T,hd] -> [B,rep*Hkv,T,hd]: query head h reads KV head h % Hkv, a
#    different assignment that fusion must not confuse with the first.
#    (torch.repeat_interleave is not used: the torch 1.13 exporter writes it
#    as Split/Expand/Reshape whose Reshape [1,-1,0,hd] copies the wrong input
#    dim when T is dynamic, so the exported graph is wrong.)
#    Causal via masked_fill(ones(bool).triu(1), -inf).
class GQATileAttention(VarAttention):
    def __init__(self, n_head, n_kv_head, head_major: bool):
        super().__init__(n_head, n_kv_head)
        self.head_major = head_major

    def forward(self, x):
        b, s, _ = x.shape
        q, k, v = self.qkv(x)
        rep = self.n_head // self.n_kv_head
        if self.head_major:
            k, v = k.repeat(1, rep, 1, 1), v.repeat(1, rep, 1, 1)
        else:
            k, v = (t[:, :, None].repeat(1, 1, rep, 1, 1).reshape(b, self.n_head, s, self.head_dim)
                    for t in (k, v))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        above = torch.ones(s, s, dtype=torch.bool, device=x.device).triu(1)
        probs = F.softmax(scores.masked_fill(above, float("-inf")), dim=-1)
        return self.merge(torch.matmul(probs, v))


@register("attn_gqa_tile")
def build_attn_gqa_tile() -> ModelSpec:
    return _variant_spec("attn_gqa_tile",
                         VarStack(GQATileAttention(4, 2, False), GQATileAttention(4, 2, True)))


# 9. Local attention with different left/right reach: query i sees keys
#    i-3 .. i+1; mask from arange comparisons, masked_fill(-inf).
class LocalWindowAttention(VarAttention):
    def __init__(self, n_head, left: int, right: int):
        super().__init__(n_head)
        self.left, self.right = left, right

    def forward(self, x):
        s = x.size(1)
        q, k, v = self.qkv(x)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        i = torch.arange(s, device=x.device)[:, None]
        j = torch.arange(s, device=x.device)[None, :]
        allowed = ((i - j) <= self.left) & ((j - i) <= self.right)
        probs = F.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)
        return self.merge(torch.matmul(probs, v))


@register("attn_local_window")
def build_attn_local_window() -> ModelSpec:
    return _variant_spec("attn_local_window", VarStack(LocalWindowAttention(4, 3, 1)), seqs=(9, 6))


# 10. Chunked prefill: S new queries against T = P + S keys (past K/V are
#     graph inputs, K/V = cat([past, new])), bottom-right aligned causal mask
#     j <= i + (T - S) from arange; the present K/V are outputs too.
class ChunkedPrefillAttention(VarAttention):
    def forward(self, x, past_key, past_value):
        q, k, v = self.qkv(x)
        k = torch.cat([past_key, k], dim=2)
        v = torch.cat([past_value, v], dim=2)
        s, t = q.size(2), k.size(2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        keep = _causal_bool(s, t, x.device)
        probs = F.softmax(scores.masked_fill(~keep, float("-inf")), dim=-1)
        return self.merge(torch.matmul(probs, v)), k, v


class ChunkedPrefillModel(nn.Module):
    def __init__(self, n_head):
        super().__init__()
        self.attn = ChunkedPrefillAttention(n_head)

    def forward(self, x, past_key, past_value):
        a, present_key, present_value = self.attn(x, past_key, past_value)
        return x + a, present_key, present_value


@register("attn_chunked_prefill")
def build_attn_chunked_prefill() -> ModelSpec:
    name = "attn_chunked_prefill"
    h = 2
    model = init_weights(ChunkedPrefillModel(h), name, std=VAR_STD)
    rng = rng_for(name)
    hd = VAR_D // h
    datasets = []
    for past in (5, 2):
        datasets.append((rand_floats(rng, (1, 3, VAR_D)),
                         rand_floats(rng, (1, h, past, hd)), rand_floats(rng, (1, h, past, hd))))
    return ModelSpec(
        model, datasets, ["x", "past_key", "past_value"], ["y", "present_key", "present_value"],
        {"x": {1: "sequence"}, "y": {1: "sequence"},
         "past_key": {2: "past_sequence"}, "past_value": {2: "past_sequence"},
         "present_key": {2: "total_sequence"}, "present_value": {2: "total_sequence"}})


# 11. Causal mask plus key-padding mask from an int64 attention_mask [B,T],
#     both additive finfo.min, added one after the other (where both apply
#     the sum overflows to -inf).  Padding is at the end, so key 0 is always
#     visible and no row (not even a padded query row) is fully masked.
class CausalPaddingAttention(VarAttention):
    def forward(self, x, attention_mask):
        s = x.size(1)
        q, k, v = self.qkv(x)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        fmin = torch.finfo(x.dtype).min
        causal = torch.full((s, s), fmin, device=x.device).triu(1)[None, None, :, :]
        padding = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * fmin
        probs = F.softmax(scores + causal + padding, dim=-1)
        return self.merge(torch.matmul(probs, v))


@register("attn_causal_plus_padding")
def build_attn_causal_plus_padding() -> ModelSpec:
    name = "attn_causal_plus_padding"
    model = init_weights(VarStack(CausalPaddingAttention(2)), name, std=VAR_STD)
    rng = rng_for(name)
    datasets = []
    for seq, pad in ((8, 3), (6, 2)):
        mask = torch.ones((2, seq), dtype=torch.int64)
        mask[1, seq - pad:] = 0
        datasets.append((rand_floats(rng, (2, seq, VAR_D)), mask))
    return ModelSpec(model, datasets, ["x", "attention_mask"], ["y"],
                     {"x": {1: "sequence"}, "attention_mask": {1: "sequence"},
                      "y": {1: "sequence"}})


# 12. Near misses: masks that look almost like structure but are not; they
#     must stay dense, and the model must still compute correctly.
class ConstMaskAttention(VarAttention):
    """Applies a registered constant [MAX, MAX] mask sliced to [:S, :S]:
    a float additive buffer (``additive=True``) or a bool keep buffer applied
    with where(keep, s, finfo.min)."""

    def __init__(self, n_head, mask: torch.Tensor, additive: bool):
        super().__init__(n_head)
        self.additive = additive
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x):
        s = x.size(1)
        q, k, v = self.qkv(x)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        m = self.mask[:s, :s]
        if self.additive:
            scores = scores + m
        else:
            scores = torch.where(m, scores, torch.full([], torch.finfo(scores.dtype).min, dtype=scores.dtype))
        probs = F.softmax(scores, dim=-1)
        return self.merge(torch.matmul(probs, v))


def near_miss_band_mask(n: int = VAR_MAX_POS) -> torch.Tensor:
    """Additive: query i sees keys j <= i - 1; row 0 sees key 0."""
    keep = torch.ones(n, n, dtype=torch.bool).tril(-1)
    keep[0, 0] = True
    return torch.zeros(n, n).masked_fill(~keep, float("-inf"))


NEAR_MISS_ENTRY = (5, 2)   # (query, key) masked below the diagonal; inside both S=8 and S=6


def near_miss_entry_mask(n: int = VAR_MAX_POS) -> torch.Tensor:
    """Bool keep mask: causal except one masked entry below the diagonal."""
    keep = torch.ones(n, n, dtype=torch.bool).tril()
    keep[NEAR_MISS_ENTRY] = False
    return keep


@register("attn_near_miss_band")
def build_attn_near_miss_band() -> ModelSpec:
    return _variant_spec("attn_near_miss_band",
                         VarStack(ConstMaskAttention(2, near_miss_band_mask(), additive=True)))


@register("attn_near_miss_entry")
def build_attn_near_miss_entry() -> ModelSpec:
    return _variant_spec("attn_near_miss_entry",
                         VarStack(ConstMaskAttention(2, near_miss_entry_mask(), additive=False)))


class AlibiAttention(VarAttention):
    """ALiBi-like: additive bias slope_h * (j - i) plus a -inf causal mask."""

    def __init__(self, n_head):
        super().__init__(n_head)
        slopes = torch.tensor([2.0 ** (-8.0 * (h + 1) / n_head) for h in range(n_head)])
        self.register_buffer("slopes", slopes, persistent=False)

    def forward(self, x):
        s = x.size(1)
        q, k, v = self.qkv(x)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        pos = torch.arange(s, device=x.device)
        rel = (pos[None, :] - pos[:, None]).to(x.dtype)              # j - i
        causal = torch.full((s, s), float("-inf"), device=x.device).triu(1)
        bias = self.slopes[:, None, None] * rel[None, :, :] + causal[None, :, :]
        probs = F.softmax(scores + bias[None], dim=-1)
        return self.merge(torch.matmul(probs, v))


@register("attn_alibi_bias")
def build_attn_alibi_bias() -> ModelSpec:
    return _variant_spec("attn_alibi_bias", VarStack(AlibiAttention(4)))


# 13. Causal attention that also returns its probabilities as a graph output.
class ProbsOutputModel(VarAttention):
    def forward(self, x):
        s = x.size(1)
        q, k, v = self.qkv(x)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        keep = torch.tril(torch.ones(s, s, device=x.device)).bool()
        probs = F.softmax(scores.masked_fill(~keep, float("-inf")), dim=-1)
        return x + self.merge(torch.matmul(probs, v)), probs


@register("attn_probs_output")
def build_attn_probs_output() -> ModelSpec:
    name = "attn_probs_output"
    spec = _variant_spec(name, ProbsOutputModel(2))
    return spec._replace(output_names=["y", "probs"],
                         dynamic_axes={"x": {1: "sequence"}, "y": {1: "sequence"},
                                       "probs": {2: "sequence", 3: "sequence"}})


# 14. Key padding the way HF transformers prepares it
#     (_prepare_4d_attention_mask): attention_mask [B,T] is expanded to
#     [B,1,S,T] *before* it is inverted and filled with finfo.min, so the
#     mask reaches the scores at full size. Batch row 2 is all padding: its
#     rows see only finfo.min scores, and the graph averages V over every
#     key there (no NaN, no zeros); a compiler must keep that.
class ExpandedPaddingAttention(VarAttention):
    def forward(self, x, attention_mask):
        b, s = attention_mask.shape
        q, k, v = self.qkv(x)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        expanded = attention_mask[:, None, None, :].expand(b, 1, x.size(1), s).to(x.dtype)
        inverted = 1.0 - expanded
        padding = inverted.masked_fill(inverted.to(torch.bool), torch.finfo(x.dtype).min)
        probs = F.softmax(scores + padding, dim=-1)
        return x + self.merge(torch.matmul(probs, v))


@register("attn_expanded_padding")
def build_attn_expanded_padding() -> ModelSpec:
    name = "attn_expanded_padding"
    model = init_weights(ExpandedPaddingAttention(2), name, std=VAR_STD)
    rng = rng_for(name)
    datasets = []
    for seq, pad in ((8, 3), (6, 2)):
        mask = torch.ones((3, seq), dtype=torch.int64)
        mask[1, seq - pad:] = 0
        mask[2, :] = 0
        datasets.append((rand_floats(rng, (3, seq, VAR_D)), mask))
    return ModelSpec(model, datasets, ["x", "attention_mask"], ["y"],
                     {"x": {1: "sequence"}, "attention_mask": {1: "sequence"},
                      "y": {1: "sequence"}})


# 15. DistilBERT: q divided by sqrt(d) before the product, and the padding
#     mask as (attention_mask == 0) viewed to [B, 1, 1, T], expanded to the
#     scores and applied with masked_fill(finfo.min).
class DistilBertAttention(VarAttention):
    def forward(self, x, attention_mask):
        b, s = attention_mask.shape
        q, k, v = self.qkv(x)
        q = q / math.sqrt(self.head_dim)
        scores = torch.matmul(q, k.transpose(2, 3))
        mask = (attention_mask == 0).view(b, 1, 1, s).expand_as(scores)
        scores = scores.masked_fill(mask, torch.tensor(torch.finfo(scores.dtype).min))
        probs = F.softmax(scores, dim=-1)
        return x + self.merge(torch.matmul(probs, v))


def _padded_spec(name: str, module: nn.Module, left: bool = False) -> ModelSpec:
    """x [2, S, D] and an int64 attention_mask [2, S] whose row 1 is padded
    at the end (or, with ``left``, at the start)."""
    model = init_weights(module, name, std=VAR_STD)
    rng = rng_for(name)
    datasets = []
    for seq, pad in ((8, 3), (6, 2)):
        mask = torch.ones((2, seq), dtype=torch.int64)
        if left:
            mask[1, :pad] = 0
        else:
            mask[1, seq - pad:] = 0
        datasets.append((rand_floats(rng, (2, seq, VAR_D)), mask))
    return ModelSpec(model, datasets, ["x", "attention_mask"], ["y"],
                     {"x": {1: "sequence"}, "attention_mask": {1: "sequence"},
                      "y": {1: "sequence"}})


@register("attn_distilbert")
def build_attn_distilbert() -> ModelSpec:
    return _padded_spec("attn_distilbert", DistilBertAttention(2))


# 16. T5: no scaling, and a relative-position bias per head computed from
#     bucketed (key - query) distances through an embedding, added to the
#     scores with the padding mask; the bias stays a dense operand.
class T5Attention(VarAttention):
    def __init__(self, n_head, buckets=8, max_distance=16):
        super().__init__(n_head)
        self.buckets, self.max_distance = buckets, max_distance
        self.relative_attention_bias = nn.Embedding(buckets, n_head)

    def bucket(self, relative):
        # Bidirectional buckets as T5 computes them (half per direction,
        # exact below max_exact, logarithmic above).
        n = self.buckets // 2
        ret = (relative > 0).to(torch.long) * n
        relative = torch.abs(relative)
        max_exact = n // 2
        is_small = relative < max_exact
        large = max_exact + (torch.log(relative.float() / max_exact)
                             / math.log(self.max_distance / max_exact)
                             * (n - max_exact)).to(torch.long)
        large = torch.min(large, torch.full_like(large, n - 1))
        return ret + torch.where(is_small, relative, large)

    def forward(self, x, attention_mask):
        s = x.size(1)
        q, k, v = self.qkv(x)
        scores = torch.matmul(q, k.transpose(3, 2))
        context = torch.arange(s, dtype=torch.long)[:, None]
        memory = torch.arange(s, dtype=torch.long)[None, :]
        bias = self.relative_attention_bias(self.bucket(memory - context))
        bias = bias.permute([2, 0, 1]).unsqueeze(0)
        padding = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        scores = scores + (bias + padding)
        probs = F.softmax(scores.float(), dim=-1).type_as(scores)
        return x + self.merge(torch.matmul(probs, v))


@register("attn_t5_relative_bias")
def build_attn_t5_relative_bias() -> ModelSpec:
    return _padded_spec("attn_t5_relative_bias", T5Attention(2))


# 17. OPT: q scaled after its projection, heads folded for 3-D bmm, causal
#     plus padding (HF's combined [B, 1, S, T] mask) added on a
#     [B, H, S, T] view, then clamped with torch.max(w, finfo.min) before
#     the view back.
class OptAttention(VarAttention):
    def forward(self, x, attention_mask):
        b, s, _ = x.shape
        h, hd = self.n_head, self.head_dim
        q = self.q_proj(x) * hd ** -0.5
        fold = lambda t: t.view(b, s, h, hd).transpose(1, 2).contiguous().view(b * h, s, hd)
        q, k, v = fold(q), fold(self.k_proj(x)), fold(self.v_proj(x))
        fmin = torch.finfo(x.dtype).min
        causal = torch.full((s, s), fmin).triu(1)[None, None]
        padding = (1.0 - attention_mask[:, None, None, :].to(x.dtype)).masked_fill(
            attention_mask[:, None, None, :] == 0, fmin)
        w = torch.bmm(q, k.transpose(1, 2)).view(b, h, s, s) + (causal + padding)
        w = torch.max(w, torch.tensor(fmin))
        w = F.softmax(w.view(b * h, s, s), dim=-1)
        out = torch.bmm(w, v).view(b, h, s, hd)
        return x + self.merge(out)


@register("attn_opt")
def build_attn_opt() -> ModelSpec:
    # Left padding, as OPT generates in batches: the first queries of row 1
    # see only padding, every score of theirs is clamped to finfo.min, and
    # the graph averages V over all keys there; a compiler must keep that.
    return _padded_spec("attn_opt", OptAttention(2), left=True)


# 18. GPT-NeoX: causal as where(tril buffer, s, finfo.min) after scaling by
#     norm_factor, the padding mask added after it, rotary embedding on the
#     first half of each head only (partial rotary).
class NeoXAttention(VarAttention):
    def __init__(self, n_head):
        super().__init__(n_head)
        self.register_buffer("bias", torch.tril(torch.ones(VAR_MAX_POS, VAR_MAX_POS, dtype=torch.bool))
                             .view(1, 1, VAR_MAX_POS, VAR_MAX_POS))
        self.rotary = self.head_dim // 2
        inv = 1.0 / (10000 ** (torch.arange(0, self.rotary, 2).float() / self.rotary))
        self.register_buffer("inv_freq", inv)

    def rope(self, t, cos, sin):
        rot, rest = t[..., :self.rotary], t[..., self.rotary:]
        half = self.rotary // 2
        rotated = torch.cat((-rot[..., half:], rot[..., :half]), dim=-1)
        return torch.cat((rot * cos + rotated * sin, rest), dim=-1)

    def forward(self, x, attention_mask):
        s = x.size(1)
        q, k, v = self.qkv(x)
        freqs = torch.arange(s, dtype=torch.float32)[:, None] * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        q, k = self.rope(q, emb.cos(), emb.sin()), self.rope(k, emb.cos(), emb.sin())
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.head_dim))
        causal = self.bias[:, :, :s, :s]
        scores = torch.where(causal, scores, torch.tensor(torch.finfo(scores.dtype).min))
        padding = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        probs = F.softmax(scores + padding, dim=-1)
        return x + self.merge(torch.matmul(probs, v))


@register("attn_gpt_neox")
def build_attn_gpt_neox() -> ModelSpec:
    return _padded_spec("attn_gpt_neox", NeoXAttention(2))


# 19. Longformer/BigBird-style: a local window (2 each side) plus global
#     tokens (the first 2 positions see and are seen by every position).
#     Not a band: it must stay a dense mask, never become a wrong window.
class GlobalTokensAttention(VarAttention):
    def forward(self, x):
        s = x.size(1)
        q, k, v = self.qkv(x)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        i = torch.arange(s)[:, None]
        j = torch.arange(s)[None, :]
        is_global = torch.arange(s) < 2
        allowed = ((i - j).abs() <= 2) | is_global[None, :] | is_global[:, None]
        scores = scores.masked_fill(~allowed, float("-inf"))
        return self.merge(torch.matmul(F.softmax(scores, dim=-1), v))


@register("attn_global_tokens")
def build_attn_global_tokens() -> ModelSpec:
    return _variant_spec("attn_global_tokens", VarStack(GlobalTokensAttention(2)), seqs=(9, 7))


# ----------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------

def _flatten_outputs(out) -> List[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    flat = []
    for o in out:
        flat += _flatten_outputs(o)
    return flat


def reference_outputs(spec: ModelSpec, inputs) -> List[np.ndarray]:
    if spec.reference_with_grad:
        with torch.enable_grad():
            outs = _flatten_outputs(spec.module(*inputs))
        outs = [o.detach() for o in outs]
    else:
        with torch.no_grad():
            outs = _flatten_outputs(spec.module(*inputs))
    return [o.contiguous().numpy() for o in outs]


def write_tensor(path: str, arr: np.ndarray, name: str):
    t = numpy_helper.from_array(np.ascontiguousarray(arr), name=name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def _pin_output_shapes(model, spec: ModelSpec, all_outs: List[List[np.ndarray]]):
    """The exporter's shape inference sometimes leaves a static dim of an output
    (typically the batch dim) as a made-up symbol such as 'MatMullogits_dim_0'.
    Rewrite every output shape: dims listed in dynamic_axes get their declared
    name, all others the concrete size (which must agree across data sets)."""
    for idx, vi in enumerate(model.graph.output):
        dyn = spec.dynamic_axes.get(vi.name, {})
        shapes = {tuple(outs[idx].shape) for outs in all_outs}
        ranks = {len(s) for s in shapes}
        dims = vi.type.tensor_type.shape.dim
        if ranks != {len(dims)}:
            raise RuntimeError(f"{vi.name}: rank mismatch {ranks} vs {len(dims)}")
        for ax, dim in enumerate(dims):
            if ax in dyn:
                dim.ClearField("dim_value")
                dim.dim_param = dyn[ax]
                continue
            sizes = {s[ax] for s in shapes}
            if len(sizes) != 1:
                raise RuntimeError(f"{vi.name}: axis {ax} varies {sizes} but is not in dynamic_axes")
            dim.ClearField("dim_param")
            dim.dim_value = sizes.pop()


def generate_one(name: str, out_dir: str, quiet: bool = False) -> Dict[str, object]:
    t0 = time.time()
    spec = REGISTRY[name]()
    spec.module.eval()
    mdir = os.path.join(out_dir, name)
    os.makedirs(mdir, exist_ok=True)
    model_path = os.path.join(mdir, "model.onnx")

    example = spec.datasets[0]
    torch.onnx.export(
        spec.module, tuple(example), model_path,
        input_names=spec.input_names, output_names=spec.output_names,
        dynamic_axes=spec.dynamic_axes or None,
        opset_version=spec.opset, do_constant_folding=True,
        export_params=True, verbose=False)

    model = onnx.load(model_path)
    all_outs = [reference_outputs(spec, inputs) for inputs in spec.datasets]
    _pin_output_shapes(model, spec, all_outs)
    model.graph.name = name
    onnx.save(model, model_path)
    onnx.checker.check_model(model)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    graph_inputs = [i.name for i in model.graph.input]
    graph_outputs = [o.name for o in model.graph.output]
    if graph_inputs != list(spec.input_names):
        raise RuntimeError(f"{name}: exported inputs {graph_inputs} != {spec.input_names}")
    if graph_outputs != list(spec.output_names):
        raise RuntimeError(f"{name}: exported outputs {graph_outputs} != {spec.output_names}")

    for ds_idx, inputs in enumerate(spec.datasets):
        ddir = os.path.join(mdir, f"test_data_set_{ds_idx}")
        os.makedirs(ddir, exist_ok=True)
        outs = all_outs[ds_idx]
        if len(outs) != len(spec.output_names):
            raise RuntimeError(f"{name}: {len(outs)} outputs, expected {len(spec.output_names)}")
        for i, (t, n) in enumerate(zip(inputs, spec.input_names)):
            write_tensor(os.path.join(ddir, f"input_{i}.pb"), t.numpy(), n)
        for i, (a, n) in enumerate(zip(outs, spec.output_names)):
            if not np.all(np.isfinite(a)):
                raise RuntimeError(f"{name}: non-finite reference output {n}")
            write_tensor(os.path.join(ddir, f"output_{i}.pb"), a, n)

    info = {
        "name": name,
        "opset": spec.opset,
        "bytes": os.path.getsize(model_path),
        "ops": sorted({n.op_type for n in model.graph.node}),
        "seconds": time.time() - t0,
    }
    if not quiet:
        print(f"[{name}] opset {info['opset']}, {info['bytes']} bytes, "
              f"{len(spec.datasets)} data sets, {info['seconds']:.1f}s", flush=True)
    return info


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", nargs="?", help="directory to write model folders into")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="generate only these models")
    ap.add_argument("--list", action="store_true", help="list registered models and exit")
    ap.add_argument("--ops", action="store_true", help="print the ONNX op types of each model")
    args = ap.parse_args(argv)

    if args.list:
        for n in REGISTRY:
            print(n)
        return 0
    if not args.out_dir:
        ap.error("OUT_DIR is required")
    names = args.only or list(REGISTRY)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        ap.error(f"unknown model(s): {', '.join(unknown)}; known: {', '.join(REGISTRY)}")

    torch.set_num_threads(1)  # keeps float results independent of the thread count
    os.makedirs(args.out_dir, exist_ok=True)
    t0 = time.time()
    infos = [generate_one(n, args.out_dir) for n in names]
    if args.ops:
        for info in infos:
            print(f"{info['name']} (opset {info['opset']}): {' '.join(info['ops'])}")
    print(f"generated {len(infos)} model(s) in {time.time() - t0:.1f}s -> {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
