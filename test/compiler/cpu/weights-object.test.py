"""Writes an ONNX test directory of a two-layer MLP whose weights (256 KB
and 128 KB) are large enough to leave the code's object for their own
(compiler/cpu/WeightsObject.h), with numpy's output as the reference."""
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

out = sys.argv[1]
os.makedirs(f"{out}/test_data_set_0", exist_ok=True)
rng = np.random.default_rng(7)
x = rng.standard_normal((4, 256)).astype(np.float32)
w1 = (rng.standard_normal((256, 256)) * 0.05).astype(np.float32)
b1 = rng.standard_normal(256).astype(np.float32)
w2 = (rng.standard_normal((256, 128)) * 0.05).astype(np.float32)

graph = helper.make_graph(
    [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"]),
     helper.make_node("Relu", ["h"], ["r"]),
     helper.make_node("MatMul", ["r", "w2"], ["y"])],
    "weights_object",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, (4, 128))],
    [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
     numpy_helper.from_array(w2, "w2")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
onnx.save(model, f"{out}/model.onnx")
y = np.maximum(x @ w1 + b1, 0) @ w2
x.tofile(f"{out}/x.f32")
y.astype(np.float32).tofile(f"{out}/y.f32")
for name, value in (("input_0", x), ("output_0", y)):
    tensor = numpy_helper.from_array(value, "x" if name == "input_0" else "y")
    with open(f"{out}/test_data_set_0/{name}.pb", "wb") as f:
        f.write(tensor.SerializeToString())
