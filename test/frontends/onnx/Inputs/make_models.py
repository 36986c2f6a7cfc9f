"""Writes the binary ONNX models that the frontend tests need into OUT_DIR.

Run with /usr/bin/python3 (onnx 1.12 + numpy). Text syntax cannot express
node names, quoted tensor names, external data or broken files; everything
else lives in the .test files as ONNX text.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def tensor(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


def main(out):
    os.makedirs(out, exist_ok=True)
    weight = numpy_helper.from_array(
        np.arange(64, dtype=np.float32).reshape(8, 8) / 64, "onnx::MatMul_12")

    # Named nodes, and a tensor name that is not a valid resource key.
    named = model(
        [helper.make_node("MatMul", ["x", "onnx::MatMul_12"], ["h"],
                          name="/blocks.0/attn/MatMul"),
         helper.make_node("Relu", ["h"], ["y"], name="/blocks.0/act/Relu")],
        [tensor("x", TensorProto.FLOAT, [1, 8])],
        [tensor("y", TensorProto.FLOAT, [1, 8])], [weight])
    onnx.save(named, os.path.join(out, "named.onnx"))

    unsupported = model(
        [helper.make_node("FusedGelu", ["x"], ["y"], name="/mlp/FusedGelu",
                          domain="com.example")],
        [tensor("x", TensorProto.FLOAT, [1, 8])],
        [tensor("y", TensorProto.FLOAT, [1, 8])])
    unsupported.opset_import.append(helper.make_opsetid("com.example", 3))
    onnx.save(unsupported, os.path.join(out, "unsupported_named.onnx"))

    # A model cut in the middle of its weights.
    data = named.SerializeToString()
    with open(os.path.join(out, "truncated.onnx"), "wb") as f:
        f.write(data[: len(data) // 2])

    # Weights in an external file beside the model, and a model whose
    # external file is missing.
    external = model(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
        [tensor("x", TensorProto.FLOAT, [1, 8])],
        [tensor("y", TensorProto.FLOAT, [1, 8])],
        [numpy_helper.from_array(np.eye(8, dtype=np.float32), "w")])
    onnx.save_model(external, os.path.join(out, "external.onnx"),
                    save_as_external_data=True, all_tensors_to_one_file=True,
                    location="external.weights", size_threshold=0)
    missing = onnx.load(os.path.join(out, "external.onnx"),
                        load_external_data=False)
    for entry in missing.graph.initializer[0].external_data:
        if entry.key == "location":
            entry.value = "missing.weights"
    onnx.save(missing, os.path.join(out, "external_missing.onnx"))


if __name__ == "__main__":
    main(sys.argv[1])
