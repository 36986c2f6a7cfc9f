#!/usr/bin/env python3
"""attnc's GPU attention kernels against torch's SDPA, on the GPU, same run.

  python3 bench/gpu/bench_attention.py bench/gpu/prepared/attention [--repeat 5] [--only NAME...]

For each prepared case (bench/gpu/prepare.py: head dim 64 and 128, S =
1k-16k, no mask, causal and a 256-key window, in fp16 and bf16 (the
tensor-core kernel) and fp32 (the CUDA-core one), and one query over 4k
and 32k cached keys, 32 heads or 32 over 8 kv heads): random inputs, the
attnc executable run --repeat times with ATTNC_CUDA_KERNEL_TIME=1 (the
kernels' GPU time per run, copies excluded),
torch.nn.functional.scaled_dot_product_attention timed with CUDA events
on the same inputs in the case's precision (its default backend choice,
and the flash and cuDNN backends by name where this torch has them), and
the relative error of attnc's output against torch's fp32 result.
TFLOP/s counts the attention's useful work: 4·S·T·D per head, times the
visible fraction of the (S, T) square; for decode (one query), where
reading K and V is the work, GB/s counts their bytes once per run.
Prints one markdown table.
"""
import argparse
import json
import pathlib
import tempfile

import numpy as np
import torch
import torch.nn.functional as F
from timed_run import run_timed


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


def time_torch(q, k, v, case, repeat, backend=None):
    """Median ms of torch's SDPA on q, k, v (their dtype), and its output;
    `backend` names one of torch.nn.attention.SDPBackend (None: torch's
    choice). Raises if this torch lacks it or it rejects the case."""
    causal = case["mask"] == "causal"
    mask = torch_mask(case, q.device) if case["mask"] == "window" else None
    if k.shape[1] != q.shape[1]:  # grouped heads: torch's own GQA where it has one
        try:
            F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal,
                                           enable_gqa=True)
            gqa = {"enable_gqa": True}
        except TypeError:
            group = q.shape[1] // k.shape[1]
            k, v = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)
            gqa = {}
    else:
        gqa = {}
    run = lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal, **gqa)
    if backend is not None:
        from torch.nn.attention import SDPBackend, sdpa_kernel
        inner = run
        def run():
            with sdpa_kernel(getattr(SDPBackend, backend)):
                return inner()
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


def time_backend(q, k, v, case, repeat, backend):
    try:
        return f"{time_torch(q, k, v, case, repeat, backend)[0]:.3f}"
    except Exception:  # not in this torch, or not for this case
        return "n/a"


DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def run_attnc(exe, folder, repeat):
    with tempfile.TemporaryDirectory() as out:
        wall, kernel = run_timed(exe, {name: f"{folder}/{name}.npy" for name in "qkv"}, out,
                                 repeat, timeout=600)
        return kernel, wall, np.load(f"{out}/o.npy")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("attention", type=pathlib.Path)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", nargs="*", default=[])
    args = ap.parse_args()
    cases = json.loads((args.attention / "cases.json").read_text())
    print(f"GPU: {torch.cuda.get_device_name()}; torch {torch.__version__}\n")
    print("| case | precision | B x H x S x T x D | attnc kernels ms | attnc TFLOP/s "
          "| attnc run ms (with copies) | torch ms (same precision) | torch TFLOP/s "
          "| attnc / torch | torch flash ms | torch cuDNN ms | rel. error vs torch fp32 "
          "| attnc K/V GB/s (decode) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    rng = np.random.default_rng(0)
    for case in cases:
        if args.only and not any(o in case["name"] for o in args.only):
            continue
        b, h, s, t, d = (case[k] for k in ("batch", "heads", "query_len", "key_len", "head_dim"))
        hk = case.get("kv_heads", h)
        precision = case.get("precision", "fp32")
        with tempfile.TemporaryDirectory() as folder:
            tensors = {"q": rng.standard_normal((b, h, s, d), np.float32),
                       "k": rng.standard_normal((b, hk, t, d), np.float32),
                       "v": rng.standard_normal((b, hk, t, d), np.float32)}
            for name, value in tensors.items():
                np.save(f"{folder}/{name}.npy", value)
            try:
                kernel_ms, wall_ms, got = run_attnc(args.attention / case["name"], folder, args.repeat)
            except Exception as error:  # one failing case must not hide the others
                print(f"| {case['name']} | {precision} | | FAILED: {error} | | | | | | | | | |",
                      flush=True)
                continue
        q, k, v = (torch.from_numpy(tensors[n]).cuda() for n in "qkv")
        _, want = time_torch(q, k, v, case, 1)
        dtype = DTYPES[precision]
        qn, kn, vn = q.to(dtype), k.to(dtype), v.to(dtype)
        torch_ms, _ = time_torch(qn, kn, vn, case, args.repeat)
        half = precision != "fp32"
        flash = time_backend(qn, kn, vn, case, args.repeat, "FLASH_ATTENTION") if half else "n/a"
        cudnn = time_backend(qn, kn, vn, case, args.repeat, "CUDNN_ATTENTION") if half else "n/a"
        want = want.cpu().numpy()
        error = np.abs(got - want).max() / np.abs(want).max()
        flops = 4.0 * b * h * s * t * d * visible_fraction(case)
        kv_bytes = 2.0 * b * hk * t * d * 4
        bandwidth = f"{kv_bytes / kernel_ms / 1e6:.0f}" if s == 1 else ""
        heads = f"{h}/{hk}" if hk != h else f"{h}"
        print(f"| {case['name']} | {precision} | {b}x{heads}x{s}x{t}x{d} | {kernel_ms:.3f} | "
              f"{flops / kernel_ms / 1e9:.2f} | {wall_ms:.2f} | {torch_ms:.3f} | "
              f"{flops / torch_ms / 1e9:.2f} | {kernel_ms / torch_ms:.2f}x | {flash} | {cudnn} | "
              f"{error:.2e} | {bandwidth} |", flush=True)
        del q, k, v, qn, kn, vn
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
