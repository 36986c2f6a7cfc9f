#!/usr/bin/env python3
"""Whole-model latency on the GPU: attnc's executable against torch, same
model, same GPU, same run.

  python3 bench/gpu/bench_whole_model.py bench/gpu/prepared/whole_model [--repeat 10]

Each folder under the argument (bench/gpu/prepare.py --whole-model) holds
an executable compiled with --device=cuda, its data set (inputs and
torch's CPU outputs) and info.json: which model of
bench/models/make_large_models.py, at what sequence length, with what
weight tiling and precision. The script
  1. runs the executable --repeat times (ATTNC_CUDA_KERNEL_TIME=1: the
     median run and the median of its kernels' time), and compares its
     outputs with the data set's (error relative to each output's largest
     magnitude);
  2. builds the same model in torch from the same generator, on the GPU in
     the same precision (fp16: `module.half()`), and times its forward
     pass (median of --repeat after 3 warm-up runs, synchronized); its own
     error against the data set says whether the weights came out the same
     on this machine's torch.
Prints one markdown table.
"""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from timed_run import run_timed

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "models"))
import make_large_models  # noqa: E402


def load(path):
    tensor = onnx.load_tensor(str(path))
    return tensor.name, numpy_helper.to_array(tensor)


def relative_error(got, want):
    return float(np.abs(got.astype(np.float64) - want).max()) / max(float(np.abs(want).max()),
                                                                     1e-30)


def run_attnc(folder, outputs, repeat):
    data = folder / "test_data_set_0"
    inputs = {load(path)[0]: path for path in sorted(data.glob("input_*.pb"))}
    with tempfile.TemporaryDirectory() as out:
        wall, kernels = run_timed(folder / "model", inputs, out, repeat, timeout=300)
        error = max(relative_error(load(pathlib.Path(out) / f"{name}.pb")[1], want)
                    for name, want in outputs)
        return wall, kernels, error


def time_torch(info, outputs, repeat, device):
    spec = make_large_models.builder(info["model"], info["seq"], info["period"])
    module = spec.module.eval().to(device)
    if info["precision"] == "fp16":
        module = module.half()
    inputs = [t.to(device) for t in spec.datasets[0]]
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    times = []
    with torch.no_grad():
        for i in range(3 + repeat):
            sync()
            start = time.perf_counter()
            result = module(*inputs)
            sync()
            if i >= 3:
                times.append((time.perf_counter() - start) * 1e3)
    results = result if isinstance(result, (tuple, list)) else (result,)
    error = max(relative_error(r.float().cpu().numpy(), want)
                for r, (_, want) in zip(results, outputs))
    return statistics.median(times), error


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", type=pathlib.Path)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--torch-device", default="cuda",
                    help="where torch runs (cpu: to try the script without a GPU)")
    args = ap.parse_args()
    where = torch.cuda.get_device_name() if args.torch_device == "cuda" else args.torch_device
    print(f"torch on {where}, torch {torch.__version__}\n")
    print("| model | precision | attnc run (ms) | attnc kernels (ms) | attnc error | "
          "torch (ms) | torch error | attnc / torch time |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for folder in sorted(p for p in args.models.iterdir() if (p / "info.json").exists()):
        info = json.loads((folder / "info.json").read_text())
        outputs = [load(p) for p in sorted((folder / "test_data_set_0").glob("output_*.pb"))]
        row = [folder.name, info["precision"]]
        try:
            wall, kernels, error = run_attnc(folder, outputs, args.repeat)
            row += [f"{wall:.2f}", f"{kernels:.2f}", f"{error:.1e}"]
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            wall = float("nan")
            row += [f"failed: {str(e)[-120:]}", "", ""]
        try:
            torch_ms, torch_error = time_torch(info, outputs, args.repeat, args.torch_device)
            row += [f"{torch_ms:.2f}", f"{torch_error:.1e}", f"{wall / torch_ms:.2f}x"]
        except Exception as e:  # noqa: BLE001 - torch's failure is reported, not fatal
            row += [f"failed: {str(e)[-120:]}", "", ""]
        print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
