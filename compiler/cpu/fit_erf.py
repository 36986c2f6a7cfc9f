#!/usr/bin/python3
"""Fits the rational erf that cpu-approximate-math emits (ApproximateMath.cpp).

erf(x) ~ x * P(x^2) / Q(x^2) for |x| <= CLAMP, with P of degree 5 and Q of
degree 5 (Q(0) = 1), fitted by weighted linear least squares on f * Q - x * P
with the weights moved towards the largest errors (Lawson's iteration, a
near-minimax fit). Prints the coefficients and the largest absolute error
of the f32 evaluation (f32 coefficients, Horner in f32, as the kernel does
it) over [-6, 6]; past CLAMP erf rounds to +-1 in f32.

    /usr/bin/python3 compiler/cpu/fit_erf.py
"""
import math

import numpy as np

CLAMP = 3.92
P_TERMS, Q_TERMS = 6, 6


def fit(iterations=60):
    x = np.concatenate([np.cos(np.linspace(0, np.pi, 4000)) * CLAMP / 2 + CLAMP / 2,
                        np.linspace(0, CLAMP, 4000)])
    t, f = x * x, np.array([math.erf(v) for v in x])
    weight, q_values = np.ones_like(x), np.ones_like(x)
    for _ in range(iterations):
        # Unknowns p0..p5, q1..q5: f = x P(t) - f (Q(t) - 1), scaled by 1 / Q.
        a = np.hstack([np.stack([x * t**i for i in range(P_TERMS)], 1),
                       np.stack([-f * t**j for j in range(1, Q_TERMS)], 1)])
        scale = np.sqrt(weight) / q_values
        solution = np.linalg.lstsq(a * scale[:, None], f * scale, rcond=None)[0]
        p, q = solution[:P_TERMS], np.concatenate([[1.0], solution[P_TERMS:]])
        q_values = np.polynomial.polynomial.polyval(t, q)
        error = np.abs(x * np.polynomial.polynomial.polyval(t, p) / q_values - f)
        weight *= error / error.max() + 1e-3
        weight /= weight.sum()
    return p.astype(np.float32), q.astype(np.float32)


def evaluate_f32(p, q, x):
    x = np.clip(x, np.float32(-CLAMP), np.float32(CLAMP))
    t = x * x
    num, den = p[-1], q[-1]
    for a in p[-2::-1]:
        num = num * t + a
    for a in q[-2::-1]:
        den = den * t + a
    return np.clip(x * num / den, np.float32(-1), np.float32(1))


def main():
    p, q = fit()
    x = np.linspace(-6, 6, 600001, dtype=np.float32)
    want = np.array([math.erf(float(v)) for v in x])
    error = np.abs(evaluate_f32(p, q, x).astype(np.float64) - want)
    print("P:", ", ".join(f"{v:.9g}f" for v in p))
    print("Q:", ", ".join(f"{v:.9g}f" for v in q))
    print(f"largest absolute error over [-6, 6] in f32: {error.max():.3g} at x = {x[error.argmax()]:.6g}")


if __name__ == "__main__":
    main()
