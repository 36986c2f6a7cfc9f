"""Writes an ONNX test directory of bfloat16 arithmetic (Add, Mul, MatMul,
Cast to float) with the reference computed in f32 and rounded to bfloat16
(to nearest even) after each op; tensors are bf16 bits (numpy has no
bfloat16)."""
import os, sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto as T
out = sys.argv[1]
os.makedirs(f"{out}/test_data_set_0", exist_ok=True)
def to_bf16_bits(x):
    b = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    b = (b + 0x7FFF + ((b >> 16) & 1)) >> 16   # round to nearest even
    return b.astype(np.uint16)
def from_bits(u):
    return (u.astype(np.uint32) << 16).view(np.float32)
rng = np.random.default_rng(0)
x = to_bf16_bits(rng.standard_normal((3, 4)))
y = to_bf16_bits(rng.standard_normal((3, 4)))
w = to_bf16_bits(rng.standard_normal((4, 2)))
xf, yf, wf = from_bits(x), from_bits(y), from_bits(w)
nodes = [helper.make_node("Add", ["x", "y"], ["s"]),
         helper.make_node("Mul", ["s", "x"], ["p"]),
         helper.make_node("MatMul", ["p", "w"], ["m"]),
         helper.make_node("Cast", ["m"], ["out"], to=T.FLOAT)]
graph = helper.make_graph(nodes, "bf16",
    [helper.make_tensor_value_info(n, T.BFLOAT16, s) for n, s in (("x", [3, 4]), ("y", [3, 4]), ("w", [4, 2]))],
    [helper.make_tensor_value_info("p", T.BFLOAT16, [3, 4]), helper.make_tensor_value_info("out", T.FLOAT, [3, 2])])
m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 7
onnx.save(m, f"{out}/model.onnx")
s = from_bits(to_bf16_bits(xf + yf)); p = from_bits(to_bf16_bits(s * xf))
mm = from_bits(to_bf16_bits(p @ wf))
def save(kind, i, name, arr, dt):
    t = helper.make_tensor(name, dt, arr.shape, arr.tobytes(), raw=True)
    open(f"{out}/test_data_set_0/{kind}_{i}.pb", "wb").write(t.SerializeToString())
save("input", 0, "x", x, T.BFLOAT16); save("input", 1, "y", y, T.BFLOAT16); save("input", 2, "w", w, T.BFLOAT16)
save("output", 0, "p", to_bf16_bits(p), T.BFLOAT16); save("output", 1, "out", mm, T.FLOAT)
