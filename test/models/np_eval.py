#!/usr/bin/python3
"""Tiny NumPy interpreter for the ONNX op subset used by generate.py's models.

onnx 1.12 has no reference evaluator and onnxruntime is not installed, so this
is the independent check that each exported graph, run on *every* data set
(including the ones at a different sequence length than the traced example),
reproduces PyTorch's outputs.  It is a test aid only: no performance, and only
the attributes/forms the PyTorch 1.13 exporter emits are handled.

Usage:
    /usr/bin/python3 test/models/np_eval.py OUT_DIR [--only NAME ...] [--atol 1e-4]
"""

import argparse
import glob
import math
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, a):
    nd = x.ndim - 2
    strides = a.get("strides", [1] * nd)
    pads = a.get("pads", [0] * (2 * nd))
    dil = a.get("dilations", [1] * nd)
    if a.get("group", 1) != 1 or any(d != 1 for d in dil):
        raise NotImplementedError("Conv: group/dilation")
    x = np.pad(x, [(0, 0), (0, 0)] + [(pads[i], pads[i + nd]) for i in range(nd)])
    ks = w.shape[2:]
    out_sp = [(x.shape[2 + i] - ks[i]) // strides[i] + 1 for i in range(nd)]
    y = np.zeros((x.shape[0], w.shape[0], *out_sp), dtype=np.float64)
    for idx in np.ndindex(*ks):
        sl = tuple(slice(idx[i], idx[i] + strides[i] * (out_sp[i] - 1) + 1, strides[i]) for i in range(nd))
        patch = x[(slice(None), slice(None)) + sl]            # N, C, *out
        y += np.einsum("nc...,oc->no...", patch, w[(slice(None), slice(None)) + idx])
    if b is not None:
        y += b.reshape((1, -1) + (1,) * nd)
    return y.astype(x.dtype)


def _slice(x, starts, ends, axes=None, steps=None):
    axes = list(range(len(starts))) if axes is None else [int(a) % x.ndim for a in axes]
    steps = [1] * len(starts) if steps is None else steps
    sl = [slice(None)] * x.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        sl[ax] = slice(int(s), int(e), int(st))
    return x[tuple(sl)]


def _reshape(x, shape):
    shape = [int(d) for d in shape]
    shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    return x.reshape(shape)


def _softmax(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=axis, keepdims=True)


def _layernorm(x, scale, bias, a):
    axis = a.get("axis", -1) % x.ndim
    axes = tuple(range(axis, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + a.get("epsilon", 1e-5)) * scale
    return y + bias if bias is not None else y


def _trilu(x, k, a):
    k = 0 if k is None else int(k)
    return np.triu(x, k) if a.get("upper", 1) else np.tril(x, k)


def _gemm(A, B, C, a):
    if a.get("transA", 0):
        A = A.T
    if a.get("transB", 0):
        B = B.T
    y = a.get("alpha", 1.0) * (A @ B)
    if C is not None:
        y = y + a.get("beta", 1.0) * C
    return y.astype(A.dtype)


def _split(x, split, a, n_out):
    axis = a.get("axis", 0)
    if split is None:
        split = a.get("split")
    if split is None:
        split = [x.shape[axis] // n_out] * n_out
    idx = np.cumsum(split)[:-1]
    return np.split(x, idx, axis=axis)


def _expand(x, shape):
    return np.broadcast_to(x, np.broadcast_shapes(x.shape, tuple(int(d) for d in shape))).copy()


def _reduce(op, ins, a):
    # axes: an attribute up to ReduceSum-11 / ReduceMean-17 / ReduceMax-17, an
    # optional second input from ReduceSum-13 on.
    axes = ins[1] if len(ins) > 1 and ins[1] is not None else a.get("axes")
    keepdims = bool(a.get("keepdims", 1))
    if axes is None or len(axes) == 0:
        if op == "ReduceSum" and a.get("noop_with_empty_axes", 0):
            return ins[0]
        axes = None
    else:
        axes = tuple(int(x) for x in axes)
    fn = {"ReduceMean": np.mean, "ReduceSum": np.sum, "ReduceMax": np.max}[op]
    return np.asarray(fn(ins[0], axis=axes, keepdims=keepdims)).astype(ins[0].dtype)


def run_node(node, ins):
    a = _attrs(node)
    op = node.op_type
    f32 = lambda y, ref: y.astype(ref.dtype)  # noqa: E731
    if op == "Add": return [ins[0] + ins[1]]
    if op == "Sub": return [ins[0] - ins[1]]
    if op == "Mul": return [ins[0] * ins[1]]
    if op == "Div":
        if np.issubdtype(ins[0].dtype, np.integer):
            return [(ins[0] // ins[1]).astype(ins[0].dtype)]
        return [ins[0] / ins[1]]
    if op == "Pow": return [f32(np.power(ins[0], ins[1]), ins[0])]
    if op == "Sqrt": return [np.sqrt(ins[0])]
    if op == "Neg": return [-ins[0]]
    if op == "Tanh": return [np.tanh(ins[0])]
    if op == "Erf": return [f32(_erf(ins[0]), ins[0])]
    if op == "Sigmoid": return [f32(1.0 / (1.0 + np.exp(-ins[0].astype(np.float64))), ins[0])]
    if op == "Relu": return [np.maximum(ins[0], 0).astype(ins[0].dtype)]
    if op == "Exp": return [np.exp(ins[0])]
    if op == "Log": return [np.log(ins[0])]
    if op == "Cos": return [np.cos(ins[0])]
    if op == "Sin": return [np.sin(ins[0])]
    if op == "Reciprocal": return [1.0 / ins[0]]
    if op == "Not": return [np.logical_not(ins[0])]
    if op == "And": return [np.logical_and(ins[0], ins[1])]
    if op == "Or": return [np.logical_or(ins[0], ins[1])]
    if op == "Equal": return [np.equal(ins[0], ins[1])]
    if op == "Less": return [np.less(ins[0], ins[1])]
    if op == "LessOrEqual": return [np.less_equal(ins[0], ins[1])]
    if op == "Greater": return [np.greater(ins[0], ins[1])]
    if op == "GreaterOrEqual": return [np.greater_equal(ins[0], ins[1])]
    if op == "Where": return [np.where(ins[0], ins[1], ins[2])]
    if op == "MatMul": return [np.matmul(ins[0], ins[1])]
    if op == "Gemm": return [_gemm(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)]
    if op == "Conv": return [_conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)]
    if op == "Softmax": return [_softmax(ins[0], a.get("axis", -1))]
    if op == "LayerNormalization": return [_layernorm(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)]
    if op in ("ReduceMean", "ReduceSum", "ReduceMax"):
        return [_reduce(op, ins, a)]
    if op == "Cast": return [ins[0].astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])]
    if op == "Constant": return [numpy_helper.to_array(a["value"])]
    if op == "ConstantOfShape":
        v = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
        return [np.full(tuple(int(d) for d in ins[0]), v.reshape(-1)[0], dtype=v.dtype)]
    if op == "Shape": return [np.array(ins[0].shape, dtype=np.int64)]
    if op == "Gather":
        return [np.take(ins[0], ins[1].astype(np.int64), axis=a.get("axis", 0))]
    if op == "Reshape": return [_reshape(ins[0], ins[1])]
    if op == "Transpose":
        return [np.transpose(ins[0], a.get("perm"))]
    if op == "Unsqueeze":
        out = ins[0]
        axes = sorted(int(x) % (out.ndim + len(ins[1])) for x in ins[1])
        for ax in axes:
            out = np.expand_dims(out, ax)
        return [out]
    if op == "Squeeze":
        if len(ins) > 1 and ins[1] is not None:
            return [np.squeeze(ins[0], axis=tuple(int(x) for x in ins[1]))]
        return [np.squeeze(ins[0])]
    if op == "Concat": return [np.concatenate(ins, axis=a["axis"])]
    if op == "Slice":
        return [_slice(ins[0], ins[1], ins[2], ins[3] if len(ins) > 3 else None,
                       ins[4] if len(ins) > 4 else None)]
    if op == "Split":
        return _split(ins[0], ins[1] if len(ins) > 1 else None, a, len(node.output))
    if op == "Expand": return [_expand(ins[0], ins[1])]
    if op == "Tile": return [np.tile(ins[0], tuple(int(r) for r in ins[1]))]
    if op == "Range":
        return [np.arange(ins[0], ins[1], ins[2]).astype(ins[0].dtype)]
    if op == "Trilu": return [_trilu(ins[0], ins[1] if len(ins) > 1 else None, a)]
    raise NotImplementedError(f"op {op}")


def run_model(model, feeds):
    env = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    env.update(feeds)
    for node in model.graph.node:
        ins = [env[n] if n else None for n in node.input]
        # -inf masks are part of the models: finfo.min + finfo.min overflowing
        # to -inf, log(0), exp(-inf) are expected, not worth a warning.
        with np.errstate(over="ignore", divide="ignore"):
            outs = run_node(node, ins)
        for name, val in zip(node.output, outs):
            if name:
                env[name] = np.asarray(val)
    return [env[o.name] for o in model.graph.output]


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t.name, numpy_helper.to_array(t)


def check_dir(mdir, atol, rtol):
    model = onnx.load(os.path.join(mdir, "model.onnx"))
    ok = True
    for ddir in sorted(glob.glob(os.path.join(mdir, "test_data_set_*"))):
        feeds = dict(load_pb(p) for p in sorted(glob.glob(os.path.join(ddir, "input_*.pb"))))
        expected = [load_pb(p) for p in sorted(glob.glob(os.path.join(ddir, "output_*.pb")))]
        got = run_model(model, feeds)
        for (name, exp), g in zip(expected, got):
            shape_ok = exp.shape == g.shape
            err = float(np.max(np.abs(exp.astype(np.float64) - g))) if shape_ok else float("inf")
            good = shape_ok and np.allclose(g, exp, atol=atol, rtol=rtol)
            ok &= good
            print(f"  {os.path.basename(ddir)} {name:18s} shape {str(exp.shape):16s} "
                  f"max|err| {err:.2e} {'ok' if good else 'MISMATCH'}")
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--only", nargs="+")
    ap.add_argument("--atol", type=float, default=1e-4)
    ap.add_argument("--rtol", type=float, default=1e-4)
    args = ap.parse_args()
    names = args.only or sorted(d for d in os.listdir(args.out_dir)
                                if os.path.isfile(os.path.join(args.out_dir, d, "model.onnx")))
    failed = []
    for n in names:
        print(n)
        if not check_dir(os.path.join(args.out_dir, n), args.atol, args.rtol):
            failed.append(n)
    print("FAILED: " + " ".join(failed) if failed else f"all {len(names)} models match")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
