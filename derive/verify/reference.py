"""Plain numpy implementations written from the definitions, used as references."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def conv2d(x: Array, w: Array, stride: tuple[int, int] = (1, 1),
           padding: tuple[int, int] = (0, 0)) -> Array:
    """Cross-correlation of one channel, zero padding, computed window by window."""
    xp = np.pad(x, ((padding[0], padding[0]), (padding[1], padding[1])))
    kh, kw = w.shape
    rows = (xp.shape[0] - kh) // stride[0] + 1
    cols = (xp.shape[1] - kw) // stride[1] + 1
    out = np.empty((rows, cols))
    for r in range(rows):
        for c in range(cols):
            window = xp[r * stride[0]: r * stride[0] + kh, c * stride[1]: c * stride[1] + kw]
            out[r, c] = float(np.sum(window * w))
    return out


def conv2d_counting(x_shape: tuple[int, int], w_shape: tuple[int, int],
                    stride: tuple[int, int], padding: tuple[int, int]) -> tuple[int, int]:
    """Multiplications and additions of the naive loop, counted one operation at a time."""
    rows = (x_shape[0] + 2 * padding[0] - w_shape[0]) // stride[0] + 1
    cols = (x_shape[1] + 2 * padding[1] - w_shape[1]) // stride[1] + 1
    mults = adds = 0
    for _ in range(rows * cols):
        for term in range(w_shape[0] * w_shape[1]):
            mults += 1
            if term > 0:
                adds += 1
    return mults, adds


def finite_difference(f: Callable[[Array], float], at: Array, h: float = 1e-6) -> Array:
    """Central differences of a scalar function with respect to every entry of `at`."""
    grad = np.zeros_like(at, dtype=float)
    step = np.zeros_like(at, dtype=float)       # h in one entry at a time
    for idx in np.ndindex(at.shape):
        step[idx] = h
        grad[idx] = (f(at + step) - f(at - step)) / (2 * h)
        step[idx] = 0.0
    return grad


def hessian_fd(f: Callable[[Array], float], at: Array, h: float = 1e-4) -> Array:
    """Second derivatives by central differences of `f` (entries of at flattened)."""
    flat = at.reshape(-1).astype(float)
    n = flat.size
    hess = np.zeros((n, n))

    def g(v: Array) -> float:
        return f(v.reshape(at.shape))

    for a in range(n):
        for b in range(n):
            ea, eb = _unit(n, a, h), _unit(n, b, h)
            hess[a, b] = (g(flat + ea + eb) - g(flat + ea - eb) - g(flat - ea + eb)
                          + g(flat - ea - eb)) / (4 * h * h)
    return hess


def hessian_diagonal_fd(f: Callable[[Array], float], at: Array, h: float = 1e-4) -> Array:
    """The diagonal of `hessian_fd` alone (shaped like `at`), by the same central
    differences with a = b: (f(v + 2h·e) − 2 f(v) + f(v − 2h·e)) / 4h², two evaluations
    of `f` per entry instead of 4n.

    >>> d = hessian_diagonal_fd(lambda v: float(v[0] ** 2 * v[1] + v[1] ** 3), np.array([1., 2.]))
    >>> bool(np.allclose(d, [2 * 2.0, 6 * 2.0]))       # ∂²/∂v₀² = 2v₁, ∂²/∂v₁² = 6v₁
    True
    """
    flat = at.reshape(-1).astype(float)
    n = flat.size

    def g(v: Array) -> float:
        return f(v.reshape(at.shape))

    centre = g(flat)
    diagonal = np.zeros(n)
    ea = np.zeros(n)                            # h in one entry at a time
    for a in range(n):
        ea[a] = h
        diagonal[a] = (g(flat + ea + ea) - centre - centre + g(flat - ea - ea)) / (4 * h * h)
        ea[a] = 0.0
    return diagonal.reshape(at.shape)


def _unit(n: int, a: int, h: float) -> Array:
    """h·e_a in ℝⁿ (the row a of h·I, without building I)."""
    e = np.zeros(n)
    e[a] = h
    return e


def conv2d_transposed(x: Array, w: Array, stride: tuple[int, int] = (1, 1),
                      padding: tuple[int, int] = (0, 0)) -> Array:
    """Each input pixel adds x[r, c]·w into the output at (s·r, s·c), then the padding is cut."""
    kh, kw = w.shape
    full = np.zeros(((x.shape[0] - 1) * stride[0] + kh, (x.shape[1] - 1) * stride[1] + kw))
    for r in range(x.shape[0]):
        for c in range(x.shape[1]):
            rows = slice(r * stride[0], r * stride[0] + kh)
            full[rows, c * stride[1]: c * stride[1] + kw] += x[r, c] * w
    return full[padding[0]: full.shape[0] - padding[0], padding[1]: full.shape[1] - padding[1]]


def conv2d_windows(x: Array, w: Array, stride: tuple[int, int] = (1, 1),
                   padding: tuple[int, int] = (0, 0)) -> Array:
    """`conv2d` vectorised over windows (numpy's sliding_window_view), for large inputs."""
    from numpy.lib.stride_tricks import sliding_window_view

    xp = np.pad(x, ((padding[0], padding[0]), (padding[1], padding[1])))
    windows = sliding_window_view(xp, w.shape)[::stride[0], ::stride[1]]
    return np.einsum("rcab,ab->rc", windows, w)
