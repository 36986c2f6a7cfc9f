#!/usr/bin/env python3
"""The attention benchmark's models (B=1, H=12, D=64, fp32, scale 1/8).

  make_models.py OUT_DIR S     write every model for one S (and the decode case)

bench_attention.py imports this module and writes only the models it runs.
Masks: none, causal, window (each query sees itself and the WINDOW - 1 keys
before it). Decode: 1 query over DECODE_T cached keys, no mask.

attnc: attn_<case>.mlir, one attn.sdpa with q/k/v in [B, H, S, D].
ONNX Runtime peers, each in its native layout:
- unfused: Transpose/MatMul/Mul/(Add mask)/Softmax/MatMul, what exporters
  write (opset 17), q/k/v [B, H, S, D]; the mask is an additive constant.
- mha: com.microsoft MultiHeadAttention, q/k/v [B, S, H*D]; causal through
  its unidirectional attribute, window through an additive attention_bias.
- gqa: com.microsoft GroupQueryAttention (causal by construction, so not for
  the none mask), q/k/v [B, S, H*D] with kv_num_heads = H; window through
  local_window_size. Decode: the new token's q/k/v plus a BNSH past KV cache
  of DECODE_T - 1 keys.
- attention23: the standard opset-23 Attention op, q/k/v [B, H, S, D];
  causal through is_causal, window through an additive attn_mask.
seqlens_k, total_sequence_length and every mask are initializers, so each
model's graph inputs are all f32 (ort_time.js fills them).
"""
import pathlib
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

B, H, D = 1, 12, 64
SCALE = 0.125
WINDOW = 256
DECODE_T = 4096
MASKS = ("none", "causal", "window")
PEERS = ("unfused", "mha", "gqa", "attention23")
PEER_TITLES = {"unfused": "ORT unfused", "mha": "ORT MHA", "gqa": "ORT GQA",
               "attention23": "ORT Attention-23"}

# GroupQueryAttention's local_window_size counts the query's own key: with
# local_window_size = WINDOW its output matches `visible` (bench_attention.py
# --check compares it against numpy; WINDOW - 1 does not match).
GQA_LOCAL_WINDOW_SIZE = WINDOW


def visible(S, T, mask):
    """[S, T] bool: which keys each query sees; queries end-aligned with keys."""
    i = np.arange(S)[:, None] + (T - S)
    j = np.arange(T)[None, :]
    if mask == "none":
        return np.ones((S, T), bool)
    if mask == "causal":
        return j <= i
    return (j <= i) & (j > i - WINDOW)


def additive_mask(S, T, mask, name):
    return numpy_helper.from_array(np.where(visible(S, T, mask), 0, -np.inf).astype(np.float32), name)


def applies(peer, mask, decode=False):
    """Whether `peer` has a model for this case."""
    if decode:
        return True
    return not (peer == "gqa" and mask == "none")


def peak_bytes(peer, S, T):
    """Rough peak memory of an ORT peer: its S x T score tensors and mask.

    The unfused graph keeps about three [B, H, S, T] tensors alive (scores,
    masked scores, probabilities); ORT's fused CPU ops materialize one
    [B, H, S, T] probability tensor.
    """
    scores = B * H * S * T * 4
    return (3 if peer == "unfused" else 1) * scores + 2 * S * T * 4 + 8 * B * H * T * D * 4


def mlir(S, T, mask):
    attr = {"none": "", "causal": ", mask = #attn.window<left = inf, right = 0>",
            "window": f", mask = #attn.window<left = {WINDOW - 1}, right = 0>"}[mask]
    tq = f"tensor<{B}x{H}x{S}x{D}xf32>"
    tk = f"tensor<{B}x{H}x{T}x{D}xf32>"
    return (f'func.func @main(%q: {tq} {{attnc.name = "q"}}, %k: {tk} {{attnc.name = "k"}}, '
            f'%v: {tk} {{attnc.name = "v"}}) -> ({tq} {{attnc.name = "o"}}) {{\n'
            f'  %o = attn.sdpa %q, %k, %v {{scale = {SCALE} : f32{attr}}} : ({tq}, {tk}, {tk}) -> {tq}\n'
            f'  return %o : {tq}\n}}\n')


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def model(nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(nodes, "attention", inputs, outputs, list(inits))
    opsets = [helper.make_opsetid("", opset), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets, ir_version=10 if opset >= 21 else 8)


def unfused(S, T, mask):
    nodes = [helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
             helper.make_node("MatMul", ["q", "kt"], ["s"]),
             helper.make_node("Mul", ["s", "scale"], ["ss"])]
    inits = [numpy_helper.from_array(np.array(SCALE, np.float32), "scale")]
    last = "ss"
    if mask != "none":
        inits.append(additive_mask(S, T, mask, "mask"))
        nodes.append(helper.make_node("Add", ["ss", "mask"], ["sm"]))
        last = "sm"
    nodes += [helper.make_node("Softmax", [last], ["p"], axis=-1),
              helper.make_node("MatMul", ["p", "v"], ["o"])]
    return model(nodes, [f32("q", [B, H, S, D]), f32("k", [B, H, T, D]), f32("v", [B, H, T, D])],
                 [f32("o", [B, H, S, D])], inits)


def mha(S, T, mask):
    inputs, inits, attrs = ["q", "k", "v"], [], {}
    if mask == "causal":
        attrs["unidirectional"] = 1
    elif mask == "window":
        # Inputs 3 and 4 (bias, key_padding_mask) are absent; 5 is attention_bias.
        inputs += ["", "", "mask"]
        inits.append(numpy_helper.from_array(
            np.where(visible(S, T, mask), 0, -np.inf).astype(np.float32)[None, None], "mask"))
    node = helper.make_node("MultiHeadAttention", inputs, ["o"], domain="com.microsoft",
                            num_heads=H, scale=SCALE, **attrs)
    return model([node], [f32("q", [B, S, H * D]), f32("k", [B, T, H * D]), f32("v", [B, T, H * D])],
                 [f32("o", [B, S, H * D])], inits)


def gqa(S, T, mask):
    """Prefill (S == T) or, for S < T, S new tokens over a past cache of T - S."""
    past = T - S
    attrs = {"local_window_size": GQA_LOCAL_WINDOW_SIZE} if mask == "window" else {}
    inits = [numpy_helper.from_array(np.array([T - 1] * B, np.int32), "seqlens_k"),
             numpy_helper.from_array(np.array(T, np.int32), "total_sequence_length")]
    inputs = [f32("q", [B, S, H * D]), f32("k", [B, S, H * D]), f32("v", [B, S, H * D])]
    if past:
        inputs += [f32("past_k", [B, H, past, D]), f32("past_v", [B, H, past, D])]
    node = helper.make_node(
        "GroupQueryAttention",
        ["q", "k", "v", "past_k" if past else "", "past_v" if past else "",
         "seqlens_k", "total_sequence_length"],
        ["o", "present_k", "present_v"], domain="com.microsoft",
        num_heads=H, kv_num_heads=H, scale=SCALE, **attrs)
    return model([node], inputs, [f32("o", [B, S, H * D])], inits)


def attention23(S, T, mask):
    inputs, inits, attrs = ["q", "k", "v"], [], {}
    if mask == "causal":
        attrs["is_causal"] = 1
    elif mask == "window":
        inputs.append("mask")
        inits.append(additive_mask(S, T, mask, "mask"))
    node = helper.make_node("Attention", inputs, ["o"], scale=SCALE, **attrs)
    return model([node], [f32("q", [B, H, S, D]), f32("k", [B, H, T, D]), f32("v", [B, H, T, D])],
                 [f32("o", [B, H, S, D])], inits, opset=23)


BUILDERS = {"unfused": unfused, "mha": mha, "gqa": gqa, "attention23": attention23}


def ort_model(peer, S, T, mask):
    return BUILDERS[peer](S, T, mask)


def main():
    out, S = pathlib.Path(sys.argv[1]), int(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    cases = [(f"{mask}", S, S, mask) for mask in MASKS] + [("decode", 1, DECODE_T, "none")]
    for name, s, t, mask in cases:
        (out / f"attn_{name}.mlir").write_text(mlir(s, t, mask))
        for peer in PEERS:
            if applies(peer, mask, decode=name == "decode"):
                onnx.save(ort_model(peer, s, t, mask), str(out / f"ort_{peer}_{name}.onnx"))


if __name__ == "__main__":
    main()
