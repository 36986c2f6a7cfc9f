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
          "q7": (1, 4, 1, 16), "k7": (1, 2, 600, 16), "v7": (1, 2, 600, 16)}
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
