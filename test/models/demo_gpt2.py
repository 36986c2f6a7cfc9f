#!/usr/bin/env python3
"""The README's main job: compile the bundled GPT-2-style model and run it.

  demo_gpt2.py ATTNC WORK_DIR

Generates the small GPT-2-style model (test/models/generate.py, fixed
seeds), compiles it with `attnc compile` into a native executable, runs it
on the stored token ids, and prints the top-5 next tokens, the compile and
run times, and the max error against torch's stored reference logits.
"""
import pathlib
import re
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper

HERE = pathlib.Path(__file__).resolve().parent


def main():
    attnc, work = sys.argv[1], pathlib.Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(HERE / "generate.py"), str(work), "--only", "gpt2"],
                   check=True, stdout=subprocess.DEVNULL)
    model = work / "gpt2"
    data = model / "test_data_set_0"
    ids = numpy_helper.to_array(onnx.load_tensor(str(data / "input_0.pb")))
    want = numpy_helper.to_array(onnx.load_tensor(str(data / "output_0.pb")))
    exe = model / "gpt2"
    start = time.perf_counter()
    subprocess.run([attnc, "compile", str(model / "model.onnx"), "-o", str(exe),
                    f"--input-shape=input_ids={'x'.join(map(str, ids.shape))}"], check=True)
    compile_s = time.perf_counter() - start
    out_dir = model / "out"
    run = subprocess.run([str(exe), "--input", f"input_ids={data / 'input_0.pb'}",
                          "--output-dir", str(out_dir), "--repeat", "20"],
                         check=True, capture_output=True, text=True)
    got = numpy_helper.to_array(onnx.load_tensor(str(out_dir / "logits.pb")))
    median_ms = float(re.search(r"median run time: ([0-9.]+) ms", run.stdout).group(1))
    last = got[0, -1]
    top5 = np.argsort(-last)[:5]
    print(f"input token ids: {ids[0].tolist()}")
    print("top-5 next tokens: " + ", ".join(f"{t} (logit {last[t]:.3f})" for t in top5))
    print(f"compile time: {compile_s:.2f} s; run time: {median_ms:.3f} ms (median of 20)")
    print(f"max abs error vs torch reference: {np.abs(got - want).max():.2e}")


if __name__ == "__main__":
    main()
