#!/usr/bin/env python3
"""Compile time, run time and peak memory of attnc against ONNX Runtime.

  bench_models.py ATTNC MODELS_DIR [--repeat N] [--rounds R] [--threads T] [--only NAME ...]
                  [--baseline OTHER_ATTNC]

MODELS_DIR holds ONNX test directories (test/models/generate.py or
bench/models/make_large_models.py output). For each model and its
test_data_set_0: `attnc compile` (timed, wall clock), then R rounds that
alternate the executable (its own median over N runs) and onnxruntime-node
(median of N `session.run` calls after a warm-up), with the same inputs and
thread count (OMP_NUM_THREADS / intraOpNumThreads); each side's figure is
the median of its rounds, so the machine's drift hits both alike. Peak
memory is each process's maximum resident set (ORT's includes Node.js,
about 45 MB). With --baseline, each model is also compiled by another attnc
build (an older commit, say) whose executable runs in every round too,
between the two: a change's effect measured side by side. Prints a
markdown table.
"""
import argparse
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import numpy_helper

HERE = pathlib.Path(__file__).resolve().parent
NODE_DTYPES = {np.dtype("float32"): "float32", np.dtype("int64"): "int64", np.dtype("bool"): "bool"}


def input_shape_flags(model_dir):
    """`--input-shape NAME=DxD...` for each input of model_dir's test_data_set_0."""
    flags = []
    for path in sorted(model_dir.glob("test_data_set_0/input_*.pb")):
        tensor = onnx.load_tensor(str(path))
        dims = numpy_helper.to_array(tensor).shape
        flags.append(f"--input-shape={tensor.name}={'x'.join(map(str, dims)) or '1'}")
    return flags


def prepare(attnc, model_dir, scratch):
    scratch.mkdir(parents=True, exist_ok=True)
    data = sorted(model_dir.glob("test_data_set_0/input_*.pb"))
    protos = [onnx.load_tensor(str(p)) for p in data]
    tensors = [numpy_helper.to_array(t) for t in protos]
    names = [t.name for t in protos]
    shapes = input_shape_flags(model_dir)
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
    feeds_json = scratch / f"{model_dir.name}.json"
    feeds_json.write_text(json.dumps(feeds))
    return compile_s, [str(exe), *args], feeds_json


def timed(cmd, env, parse):
    """(milliseconds, peak RSS MB) of one run of `cmd`, or (None, None)."""
    with tempfile.TemporaryFile("w+") as out:
        pid = os.fork()
        if pid == 0:
            os.dup2(out.fileno(), 1)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            try:
                os.execvpe(cmd[0], cmd, env)
            finally:
                os._exit(127)
        _, status, usage = os.wait4(pid, 0)
        out.seek(0)
        text = out.read()
    if status != 0:
        return None, None
    return parse(text), usage.ru_maxrss / 1024


def median_ms(text):
    return float(re.search(r"median run time: ([0-9.]+) ms", text).group(1))


def bench(attnc, model_dir, repeat, rounds, threads, scratch, baseline=None):
    compile_s, exe_cmd, feeds_json = prepare(attnc, model_dir, scratch)
    base_cmd = prepare(baseline, model_dir, scratch / "baseline")[1] if baseline else None
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    ort_cmd = ["node", str(HERE / "ort_run.js"), str(model_dir / "model.onnx"), str(feeds_json),
               str(repeat), str(threads)]
    attnc_ms, base_ms, ort_ms, attnc_rss, ort_rss = [], [], [], [], []
    for _ in range(rounds):
        ms, rss = timed(exe_cmd + ["--repeat", str(repeat)], env, median_ms)
        attnc_ms.append(ms)
        attnc_rss.append(rss)
        if base_cmd:
            base_ms.append(timed(base_cmd + ["--repeat", str(repeat)], env, median_ms)[0])
        ms, rss = timed(ort_cmd, env, lambda t: json.loads(t)["median_ms"])
        if ms is not None:
            ort_ms.append(ms)
            ort_rss.append(rss)
    ort = statistics.median(ort_ms) if ort_ms else None
    base = statistics.median(base_ms) if base_ms else None
    return (compile_s, statistics.median(attnc_ms), ort, max(attnc_rss),
            max(ort_rss) if ort_rss else None, base)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("attnc")
    parser.add_argument("models")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--baseline", help="another attnc, run interleaved in every round")
    args = parser.parse_args()
    print(f"{args.threads} threads; medians of {args.rounds} alternating rounds of "
          f"{args.repeat} runs each\n")
    base_head = " baseline run (ms) | vs baseline |" if args.baseline else ""
    print("| model | attnc compile (s) | attnc run (ms) | ONNX Runtime run (ms) | attnc speedup "
          "| attnc peak RSS (MB) | ORT peak RSS (MB) |" + base_head)
    print("| --- | --- | --- | --- | --- | --- | --- |" + (" --- | --- |" if args.baseline else ""))
    with tempfile.TemporaryDirectory() as tmp:
        for model_dir in sorted(pathlib.Path(args.models).iterdir()):
            if not (model_dir / "model.onnx").exists() or (args.only and model_dir.name not in args.only):
                continue
            try:
                c, a, o, ar, orr, b = bench(args.attnc, model_dir, args.repeat, args.rounds,
                                            args.threads, pathlib.Path(tmp), args.baseline)
                speedup = f"{o / a:.2f}x" if o else "n/a"
                ort = f"{o:.1f}" if o else "failed"
                ort_rss = f"{orr:.0f}" if orr else "n/a"
                base = f" {b:.1f} | {b / a:.2f}x |" if b else (" n/a | |" if args.baseline else "")
                print(f"| {model_dir.name} | {c:.1f} | {a:.1f} | {ort} | {speedup} | {ar:.0f} | {ort_rss} |"
                      + base)
            except subprocess.CalledProcessError as e:
                print(f"| {model_dir.name} | failed: {(e.stderr or b'').strip()[:80]} | | | | | |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
