#!/bin/bash
# Registers, spills and shared memory of each of a model's CUDA kernels,
# as ptxas reports them (no GPU needed):
#
#   bash bench/gpu/kernel_resources.sh MODEL PRECISION CHIP [ATTNC]
#
# e.g. `bench/gpu/kernel_resources.sh attention.mlir fp16 sm_90`. It
# compiles MODEL with --device=cuda, takes the kernels in their final LLVM
# form (the last IR dump before gpu-module-to-binary), links libdevice,
# and runs llc and `ptxas -v` on each kernel module in launch order (a
# one-op attention model: with fp16/bf16 the narrowing of K and V, then
# the attention kernel; a decode step's kernel, then its merge).
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
modules = re.findall(r"^  gpu\.module @(\S+) (?:\[[^\n]*\] )?\{\n(.*?)^  \}\n", last, re.S | re.M)
with open(f"{work}/kernels.txt", "w") as names:
    for i, (name, body) in enumerate(modules):
        open(f"{work}/kernel{i}.mlir", "w").write("module {\n" + body + "}\n")
        names.write(f"{i} {name}\n")
PY
while read -r i name; do
  "$llvm/mlir-translate" --mlir-to-llvmir "$work/kernel$i.mlir" -o "$work/kernel$i.ll"
  "$llvm/llvm-link" "$work/kernel$i.ll" "$cuda/nvvm/libdevice/libdevice.10.bc" -only-needed \
    -o "$work/linked$i.bc"
  "$llvm/llc" -mtriple=nvptx64-nvidia-cuda -mcpu="$chip" -mattr=+ptx80 -O3 "$work/linked$i.bc" \
    -o "$work/kernel$i.ptx"
  echo "$name:"
  "$cuda/bin/ptxas" -arch="$chip" -v "$work/kernel$i.ptx" -o "$work/kernel$i.cubin" 2>&1 \
    | grep -E "registers|spill" | sed -E 's/^(ptxas info +: | +)/  /' | head -2
  if [ -n "${KERNEL_PTX_DIR:-}" ]; then cp "$work/kernel$i.ptx" "$KERNEL_PTX_DIR/$name.ptx"; fi
done < "$work/kernels.txt"
