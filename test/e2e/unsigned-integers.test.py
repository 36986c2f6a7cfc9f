"""Writes an ONNX test directory of unsigned-integer ops whose results
differ from the signed ones (inputs past the signed range), with numpy's
outputs as the reference, plus the inputs and outputs as .npy files."""
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

out = sys.argv[1]
os.makedirs(f"{out}/test_data_set_0", exist_ok=True)

a = np.array([[200, 7, 255, 0], [128, 1, 129, 64]], dtype=np.uint8)
b = np.array([[3, 200, 2, 9], [2, 128, 255, 1]], dtype=np.uint8)
w = np.array([3_000_000_000, 5, 4_000_000_000, 1], dtype=np.uint32)
big = np.array([2**63 + 5, 7, 2**64 - 1], dtype=np.uint64)
inputs = {"a": a, "b": b, "w": w, "big": big}

T = TensorProto
nodes = [
    helper.make_node("Div", ["a", "b"], ["quotient"]),
    helper.make_node("Max", ["a", "b"], ["larger"]),
    helper.make_node("Less", ["a", "b"], ["less"]),
    helper.make_node("Relu", ["a"], ["relu"]),
    helper.make_node("Clip", ["relu", "lo", "hi"], ["clipped"]),
    helper.make_node("Cast", ["w"], ["as_float"], to=T.FLOAT),
    helper.make_node("Cast", ["as_float"], ["from_float"], to=T.UINT32),
    helper.make_node("Cast", ["a"], ["widened"], to=T.INT32),
    helper.make_node("ReduceMax", ["a"], ["max_row"], axes=[1], keepdims=0),
    helper.make_node("ReduceMin", ["a"], ["min_row"], axes=[1], keepdims=0),
    helper.make_node("Less", ["big", "seven"], ["big_less"]),
    helper.make_node("Div", ["big", "seven"], ["big_div"]),
]
initializers = [
    numpy_helper.from_array(np.array(100, dtype=np.uint8), "lo"),
    numpy_helper.from_array(np.array(250, dtype=np.uint8), "hi"),
    numpy_helper.from_array(np.array([7], dtype=np.uint64), "seven"),
]

want = {
    "quotient": a // b,
    "larger": np.maximum(a, b),
    "less": a < b,
    "clipped": np.clip(a, 100, 250).astype(np.uint8),
    "as_float": w.astype(np.float32),
    "from_float": w.astype(np.float32).astype(np.uint32),
    "widened": a.astype(np.int32),
    "max_row": a.max(1),
    "min_row": a.min(1),
    "big_less": big < np.uint64(7),
    "big_div": big // np.uint64(7),
}
onnx_type = {np.dtype(np.uint8): T.UINT8, np.dtype(np.uint32): T.UINT32,
             np.dtype(np.uint64): T.UINT64, np.dtype(np.float32): T.FLOAT,
             np.dtype(np.int32): T.INT32, np.dtype(np.bool_): T.BOOL}

graph = helper.make_graph(
    nodes, "unsigned",
    [helper.make_tensor_value_info(n, onnx_type[v.dtype], v.shape) for n, v in inputs.items()],
    [helper.make_tensor_value_info(n, onnx_type[v.dtype], v.shape) for n, v in want.items()],
    initializer=initializers)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 7
onnx.checker.check_model(model)
onnx.save(model, f"{out}/model.onnx")

for kind, tensors in (("input", inputs), ("output", want)):
    for index, (name, value) in enumerate(tensors.items()):
        with open(f"{out}/test_data_set_0/{kind}_{index}.pb", "wb") as f:
            f.write(numpy_helper.from_array(value, name).SerializeToString())
for name, value in inputs.items():
    np.save(f"{out}/{name}.npy", value)
for name, value in want.items():
    np.save(f"{out}/want_{name}.npy", value)
