"""Runs an executable that attnc compiled with --device=cuda and reads the
timings it prints (the GPU benchmarks' shared step)."""
import math
import os
import re
import subprocess


def run_timed(exe, inputs, output_dir, repeat, timeout):
    """Runs `exe` --repeat `repeat` on `inputs` ({name: file}), writing its
    outputs into `output_dir`, with ATTNC_CUDA_KERNEL_TIME=1. Returns (the
    median run in ms, the median of its kernels' GPU time per run in ms),
    NaN where the executable printed none; raises RuntimeError with the
    end of its stderr if it fails."""
    args = [str(exe), "--repeat", str(repeat), "--output-dir", str(output_dir)]
    for name, path in inputs.items():
        args += ["--input", f"{name}={path}"]
    # The caller's environment kept: the driver may be found through it.
    env = dict(os.environ, ATTNC_CUDA_KERNEL_TIME="1")
    run = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout)
    if run.returncode:
        raise RuntimeError(run.stderr.strip()[-400:])
    kernel = re.search(r"kernel time per run: median ([0-9.]+) ms", run.stderr)
    wall = re.search(r"median run time: ([0-9.]+) ms", run.stdout)
    return (float(wall.group(1)) if wall else math.nan,
            float(kernel.group(1)) if kernel else math.nan)
