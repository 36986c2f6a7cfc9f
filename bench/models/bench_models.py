#!/usr/bin/env python3
"""Compile time and run time of attnc against ONNX Runtime on the test models.

  bench_models.py ATTNC MODELS_DIR [--repeat N] [--threads T] [--only NAME ...]

MODELS_DIR holds ONNX test directories (test/models/generate.py output).
For each model and its test_data_set_0: `attnc compile` (timed, wall clock),
the executable's median over N runs, and onnxruntime-node's median over N
runs with the same inputs and thread count, measured in this same run.
Prints a markdown table.
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import numpy_helper

HERE = pathlib.Path(__file__).resolve().parent
NODE_DTYPES = {np.dtype("float32"): "float32", np.dtype("int64"): "int64", np.dtype("bool"): "bool"}


def bench(attnc, model_dir, repeat, threads, scratch):
    data = sorted(model_dir.glob("test_data_set_0/input_*.pb"))
    tensors = [numpy_helper.to_array(onnx.load_tensor(str(p))) for p in data]
    names = [onnx.load_tensor(str(p)).name for p in data]
    shapes = [f"--input-shape={n}={'x'.join(map(str, t.shape)) or '1'}" for n, t in zip(names, tensors)]
    exe = scratch / model_dir.name
    start = time.perf_counter()
    subprocess.run([attnc, "compile", str(model_dir / "model.onnx"), "-o", str(exe), *shapes],
                   check=True, capture_output=True)
    compile_s = time.perf_counter() - start
    args, feeds = [], []
    for name, tensor in zip(names, tensors):
        npy = scratch / f"{model_dir.name}.{name}.npy"
        np.save(npy, tensor)
        args += ["--input", f"{name}={npy}"]
        raw = scratch / f"{model_dir.name}.{name}.bin"
        raw.write_bytes(np.ascontiguousarray(tensor).tobytes())
        feeds.append({"name": name, "dtype": NODE_DTYPES[tensor.dtype], "dims": list(tensor.shape),
                      "file": str(raw)})
    out = subprocess.run([str(exe), *args, "--repeat", str(repeat)], check=True,
                         capture_output=True, text=True).stdout
    attnc_ms = float(re.search(r"median run time: ([0-9.]+) ms", out).group(1))
    feeds_json = scratch / f"{model_dir.name}.json"
    feeds_json.write_text(json.dumps(feeds))
    ort = subprocess.run(["node", str(HERE / "ort_run.js"), str(model_dir / "model.onnx"),
                          str(feeds_json), str(repeat), str(threads)],
                         capture_output=True, text=True)
    ort_ms = json.loads(ort.stdout)["median_ms"] if ort.returncode == 0 else None
    return compile_s, attnc_ms, ort_ms


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("attnc")
    parser.add_argument("models")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=[])
    args = parser.parse_args()
    print(f"| model | attnc compile (s) | attnc run (ms) | ONNX Runtime run (ms) | attnc / ORT |")
    print("| --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for model_dir in sorted(pathlib.Path(args.models).iterdir()):
            if not (model_dir / "model.onnx").exists() or (args.only and model_dir.name not in args.only):
                continue
            try:
                c, a, o = bench(args.attnc, model_dir, args.repeat, args.threads, pathlib.Path(tmp))
                ratio = f"{a / o:.2f}x" if o else "n/a"
                print(f"| {model_dir.name} | {c:.2f} | {a:.3f} | {o if o is None else f'{o:.3f}'} | {ratio} |")
            except subprocess.CalledProcessError as e:
                print(f"| {model_dir.name} | failed: {(e.stderr or '').strip()[:80]} | | | |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
