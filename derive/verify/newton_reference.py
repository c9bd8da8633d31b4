"""Independent numbers for Newton's step: the quadratic model evaluated in numpy, its
gradient by central differences, its minimiser by conjugate gradients (cross-checked with
`numpy.linalg.solve`), eigenvalues by `numpy.linalg.eigvalsh`, and parameter counts from
numpy arrays of the layers' shapes. Imports no model.

>>> H, g, wt = np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([2.0, 4.0]), np.zeros(2)
>>> minimiser(H, g, wt)
array([-1., -1.])
>>> float(model(minimiser(H, g, wt), 0.0, g, H, wt))
-3.0
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def model(v: Array, f_t: float, g: Array, H: Array, wt: Array) -> float:
    """m(v) = f_t + (v − wt)·g + ½ (v − wt)·H(v − wt), from the definition."""
    s = v - wt
    return float(f_t + s @ g + 0.5 * s @ H @ s)


def central_gradient(f: Callable[[Array], float], x: Array, h: float = 1e-5) -> Array:
    """∇f(x) by central differences, one coordinate at a time (exact on quadratics up to
    rounding)."""
    out = np.empty_like(x, dtype=float)
    for i in range(x.size):
        e = np.zeros_like(x, dtype=float)
        e[i] = h
        out[i] = (f(x + e) - f(x - e)) / (2 * h)
    return out


def conjugate_gradient(H: Array, b: Array, tol: float = 1e-13) -> Array:
    """x with Hx = b for a symmetric positive definite H, by conjugate gradients (at most
    n steps in exact arithmetic; a few more allowed for rounding)."""
    x = np.zeros_like(b, dtype=float)
    r = b - H @ x
    p = r.copy()
    for _ in range(4 * b.size + 4):
        if np.linalg.norm(r) <= tol * max(1.0, float(np.linalg.norm(b))):
            break
        step = (r @ r) / (p @ H @ p)
        x = x + step * p
        r_new = r - step * (H @ p)
        p = r_new + ((r_new @ r_new) / (r @ r)) * p
        r = r_new
    return x


def minimiser(H: Array, g: Array, wt: Array) -> Array:
    """The minimiser of the model by CG on ∇m = 0, i.e. H(v − wt) = −g; raises if it
    differs from numpy's direct solve, or if a random nearby point has a lower model value."""
    v = wt + conjugate_gradient(H, -g)
    direct = wt - np.linalg.solve(H, g)
    if not np.allclose(v, direct, rtol=1e-8, atol=1e-10):
        raise AssertionError(f"conjugate gradients {v} and numpy.linalg.solve {direct} differ")
    rng = np.random.default_rng(0)
    here = model(v, 0.0, g, H, wt)
    for _ in range(8):
        nearby = v + 1e-3 * rng.standard_normal(v.shape)
        if model(nearby, 0.0, g, H, wt) < here - 1e-12 * max(1.0, abs(here)):
            raise AssertionError("a nearby point has a lower model value")
    return v


def eigenvalues(H: Array) -> Array:
    return np.asarray(np.linalg.eigvalsh(H), dtype=np.float64)


def parameters_of(widths: Sequence[int]) -> int:
    """Weights and biases of a fully connected network of these widths, counted as the sizes
    of numpy arrays of the layers' shapes (broadcast views: nothing allocated)."""
    total = 0
    for fan_in, fan_out in itertools.pairwise(widths):
        weights = np.broadcast_to(np.zeros(()), (fan_in, fan_out))
        bias = np.broadcast_to(np.zeros(()), (fan_out,))
        total += int(weights.size) + int(bias.size)
    return total
