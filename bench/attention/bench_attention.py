#!/usr/bin/env python3
"""attnc's attn.sdpa against ONNX Runtime 1.30 in the same run.

  bench_attention.py ATTNC [--sizes 512 1024 ...] [--repeat N] [--threads T]

B=1, H=12, D=64; masks: none, causal, sliding window 256. attnc: an
executable per case compiled from one attn.sdpa (its own median over N
runs). ONNX Runtime (onnxruntime-node, CPU): the unfused MatMul/Softmax/
MatMul graph, com.microsoft MultiHeadAttention (no mask) and the opset-23
Attention op (none / causal), medians over N runs with T intra-op threads.
GFLOP/s count 4·B·H·S·T·D for every case (masked work included), as the
issue defines. Prints one markdown table.
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
B, H, D = 1, 12, 64


def ort_ms(model, repeat, threads):
    out = subprocess.run(["node", str(HERE / "ort_time.js"), str(model), str(repeat), str(threads)],
                         capture_output=True, text=True)
    try:
        result = json.loads(out.stdout)
    except json.JSONDecodeError:
        return None
    return result.get("median_ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("attnc")
    parser.add_argument("--sizes", type=int, nargs="*", default=[128, 512, 1024, 2048])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    print("| S | mask | attnc ms | attnc GFLOP/s | ORT unfused ms | ORT MHA ms | ORT Attention-23 ms | attnc / best ORT |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for S in args.sizes:
            d = tmp / str(S)
            subprocess.run([sys.executable, str(HERE / "make_models.py"), str(d), str(S)], check=True)
            rng = np.random.default_rng(0)
            for n in "qkv":
                np.save(d / f"{n}.npy", rng.standard_normal((B, H, S, D)).astype(np.float32))
            flops = 4 * B * H * S * S * D
            for mask in ("none", "causal", "window"):
                exe = d / f"attn_{mask}"
                subprocess.run([args.attnc, "compile", str(d / f"attn_{mask}.mlir"), "-o", str(exe)],
                               check=True)
                out = subprocess.run([str(exe), "--input", f"q={d}/q.npy", "--input", f"k={d}/k.npy",
                                      "--input", f"v={d}/v.npy", "--repeat", str(args.repeat)],
                                     check=True, capture_output=True, text=True).stdout
                ours = float(re.search(r"median run time: ([0-9.]+) ms", out).group(1))
                unfused = ort_ms(d / f"ort_unfused_{mask}.onnx", args.repeat, args.threads)
                mha = ort_ms(d / "ort_mha_none.onnx", args.repeat, args.threads) if mask == "none" else None
                a23 = (ort_ms(d / f"ort_attention23_{mask}.onnx", args.repeat, args.threads)
                       if mask in ("none", "causal") else None)
                peers = [x for x in (unfused, mha, a23) if x]
                best = min(peers) if peers else None
                fmt = lambda x: "n/a" if x is None else f"{x:.2f}"
                ratio = f"{ours / best:.2f}x" if best else "n/a"
                print(f"| {S} | {mask} | {ours:.2f} | {flops / ours / 1e6:.1f} | {fmt(unfused)} | "
                      f"{fmt(mha)} | {fmt(a23)} | {ratio} |")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
