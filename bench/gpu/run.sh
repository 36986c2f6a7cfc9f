#!/bin/bash
# The GPU checks and benchmark, in one go, on a machine with an NVIDIA GPU
# (H100/H200, CUDA driver, python3 with torch, numpy and onnx):
#
#   bash bench/gpu/run.sh RESULTS_DIR [PREPARED_DIR]
#
# Nothing is built there (attnc needs LLVM/MLIR 22, which those machines
# lack): first, here, `/usr/bin/python3 bench/gpu/prepare.py build/bin/attnc`
# compiles every repository model, the attention and matmul cases with
# --device=cuda into bench/gpu/prepared and archives it as
# bench/gpu/prepared.tar.xz (git-ignored: carry the archive; this script
# unpacks it when the folder is missing). Then this script, within 8
# minutes (each step's timeout below; together 480 s, plus unpacking):
#   1. RESULTS_DIR/machine.txt: the GPU, driver and toolkit;
#   2. RESULTS_DIR/models.txt: every model on the GPU against torch's
#      outputs (check_models.py, rtol = atol = 1e-4), then four with their
#      weights in fp16 (within 2e-3 of each output's largest magnitude),
#      then four compiled once with run-time dims, at every data set's
#      length;
#   3. RESULTS_DIR/attention.md: the attention kernels (tensor cores in
#      fp16/bf16, CUDA cores in fp32) against torch's SDPA
#      (bench_attention.py), kernel times and errors;
#   4. RESULTS_DIR/matmul.md: the matmul kernels (tensor cores in fp16, CUDA
#      cores in fp32) against torch.matmul (bench_matmul.py);
#   5. RESULTS_DIR/whole_model.md, if prepare.py ran with --whole-model:
#      GPT-2 small at S = 128, fp32 and fp16, attnc against torch on this
#      GPU (bench_whole_model.py).
# It exits non-zero if a model fails; the benchmark table says which cases
# failed in their rows.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
results=${1:?usage: run.sh RESULTS_DIR [PREPARED_DIR]}
prepared=${2:-$here/prepared}
mkdir -p "$results"
# What travelled as prepare.py's archive is unpacked beside it first.
if [ ! -d "$prepared/models" ] && [ -f "$prepared.tar.xz" ]; then
  tar -C "$(dirname "$prepared")" -xJf "$prepared.tar.xz"
fi
if [ ! -d "$prepared/models" ] || [ ! -d "$prepared/attention" ]; then
  echo "run.sh: no prepared models in $prepared: run bench/gpu/prepare.py where attnc builds" >&2
  exit 2
fi
python=${PYTHON:-python3}
export PYTHONUNBUFFERED=1

{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
  nvcc --version 2>&1 | tail -1
  $python -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())" 2>&1
} | tee "$results/machine.txt"

status=0
timeout 120 $python "$here/check_models.py" "$prepared/models" | tee "$results/models.txt" || status=1
if [ -d "$prepared/models_fp16" ]; then
  echo "--- weights in fp16 (--precision=fp16), atol 2e-3 of each output's largest magnitude" \
    | tee -a "$results/models.txt"
  timeout 45 $python "$here/check_models.py" "$prepared/models_fp16" --rtol 0 --atol 2e-3 \
    --of-largest | tee -a "$results/models.txt" || status=1
fi
if [ -d "$prepared/models_runtime" ]; then
  echo "--- compiled once with run-time dims (--max-shape), every data set's length" \
    | tee -a "$results/models.txt"
  timeout 20 $python "$here/check_models.py" "$prepared/models_runtime" \
    | tee -a "$results/models.txt" || status=1
fi
if [ -d "$prepared/matmul" ]; then
  timeout 40 $python "$here/bench_matmul.py" "$prepared/matmul" --repeat 5 \
    | tee "$results/matmul.md" || true
fi
timeout 180 $python "$here/bench_attention.py" "$prepared/attention" --repeat 5 \
  | tee "$results/attention.md" || true
if [ -d "$prepared/whole_model" ]; then
  timeout 75 $python "$here/bench_whole_model.py" "$prepared/whole_model" --repeat 10 \
    | tee "$results/whole_model.md" || true
fi
exit $status
