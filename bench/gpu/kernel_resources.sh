#!/bin/bash
# Registers, spills and shared memory of a model's first CUDA kernel, as
# ptxas reports them (no GPU needed):
#
#   bash bench/gpu/kernel_resources.sh MODEL PRECISION CHIP [ATTNC]
#
# e.g. `bench/gpu/kernel_resources.sh attention.mlir fp16 sm_90`. It
# compiles MODEL with --device=cuda, takes the kernels in their final LLVM
# form (the last IR dump before gpu-module-to-binary), links libdevice,
# and runs llc and `ptxas -v` on the first kernel module (the product or
# the attention kernel of a one-op model).
set -euo pipefail
model=${1:?usage: kernel_resources.sh MODEL PRECISION CHIP [ATTNC]}
precision=${2:?}
chip=${3:?}
attnc=${4:-build/bin/attnc}
llvm=/usr/lib/llvm-22/bin
cuda=${CUDA_HOME:-/usr/local/cuda}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$attnc" compile "$model" -o "$work/exe" --device=cuda --gpu "$chip" \
  --precision="$precision" --mlir-print-ir-after-all 2> "$work/dump.mlir"
/usr/bin/python3 - "$work" <<'PY'
import re
import sys
work = sys.argv[1]
dumps = open(f"{work}/dump.mlir").read().split("// -----// IR Dump After")[1:]
last = [d for d in dumps if "gpu.module" in d][-1].split("\n", 1)[1]
first = re.search(r"^  gpu\.module @\S+ (?:\[[^\n]*\] )?\{\n(.*?)^  \}\n", last, re.S | re.M)
open(f"{work}/kernel.mlir", "w").write("module {\n" + first.group(1) + "}\n")
PY
"$llvm/mlir-translate" --mlir-to-llvmir "$work/kernel.mlir" -o "$work/kernel.ll"
"$llvm/llvm-link" "$work/kernel.ll" "$cuda/nvvm/libdevice/libdevice.10.bc" -only-needed \
  -o "$work/linked.bc"
"$llvm/llc" -mtriple=nvptx64-nvidia-cuda -mcpu="$chip" -mattr=+ptx80 -O3 "$work/linked.bc" \
  -o "$work/kernel.ptx"
"$cuda/bin/ptxas" -arch="$chip" -v "$work/kernel.ptx" -o "$work/kernel.cubin" 2>&1 \
  | grep -E "registers|spill" | sed -E 's/^ptxas info +: //' | head -2
