#!/usr/bin/env python3
"""attnc's GPU matmul kernels against torch, on the GPU, same run.

  python3 bench/gpu/bench_matmul.py bench/gpu/prepared/matmul [--repeat 5]

For each prepared product (bench/gpu/prepare.py: x[M, K] · W[K, N] with a
constant weight, compiled with --precision fp16, the tensor-core kernel,
and fp32, the CUDA-core one): random x, the attnc executable run --repeat
times with ATTNC_CUDA_KERNEL_TIME=1 (kernel time per run, copies
excluded), torch.matmul timed with CUDA events in the same precision (x
rounded like attnc's staging, W as attnc stores it), and the error of
attnc's result against the float64 product relative to its largest
magnitude. TFLOP/s: 2·M·N·K / time. Prints one markdown table.
"""
import argparse
import json
import pathlib
import tempfile

import numpy as np
import torch
from timed_run import run_timed


def weight(case):
    """The constant prepare.py compiled in (same seed and scaling)."""
    k, n = case["k"], case["n"]
    return np.random.default_rng(case["seed"]).standard_normal((k, n)).astype(np.float32) / k ** 0.5


def run_attnc(exe, x, repeat):
    with tempfile.TemporaryDirectory() as folder:
        np.save(f"{folder}/x.npy", x)
        _, kernel = run_timed(exe, {"x": f"{folder}/x.npy"}, folder, repeat, timeout=300)
        return kernel, np.load(f"{folder}/y.npy")


def time_torch(x, w, repeat):
    torch.matmul(x, w)
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        torch.matmul(x, w)
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return float(np.median(times))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("matmul", type=pathlib.Path)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    cases = json.loads((args.matmul / "cases.json").read_text())
    print(f"GPU: {torch.cuda.get_device_name()}; torch {torch.__version__}\n")
    print("| case | precision | M x K x N | attnc kernels ms | attnc TFLOP/s | torch ms "
          "| torch TFLOP/s | attnc / torch | rel. error vs float64 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    rng = np.random.default_rng(0)
    for case in cases:
        m, k, n, precision = case["m"], case["k"], case["n"], case["precision"]
        x = rng.standard_normal((m, k), np.float32)
        w = weight(case)
        try:
            kernel_ms, got = run_attnc(args.matmul / case["name"], x, args.repeat)
        except Exception as error:  # one failing case must not hide the others
            print(f"| {case['name']} | {precision} | | FAILED: {error} | | | | | |", flush=True)
            continue
        dtype = {"fp16": torch.float16, "fp32": torch.float32}[precision]
        torch_ms = time_torch(torch.from_numpy(x).cuda().to(dtype),
                              torch.from_numpy(w).cuda().to(dtype), args.repeat)
        want = x.astype(np.float64) @ w.astype(np.float64)
        error = np.abs(got - want).max() / np.abs(want).max()
        flops = 2.0 * m * n * k
        print(f"| {case['name']} | {precision} | {m}x{k}x{n} | {kernel_ms:.3f} | "
              f"{flops / kernel_ms / 1e9:.2f} | {torch_ms:.3f} | {flops / torch_ms / 1e9:.2f} | "
              f"{kernel_ms / torch_ms:.2f}x | {error:.2e} |", flush=True)
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
