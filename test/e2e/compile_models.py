"""compile_models.py OUT MODEL_DIR... -- FLAGS: `attnc compile` each model
(MODEL_DIR/model.onnx at the shapes of its test_data_set_0) into OUT with
FLAGS; prints one line per model and a summary."""
import pathlib
import subprocess
import sys

import onnx
from onnx import numpy_helper

split = sys.argv.index("--")
out, models, flags = pathlib.Path(sys.argv[1]), sys.argv[2:split], sys.argv[split + 1:]
attnc = flags.pop(0)
failed = 0
for model in map(pathlib.Path, models):
    shapes = []
    for path in sorted(model.glob("test_data_set_0/input_*.pb")):
        tensor = onnx.load_tensor(str(path))
        dims = numpy_helper.to_array(tensor).shape
        shapes.append(f"--input-shape={tensor.name}={'x'.join(map(str, dims)) or '1'}")
    run = subprocess.run([attnc, "compile", str(model / "model.onnx"), "-o", str(out / model.name),
                          *shapes, *flags], capture_output=True, text=True)
    failed += run.returncode != 0
    print(f"{'compiled' if run.returncode == 0 else 'FAILED'} {model.name}"
          + (f": {run.stderr.strip()}" if run.returncode else ""))
print(f"{len(models) - failed} compiled, {failed} failed")
