"""Compares a tensor file written by a compiled model with the reference
(both ONNX TensorProto files): prints 'logits match' within 1e-4 relative
to the reference's largest magnitude, else the largest difference."""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def load(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return numpy_helper.to_array(tensor)


got, want = load(sys.argv[1]), load(sys.argv[2])
if got.shape != want.shape:
    print(f"shape {got.shape} != {want.shape}")
    sys.exit(1)
error = float(np.abs(got - want).max()) / max(float(np.abs(want).max()), 1e-30)
print("logits match" if error <= 1e-4 else f"logits differ: relative error {error:.3g}")
