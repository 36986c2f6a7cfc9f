"""compare.py DIR KERNEL_OUT TOLERANCE: the outputs in DIR/KERNEL_OUT (the
CUDA kernel, emulated or on a GPU) against numpy and against DIR/cpu_out
(the CPU backend), relative to each output's largest magnitude."""
import sys
import numpy as np
d, kernel_out, tolerance = sys.argv[1], sys.argv[2], float(sys.argv[3])
load = lambda name: np.load(f"{d}/{name}.npy").astype(np.float64)


def sdpa(q, k, v, scale, left, right, offset=None, keep=None, bias=None):
    """q [B, H, S, D], k/v [B, Hkv, T, *]; query i at position offset[b] + i;
    keep [B, T] hides keys, bias [B, T] is added to their scores; rows that
    see no key are zero."""
    group = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
    s = np.einsum("bhid,bhjd->bhij", q, k) * scale
    if bias is not None:
        s = s + bias[:, None, None, :]
    offset = np.zeros(q.shape[0], np.int64) if offset is None else offset
    i = np.arange(q.shape[2])[None, :, None] + offset[:, None, None]
    j = np.arange(k.shape[2])[None, None, :]
    visible = np.ones((q.shape[0], q.shape[2], k.shape[2]), bool)
    if left is not None:
        visible &= j >= i - left
    if right is not None:
        visible &= j <= i + right
    if keep is not None:
        visible &= keep[:, None, :]
    visible = visible[:, None]
    s = np.where(visible, s, -np.inf)
    top = np.max(s, axis=-1, keepdims=True)
    p = np.where(visible, np.exp(s - np.where(np.isfinite(top), top, 0)), 0)
    total = p.sum(-1, keepdims=True)
    return np.where(total > 0, (p / np.where(total > 0, total, 1)) @ v, 0)


seq_major = lambda x: x.transpose(0, 2, 1, 3)
expected = {
    "causal": sdpa(load("q1"), load("k1"), load("v1"), 0.25, None, 0),
    "gqa_window": seq_major(sdpa(seq_major(load("q2")), seq_major(load("k2")),
                                 seq_major(load("v2")), 0.25, 5, 3)),
    "empty_rows": sdpa(load("q3"), load("k3"), load("v3"), 0.5, 0, 0),
    "one_query": sdpa(load("q4"), load("k4"), load("v4"), 0.17677669, None, None),
    "decode_masked": sdpa(load("q5"), load("k5"), load("v5"), 0.25, 20, 0,
                          offset=np.load(f"{d}/past.npy"), keep=np.load(f"{d}/keep.npy")),
    "padding_bias": sdpa(load("q6"), load("k6"), load("v6"), 0.25, None, None,
                         bias=load("bias")),
    "long_decode": sdpa(load("q7"), load("k7"), load("v7"), 0.25, None, None),
    "padded_keys": sdpa(load("q8"), load("k8"), load("v8"), 0.125, None, None,
                        bias=load("bias8")),
    "wide_window": sdpa(load("q9"), load("k9"), load("v9"), 0.17677669, 160, 64),
    "whole_tiles": sdpa(load("q10"), load("k10"), load("v10"), 0.17677669, None, None,
                        keep=np.load(f"{d}/keep10.npy")),
    "decode_bias": sdpa(load("q11"), load("k11"), load("v11"), 0.11180340, 300, 0,
                        offset=np.load(f"{d}/past11.npy"), bias=load("bias11")),
}
for name, want in expected.items():
    got = np.load(f"{d}/{kernel_out}/{name}.npy")
    cpu = np.load(f"{d}/cpu_out/{name}.npy")
    error = np.abs(got - want).max() / max(np.abs(want).max(), 1e-30)
    print(f"{name}: kernel vs numpy {'ok' if error < tolerance else f'FAILED (relative error {error:.3g})'}")
    if name == "empty_rows":
        ok = np.all(got[:, :, 12:, :] == 0) and np.all(np.abs(got[:, :, :12, :]).sum(-1) > 0)
        print(f"{name}: rows with no key are {'zero' if ok else 'NOT zero (FAILED)'}")
    if name == "decode_bias":
        ok = np.all(got[1] == 0) and np.all(np.abs(got[0]).sum(-1) > 0)
        print(f"{name}: rows with no key are {'zero' if ok else 'NOT zero (FAILED)'}")
    error = np.abs(got - cpu).max() / max(np.abs(cpu).max(), 1e-30)
    print(f"{name}: kernel vs cpu {'ok' if error < tolerance else f'FAILED (relative error {error:.3g})'}")
