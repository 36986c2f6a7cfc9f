#!/usr/bin/env python3
"""Prefill and decode-step latency of a decoder with a KV cache: attnc against
ONNX Runtime on the same exported graph.

  bench_generate.py ATTNC MODEL.onnx [--repeat N] [--rounds R] [--threads T]

MODEL.onnx is one of make_decoder.py's (input_ids [1, seq], past_key_i /
past_value_i [1, Hkv, past, D] -> logits, present_*). attnc compiles it once
(`--max-shape`: seq up to 1024, past up to 2048) into an executable with its
KV caches kept in place (`--kv-capacity`, room for 2048 + 1 positions), and
once more as exported (past in, present out, copied each run); every case
runs those two artifacts. Cases: prefill of 128 and 1024 prompt tokens (an
empty past), and one decode step (one token) over 128 and 2048 cached
positions. The prefill cases again against artifacts compiled for exactly
that shape (every dim static). Then greedy generation of 32 tokens after a
128-token prompt: `attnc generate` on libraries compiled with the same
bounds (caches in place, and copied) against ort_generate.js (the same
loop: presents fed back as pasts), the token lists compared. Each case
alternates R rounds of the attnc executables (median of N runs) and
onnxruntime-node (median of N `session.run` calls after a warm-up) with the
same inputs and thread count; each figure is the median of its rounds.
Last, the peak resident memory of one decode step over 2048 cached
positions in each form, beside the caches' own bytes. Prints markdown
tables.
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
# Room for the longest past and the token read after it.
KV_CAPACITY = MAX_PAST + 1
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


def describe(model_path):
    """(caches, vocab) of a decoder: cache_inputs() and vocab_of() of its graph."""
    model = onnx.load(str(model_path), load_external_data=False)
    return cache_inputs(model), vocab_of(model)


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


def compile_model(attnc, model_path, caches, out, in_place, emit="exe"):
    """Compiles with the benchmark's bounds, the caches kept in place or
    copied; returns the seconds it took."""
    flags = shape_flags("--max-shape", MAX_SEQ, MAX_PAST, caches)
    if in_place:
        flags.append(f"--kv-capacity={KV_CAPACITY}")
    start = time.perf_counter()
    subprocess.run([attnc, "compile", str(model_path), f"--emit={emit}", "-o", str(out),
                    *flags], check=True)
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


def peak_rss_mb(cmd, env):
    """Peak resident memory of `cmd` (GNU time's %M)."""
    run = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], env=env, check=True,
                         capture_output=True, text=True)
    return int(run.stderr.strip().splitlines()[-1]) / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("attnc")
    parser.add_argument("model")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    model_path = pathlib.Path(args.model)
    caches, vocab = describe(model_path)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    with tempfile.TemporaryDirectory() as tmp:
        scratch = pathlib.Path(tmp)
        exe, copying = scratch / "decoder", scratch / "decoder_copy"
        compile_s = compile_model(args.attnc, model_path, caches, exe, in_place=True)
        compile_model(args.attnc, model_path, caches, copying, in_place=False)
        print(f"{args.threads} threads; one attnc executable for every case, caches kept in "
              f"place (compiled in {compile_s:.1f} s), and one with the exported "
              f"past-in/present-out copies; medians of {args.rounds} alternating rounds of "
              f"{args.repeat} runs\n")
        print("| case | attnc, caches in place (ms) | attnc, caches copied (ms) | "
              "ONNX Runtime (ms) | attnc speedup | in place / copied |")
        print("| --- | --- | --- | --- | --- | --- |")
        for label, seq, past in CASES:
            tag = f"s{seq}_p{past}"
            inputs, feeds_json = write_inputs(scratch, tag, seq, past, caches, vocab)
            place_ms, copy_ms, ort_ms = [], [], []
            for _ in range(args.rounds):
                for runs, binary in ((place_ms, exe), (copy_ms, copying)):
                    runs.append(run_ms([str(binary), *inputs, "--repeat", str(args.repeat)],
                                       env, r"median run time: ([0-9.]+) ms"))
                ort = subprocess.run(["node", str(ORT_RUN), str(model_path), str(feeds_json),
                                      str(args.repeat), str(args.threads)],
                                     env=env, check=True, capture_output=True, text=True)
                ort_ms.append(json.loads(ort.stdout)["median_ms"])
            a, c, o = (statistics.median(x) for x in (place_ms, copy_ms, ort_ms))
            print(f"| {label} | {a:.1f} | {c:.1f} | {o:.1f} | {o / a:.2f}x | {a / c:.2f} |")
            sys.stdout.flush()
        static_prefill(args.attnc, model_path, caches, scratch, exe, env, args, vocab)
        gen = generation(args.attnc, model_path, caches, scratch, args.threads, args.rounds,
                         vocab)
        print(f"\nGreedy generation, 128-token prompt, 32 new tokens (tokens "
              f"{'identical' if gen['agree'] else 'DIFFER'} between attnc and ONNX Runtime):\n")
        print("| | attnc generate, caches in place | caches copied | ONNX Runtime loop | "
              "attnc (in place) speedup |")
        print("| --- | --- | --- | --- | --- |")
        (p_pre, p_dec), (c_pre, c_dec), (o_pre, o_dec) = gen["place"], gen["copy"], gen["ort"]
        print(f"| prefill (ms) | {p_pre:.1f} | {c_pre:.1f} | {o_pre:.1f} | {o_pre / p_pre:.2f}x |")
        print(f"| decode (ms/token) | {p_dec:.1f} | {c_dec:.1f} | {o_dec:.1f} | "
              f"{o_dec / p_dec:.2f}x |")
        print(f"| decode (tokens/s) | {1000 / p_dec:.1f} | {1000 / c_dec:.1f} | "
              f"{1000 / o_dec:.1f} | |")
        cache_memory(model_path, caches, scratch, exe, copying, env, vocab)


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
    """Greedy generation, attnc (caches in place, and copied) against ONNX
    Runtime: {"place"|"copy"|"ort": (prefill ms, decode ms per token)},
    medians over the rounds, and "agree": whether all the tokens agree."""
    libs = {"place": scratch / "decoder.so", "copy": scratch / "decoder_copy.so"}
    for form, lib in libs.items():
        compile_model(attnc, model_path, caches, lib, in_place=form == "place", emit="lib")
    prompt = np.random.default_rng(7).integers(0, vocab, size=128)
    ids = ",".join(str(t) for t in prompt)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    times = {form: ([], []) for form in ("place", "copy", "ort")}
    agree = True
    for _ in range(rounds):
        tokens = []
        for form, lib in libs.items():
            run = subprocess.run([attnc, "generate", str(lib), "--prompt-ids", ids,
                                  "--max-new-tokens", str(new_tokens)],
                                 env=env, check=True, capture_output=True, text=True)
            tokens.append([int(t) for t in run.stdout.split()])
            times[form][0].append(
                float(re.search(r"prefill: \d+ tokens in ([0-9.]+) ms", run.stderr).group(1)))
            times[form][1].append(float(re.search(r"([0-9.]+) ms/token", run.stderr).group(1)))
        ort = subprocess.run(["node", str(HERE / "ort_generate.js"), str(model_path), ids,
                              str(new_tokens), str(threads), str(caches[0][1]), str(caches[0][2])],
                             env=env, check=True, capture_output=True, text=True)
        result = json.loads(ort.stdout)
        times["ort"][0].append(result["prefill_ms"])
        times["ort"][1].append(result["decode_ms_per_token"])
        agree &= all(t == result["tokens"] for t in tokens)
    med = statistics.median
    summary = {form: (med(pre), med(dec)) for form, (pre, dec) in times.items()}
    summary["agree"] = agree
    return summary


def cache_memory(model_path, caches, scratch, exe, copying, env, vocab):
    """Peak resident memory of one decode step over MAX_PAST cached
    positions, caches in place and copied, beside the caches' bytes."""
    inputs, _ = write_inputs(scratch, f"s1_p{MAX_PAST}", 1, MAX_PAST, caches, vocab)
    per_position = sum(h * d * 4 for _, h, d in caches)
    weights = sum(init.ByteSize() for init in onnx.load(str(model_path)).graph.initializer)
    place = peak_rss_mb([str(exe), *inputs], env)
    copied = peak_rss_mb([str(copying), *inputs], env)
    mb = 1024 * 1024
    print(f"\nMemory of one decode step over {MAX_PAST} cached positions "
          f"(weights {weights / mb:.0f} MB):\n")
    print("| | caches in place | caches copied |")
    print("| --- | --- | --- |")
    print(f"| cache bytes | {KV_CAPACITY * per_position / mb:.1f} MB (capacity {KV_CAPACITY} x "
          f"{per_position} B) | {(2 * MAX_PAST + 1) * per_position / mb:.1f} MB (past "
          f"{MAX_PAST} + present {MAX_PAST + 1} positions) |")
    print(f"| peak resident memory of the run | {place:.0f} MB | {copied:.0f} MB |")


if __name__ == "__main__":
    main()
