#!/usr/bin/env python3
"""Prefill and decode-step latency of a decoder with a KV cache: attnc against
ONNX Runtime on the same exported graph.

  bench_generate.py ATTNC MODEL.onnx [--repeat N] [--rounds R] [--threads T]

MODEL.onnx is one of make_decoder.py's (input_ids [1, seq], past_key_i /
past_value_i [1, Hkv, past, D] -> logits, present_*). attnc compiles it once
(`--max-shape`: seq up to 1024, past up to 2048) into an executable; every
case runs that one artifact. Cases: prefill of 128 and 1024 prompt tokens
(an empty past), and one decode step (one token) over 128 and 2048 cached
positions. The prefill cases again against artifacts compiled for exactly
that shape (every dim static). Then greedy generation of 32 tokens after a
128-token prompt:
`attnc generate` on a library compiled with the same bounds against
ort_generate.js (the same loop: presents fed back as pasts), both token
lists compared. Each case alternates R rounds of the attnc executable (median of
N runs) and onnxruntime-node (median of N `session.run` calls after a
warm-up) with the same inputs and thread count; each figure is the median
of its rounds. Prints a markdown table.
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

HERE = pathlib.Path(__file__).resolve().parent
ORT_RUN = HERE.parent / "models" / "ort_run.js"
MAX_SEQ, MAX_PAST = 1024, 2048
CASES = [("prefill 128 tokens", 128, 0), ("prefill 1024 tokens", 1024, 0),
         ("decode step, 128 cached", 1, 128), ("decode step, 2048 cached", 1, 2048)]


def cache_inputs(model):
    """(name, heads, head_dim) of each past input."""
    result = []
    for value in model.graph.input:
        if value.name.startswith("past_"):
            dims = value.type.tensor_type.shape.dim
            result.append((value.name, dims[1].dim_value, dims[3].dim_value))
    return result


def vocab_of(model):
    """The logits' last dim."""
    for value in model.graph.output:
        if value.name == "logits":
            return value.type.tensor_type.shape.dim[-1].dim_value
    raise SystemExit("the model has no 'logits' output")


def shape_flags(flag, seq, past, caches):
    """`flag` (--max-shape or --input-shape) for input_ids [1, seq] and
    every cache [1, H, past, D]."""
    return ([f"{flag}=input_ids=1x{seq}"] +
            [f"{flag}={name}=1x{h}x{past}x{d}" for name, h, d in caches])


def compile_model(attnc, model_path, caches, exe):
    flags = shape_flags("--max-shape", MAX_SEQ, MAX_PAST, caches)
    start = time.perf_counter()
    subprocess.run([attnc, "compile", str(model_path), "-o", str(exe), *flags], check=True)
    return time.perf_counter() - start


def write_inputs(scratch, tag, seq, past, caches, vocab):
    rng = np.random.default_rng(seq * 10007 + past)
    tensors = {"input_ids": rng.integers(0, vocab, size=(1, seq), dtype=np.int64)}
    for name, h, d in caches:
        tensors[name] = rng.standard_normal((1, h, past, d)).astype(np.float32)
    args, feeds = [], []
    for name, tensor in tensors.items():
        npy = scratch / f"{tag}.{name}.npy"
        np.save(npy, tensor)
        args += ["--input", f"{name}={npy}"]
        raw = scratch / f"{tag}.{name}.bin"
        raw.write_bytes(tensor.tobytes())
        feeds.append({"name": name, "dtype": "int64" if tensor.dtype == np.int64 else "float32",
                      "dims": list(tensor.shape), "file": str(raw)})
    feeds_json = scratch / f"{tag}.json"
    feeds_json.write_text(json.dumps(feeds))
    return args, feeds_json


def run_ms(cmd, env, pattern):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return float(re.search(pattern, out).group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("attnc")
    parser.add_argument("model")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    model_path = pathlib.Path(args.model)
    model = onnx.load(str(model_path), load_external_data=False)
    caches = cache_inputs(model)
    vocab = vocab_of(model)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    with tempfile.TemporaryDirectory() as tmp:
        scratch = pathlib.Path(tmp)
        exe = scratch / "decoder"
        compile_s = compile_model(args.attnc, model_path, caches, exe)
        print(f"{args.threads} threads; one attnc executable for every case (compiled in "
              f"{compile_s:.1f} s); medians of {args.rounds} alternating rounds of "
              f"{args.repeat} runs\n")
        print("| case | attnc (ms) | ONNX Runtime (ms) | attnc speedup |")
        print("| --- | --- | --- | --- |")
        for label, seq, past in CASES:
            tag = f"s{seq}_p{past}"
            inputs, feeds_json = write_inputs(scratch, tag, seq, past, caches, vocab)
            attnc_ms, ort_ms = [], []
            for _ in range(args.rounds):
                attnc_ms.append(run_ms([str(exe), *inputs, "--repeat", str(args.repeat)], env,
                                       r"median run time: ([0-9.]+) ms"))
                ort = subprocess.run(["node", str(ORT_RUN), str(model_path), str(feeds_json),
                                      str(args.repeat), str(args.threads)],
                                     env=env, check=True, capture_output=True, text=True)
                ort_ms.append(json.loads(ort.stdout)["median_ms"])
            a, o = statistics.median(attnc_ms), statistics.median(ort_ms)
            print(f"| {label} | {a:.1f} | {o:.1f} | {o / a:.2f}x |")
            sys.stdout.flush()
        static_prefill(args.attnc, model_path, caches, scratch, exe, env, args, vocab)
        a_pre, a_dec, o_pre, o_dec, agree = generation(args.attnc, model_path, caches, scratch,
                                                       args.threads, args.rounds, vocab)
        print(f"\nGreedy generation, 128-token prompt, 32 new tokens (tokens "
              f"{'identical' if agree else 'DIFFER'} between attnc and ONNX Runtime):\n")
        print("| | attnc generate | ONNX Runtime loop | attnc speedup |")
        print("| --- | --- | --- | --- |")
        print(f"| prefill (ms) | {a_pre:.1f} | {o_pre:.1f} | {o_pre / a_pre:.2f}x |")
        print(f"| decode (ms/token) | {a_dec:.1f} | {o_dec:.1f} | {o_dec / a_dec:.2f}x |")
        print(f"| decode (tokens/s) | {1000 / a_dec:.1f} | {1000 / o_dec:.1f} | |")


def static_prefill(attnc, model_path, caches, scratch, exe, env, args, vocab):
    """The one artifact against one compiled for exactly that prompt (every
    dim static, an empty past), alternating, for the prefill cases."""
    print("\nPrefill: the one artifact (run-time lengths) against an artifact "
          "compiled for that exact shape (static, empty past):\n")
    print("| case | one artifact (ms) | static artifact (ms) | one / static |")
    print("| --- | --- | --- | --- |")
    for label, seq, past in CASES:
        if past:
            continue
        static = scratch / f"static_{seq}"
        flags = shape_flags("--input-shape", seq, 0, caches)
        subprocess.run([attnc, "compile", str(model_path), "-o", str(static), *flags], check=True)
        inputs, _ = write_inputs(scratch, f"s{seq}_p0", seq, 0, caches, vocab)
        one, fixed = [], []
        for _ in range(args.rounds):
            for runs, binary in ((one, exe), (fixed, static)):
                runs.append(run_ms([str(binary), *inputs, "--repeat", str(args.repeat)], env,
                                   r"median run time: ([0-9.]+) ms"))
        a, b = statistics.median(one), statistics.median(fixed)
        print(f"| {label} | {a:.1f} | {b:.1f} | {a / b:.2f} |")
        sys.stdout.flush()


def generation(attnc, model_path, caches, scratch, threads, rounds, vocab, new_tokens=32):
    """Greedy generation, attnc against ONNX Runtime: (prefill ms, decode ms per
    token) each, medians over the rounds, and whether the tokens agree."""
    lib = scratch / "decoder.so"
    flags = shape_flags("--max-shape", MAX_SEQ, MAX_PAST, caches)
    subprocess.run([attnc, "compile", str(model_path), "--emit=lib", "-o", str(lib), *flags],
                   check=True)
    prompt = np.random.default_rng(7).integers(0, vocab, size=128)
    ids = ",".join(str(t) for t in prompt)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    a_pre, a_dec, o_pre, o_dec = [], [], [], []
    agree = True
    for _ in range(rounds):
        run = subprocess.run([attnc, "generate", str(lib), "--prompt-ids", ids,
                              "--max-new-tokens", str(new_tokens)],
                             env=env, check=True, capture_output=True, text=True)
        attnc_tokens = [int(t) for t in run.stdout.split()]
        a_pre.append(float(re.search(r"prefill: \d+ tokens in ([0-9.]+) ms", run.stderr).group(1)))
        a_dec.append(float(re.search(r"([0-9.]+) ms/token", run.stderr).group(1)))
        ort = subprocess.run(["node", str(HERE / "ort_generate.js"), str(model_path), ids,
                              str(new_tokens), str(threads), str(caches[0][1]), str(caches[0][2])],
                             env=env, check=True, capture_output=True, text=True)
        result = json.loads(ort.stdout)
        o_pre.append(result["prefill_ms"])
        o_dec.append(result["decode_ms_per_token"])
        agree &= result["tokens"] == attnc_tokens
    med = statistics.median
    return med(a_pre), med(a_dec), med(o_pre), med(o_dec), agree


if __name__ == "__main__":
    main()
