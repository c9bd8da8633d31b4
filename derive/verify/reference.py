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
    for idx in np.ndindex(at.shape):
        step = np.zeros_like(at, dtype=float)
        step[idx] = h
        grad[idx] = (f(at + step) - f(at - step)) / (2 * h)
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
            ea, eb = np.eye(n)[a] * h, np.eye(n)[b] * h
            hess[a, b] = (g(flat + ea + eb) - g(flat + ea - eb) - g(flat - ea + eb)
                          + g(flat - ea - eb)) / (4 * h * h)
    return hess


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
