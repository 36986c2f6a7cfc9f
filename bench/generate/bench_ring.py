#!/usr/bin/env python3
"""Decode steps of a sliding-window decoder whose KV caches attnc keeps as
rings, against ONNX Runtime on the same exported graph.

  bench_ring.py ATTNC MODEL.onnx [--chunk N] [--capacity C]
                [--repeat N] [--rounds R] [--threads T]

MODEL.onnx is make_decoder.py's llama_2l_swa_kv.onnx (each query sees itself
and the W - 1 positions before it). attnc compiles it once for runs of at
most N tokens (`--max-shape input_ids=1xN`) and sequences of up to C
positions (`--kv-capacity C`): its caches become rings of W - 1 + N
positions (attn-kv-cache-in-place), whatever C is. Each case is one decode
step (one token) after P cached positions, the same random past given to
both: attnc loads its last positions into the rings, ONNX Runtime takes the
whole past and returns the whole present. Each case alternates R rounds of
the attnc executable (median of N runs) and onnxruntime-node (median of N
`session.run` calls after a warm-up); each figure is the median of its
rounds. The first logits of both are compared. Last, the caches' bytes and
the peak resident memory of each at the longest past. Prints markdown
tables.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

import numpy as np

from bench_generate import ORT_RUN, describe, peak_rss_mb, run_ms, shape_flags, write_inputs

PASTS = (128, 2048, 8192)


def compile_ring(attnc, model_path, caches, out, chunk, capacity):
    """The executable, and what `attnc inspect` says of its first cache."""
    flags = shape_flags("--max-shape", chunk, capacity - 1, caches)
    subprocess.run([attnc, "compile", str(model_path), "-o", str(out), *flags,
                    f"--kv-capacity={capacity}"], check=True)
    inspect = subprocess.run([attnc, "inspect", str(out)], check=True, capture_output=True,
                             text=True).stdout
    return next(line for line in inspect.splitlines() if "kv-cache" in line)


def first_logits(path):
    return np.load(path).reshape(-1)[:4]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("attnc")
    parser.add_argument("model")
    parser.add_argument("--chunk", type=int, default=128)
    parser.add_argument("--capacity", type=int, default=32768)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    model_path = pathlib.Path(args.model)
    caches, vocab = describe(model_path)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    with tempfile.TemporaryDirectory() as tmp:
        scratch = pathlib.Path(tmp)
        exe = scratch / "decoder"
        cache_line = compile_ring(args.attnc, model_path, caches, exe, args.chunk, args.capacity)
        print(f"{args.threads} threads; runs of at most {args.chunk} tokens, up to "
              f"{args.capacity} positions; attnc: `{cache_line.strip()}`; medians of "
              f"{args.rounds} alternating rounds of {args.repeat} runs\n")
        print("| decode step after | attnc, rings (ms) | ONNX Runtime (ms) | attnc speedup | "
              "first logits, max abs difference |")
        print("| --- | --- | --- | --- | --- |")
        for past in PASTS:
            tag = f"s1_p{past}"
            inputs, feeds_json = write_inputs(scratch, tag, 1, past, caches, vocab)
            ours, theirs = [], []
            ort_logits = None
            for _ in range(args.rounds):
                ours.append(run_ms([str(exe), *inputs, "--repeat", str(args.repeat)], env,
                                   r"median run time: ([0-9.]+) ms"))
                ort = subprocess.run(["node", str(ORT_RUN), str(model_path), str(feeds_json),
                                      str(args.repeat), str(args.threads)],
                                     env=env, check=True, capture_output=True, text=True)
                result = json.loads(ort.stdout)
                theirs.append(result["median_ms"])
                ort_logits = np.array(result["outputs"]["logits"], dtype=np.float32)
            out_dir = scratch / f"out_{past}"
            subprocess.run([str(exe), *inputs, "--output-dir", str(out_dir)], env=env,
                           check=True, capture_output=True)
            diff = float(np.abs(first_logits(out_dir / "logits.npy") - ort_logits).max())
            a, o = statistics.median(ours), statistics.median(theirs)
            print(f"| {past} cached | {a:.1f} | {o:.1f} | {o / a:.2f}x | {diff:.2e} |")
            sys.stdout.flush()
        memory(args, model_path, caches, scratch, exe, env, vocab, cache_line)


def memory(args, model_path, caches, scratch, exe, env, vocab, cache_line):
    """The caches' bytes (attnc's rings, ONNX Runtime's past and present)
    and the peak resident memory of one decode step at the longest past."""
    past = PASTS[-1]
    inputs, feeds_json = write_inputs(scratch, f"s1_p{past}", 1, past, caches, vocab)
    per_position = sum(h * d * 4 for _, h, d in caches)
    ring = int(cache_line.split("ring of ")[1].split()[0].rstrip(","))
    mb = 1024 * 1024
    ours = peak_rss_mb([str(exe), *inputs], env)
    theirs = peak_rss_mb(["node", str(ORT_RUN), str(model_path), str(feeds_json), "1",
                          str(args.threads)], env)
    print(f"\nMemory of one decode step after {past} cached positions:\n")
    print("| | attnc, rings | ONNX Runtime |")
    print("| --- | --- | --- |")
    print(f"| cache bytes | {2 * ring * per_position / mb:.1f} MB (2 x {ring} slots x "
          f"{per_position} B, for any length up to {args.capacity}) | "
          f"{(2 * past + 1) * per_position / mb:.1f} MB (past {past} + present {past + 1} "
          f"positions) |")
    print(f"| peak resident memory of the run | {ours:.0f} MB | {theirs:.0f} MB |")


if __name__ == "__main__":
    main()
