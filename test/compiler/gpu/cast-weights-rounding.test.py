import re
import struct
import subprocess
import sys

import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(5)
edges = np.array([0.0, -0.0, 1.0, -1.0, 65504.0, 65519.99, 65520.0, -65520.0, 1e30, np.inf, -np.inf,
                  2.0**-14, 2.0**-24, 2.0**-25, 2.0**-25 * 1.0000001, 3 * 2.0**-26, 2.0**-26, 1e-45,
                  1.0 + 2.0**-11, 1.0 + 3 * 2.0**-11, 1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8,
                  3.4028235e38, -3.4028235e38, 1.17549435e-38, 0.1, -2.5e-5, 6.1e-5], np.float32)
randoms = (rng.standard_normal(20000) * 2.0 ** rng.integers(-40, 40, 20000)).astype(np.float32)
values = np.concatenate([edges, randoms, np.array([np.nan], np.float32)])
n = len(values)
blob = "0x04000000" + values.tobytes().hex().upper()
with open(f"{out}/w.mlir", "w") as f:
    f.write(f"""func.func @f(%x: tensor<1x{n}xf32>, %acc: tensor<1x1xf32>) -> tensor<1x1xf32> {{
  %w = arith.constant dense_resource<w> : tensor<{n}x1xf32>
  %r = linalg.generic {{indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                        affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}}
      ins(%x, %w : tensor<1x{n}xf32>, tensor<{n}x1xf32>) outs(%acc : tensor<1x1xf32>) {{
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }} -> tensor<1x1xf32>
  return %r : tensor<1x1xf32>
}}
{{-#
  dialect_resources: {{ builtin: {{ w: "{blob}" }} }}
#-}}
""")


def converted(precision):
    text = subprocess.run(["attnc-opt", f"{out}/w.mlir", f"-gpu-cast-weights=precision={precision}"],
                          check=True, capture_output=True, text=True).stdout
    hexdata = re.search(rf'weight_{precision}: "0x([0-9A-F]+)"', text).group(1)
    return np.frombuffer(bytes.fromhex(hexdata[8:]), dtype=np.uint16)


def bf16_reference(x):
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    low, high = bits >> 16, (bits >> 16) + 1
    as_float = lambda h: struct.unpack("<f", struct.pack("<I", (h & 0xFFFF) << 16))[0]
    a = float(as_float(low))
    # The upper neighbour of the largest finite bf16 is infinity: its
    # rounding boundary lies at 2^128.
    b = float(as_float(high)) if (high & 0x7FFF) != 0x7F80 else float(np.copysign(2.0**128, x))
    da, db = abs(float(x) - a), abs(float(x) - b)
    pick = low if da < db or (da == db and low % 2 == 0) else high
    return pick & 0xFFFF


finite = ~np.isnan(values)
half = converted("fp16")
want = values.astype(np.float16).view(np.uint16)
bad = np.nonzero(half[finite] != want[finite])[0]
assert bad.size == 0, f"fp16 of {values[finite][bad[0]]!r}: {half[finite][bad[0]]:#06x}, want {want[finite][bad[0]]:#06x}"
assert np.isnan(half[~finite].view(np.float16)).all(), "NaN did not stay NaN in fp16"
print(f"fp16: ok ({finite.sum()} values)")

brain = converted("bf16")
for x, got in zip(values[finite][np.isfinite(values[finite])], brain[finite][np.isfinite(values[finite])]):
    ref = bf16_reference(x)
    assert got == ref, f"bf16 of {x!r}: {got:#06x}, want {ref:#06x}"
infinite = np.isinf(values)
assert (brain[infinite] == np.where(values[infinite] > 0, 0x7F80, 0xFF80)).all(), "bf16 infinities"
assert ((brain[~finite] & 0x7F80) == 0x7F80).all() and ((brain[~finite] & 0x7F) != 0).all(), "bf16 NaN"
print(f"bf16: ok ({finite.sum()} values)")
