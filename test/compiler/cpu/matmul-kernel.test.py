"""Writes the ONNX test directories of matmul-kernel.test into argv[1]."""
import pathlib
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = pathlib.Path(sys.argv[1])
rng = np.random.default_rng(7)


def rand(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def write(name, nodes, inputs, outputs, initializers):
    d = out / name
    (d / "test_data_set_0").mkdir(parents=True)
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(v.shape)) for n, v in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(v.shape)) for n, v in outputs],
        [numpy_helper.from_array(v, n) for n, v in initializers])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, str(d / "model.onnx"))
    for kind, tensors in (("input", inputs), ("output", outputs)):
        for i, (n, v) in enumerate(tensors):
            tensor = numpy_helper.from_array(np.ascontiguousarray(v, dtype=np.float32), n)
            (d / "test_data_set_0" / f"{kind}_{i}.pb").write_bytes(tensor.SerializeToString())


def f64(x):
    return x.astype(np.float64)


# nn.Linear on 3-D activations: MatMul + Add, 2 x 13 rows, N = 37.
x, w, b = rand(2, 13, 40), rand(40, 37), rand(37)
write("matmul_bias_add",
      [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("Add", ["h", "b"], ["y"])],
      [("x", x)], [("y", f64(x) @ f64(w) + f64(b))], [("w", w), ("b", b)])

# Gemm with transB and a bias: weight [N, K].
x, w, b = rand(19, 24), rand(45, 24), rand(45)
write("gemm_transb_bias", [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)],
      [("x", x)], [("y", f64(x) @ f64(w).T + f64(b))], [("w", w), ("b", b)])

# A tied weight: logits = h @ Transpose(table).
h, table = rand(1, 7, 32), rand(50, 32)
write("tied_transpose",
      [helper.make_node("Transpose", ["table"], ["t"], perm=[1, 0]),
       helper.make_node("MatMul", ["h", "t"], ["y"])],
      [("h", h)], [("y", f64(h) @ f64(table).T)], [("table", table)])

# A weight given at run time: packed by a loop before the product.
x, w = rand(9, 16), rand(16, 30)
write("runtime_weight", [helper.make_node("MatMul", ["x", "w"], ["y"])],
      [("x", x), ("w", w)], [("y", f64(x) @ f64(w))], [])

# N = 400: on AVX-512 (panels of 3 x 16 columns) the last panel ends on a
# vector's edge, its second and third vectors wholly past N.
x, w = rand(5, 40), rand(40, 400)
write("panel_edge_on_vector", [helper.make_node("MatMul", ["x", "w"], ["y"])],
      [("x", x)], [("y", f64(x) @ f64(w))], [("w", w)])

# Panels that do not split evenly over the tasks (N = 240: 5 panels of 48
# columns for 4 tasks on AVX-512, 15 of 16 on AVX2).
x, w = rand(5, 40), rand(40, 240)
write("uneven_groups", [helper.make_node("MatMul", ["x", "w"], ["y"])],
      [("x", x)], [("y", f64(x) @ f64(w))], [("w", w)])

# Decode: one row.
x, w = rand(1, 64), rand(64, 70)
write("one_row", [helper.make_node("MatMul", ["x", "w"], ["y"])],
      [("x", x)], [("y", f64(x) @ f64(w))], [("w", w)])

# Several k-blocks (K = 2100: 1024-step blocks on a host with 2 MiB of L2,
# 128 on Haswell).
x, w = rand(14, 2100), rand(2100, 33) * np.float32(0.03)
write("deep_k", [helper.make_node("MatMul", ["x", "w"], ["y"])],
      [("x", x)], [("y", f64(x) @ f64(w))], [("w", w)])

# A block's skip connection: r + (x @ w + b) with the residual r an input,
# 2 x 13 rows, N = 37 (the residual read masked in the last panel), and a
# second product whose residual is the first's result (y2 = s @ w2 + s).
x, w, b, r, w2 = rand(2, 13, 40), rand(40, 37), rand(37), rand(2, 13, 37), rand(37, 37)
s64 = f64(r) + (f64(x) @ f64(w) + f64(b))
write("bias_residual",
      [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("Add", ["h", "b"], ["z"]),
       helper.make_node("Add", ["r", "z"], ["s"]), helper.make_node("MatMul", ["s", "w2"], ["h2"]),
       helper.make_node("Add", ["h2", "s"], ["y"])],
      [("x", x), ("r", r)], [("y", s64 @ f64(w2) + s64)], [("w", w), ("b", b), ("w2", w2)])

# An FFN's first half: GELU(x @ w + b) as exporters decompose it, the erf
# form (torch's nn.GELU) with K = 2100 (the activation in the last of
# several k-blocks) and GPT-2's tanh form with K = 40 (one k-block), N = 37.
def erf_gelu(h):
    from math import erf
    return 0.5 * h * (1 + np.vectorize(erf)(h / np.sqrt(2)))


def tanh_gelu(h):
    return 0.5 * h * (1 + np.tanh(np.sqrt(2 / np.pi) * (h + 0.044715 * h ** 3)))


c = lambda name, v: helper.make_node("Constant", [], [name], value=numpy_helper.from_array(
    np.array(v, np.float32), name))
x, w, b = rand(3, 2100), rand(2100, 37) * np.float32(0.03), rand(37)
write("bias_gelu_erf",
      [helper.make_node("MatMul", ["x", "w"], ["h0"]), helper.make_node("Add", ["h0", "b"], ["h"]),
       c("sqrt2", 1.4142135381698608), c("one", 1.0), c("half", 0.5),
       helper.make_node("Div", ["h", "sqrt2"], ["s"]), helper.make_node("Erf", ["s"], ["e"]),
       helper.make_node("Add", ["e", "one"], ["p"]), helper.make_node("Mul", ["h", "p"], ["m"]),
       helper.make_node("Mul", ["m", "half"], ["y"])],
      [("x", x)], [("y", erf_gelu(f64(x) @ f64(w) + f64(b)))], [("w", w), ("b", b)])
x, w, b = rand(2, 5, 40), rand(40, 37), rand(37)
write("bias_gelu_tanh",
      [helper.make_node("MatMul", ["x", "w"], ["h0"]), helper.make_node("Add", ["h0", "b"], ["h"]),
       c("half", 0.5), c("one", 1.0), c("three", 3.0), c("k", 0.044715),
       c("r", 0.7978845608028654),
       helper.make_node("Mul", ["half", "h"], ["hh"]), helper.make_node("Pow", ["h", "three"], ["h3"]),
       helper.make_node("Mul", ["k", "h3"], ["t"]), helper.make_node("Add", ["h", "t"], ["u"]),
       helper.make_node("Mul", ["r", "u"], ["a"]), helper.make_node("Tanh", ["a"], ["th"]),
       helper.make_node("Add", ["one", "th"], ["p"]), helper.make_node("Mul", ["hh", "p"], ["y"])],
      [("x", x)], [("y", tanh_gelu(f64(x) @ f64(w) + f64(b)))], [("w", w), ("b", b)])


# Convolutions as matmuls (im2col): ViT's patch embedding, Whisper's
# strided and padded Conv1d with the GELU after it, a 2-D conv with
# dilation and uneven pads, a run-time weight, and a grouped conv (which
# stays a linalg loop nest).
def conv(x, w, b=None, strides=(1, 1), pads=(0, 0, 0, 0), dilations=(1, 1), groups=1):
    """ONNX Conv in float64, 1-D or 2-D (1-D as 2-D with a unit height)."""
    one_d = x.ndim == 3
    if one_d:
        x, w = x[:, :, None, :], w[:, :, None, :]
        strides, dilations = (1, strides[0]), (1, dilations[0])
        pads = (0, pads[0], 0, pads[1])
    x = np.pad(f64(x), ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    oh = (h - dilations[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (wd - dilations[1] * (kw - 1) - 1) // strides[1] + 1
    y = np.zeros((n, m, oh, ow))
    mg = m // groups
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                window = x[:, g * cg:(g + 1) * cg,
                           i * dilations[0]:i * dilations[0] + strides[0] * (oh - 1) + 1:strides[0],
                           j * dilations[1]:j * dilations[1] + strides[1] * (ow - 1) + 1:strides[1]]
                y[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", window,
                                                       f64(w[g * mg:(g + 1) * mg, :, i, j]))
    if b is not None:
        y += f64(b)[None, :, None, None]
    return y[:, :, 0, :] if one_d else y


x, w, b = rand(1, 3, 32, 32), rand(40, 3, 8, 8) * np.float32(0.1), rand(40)
write("conv_patches", [helper.make_node("Conv", ["x", "w", "b"], ["y"], strides=[8, 8])],
      [("x", x)], [("y", conv(x, w, b, strides=(8, 8)))], [("w", w), ("b", b)])
x, w, b = rand(1, 20, 37), rand(33, 20, 3) * np.float32(0.2), rand(33)
write("conv1d_stride_pad_gelu",
      [helper.make_node("Conv", ["x", "w", "b"], ["h"], strides=[2], pads=[1, 1]),
       c("sqrt2", 1.4142135381698608), c("one", 1.0), c("half", 0.5),
       helper.make_node("Div", ["h", "sqrt2"], ["s"]), helper.make_node("Erf", ["s"], ["e"]),
       helper.make_node("Add", ["e", "one"], ["p"]), helper.make_node("Mul", ["h", "p"], ["m"]),
       helper.make_node("Mul", ["m", "half"], ["y"])],
      [("x", x)], [("y", erf_gelu(conv(x, w, b, strides=(2,), pads=(1, 1))))],
      [("w", w), ("b", b)])
x, w = rand(2, 5, 11, 9), rand(17, 5, 3, 2)
write("conv_dilated_uneven_pads",
      [helper.make_node("Conv", ["x", "w"], ["y"], strides=[1, 2], pads=[2, 0, 1, 1],
                        dilations=[2, 1])],
      [("x", x)], [("y", conv(x, w, strides=(1, 2), pads=(2, 0, 1, 1), dilations=(2, 1)))],
      [("w", w)])
x, w = rand(1, 6, 10), rand(8, 6, 3)
write("conv_runtime_weight", [helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1])],
      [("x", x), ("w", w)], [("y", conv(x, w, pads=(1, 1)))], [])
x, w = rand(1, 8, 12), rand(6, 4, 3)
write("conv_grouped", [helper.make_node("Conv", ["x", "w"], ["y"], group=2)],
      [("x", x)], [("y", conv(x, w, groups=2))], [("w", w)])


def run_on_aarch64(src):
    """Compiles every case for NEON (aarch64, --single-thread), links it
    with the runtime cross-built from `src`, runs it under qemu-aarch64 and
    compares with the stored outputs; prints one PASS/FAIL line per case."""
    import glob
    import subprocess
    cxx, qemu = "aarch64-linux-gnu-g++", ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"]
    sources = sorted(glob.glob(f"{src}/runtime/src/*.cpp") + glob.glob(f"{src}/runtime/io/*.cpp"))
    sources.append(f"{src}/runtime/runner/main.cpp")
    objects = []
    for source in sources:
        obj = out / "runtime" / f"{pathlib.Path(source).parent.name}_{pathlib.Path(source).name}.o"
        obj.parent.mkdir(exist_ok=True)
        subprocess.run([cxx, "-std=c++17", "-O1", "-c", f"-I{src}/runtime/include", f"-I{src}", source,
                        "-o", str(obj)], check=True)
        objects.append(str(obj))
    for case in sorted(p for p in out.iterdir() if (p / "model.onnx").exists()):
        shapes, args = [], []
        for pb in sorted((case / "test_data_set_0").glob("input_*.pb")):
            t = onnx.load_tensor(str(pb))
            shapes.append(f"--input-shape={t.name}={'x'.join(map(str, t.dims))}")
            args += ["--input", f"{t.name}={pb}"]
        subprocess.run(["attnc", "compile", str(case / "model.onnx"), "--emit=obj", "--target",
                        "aarch64-linux-gnu", "--mcpu", "neoverse-n1", "--single-thread", "-o",
                        str(case / "neon.o"), *shapes], check=True)
        subprocess.run([cxx, str(case / "neon.o"), *objects, "-o", str(case / "neon"), "-ldl",
                        "-pthread", "-lm"], check=True)
        subprocess.run(qemu + [str(case / "neon"), *args, "--output-dir", str(case / "neon_out")],
                       check=True, capture_output=True)
        want = onnx.load_tensor(str(case / "test_data_set_0" / "output_0.pb"))
        got = numpy_helper.to_array(onnx.load_tensor(str(case / "neon_out" / f"{want.name}.pb")))
        ok = np.allclose(got, numpy_helper.to_array(want), rtol=1e-4, atol=1e-5)
        print(f"{'PASS' if ok else 'FAIL'} neon {case.name}")


if len(sys.argv) > 2 and sys.argv[2] == "neon":
    run_on_aarch64(sys.argv[3])
