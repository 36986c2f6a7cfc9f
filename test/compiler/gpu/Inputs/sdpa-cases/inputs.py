import sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(11)
shapes = {"q1": (1, 2, 100, 16), "k1": (1, 2, 100, 16), "v1": (1, 2, 100, 16),
          "q2": (2, 37, 4, 16), "k2": (2, 53, 2, 16), "v2": (2, 53, 2, 8),
          "q3": (1, 1, 20, 8), "k3": (1, 1, 12, 8), "v3": (1, 1, 12, 8),
          "q4": (1, 3, 1, 32), "k4": (1, 3, 70, 32), "v4": (1, 3, 70, 32),
          "q5": (2, 4, 3, 16), "k5": (2, 2, 40, 16), "v5": (2, 2, 40, 16),
          "q6": (2, 4, 9, 16), "k6": (2, 4, 9, 16), "v6": (2, 4, 9, 16),
          "q7": (1, 4, 1, 16), "k7": (1, 2, 600, 16), "v7": (1, 2, 600, 16),
          "q8": (2, 2, 70, 64), "k8": (2, 2, 150, 64), "v8": (2, 2, 150, 64),
          "q9": (1, 2, 256, 32), "k9": (1, 2, 256, 32), "v9": (1, 2, 256, 32),
          "q10": (1, 2, 96, 32), "k10": (1, 2, 192, 32), "v10": (1, 2, 192, 32),
          "q11": (2, 4, 2, 80), "k11": (2, 1, 333, 80), "v11": (2, 1, 333, 48)}
for name, shape in shapes.items():
    np.save(f"{d}/{name}.npy", rng.standard_normal(shape).astype(np.float32))
# Decoding: 3 new rows after 37 (row 0) and 30 (row 1) cached positions,
# some keys hidden by the padding mask; an additive padding bias.
np.save(f"{d}/past.npy", np.array([37, 30], np.int64))
keep = np.ones((2, 40), bool)
keep[0, 30:33] = False
keep[1, 33:] = False
np.save(f"{d}/keep.npy", keep)
bias = np.zeros((2, 9), np.float32)
bias[1, 6:] = -1e9
bias[0, 2] = 0.5
np.save(f"{d}/bias.npy", bias)
# BERT's padding: the second row's last 40 keys at finfo.min, a few
# biases elsewhere (in whole tiles of the tensor-core kernel too).
bias8 = np.zeros((2, 150), np.float32)
bias8[1, 110:] = np.finfo(np.float32).min
bias8[0, [3, 70, 140]] = [0.5, -2.0, 1.0]
np.save(f"{d}/bias8.npy", bias8)
# Keys hidden across whole tiles: some in the first, a run in the second.
keep10 = np.ones((1, 192), bool)
keep10[0, [5, 17]] = False
keep10[0, 90:130] = False
np.save(f"{d}/keep10.npy", keep10)
# A decode step of two queries for a group of four heads, head dims that
# are not multiples of a warp: the first batch row after 331 cached
# positions, some keys at -inf (from the first of its range: a part's
# first scores) or finfo.min through the bias; the second row's queries
# stand past every key of their window (rows with no key: zeros).
np.save(f"{d}/past11.npy", np.array([331, 700], np.int64))
bias11 = np.zeros((2, 333), np.float32)
bias11[0, 31:45] = -np.inf
bias11[0, 200] = np.finfo(np.float32).min
bias11[0, 331] = 2.0
np.save(f"{d}/bias11.npy", bias11)
