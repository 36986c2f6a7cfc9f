"""Writes an opset-9 ONNX test directory (model.onnx, test_data_set_0) of
the old op forms, with numpy's outputs as the reference."""
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

out = sys.argv[1]
os.makedirs(f"{out}/test_data_set_0", exist_ok=True)
rng = np.random.default_rng(0)
x = rng.standard_normal((2, 3, 4, 6)).astype(np.float32)

nodes = [
    # [2, 3, 4, 6] -> [2, 3, 4, 4]: columns 1..4.
    helper.make_node("Slice", ["x"], ["s"], starts=[1], ends=[-1], axes=[3]),
    helper.make_node("Clip", ["s"], ["c"], min=-0.5, max=1.0),
    # Softmax-1 with axis 2: rows of 4 x 4 = 16 values.
    helper.make_node("Softmax", ["c"], ["p"], axis=2),
    helper.make_node("ReduceSum", ["p"], ["r"], axes=[1], keepdims=1),
    helper.make_node("Squeeze", ["r"], ["q"], axes=[1]),
    helper.make_node("Unsqueeze", ["q"], ["u"], axes=[0]),
    helper.make_node("Split", ["u"], ["a", "b"], axis=3, split=[1, 3]),
]
graph = helper.make_graph(
    nodes, "old_forms",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
    [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 2, 4, 1]),
     helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 2, 4, 3])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)])
model.ir_version = 4
onnx.checker.check_model(model)
onnx.save(model, f"{out}/model.onnx")

s = x[..., 1:5]
c = np.clip(s, -0.5, 1.0)
rows = c.reshape(2 * 3, 16).astype(np.float64)
e = np.exp(rows - rows.max(1, keepdims=True))
p = (e / e.sum(1, keepdims=True)).reshape(c.shape)
r = p.sum(1, keepdims=True)
u = r.squeeze(1)[None]
a, b = u[..., :1], u[..., 1:]

def save(name, index, kind, value):
    tensor = numpy_helper.from_array(value.astype(np.float32), name)
    with open(f"{out}/test_data_set_0/{kind}_{index}.pb", "wb") as f:
        f.write(tensor.SerializeToString())

save("x", 0, "input", x)
save("a", 0, "output", a)
save("b", 1, "output", b)
