#!/usr/bin/python3
"""Matmuls at the benchmark models' layer shapes: attnc against ONNX Runtime.

  /usr/bin/python3 bench/models/bench_matmul.py build/bin/attnc [--threads 2] [--repeat 20]
      [--rows 1 128 1024] [--only NAME ...]

Each case is a one-node ONNX model, y = x[M, K] @ W[K, N] with W a constant
initializer (as exported projections are), compiled by `attnc compile` and
timed by the executable's own median over --repeat runs; ONNX Runtime runs
the same model with the same thread count in the same run, interleaved.
GFLOP/s counts 2·M·K·N. The FMA peak (bench/attention/fma_peak.c) is
measured beside each shape.

A single weight stays in the last-level cache between repeats, so with
M = 1 in --rows a second table streams the weights from DRAM, as a decode
step does: the model holds enough distinct weights of the shape (each its own
MatMul of the same x) to read --stream-mib MiB per run, far more than any
cache, and the weight bytes per second are shown against the DRAM read
bandwidth (stream_read.c, same thread count). This VM's bandwidth moves
between levels within minutes, so each shape runs --stream-rounds rounds of
(probe, attnc, ONNX Runtime) in turn, and each of the three is reported at
its best round: every side at the highest level the machine gave it.
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "attention"))
from bench_attention import CLANG, fma_peak, machine, ort_version  # noqa: E402

# (name, K, N): the projections of GPT-2 small / BERT-base and of the
# LLaMA-shaped model (TinyLlama layer shapes), and GPT-2's tied unembedding.
SHAPES = [
    ("qkv 768x2304", 768, 2304),
    ("attn-out 768x768", 768, 768),
    ("ffn-up 768x3072", 768, 3072),
    ("ffn-down 3072x768", 3072, 768),
    ("gpt2-unembed 768x50257", 768, 50257),
    ("llama-q 2048x2048", 2048, 2048),
    ("llama-kv 2048x256", 2048, 256),
    ("llama-gate 2048x5632", 2048, 5632),
    ("llama-down 5632x2048", 5632, 2048),
]


def make_model(path, m, k, n, copies=1):
    """y_i = x @ W_i for `copies` distinct weights (one output each)."""
    rng = np.random.default_rng(k * 7919 + n)
    nodes, outputs, weights = [], [], []
    for i in range(copies):
        suffix = str(i) if copies > 1 else ""
        w = (rng.standard_normal((k, n)) * 0.02).astype(np.float32)
        nodes.append(helper.make_node("MatMul", ["x", "w" + suffix], ["y" + suffix]))
        outputs.append(helper.make_tensor_value_info("y" + suffix, TensorProto.FLOAT, [m, n]))
        weights.append(numpy_helper.from_array(w, "w" + suffix))
    graph = helper.make_graph(nodes, "matmul",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
                              outputs, weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, str(path))


def read_bandwidth(threads, tmp):
    """DRAM read bandwidth in GB/s measured by stream_read.c (built once into tmp)."""
    exe = tmp / "stream_read"
    if not exe.exists():
        subprocess.run(CLANG + [str(HERE / "stream_read.c"), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe), str(threads)], check=True, capture_output=True, text=True).stdout
    return float(re.search(r"read bandwidth: ([0-9.]+) GB/s", out).group(1))


def time_attnc(attnc, model, x_npy, exe, repeat, threads):
    subprocess.run([attnc, "compile", str(model), "-o", str(exe)], check=True, capture_output=True)
    return run_attnc(x_npy, exe, repeat, threads)


def run_attnc(x_npy, exe, repeat, threads):
    """The median run time (ms) of an executable `attnc compile` wrote."""
    env = {"OMP_NUM_THREADS": str(threads)}
    out = subprocess.run([str(exe), "--input", f"x={x_npy}", "--repeat", str(repeat)], check=True,
                         capture_output=True, text=True, env=env).stdout
    return float(re.search(r"median run time: ([0-9.]+) ms", out).group(1))


def time_ort(model, x, tmp, repeat, threads):
    raw = tmp / "x.bin"
    raw.write_bytes(np.ascontiguousarray(x).tobytes())
    feeds = tmp / "feeds.json"
    feeds.write_text(json.dumps([{"name": "x", "dtype": "float32", "dims": list(x.shape),
                                  "file": str(raw)}]))
    out = subprocess.run(["node", str(HERE / "ort_run.js"), str(model), str(feeds), str(repeat),
                          str(threads)], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["median_ms"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("attnc")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--rows", type=int, nargs="+", default=[1, 128, 1024])
    ap.add_argument("--only", nargs="*", default=[])
    ap.add_argument("--stream-mib", type=int, default=512,
                    help="weight MiB read per run in the M = 1 streaming table")
    ap.add_argument("--stream-rounds", type=int, default=3,
                    help="alternating rounds per shape in the M = 1 streaming table")
    args = ap.parse_args()
    print(f"Machine: {machine()}; {args.threads} threads; ONNX Runtime {ort_version()}\n")
    print("| shape (K x N) | M | attnc ms | attnc GFLOP/s | % of FMA peak | ORT ms | ORT GFLOP/s "
          "| FMA peak GFLOP/s | attnc / ORT time |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    shapes = [s for s in SHAPES if not args.only or any(o in s[0] for o in args.only)]
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = pathlib.Path(tmpdir)
        for name, k, n in shapes:
            for m in args.rows:
                model = tmp / "mm.onnx"
                make_model(model, m, k, n)
                x = np.random.default_rng(m).standard_normal((m, k)).astype(np.float32)
                np.save(tmp / "x.npy", x)
                peak, _ = fma_peak(args.threads, tmp)
                a = time_attnc(args.attnc, model, tmp / "x.npy", tmp / "mm", args.repeat, args.threads)
                o = time_ort(model, x, tmp, args.repeat, args.threads)
                flops = 2.0 * m * k * n
                ga, go = flops / a / 1e6, flops / o / 1e6
                print(f"| {name} | {m} | {a:.3f} | {ga:.1f} | {100 * ga / peak:.1f} % | {o:.3f} | "
                      f"{go:.1f} | {peak:.0f} | {a / o:.2f}x |", flush=True)
        if 1 in args.rows:
            stream_table(args, shapes, tmp)


def stream_table(args, shapes, tmp):
    print(f"\nM = 1 with the weights streamed from DRAM ({args.stream_mib} MiB of distinct weights "
          f"per run; each column the best of {args.stream_rounds} alternating rounds):\n")
    print("| shape (K x N) | weights per run | attnc ms | attnc GB/s | % of read bandwidth | ORT ms "
          "| ORT GB/s | read bandwidth GB/s | attnc / ORT time |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, k, n in shapes:
        weight_bytes = 4 * k * n
        copies = max(1, -(-args.stream_mib * 2**20 // weight_bytes))
        model = tmp / "stream.onnx"
        make_model(model, 1, k, n, copies)
        x = np.random.default_rng(1).standard_normal((1, k)).astype(np.float32)
        np.save(tmp / "x.npy", x)
        subprocess.run([args.attnc, "compile", str(model), "-o", str(tmp / "stream")], check=True,
                       capture_output=True)
        rounds = [(read_bandwidth(args.threads, tmp),
                   run_attnc(tmp / "x.npy", tmp / "stream", args.repeat, args.threads),
                   time_ort(model, x, tmp, args.repeat, args.threads))
                  for _ in range(args.stream_rounds)]
        # Each at its best round: the probe's highest level is the base.
        bandwidth = max(r[0] for r in rounds)
        a = min(r[1] for r in rounds)
        o = min(r[2] for r in rounds)
        total = copies * weight_bytes
        ba, bo = total / a / 1e6, total / o / 1e6
        print(f"| {name} | {copies} x {weight_bytes / 1e6:.1f} MB | {a:.2f} | {ba:.1f} | "
              f"{100 * ba / bandwidth:.1f} % | {o:.2f} | {bo:.1f} | {bandwidth:.1f} | {a / o:.2f}x |",
              flush=True)


if __name__ == "__main__":
    main()
