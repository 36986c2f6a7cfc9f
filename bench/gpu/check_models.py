#!/usr/bin/env python3
"""Runs every prepared model (bench/gpu/prepare.py) on the GPU and compares
its outputs with torch's (each data set's output_*.pb: one, or one per
length for a model compiled with run-time dims), as `attnc check` does:
|got - want| <= atol + rtol * |want| elementwise; with --of-largest, atol is
relative to each output's largest magnitude (the models compiled with
--precision=fp16: atol 2e-3, rtol 0).

  python3 bench/gpu/check_models.py bench/gpu/prepared/models [--rtol 1e-4] [--atol 1e-4]
                                    [--of-largest]

Needs numpy and onnx (the GPU machines have both); prints PASS or FAIL per
model and `N passed, M failed`, and exits non-zero if any failed.
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper


def load(path):
    tensor = onnx.load_tensor(str(path))
    return tensor.name, numpy_helper.to_array(tensor)


def check(model, rtol, atol, of_largest):
    """Every data set of `model` (one, or several shapes for a model compiled
    with run-time dims); the first failure, else the worst error."""
    worst, details = 0.0, []
    for data in sorted(model.glob("test_data_set_*")):
        ok, detail, error = check_data_set(model, data, rtol, atol, of_largest)
        if not ok:
            return False, f"{data.name}: {detail}"
        worst = max(worst, error)
    return True, f"max abs err {worst:.3g}"


def check_data_set(model, data, rtol, atol, of_largest):
    inputs = [(name, path) for path in sorted(data.glob("input_*.pb"))
              for name, _ in [load(path)]]
    with tempfile.TemporaryDirectory() as out:
        args = [str(model / "model"), "--output-dir", out]
        for name, path in inputs:
            args += ["--input", f"{name}={path}"]
        run = subprocess.run(args, capture_output=True, text=True, timeout=120)
        if run.returncode:
            return False, f"exit {run.returncode}: {run.stderr.strip()[-300:]}", 0.0
        worst, failed = 0.0, []
        for path in sorted(data.glob("output_*.pb")):
            name, want = load(path)
            got_path = pathlib.Path(out) / f"{name}.pb"
            if not got_path.exists():
                failed.append(f"{name} not written")
                continue
            got = load(got_path)[1]
            if got.shape != want.shape:
                failed.append(f"{name} shape {got.shape} != {want.shape}")
                continue
            if want.dtype.kind in "iub":
                if not np.array_equal(got, want):
                    failed.append(f"{name} differs")
                continue
            error = np.abs(got.astype(np.float64) - want)
            worst = max(worst, float(error.max(initial=0)))
            absolute = atol * float(np.abs(want).max(initial=0)) if of_largest else atol
            if np.any(error > absolute + rtol * np.abs(want)):
                failed.append(f"{name} max abs err {error.max():.3g}")
    return not failed, "; ".join(failed), worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", type=pathlib.Path)
    ap.add_argument("--rtol", type=float, default=1e-4)
    ap.add_argument("--atol", type=float, default=1e-4)
    ap.add_argument("--of-largest", action="store_true",
                    help="atol relative to each output's largest magnitude")
    args = ap.parse_args()
    passed = failed = 0
    for model in sorted(p for p in args.models.iterdir() if (p / "model").exists()):
        try:
            ok, detail = check(model, args.rtol, args.atol, args.of_largest)
        except subprocess.TimeoutExpired:
            ok, detail = False, "timed out after 120 s"
        passed += ok
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'} {model.name} ({detail})", flush=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
