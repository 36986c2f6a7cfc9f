"""models-cuda-precision.test: DIR holds models/<name>; prints one line per
(model, precision)."""
import pathlib
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

BOUND = {"fp16": 2e-3, "bf16": 1e-2}
root = pathlib.Path(sys.argv[1])


def run(model, precision, inputs, shapes):
    exe = root / f"{model.name}_{precision}"
    subprocess.run(["attnc", "compile", str(model / "model.onnx"), "-o", str(exe),
                    "--device=cuda-emulated", f"--precision={precision}", *shapes], check=True)
    out = root / f"{model.name}_{precision}_out"
    subprocess.run([str(exe), *inputs, "--output-dir", str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    return out


for model in sorted((root / "models").iterdir()):
    data = model / "test_data_set_0"
    tensors = [onnx.load_tensor(str(p)) for p in sorted(data.glob("input_*.pb"))]
    shapes = [f"--input-shape={t.name}={'x'.join(map(str, t.dims)) or '1'}" for t in tensors]
    inputs = []
    for i, t in enumerate(tensors):
        path = root / f"{model.name}_input{i}.npy"
        np.save(path, numpy_helper.to_array(t))
        inputs += ["--input", f"{t.name}={path}"]
    wanted = [onnx.load_tensor(str(p)) for p in sorted(data.glob("output_*.pb"))]
    full = run(model, "fp32", inputs, shapes)
    for precision, bound in BOUND.items():
        out = run(model, precision, inputs, shapes)
        worst, moved = 0.0, False
        for t in wanted:
            want = numpy_helper.to_array(t).astype(np.float64)
            got = np.load(out / f"{t.name}.npy").astype(np.float64)
            worst = max(worst, np.abs(got - want).max() / np.abs(want).max())
            moved |= not np.array_equal(got, np.load(full / f"{t.name}.npy"))
        verdict = "ok" if worst <= bound and moved else "FAILED"
        print(f"{model.name} {precision}: {verdict} (error / largest magnitude {worst:.2e}, "
              f"{'differs from' if moved else 'SAME AS'} fp32)")
