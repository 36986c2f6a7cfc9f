"""run_models.py EXE_DIR MODEL_DIR...: runs each compiled model EXE_DIR/NAME
on MODEL_DIR/test_data_set_0's inputs (the environment passed on) and
prints `ran NAME` or `FAILED NAME: ...`, then a summary. Outputs are not
compared: cuda-fake-driver runs the host side of GPU models whose kernels
do not run."""
import pathlib
import subprocess
import sys

import onnx

exes, models = pathlib.Path(sys.argv[1]), sys.argv[2:]
failed = 0
for model in map(pathlib.Path, models):
    args = [str(exes / model.name), "--repeat", "2"]
    for path in sorted(model.glob("test_data_set_0/input_*.pb")):
        args += ["--input", f"{onnx.load_tensor(str(path)).name}={path}"]
    run = subprocess.run(args, capture_output=True, text=True)
    failed += run.returncode != 0
    print(f"ran {model.name}" if run.returncode == 0
          else f"FAILED {model.name} (exit {run.returncode}): {run.stderr.strip()[-300:]}")
print(f"{len(models) - failed} ran, {failed} failed")
