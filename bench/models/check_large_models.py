#!/usr/bin/python3
"""Numerics of the full-size models: attnc's outputs against torch's.

  /usr/bin/python3 bench/models/check_large_models.py ATTNC MODELS_DIR [--tolerance 1e-4]

For each ONNX test directory in MODELS_DIR (make_large_models.py output),
runs `attnc check` with an absolute tolerance of `tolerance` times the
largest magnitude among the stored outputs (and no relative term): the
model passes when every element is within 1e-4 of the output's scale.
Prints `attnc check`'s line and the error relative to that scale.
"""
import argparse
import pathlib
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("attnc")
    ap.add_argument("models")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()
    failed = 0
    for model_dir in sorted(pathlib.Path(args.models).iterdir()):
        outputs = sorted(model_dir.glob("test_data_set_0/output_*.pb"))
        if not (model_dir / "model.onnx").exists() or not outputs:
            continue
        scale = max(float(np.abs(numpy_helper.to_array(onnx.load_tensor(str(p))).astype(np.float64)).max())
                    for p in outputs)
        run = subprocess.run([args.attnc, "check", str(model_dir), "--rtol", "0",
                              "--atol", f"{args.tolerance * scale:.9g}"],
                             capture_output=True, text=True)
        line = (run.stdout.strip().splitlines() or [run.stderr.strip()])[0]
        match = re.search(r"max abs err ([0-9.e+-]+)", line)
        relative = f"{float(match.group(1)) / scale:.2e}" if match else "n/a"
        print(f"{line}; largest |output| {scale:.4g}, max abs err / largest {relative}")
        failed += run.returncode != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
