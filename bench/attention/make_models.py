#!/usr/bin/env python3
"""Writes the attention benchmark's models (B=1, H=12, D=64) for one S.

  make_models.py OUT_DIR S

- attn_{none,causal,window}.mlir: one attn.sdpa for attnc.
- ort_unfused_{none,causal,window}.onnx: MatMul -> Mul -> (Add mask) ->
  Softmax -> MatMul, the graph exporters write (opset 17).
- ort_mha_none.onnx: com.microsoft MultiHeadAttention (ORT's fused CPU op).
- ort_attention23_{none,causal}.onnx: the standard opset-23 Attention op.
"""
import pathlib
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

B, H, D = 1, 12, 64
WINDOW = 256


def mlir(S, mask):
    attr = {"none": "", "causal": ", mask = #attn.window<left = inf, right = 0>",
            "window": f", mask = #attn.window<left = {WINDOW - 1}, right = 0>"}[mask]
    t = f"tensor<{B}x{H}x{S}x{D}xf32>"
    return (f'func.func @main(%q: {t} {{attnc.name = "q"}}, %k: {t} {{attnc.name = "k"}}, '
            f'%v: {t} {{attnc.name = "v"}}) -> ({t} {{attnc.name = "o"}}) {{\n'
            f'  %o = attn.sdpa %q, %k, %v {{scale = 0.125 : f32{attr}}} : ({t}, {t}, {t}) -> {t}\n'
            f'  return %o : {t}\n}}\n')


def io(S, names=("q", "k", "v")):
    return [helper.make_tensor_value_info(n, TensorProto.FLOAT, [B, H, S, D]) for n in names]


def unfused(S, mask):
    nodes = [helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
             helper.make_node("MatMul", ["q", "kt"], ["s"]),
             helper.make_node("Mul", ["s", "scale"], ["ss"])]
    inits = [numpy_helper.from_array(np.array(0.125, np.float32), "scale")]
    last = "ss"
    if mask != "none":
        i = np.arange(S)[:, None]
        j = np.arange(S)[None, :]
        visible = j <= i if mask == "causal" else (j <= i) & (j > i - WINDOW)
        inits.append(numpy_helper.from_array(np.where(visible, 0, -np.inf).astype(np.float32), "mask"))
        nodes.append(helper.make_node("Add", ["ss", "mask"], ["sm"]))
        last = "sm"
    nodes += [helper.make_node("Softmax", [last], ["p"], axis=-1),
              helper.make_node("MatMul", ["p", "v"], ["o"])]
    graph = helper.make_graph(nodes, "attention", io(S), io(S, ["o"]), inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def mha(S):
    # MultiHeadAttention takes [B, S, H*D] inputs.
    t = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [B, S, H * D]) for n in ("q", "k", "v")]
    out = [helper.make_tensor_value_info("o", TensorProto.FLOAT, [B, S, H * D])]
    node = helper.make_node("MultiHeadAttention", ["q", "k", "v"], ["o"], domain="com.microsoft",
                            num_heads=H)
    graph = helper.make_graph([node], "mha", t, out)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                   helper.make_opsetid("com.microsoft", 1)],
                             ir_version=8)


def attention23(S, causal):
    node = helper.make_node("Attention", ["q", "k", "v"], ["o"], is_causal=int(causal))
    graph = helper.make_graph([node], "attention23", io(S), io(S, ["o"]))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)], ir_version=10)


def main():
    out, S = pathlib.Path(sys.argv[1]), int(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for mask in ("none", "causal", "window"):
        (out / f"attn_{mask}.mlir").write_text(mlir(S, mask))
        onnx.save(unfused(S, mask), str(out / f"ort_unfused_{mask}.onnx"))
    onnx.save(mha(S), str(out / "ort_mha_none.onnx"))
    onnx.save(attention23(S, False), str(out / "ort_attention23_none.onnx"))
    onnx.save(attention23(S, True), str(out / "ort_attention23_causal.onnx"))


if __name__ == "__main__":
    main()
