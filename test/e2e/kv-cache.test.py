"""  kv-cache.test.py GOT.pb WANT.pb
  kv-cache.test.py --python MODEL.so DATA_SET_DIR

Compares logits written by a compiled model with the reference (ONNX
TensorProto files), or runs a library through the Python module on a data
set's inputs (input_K.pb, named) and compares its logits with output_0.pb:
prints 'tensors match' within 1e-4 relative to the reference's largest
magnitude, else the largest difference."""
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def load(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return numpy_helper.to_array(tensor)


def load_named(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return tensor.name, numpy_helper.to_array(tensor)


if sys.argv[1] == "--python":
    import glob
    import attnc

    model = attnc.Model(sys.argv[2])
    for info in model.inputs:
        if info.cache_axis is not None:
            print(f"{info.name} cache_axis={info.cache_axis} cache_capacity={info.cache_capacity}"
                  f" cache_ring={info.cache_ring} cache_present={info.cache_present}")
    inputs = dict(load_named(p) for p in sorted(glob.glob(f"{sys.argv[3]}/input_*.pb")))
    got, want = model.run(**inputs)["logits"], load(f"{sys.argv[3]}/output_0.pb")
else:
    got, want = load(sys.argv[1]), load(sys.argv[2])
if got.shape != want.shape:
    print(f"shape {got.shape} != {want.shape}")
    sys.exit(1)
error = float(np.abs(got - want).max()) / max(float(np.abs(want).max()), 1e-30)
print("tensors match" if error <= 1e-4 else f"tensors differ: relative error {error:.3g}")
