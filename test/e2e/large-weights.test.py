"""Writes an ONNX test directory whose weights take more than 2 GiB:
y = x @ w0 + x @ w1, each weight [1024, 285000] f32 (1.17 GB), stored as
external data (a protobuf holds at most 2 GiB), with numpy's output as the
reference; also x and the expected y as .npy files.

The weights are written a block of rows at a time and follow a pattern
that differs between the two weights and along both axes, so that a weight
read from the wrong place gives a wrong answer."""
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

K, N = 1024, 285000
ROWS = 64  # rows of a weight generated at a time

out = sys.argv[1]
os.makedirs(f"{out}/test_data_set_0", exist_ok=True)
x = ((np.arange(K) % 17) - 8).astype(np.float32).reshape(1, K) / 8


def weight_rows(which, start):
    """Rows [start, start + ROWS) of weight `which`: small multiples of 2^-10."""
    k = np.arange(start, start + ROWS, dtype=np.int64).reshape(-1, 1)
    n = np.arange(N, dtype=np.int64).reshape(1, -1)
    return (((k * 7 + n * 13 + which * 5) % 31) - 15).astype(np.float32) / 1024


initializers = []
want = np.zeros((1, N), dtype=np.float64)
with open(f"{out}/weights.bin", "wb") as data:
    for which in range(2):
        offset = data.tell()
        for start in range(0, K, ROWS):
            rows = weight_rows(which, start)
            data.write(rows.tobytes())
            want += x[:, start:start + ROWS].astype(np.float64) @ rows.astype(np.float64)
        tensor = TensorProto(name=f"w{which}", data_type=TensorProto.FLOAT, dims=[K, N])
        tensor.data_location = TensorProto.EXTERNAL
        for key, value in [("location", "weights.bin"), ("offset", str(offset)),
                           ("length", str(K * N * 4))]:
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        initializers.append(tensor)

nodes = [
    helper.make_node("MatMul", ["x", "w0"], ["y0"]),
    helper.make_node("MatMul", ["x", "w1"], ["y1"]),
    helper.make_node("Add", ["y0", "y1"], ["y"]),
]
graph = helper.make_graph(nodes, "large_weights",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, K])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, N])],
                          initializers)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
onnx.save(model, f"{out}/model.onnx")

want = want.astype(np.float32)
np.save(f"{out}/x.npy", x)
np.save(f"{out}/want_y.npy", want)
for name, kind, value in [("x", "input", x), ("y", "output", want)]:
    with open(f"{out}/test_data_set_0/{kind}_0.pb", "wb") as f:
        f.write(numpy_helper.from_array(value, name).SerializeToString())
