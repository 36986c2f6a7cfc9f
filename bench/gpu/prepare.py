#!/usr/bin/python3
"""Compiles here what bench/gpu/run.sh runs on a machine with an NVIDIA GPU.

  /usr/bin/python3 bench/gpu/prepare.py build/bin/attnc [--out bench/gpu/prepared] [--gpu sm_90]

The GPU machines have CUDA, torch and numpy but no LLVM/MLIR, so attnc
cannot run there: everything is compiled here (--device=cuda) into OUT,
and archived as OUT.tar.xz, which travels with the working tree (both are
git-ignored; name the archive, about 10 MB, in the device tool's `carry`;
run.sh unpacks it):
  OUT/models/NAME/model        every repository model (test/models/generate.py),
  OUT/models/NAME/test_data_set_*   with its inputs and torch's outputs;
  OUT/models_fp16/NAME/...     four of them with --precision=fp16 (weights
                               stored in fp16);
  OUT/models_runtime/NAME/...  four compiled once with run-time dims
                               (--max-shape), with every data set;
  OUT/attention/CASE           attn.sdpa alone at the benchmark's sizes, in
                               fp16 and bf16 (tensor cores) and fp32,
  OUT/attention/cases.json     their shapes, masks and precisions (inputs are
                               made there),
  OUT/matmul/CASE, cases.json  one projection-sized product, fp16 and fp32;
  OUT/whole_model/NAME/model   with --whole-model: GPT-2 small at S = 128
                               (bench/models/make_large_models.py, weights
                               tiled with period 4099 so that its 660 MB
                               executables compress to 1.5 MB each), fp32
                               and fp16, with torch's outputs and info.json
                               (bench_whole_model.py).
Executables are stripped (OUT: about 75 MB; 1.4 GB with --whole-model). With --device
cuda-emulated the same runs on CPU threads, to try the scripts here (the
attention and matmul cases are then too large to run: give --no-attention).
"""
import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE.parent / "models"))
from bench_models import input_shape_flags  # noqa: E402

# (name, batch, heads, query length, key length, head dim, mask, precision
# [, kv heads]): mask is none, causal or window (256 keys: left = 255,
# right = 0); precision fp16/bf16 runs the tensor-core kernel (attnc
# compile --precision), fp32 the CUDA-core one. Decode: one query over a
# long cache (the decode kernel), 32 heads, or 32 query heads over 8 kv
# heads (grouped). The tensor-core cases come first: they are the issue's
# targets, and run.sh's time limit cuts the list from the end.
WINDOW = 256
PREFILL = [(d, s, mask) for d in (64, 128) for s in (1024, 4096, 16384)
           for mask in ("none", "causal", "window")]
CASES = [(f"{mask}_d{d}_s{s}_fp16", 1, 16, s, s, d, mask, "fp16") for d, s, mask in PREFILL]
CASES += [(f"{mask}_d{d}_s{s}_bf16", 1, 16, s, s, d, mask, "bf16")
          for d, s, mask in PREFILL if d == 128]
CASES += [(f"{mask}_d{d}_s{s}", 1, 16, s, s, d, mask, "fp32") for d, s, mask in PREFILL]
CASES += [(f"decode_d128_t{t}", 1, 32, 1, t, 128, "none", "fp32") for t in (4096, 32768)]
CASES += [(f"decode_gqa_d128_t{t}", 1, 32, 1, t, 128, "none", "fp32", 8) for t in (4096, 32768)]

# (name, M, K, N, precision): one projection-shaped product x[M, K] ·
# W[K, N] with a constant random weight (stored narrow with fp16), for the
# tensor-core matmul kernel against the CUDA-core one.
MATMULS = [(f"matmul_m8192_k1024_n1024_{p}", 8192, 1024, 1024, p) for p in ("fp16", "fp32")]


def attention_mlir(b, h, s, t, d, mask, kv_heads):
    window = {"none": "", "causal": ", mask = #attn.window<left = inf, right = 0>",
              "window": f", mask = #attn.window<left = {WINDOW - 1}, right = 0>"}[mask]
    tq, tk = f"tensor<{b}x{h}x{s}x{d}xf32>", f"tensor<{b}x{kv_heads}x{t}x{d}xf32>"
    return (f'func.func @main(%q: {tq} {{attnc.name = "q"}}, %k: {tk} {{attnc.name = "k"}}, '
            f'%v: {tk} {{attnc.name = "v"}}) -> ({tq} {{attnc.name = "o"}}) {{\n'
            f'  %o = attn.sdpa %q, %k, %v {{scale = {d ** -0.5} : f32{window}}} '
            f': ({tq}, {tk}, {tk}) -> {tq}\n  return %o : {tq}\n}}\n')


def compile_model(attnc, source, exe, device, shapes=()):
    run = subprocess.run([attnc, "compile", str(source), "-o", str(exe), *device, *shapes],
                         capture_output=True, text=True)
    if run.returncode:
        sys.exit(f"attnc compile {source} failed:\n{run.stderr}")
    subprocess.run(["strip", str(exe)], check=True)


# Models also compiled with their weights in fp16 (--precision=fp16).
FP16_MODELS = ("gpt2", "bert", "llama", "vit")
# Models also compiled once with run-time dims (--max-shape), run at each
# data set's shapes (two lengths each).
PAST = [f"--max-shape={kind}_{layer}=1x4x31x12" for layer in (0, 1) for kind in ("past_key", "past_value")]
RUNTIME_MODELS = {
    "gpt2": ["--max-shape=input_ids=1x32"],
    "mistral": ["--max-shape=input_ids=1x32"],
    "bert": ["--max-shape=input_ids=2x32", "--max-shape=attention_mask=2x32"],
    "gpt2_kv_cache": PAST,
}


def prepare_models(attnc, out, device):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["/usr/bin/python3", str(ROOT / "test/models/generate.py"), tmp],
                       check=True, capture_output=True)
        for model in sorted(pathlib.Path(tmp).iterdir()):
            if not (model / "model.onnx").exists():
                continue
            shapes = input_shape_flags(model)
            target = out / "models" / model.name
            target.mkdir(parents=True)
            # One executable per model, at data set 0's shapes: the others
            # (another sequence length) need their own; only set 0 travels.
            compile_model(attnc, model / "model.onnx", target / "model", device, shapes)
            shutil.copytree(model / "test_data_set_0", target / "test_data_set_0")
            print(f"model {model.name}", flush=True)
            if model.name in FP16_MODELS:
                narrow = out / "models_fp16" / model.name
                narrow.mkdir(parents=True)
                compile_model(attnc, model / "model.onnx", narrow / "model",
                              [*device, "--precision=fp16"], shapes)
                shutil.copytree(model / "test_data_set_0", narrow / "test_data_set_0")
                print(f"model {model.name} (fp16 weights)", flush=True)
            if model.name in RUNTIME_MODELS:
                runtime = out / "models_runtime" / model.name
                runtime.mkdir(parents=True)
                compile_model(attnc, model / "model.onnx", runtime / "model",
                              [*device, *RUNTIME_MODELS[model.name]])
                for data in model.glob("test_data_set_*"):
                    shutil.copytree(data, runtime / data.name)
                print(f"model {model.name} (run-time dims)", flush=True)


def matmul_mlir(m, k, n, seed):
    """x[M, K] · W[K, N], W a constant of N(0, 1/K) values from `seed`."""
    weight = np.random.default_rng(seed).standard_normal((k, n)).astype(np.float32) / k ** 0.5
    blob = "0x04000000" + weight.tobytes().hex().upper()
    tx, tw, to = f"tensor<{m}x{k}xf32>", f"tensor<{k}x{n}xf32>", f"tensor<{m}x{n}xf32>"
    return (f'func.func @main(%x: {tx} {{attnc.name = "x"}}) -> ({to} {{attnc.name = "y"}}) {{\n'
            f'  %w = attn.constant dense_resource<w> : {tw}\n'
            f'  %y = attn.matmul %x, %w : ({tx}, {tw}) -> {to}\n  return %y : {to}\n}}\n'
            f'{{-#\n  dialect_resources: {{\n    builtin: {{\n      w: "{blob}"\n    }}\n  }}\n#-}}\n')


def prepare_attention(attnc, out, device):
    folder = out / "attention"
    folder.mkdir(parents=True)
    cases = []
    for name, b, h, s, t, d, mask, precision, *grouped in CASES:
        kv_heads = grouped[0] if grouped else h
        source = folder / f"{name}.mlir"
        source.write_text(attention_mlir(b, h, s, t, d, mask, kv_heads))
        compile_model(attnc, source, folder / name, [*device, f"--precision={precision}"])
        source.unlink()
        cases.append({"name": name, "batch": b, "heads": h, "kv_heads": kv_heads,
                      "query_len": s, "key_len": t, "head_dim": d, "mask": mask,
                      "window": WINDOW, "precision": precision})
        print(f"attention {name}", flush=True)
    (folder / "cases.json").write_text(json.dumps(cases, indent=1))


def prepare_matmuls(attnc, out, device):
    folder = out / "matmul"
    folder.mkdir(parents=True)
    cases = []
    for seed, (name, m, k, n, precision) in enumerate(MATMULS):
        source = folder / f"{name}.mlir"
        source.write_text(matmul_mlir(m, k, n, seed))
        compile_model(attnc, source, folder / name, [*device, f"--precision={precision}"])
        source.unlink()
        cases.append({"name": name, "m": m, "k": k, "n": n, "precision": precision,
                      "seed": seed})
        print(f"matmul {name}", flush=True)
    (folder / "cases.json").write_text(json.dumps(cases, indent=1))


# The whole-model benchmark: (model, sequence length) of
# make_large_models.py, its weights tiled with this period.
WHOLE_MODELS = [("gpt2_small", 128)]
WEIGHT_PERIOD = 4099


def prepare_whole_models(attnc, out, device):
    with tempfile.TemporaryDirectory() as tmp:
        for model, seq in WHOLE_MODELS:
            subprocess.run(["/usr/bin/python3", str(ROOT / "bench/models/make_large_models.py"),
                            tmp, "--only", model, "--seq", str(seq),
                            "--tiled-weights", str(WEIGHT_PERIOD)],
                           check=True, capture_output=True)
            source = pathlib.Path(tmp) / f"{model}_tiled_{seq}"
            for precision in ("fp32", "fp16"):
                target = out / "whole_model" / f"{model}_{seq}_{precision}"
                target.mkdir(parents=True)
                compile_model(attnc, source / "model.onnx", target / "model",
                              [*device, f"--precision={precision}"], input_shape_flags(source))
                shutil.copytree(source / "test_data_set_0", target / "test_data_set_0")
                (target / "info.json").write_text(json.dumps(
                    {"model": model, "seq": seq, "period": WEIGHT_PERIOD,
                     "precision": precision}))
                print(f"whole model {target.name}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("attnc")
    ap.add_argument("--out", type=pathlib.Path, default=HERE / "prepared")
    ap.add_argument("--gpu", default="sm_90", help="the GPU architecture (H100/H200: sm_90)")
    ap.add_argument("--device", default="cuda", choices=["cuda", "cuda-emulated"])
    ap.add_argument("--no-attention", action="store_true")
    ap.add_argument("--whole-model", action="store_true",
                    help="also GPT-2 small with tiled weights (bench_whole_model.py)")
    args = ap.parse_args()
    device = [f"--device={args.device}"] + ([f"--gpu={args.gpu}"] if args.device == "cuda" else [])
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    prepare_models(args.attnc, args.out, device)
    if not args.no_attention:
        prepare_attention(args.attnc, args.out, device)
        prepare_matmuls(args.attnc, args.out, device)
    if args.whole_model:
        prepare_whole_models(args.attnc, args.out, device)
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    # Each executable repeats the runtime; xz over the whole tree folds
    # that (76 MB -> 9.4 MB), under the device tool's 64 MiB carry limit.
    archive = args.out.with_name(args.out.name + ".tar.xz")
    subprocess.run(f"tar -C '{args.out.parent}' -cf - '{args.out.name}' | xz -9 -T2 > '{archive}'",
                   shell=True, check=True)
    print(f"prepared {args.out} ({size / 1e6:.1f} MB), archived as {archive} "
          f"({archive.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
