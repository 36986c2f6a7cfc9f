#!/usr/bin/env python3
"""attnc's GPU attention kernel against torch's SDPA, on the GPU, same run.

  python3 bench/gpu/bench_attention.py bench/gpu/prepared/attention [--repeat 5] [--only NAME...]

For each prepared case (bench/gpu/prepare.py: fp32, head dim 64 and 128,
S = 1k-16k, no mask, causal and a 256-key window, and one query over 4k and
32k cached keys): random inputs, the attnc executable run --repeat times
with ATTNC_CUDA_KERNEL_TIME=1 (the kernels' GPU time per run, copies
excluded), torch.nn.functional.scaled_dot_product_attention timed with CUDA
events on the same inputs in fp32 and in fp16 (the fast path torch users
take; attnc has no fp16 kernel yet), and the relative error of attnc's
output against torch's fp32 result. TFLOP/s counts the attention's useful
work: 4·S·T·D per head, times the visible fraction of the (S, T) square.
Prints one markdown table.
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import tempfile

import numpy as np
import torch
import torch.nn.functional as F


def visible_fraction(case):
    """The share of (query, key) pairs the mask lets through; query i stands
    at position i (attn.sdpa's rule without an offset)."""
    s, t = case["query_len"], case["key_len"]
    if case["mask"] == "none":
        return 1.0
    i = np.arange(s)
    last = np.minimum(i, t - 1)
    first = np.maximum(0, i - (case["window"] - 1)) if case["mask"] == "window" else 0
    return float(np.clip(last - first + 1, 0, None).sum()) / (s * t)


def torch_mask(case, device):
    s, t = case["query_len"], case["key_len"]
    i = torch.arange(s, device=device)[:, None]
    j = torch.arange(t, device=device)[None, :]
    keep = j <= i
    if case["mask"] == "window":
        keep &= j >= i - (case["window"] - 1)
    return keep


def time_torch(q, k, v, case, repeat):
    causal = case["mask"] == "causal"
    mask = torch_mask(case, q.device) if case["mask"] == "window" else None
    run = lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)
    out = run()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        run()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return float(np.median(times)), out


def run_attnc(exe, folder, repeat):
    with tempfile.TemporaryDirectory() as out:
        args = [str(exe), "--repeat", str(repeat), "--output-dir", out]
        for name in "qkv":
            args += ["--input", f"{name}={folder}/{name}.npy"]
        # The caller's environment kept: the driver may be found through it.
        env = dict(os.environ, ATTNC_CUDA_KERNEL_TIME="1")
        run = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
        if run.returncode:
            raise RuntimeError(run.stderr.strip()[-400:])
        kernel = re.search(r"kernel time per run: median ([0-9.]+) ms", run.stderr)
        wall = re.search(r"median run time: ([0-9.]+) ms", run.stdout)
        return float(kernel.group(1)), float(wall.group(1)), np.load(f"{out}/o.npy")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("attention", type=pathlib.Path)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", nargs="*", default=[])
    args = ap.parse_args()
    cases = json.loads((args.attention / "cases.json").read_text())
    print(f"GPU: {torch.cuda.get_device_name()}; torch {torch.__version__}\n")
    print("| case | B x H x S x T x D | attnc kernels ms | attnc TFLOP/s | attnc run ms (with copies) "
          "| torch fp32 ms | torch fp16 ms | attnc / torch fp32 | rel. error vs torch fp32 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    rng = np.random.default_rng(0)
    for case in cases:
        if args.only and not any(o in case["name"] for o in args.only):
            continue
        b, h, s, t, d = (case[k] for k in ("batch", "heads", "query_len", "key_len", "head_dim"))
        with tempfile.TemporaryDirectory() as folder:
            tensors = {"q": rng.standard_normal((b, h, s, d), np.float32),
                       "k": rng.standard_normal((b, h, t, d), np.float32),
                       "v": rng.standard_normal((b, h, t, d), np.float32)}
            for name, value in tensors.items():
                np.save(f"{folder}/{name}.npy", value)
            try:
                kernel_ms, wall_ms, got = run_attnc(args.attention / case["name"], folder, args.repeat)
            except Exception as error:  # one failing case must not hide the others
                print(f"| {case['name']} | | FAILED: {error} | | | | | | |", flush=True)
                continue
        q, k, v = (torch.from_numpy(tensors[n]).cuda() for n in "qkv")
        fp32_ms, want = time_torch(q, k, v, case, args.repeat)
        fp16_ms, _ = time_torch(q.half(), k.half(), v.half(), case, args.repeat)
        want = want.cpu().numpy()
        error = np.abs(got - want).max() / np.abs(want).max()
        flops = 4.0 * b * h * s * t * d * visible_fraction(case)
        print(f"| {case['name']} | {b}x{h}x{s}x{t}x{d} | {kernel_ms:.3f} | "
              f"{flops / kernel_ms / 1e9:.2f} | {wall_ms:.2f} | {fp32_ms:.3f} | {fp16_ms:.3f} | "
              f"{kernel_ms / fp32_ms:.2f}x | {error:.2e} |", flush=True)
        del q, k, v
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
