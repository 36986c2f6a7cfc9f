#!/usr/bin/env python3
"""attnc's attn.sdpa under different tilings, on this machine.

  bench_tiling.py ATTNC [--shapes BxHxSxTxD[:mask] ...] [--configs CONFIG ...]
                  [--repeat N] [--rounds R]

For each shape (mask: none, causal or window256), one attn.sdpa module is
compiled once per config and run with `--repeat N`, R times, interleaved
across configs; the best of the executable's R medians (ms) is printed as
one markdown table, a row per shape, a column per config (fastest in bold).
A config is `auto` (the cost model's choice), `decompose`
(--decompose-attention), `QxK` (--q-block Q --kv-block K) or any other
word, passed as `--WORD`. This is the measurement behind the cost model's
thresholds (bench/RESULTS.md).
"""
import argparse
import pathlib
import re
import subprocess
import tempfile

import numpy as np

MASKS = {"none": "", "causal": ", mask = #attn.window<left = inf, right = 0>",
         "window256": ", mask = #attn.window<left = 255, right = 0>"}


def module(b, h, s, t, d, mask):
    q = f"tensor<{b}x{h}x{s}x{d}xf32>"
    kv = f"tensor<{b}x{h}x{t}x{d}xf32>"
    return (f'func.func @main(%q: {q} {{attnc.name = "q"}}, %k: {kv} {{attnc.name = "k"}}, '
            f'%v: {kv} {{attnc.name = "v"}}) -> ({q} {{attnc.name = "o"}}) {{\n'
            f'  %o = attn.sdpa %q, %k, %v {{scale = {d ** -0.5} : f32{MASKS[mask]}}} '
            f': ({q}, {kv}, {kv}) -> {q}\n'
            f'  return %o : {q}\n}}\n')


def flags(config):
    if config == "auto":
        return []
    if config == "decompose":
        return ["--decompose-attention"]
    blocks = re.fullmatch(r"(\d+)x(\d+)", config)
    if blocks:
        return ["--q-block", blocks.group(1), "--kv-block", blocks.group(2)]
    return ["--" + config]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("attnc")
    parser.add_argument("--shapes", nargs="*", default=["1x12x1024x1024x64:causal"])
    parser.add_argument("--configs", nargs="*", default=["auto", "decompose"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print("| shape | mask | " + " | ".join(args.configs) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in args.configs) + " |")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for i, spec in enumerate(args.shapes):
            dims, _, mask = spec.partition(":")
            mask = mask or "none"
            b, h, s, t, d = (int(x) for x in dims.split("x"))
            case = tmp / str(i)
            case.mkdir()
            (case / "m.mlir").write_text(module(b, h, s, t, d, mask))
            rng = np.random.default_rng(0)
            for name, rows in (("q", s), ("k", t), ("v", t)):
                np.save(case / f"{name}.npy", rng.standard_normal((b, h, rows, d)).astype(np.float32))
            exes = []
            for j, config in enumerate(args.configs):
                exes.append(case / f"m{j}")
                subprocess.run([args.attnc, "compile", str(case / "m.mlir"), "-o", str(exes[-1]),
                                *flags(config)], check=True, stderr=subprocess.DEVNULL)
            # Rounds interleave the configs, so a burst of load elsewhere
            # on the machine hits all of them; each keeps its best median.
            cells = [float("inf")] * len(exes)
            for _ in range(args.rounds):
                for j, exe in enumerate(exes):
                    out = subprocess.run([str(exe), "--input", f"q={case}/q.npy",
                                          "--input", f"k={case}/k.npy", "--input", f"v={case}/v.npy",
                                          "--output-dir", str(case), "--repeat", str(args.repeat)],
                                         check=True, capture_output=True, text=True).stdout
                    ms = float(re.search(r"median run time: ([0-9.]+) ms", out).group(1))
                    cells[j] = min(cells[j], ms)
            best = min(cells)
            print(f"| {dims} | {mask} | " +
                  " | ".join(f"**{c:.3f}**" if c == best else f"{c:.3f}" for c in cells) + " |",
                  flush=True)


if __name__ == "__main__":
    main()
