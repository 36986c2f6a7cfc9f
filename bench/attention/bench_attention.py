#!/usr/bin/env python3
"""attnc's attn.sdpa against ONNX Runtime 1.30 in the same run.

  bench_attention.py ATTNC [--sizes 128 512 ...] [--repeat N] [--rounds R] [--threads T]
                     [--skip-ort-above S] [--ort-memory-gb G]
                     [--attnc-flags "..."] [--no-decode] [--memory] [--check]

B=1, H=12, D=64, fp32; masks: none, causal, sliding window of 256 keys, for
each S in --sizes (T = S), plus a decode row: 1 query over 4096 cached keys.
attnc: an executable per case compiled from one attn.sdpa (`attnc compile
--attnc-flags`), its own median over N runs with OMP_NUM_THREADS=T; the
executables of one size run in R interleaved rounds and each reports the
median of its rounds, so that the ratios between masks (printed after the
table) compare runs taken side by side.
ONNX Runtime (onnxruntime-node, CPU EP, all graph optimizations, T intra-op
threads), median of N session.run calls after one warm-up: the unfused
MatMul/Softmax/MatMul graph and the fused CPU ops that apply (MultiHeadAttention,
GroupQueryAttention, opset-23 Attention; see make_models.py). A peer whose
S x T score tensors would need more than --ort-memory-gb is not run.

The header gives the machine and its measured FMA peak (fma_peak.c, built
with -march=native, on T threads); each size's rows use the peak measured
again in that size's rounds, beside its attnc runs. GFLOP/s count
4·B·H·S·T·D for every mask, so causal and window rows count the masked work
too and rows compare.

--memory: peak RSS of attnc at S = 16384, window 256, beyond its inputs and
output. --check: every peer's and attnc's output against numpy (small S).
"""
import argparse
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile

import numpy as np
import onnx

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_models as mm  # noqa: E402

B, H, D = mm.B, mm.H, mm.D
MEMORY_S = 16384
CLANG = ["clang-22", "-O2", "-march=native", "-fopenmp", "-L/usr/lib/llvm-22/lib",
         "-Wl,-rpath,/usr/lib/llvm-22/lib"]


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def machine():
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = re.search(r"Model name:\s*(.+)", lscpu).group(1).strip()
    except (OSError, AttributeError):
        model = "unknown CPU"
    return f"{model}, {os.cpu_count()} logical CPUs"


def fma_peak(threads, tmp):
    """(GFLOP/s, ISA) measured by fma_peak.c on `threads` threads (built
    once into tmp)."""
    exe = tmp / "fma_peak"
    if not exe.exists():
        subprocess.run(CLANG + [str(HERE / "fma_peak.c"), "-o", str(exe)], check=True)
    out = subprocess.run([str(exe), str(threads)], check=True, capture_output=True, text=True).stdout
    match = re.search(r"FMA peak: ([0-9.]+) GFLOP/s on \d+ thread\(s\), (.+)", out)
    return float(match.group(1)), match.group(2).strip()


def ort_version():
    package = HERE.parent / "node_modules" / "onnxruntime-node" / "package.json"
    return json.loads(package.read_text())["version"]


def fill(shape):
    """The inputs ort_time.js feeds: element i is float32(sin(i * 12.9898) * 0.5)."""
    n = int(np.prod(shape))
    return (np.sin(np.arange(n) * 12.9898) * 0.5).astype(np.float32).reshape(shape)


def compile_attnc(args, d, name, S, T, mask):
    src = d / f"attn_{name}.mlir"
    src.write_text(mm.mlir(S, T, mask))
    exe = d / f"attn_{name}"
    out = subprocess.run([args.attnc, "compile", str(src), "-o", str(exe)] + shlex.split(args.attnc_flags),
                         capture_output=True, text=True)
    if out.returncode:
        log(f"attnc compile {name} (S={S}, T={T}) failed:\n{out.stderr.strip()}")
        return None
    return exe


def attnc_command(exe, d, repeat, extra=()):
    return [str(exe), "--input", f"q={d}/q.npy", "--input", f"k={d}/k.npy", "--input", f"v={d}/v.npy",
            "--repeat", str(repeat), *extra]


def attnc_ms(args, exe, d):
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    out = subprocess.run(attnc_command(exe, d, args.repeat), capture_output=True, text=True, env=env)
    match = re.search(r"median run time: ([0-9.]+) ms", out.stdout)
    if out.returncode or not match:
        log(f"{exe.name} failed (rc {out.returncode}):\n{out.stderr.strip()}")
        return None
    return float(match.group(1))


def ort_run(model_path, repeat, threads, output=None):
    """ort_time.js's result: {"median_ms": ...} or {"error": ...}."""
    command = ["node", str(HERE / "ort_time.js"), str(model_path), str(repeat), str(threads)]
    out = subprocess.run(command + ([str(output)] if output else []), capture_output=True, text=True)
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError:
        return {"error": (out.stderr.strip().splitlines() or ["no output"])[-1]}


def write_inputs(d, S, T, make=None):
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    make = make or (lambda shape: rng.standard_normal(shape).astype(np.float32))
    for n, rows in (("q", S), ("k", T), ("v", T)):
        np.save(d / f"{n}.npy", make((B, H, rows, D)))


def ort_cells(args, d, name, S, T, mask, decode):
    """One cell per ORT peer: milliseconds, or why there is no time."""
    cells = {}
    for peer in mm.PEERS:
        if not mm.applies(peer, mask, decode):
            cells[peer] = "n/a"
        elif args.skip_ort_above is not None and S > args.skip_ort_above:
            cells[peer] = "skipped (--skip-ort-above)"
        elif mm.peak_bytes(peer, S, T) > args.ort_memory_gb * 2**30:
            cells[peer] = "skipped (memory)"
        else:
            path = d / f"ort_{peer}_{name}.onnx"
            onnx.save(mm.ort_model(peer, S, T, mask), str(path))
            result = ort_run(path, args.repeat, args.threads)
            path.unlink()
            if result.get("median_ms") is None:
                log(f"ORT {peer} {name} (S={S}, T={T}) failed: {result.get('error')}")
                cells[peer] = "failed"
            else:
                cells[peer] = result["median_ms"]
    return cells


def fmt_ms(x):
    if not isinstance(x, float):
        return "n/a" if x is None else x
    return f"{x:.3f}" if x < 1 else f"{x:.2f}"


def prepare(args, tmp, label, name, S, T, mask):
    """The case's input directory and attnc executable (None if it failed)."""
    d = tmp / f"{label}-{name}".replace(" ", "_")
    write_inputs(d, S, T)
    return d, compile_attnc(args, d, name, S, T, mask)


def attnc_rounds(args, tmp, cases):
    """attnc's time per case, and the FMA peak measured beside them: the
    medians over --rounds rounds, each running the FMA microbenchmark and
    then every case once (its own median of --repeat runs). Interleaving
    keeps a slow spell of a shared machine from landing on one case only,
    so the ratios between masks mean something; the peak taken in the same
    rounds is what those runs could reach (this VM's speed drifts by 10-20 %
    over minutes)."""
    runs = {key: [] for key in cases}
    peaks = []
    for _ in range(args.rounds):
        peaks.append(fma_peak(args.threads, tmp)[0])
        for key, (d, exe) in cases.items():
            ms = attnc_ms(args, exe, d) if exe else None
            if ms is not None:
                runs[key].append(ms)
    times = {key: float(np.median(x)) if len(x) == args.rounds else None for key, x in runs.items()}
    return times, float(np.median(peaks))


def row(args, peak, label, name, S, T, mask, d, ours, decode=False):
    """One table row; `peak` is the FMA peak measured in the same rounds."""
    cells = ort_cells(args, d, name, S, T, mask, decode)
    times = {peer: x for peer, x in cells.items() if isinstance(x, float)}
    best_peer = min(times, key=times.get) if times else None
    gflops = 4 * B * H * S * T * D / ours / 1e6 if ours else None
    if ours and best_peer:
        speedup = times[best_peer] / ours
        versus = f"{speedup:.2f}x faster" if speedup >= 1 else f"{speedup:.2f}x"
    else:
        versus = "n/a"
    fields = [label, mask, fmt_ms(ours) if ours else "failed",
              f"{gflops:.1f}" if gflops else "n/a", f"{peak:.1f}",
              f"{100 * gflops / peak:.1f} %" if gflops else "n/a"]
    fields += [fmt_ms(cells[peer]) for peer in mm.PEERS]
    fields += [fmt_ms(times.get(best_peer)), mm.PEER_TITLES[best_peer] if best_peer else "n/a", versus]
    print("| " + " | ".join(fields) + " |", flush=True)


def table(args, tmp):
    titles = ["S", "mask", "attnc ms", "attnc GFLOP/s", "FMA peak GFLOP/s", "% of peak"]
    titles += [f"{mm.PEER_TITLES[peer]} ms" for peer in mm.PEERS]
    titles += ["best ORT ms", "best ORT peer", "attnc vs best ORT"]
    print("| " + " | ".join(titles) + " |")
    print("|" + " --- |" * len(titles), flush=True)
    ours = {}
    for S in args.sizes:
        cases = {mask: prepare(args, tmp, str(S), mask, S, S, mask) for mask in mm.MASKS}
        times, peak = attnc_rounds(args, tmp, cases)
        for mask in mm.MASKS:
            ours[S, mask] = times[mask]
            row(args, peak, str(S), mask, S, S, mask, cases[mask][0], times[mask])
    if args.decode:
        label = f"1 (T={mm.DECODE_T})"
        case = prepare(args, tmp, label, "decode", 1, mm.DECODE_T, "none")
        times, peak = attnc_rounds(args, tmp, {"decode": case})
        time = times["decode"]
        row(args, peak, label, "decode", 1, mm.DECODE_T, "none", case[0], time, decode=True)
    # The ratios between masks, from the same rounds.
    ratios = [(f"causal / none at S = {S}", ours.get((S, "causal")), ours.get((S, "none")))
              for S in args.sizes if S >= 1024]
    ratios += [(f"window / causal at S = {S}", ours.get((S, "window")), ours.get((S, "causal")))
               for S in args.sizes if S >= 4096]
    lines = [f"{name}: {a / b:.3f}" for name, a, b in ratios if a and b]
    if lines:
        print("\nattnc time ratios: " + "; ".join(lines) + ".")


def memory(args, tmp):
    """attnc's peak RSS at S = MEMORY_S, window, beyond inputs and output."""
    d = tmp / "memory"
    write_inputs(d, MEMORY_S, MEMORY_S)
    exe = compile_attnc(args, d, "memory", MEMORY_S, MEMORY_S, "window")
    if not exe:
        print(f"\nMemory at S = {MEMORY_S}: attnc compile failed")
        return
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    # Measured by /usr/bin/time, a small process: a child forked from this
    # Python process would report the parent's resident pages at fork time
    # (hundreds of MB of benchmark arrays) as its own peak.
    child = subprocess.run(["/usr/bin/time", "-f", "maxrss_kb=%M"] + attnc_command(exe, d, 1),
                           capture_output=True, text=True, env=env)
    stdout = child.stdout
    match = re.search(r"median run time: ([0-9.]+) ms", stdout)
    peak_mb = int(re.search(r"maxrss_kb=(\d+)", child.stderr).group(1)) * 1024 / 1e6
    tensors_mb = 4 * B * H * MEMORY_S * D * 4 / 1e6
    print(f"\nMemory at S = {MEMORY_S}, window {mm.WINDOW} (B={B}, H={H}, D={D}, "
          f"{args.threads} thread(s)): attnc peak RSS {peak_mb:.1f} MB; q, k, v and o take "
          f"{tensors_mb:.1f} MB (4 x {tensors_mb / 4:.1f} MB), so {peak_mb - tensors_mb:.1f} MB beyond "
          f"them; run time {match.group(1) + ' ms' if match else 'n/a'} (exit {child.returncode}).")


def reference(q, k, v, mask):
    S, T = q.shape[2], k.shape[2]
    s = np.where(mm.visible(S, T, mask), q.astype(np.float64) @ k.transpose(0, 1, 3, 2) * mm.SCALE, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    return (p / p.sum(-1, keepdims=True)) @ v


def check(args, tmp):
    """Max |error| of attnc and every ORT peer against numpy, on ort_time.js's inputs."""
    print("| case | S | T | " + " | ".join(["attnc"] + [mm.PEER_TITLES[p] for p in mm.PEERS]) + " |")
    print("|" + " --- |" * (4 + len(mm.PEERS)))
    cases = [("none", 128, 128, "none"), ("causal", 128, 128, "causal"), ("window", 384, 384, "window"),
             ("decode", 1, mm.DECODE_T, "none")]
    for name, S, T, mask in cases:
        d = tmp / f"check-{name}"
        write_inputs(d, S, T, make=fill)
        inputs = {n: np.load(d / f"{n}.npy") for n in "qkv"}
        cells = []
        exe = compile_attnc(args, d, name, S, T, mask)
        env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
        if exe and subprocess.run(attnc_command(exe, d, 1, ["--output-dir", str(d)]), env=env,
                                  capture_output=True).returncode == 0:
            cells.append(np.abs(np.load(d / "o.npy") - reference(*inputs.values(), mask)).max())
        else:
            cells.append("failed")
        for peer in mm.PEERS:
            if not mm.applies(peer, mask, name == "decode"):
                cells.append("n/a")
                continue
            model = mm.ort_model(peer, S, T, mask)
            onnx.save(model, str(d / "peer.onnx"))
            result = ort_run(d / "peer.onnx", 1, args.threads, d / "peer.bin")
            if "error" in result:
                log(f"ORT {peer} {name} failed: {result['error']}")
                cells.append("failed")
                continue
            feeds = {i.name: fill([x.dim_value for x in i.type.tensor_type.shape.dim]) for i in model.graph.input}
            if peer in ("mha", "gqa"):  # [B, S, H*D] -> [B, H, S, D]
                q, k, v = (feeds[n].reshape(B, -1, H, D).transpose(0, 2, 1, 3) for n in "qkv")
                if "past_k" in feeds:
                    k = np.concatenate([feeds["past_k"], k], axis=2)
                    v = np.concatenate([feeds["past_v"], v], axis=2)
                expected = reference(q, k, v, mask).transpose(0, 2, 1, 3)
            else:
                expected = reference(feeds["q"], feeds["k"], feeds["v"], mask)
            cells.append(np.abs(np.fromfile(d / "peer.bin", np.float32) - expected.reshape(-1)).max())
        print(f"| {name} | {S} | {T} | " +
              " | ".join(f"{c:.1e}" if isinstance(c, (float, np.floating)) else c for c in cells) + " |",
              flush=True)
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("attnc", help="path to the attnc binary")
    parser.add_argument("--sizes", type=int, nargs="*", default=[128, 512, 1024, 2048, 4096, 8192])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3,
                        help="attnc: rounds over one size's masks, interleaved; median of rounds")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="OMP_NUM_THREADS for attnc, intra-op threads for ORT, FMA peak threads")
    parser.add_argument("--skip-ort-above", type=int, metavar="S",
                        help="run no ORT peer for sizes above S")
    parser.add_argument("--ort-memory-gb", type=float, default=8,
                        help="skip ORT peers whose score tensors would need more (default 8)")
    parser.add_argument("--attnc-flags", default="", help="extra `attnc compile` flags, one string")
    parser.add_argument("--no-decode", dest="decode", action="store_false",
                        help="leave out the decode row")
    parser.add_argument("--memory", action="store_true",
                        help=f"also measure attnc's peak RSS at S = {MEMORY_S}, window {mm.WINDOW}")
    parser.add_argument("--check", action="store_true",
                        help="first compare every output against numpy at small sizes")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        peak, isa = fma_peak(args.threads, tmp)
        print(f"Machine: {machine()}; ISA: {isa}. Measured FMA peak (fma_peak.c, -march=native): "
              f"{peak:.1f} GFLOP/s on {args.threads} thread(s).")
        compile_command = " ".join(["attnc compile", args.attnc_flags]).strip()
        print(f"attnc: `{compile_command}`, OMP_NUM_THREADS={args.threads}; "
              f"ONNX Runtime {ort_version()} (onnxruntime-node, CPU EP, {args.threads} intra-op "
              f"thread(s)); medians of {args.repeat} runs (attnc: median of "
              f"{args.rounds} interleaved rounds of them).")
        print(f"B={B}, H={H}, D={D}, fp32; window = {mm.WINDOW} keys; decode = 1 query over "
              f"{mm.DECODE_T} keys. GFLOP/s = 4·B·H·S·T·D / time, with T = S except decode: masked "
              f"work counts too, so causal and window rows compare with none. % of peak = GFLOP/s / FMA "
              f"peak measured in the same rounds as the row's attnc runs (the one above is from the "
              f"start). attnc vs best ORT = best ORT ms / attnc ms (below 1x attnc is slower).\n")
        if args.check:
            check(args, tmp)
        if args.sizes or args.decode:
            table(args, tmp)
        if args.memory:
            memory(args, tmp)


if __name__ == "__main__":
    main()
