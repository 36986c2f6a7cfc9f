#!/usr/bin/env python3
"""Runs `attnc check` over ONNX's own backend node tests for every supported op.

Selects each test directory under /usr/share/libonnx-testdata/data/node whose
graph uses only supported ops, runs them through one `attnc check`, prints
one line per op (`Add: 5/5`) and a total, and compares the failures with
known_failures.txt (each line: test directory name, then the reason). Exits
non-zero when a test fails that is not listed, or a listed one now passes
(so the list stays true).

  onnx_node_tests.py ATTNC [--data DIR] [--only OP ...] [--markdown]
"""
import argparse
import collections
import os
import pathlib
import subprocess
import sys

import onnx

SUPPORTED = """Add Sub Mul Div Pow Sqrt Reciprocal Neg Exp Log Erf Tanh Sigmoid Relu Abs
Max Min Clip Gelu Softmax LogSoftmax MatMul Gemm ReduceMean ReduceSum ReduceMax ReduceMin
CumSum Equal Less Greater LessOrEqual GreaterOrEqual Not And Or Where Reshape Flatten
Transpose Squeeze Unsqueeze Concat Split Slice Gather Expand Tile Shape Size Constant
ConstantOfShape Range Trilu Cast Identity Dropout LayerNormalization RMSNormalization
Attention Conv BatchNormalization""".split()

HERE = pathlib.Path(__file__).resolve().parent


def snake(op):
    out = ""
    for i, c in enumerate(op):
        if c.isupper() and i and not op[i - 1].isupper():
            out += "_"
        out += c.lower()
    return out


def primary_op(name, model):
    """The op a node test is about: named by the test (test_reduce_sum_* is
    ReduceSum, also in its *_expanded form), else its first supported node."""
    kinds = {n.op_type for n in model.graph.node}
    if len(kinds) == 1:
        return kinds.pop()
    stem = name[len("test_"):]
    named = [op for op in SUPPORTED if stem == snake(op) or stem.startswith(snake(op) + "_")]
    if named:
        return max(named, key=len)
    ops = [n.op_type for n in model.graph.node]
    for op in ops:
        if op in SUPPORTED:
            return op
    return ops[0] if ops else None


def select(data_dir, only):
    chosen = {}
    for d in sorted(pathlib.Path(data_dir).iterdir()):
        model_path = d / "model.onnx"
        if not model_path.exists():
            continue
        try:
            model = onnx.load(str(model_path), load_external_data=False)
        except Exception:
            continue
        ops = {n.op_type for n in model.graph.node}
        domains = {n.domain for n in model.graph.node} - {"", "ai.onnx"}
        if not ops or domains or not ops <= set(SUPPORTED):
            continue
        op = primary_op(d.name, model)
        if only and op not in only:
            continue
        chosen[d.name] = (str(d), op)
    return chosen


def known_failures():
    known = {}
    path = HERE / "known_failures.txt"
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, reason = line.partition(" ")
                known[name] = reason.strip()
    return known


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("attnc")
    parser.add_argument("--data", default="/usr/share/libonnx-testdata/data/node")
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()

    tests = select(args.data, set(args.only))
    dirs = [path for path, _ in tests.values()]
    # Batches keep one process from holding every compiled model at once.
    results = {}
    for start in range(0, len(dirs), 64):
        batch = dirs[start:start + 64]
        out = subprocess.run([args.attnc, "check", *batch], capture_output=True, text=True)
        for line in out.stdout.splitlines():
            status, _, rest = line.partition(" ")
            if status in ("PASS", "FAIL"):
                path = rest.split(" ", 1)[0].rstrip(":")
                results[os.path.basename(path)] = (status == "PASS", line)
        for path in batch:
            results.setdefault(os.path.basename(path), (False, "FAIL (attnc crashed: "
                                                        + out.stderr.strip()[-200:] + ")"))

    per_op = collections.defaultdict(lambda: [0, 0])
    for name, (_, op) in tests.items():
        per_op[op][1] += 1
        per_op[op][0] += results[name][0]
    known = known_failures()
    unexpected = [n for n, (ok, _) in results.items() if not ok and n not in known]
    fixed = [n for n in known if n in results and results[n][0]]

    if args.markdown:
        print("| op | passed |")
        print("| --- | --- |")
        for op in SUPPORTED:
            if op in per_op:
                print(f"| {op} | {per_op[op][0]}/{per_op[op][1]} |")
    else:
        for op in SUPPORTED:
            if op in per_op:
                print(f"{op}: {per_op[op][0]}/{per_op[op][1]}")
    passed = sum(ok for ok, _ in results.values())
    print(f"node tests: {passed} passed, {len(results) - passed} failed "
          f"({len(known)} known failures listed)")
    for name in unexpected:
        print("UNEXPECTED " + results[name][1])
    for name in fixed:
        print(f"NOW PASSING (remove from known_failures.txt): {name}")
    return 1 if unexpected or fixed else 0


if __name__ == "__main__":
    sys.exit(main())
