"""Derivatives of a scalar function by numbers alone: central differences extrapolated
(Richardson), from the function's values only. The references of `function.derivatives`
call these on the function lambdified from the parsed expression, never on a derivative.

>>> import numpy as np
>>> f = lambda x: x[0] ** 2 * x[1] + np.exp(x[0] * x[1])
>>> np.round(gradient(f, np.array([1.0, 2.0])), 6)
array([18.778112,  8.389056])
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Scalar = Callable[[Array], float]


def richardson(phi: Callable[[float], float], h: float = 1e-2, levels: int = 4) -> float:
    """φ′(0) from central differences at h, h/2, h/4, … combined by Richardson
    extrapolation (each level removes the next even power of h from the error); a smaller
    h is tried when φ is not finite so far out."""
    for start in (h, h / 10, h / 100, h / 1000):
        table: list[list[float]] = []
        for k in range(levels):
            step = start / 2**k
            row = [(phi(step) - phi(-step)) / (2 * step)]
            for m in range(1, k + 1):
                row.append(row[m - 1] + (row[m - 1] - table[k - 1][m - 1]) / (4**m - 1))
            table.append(row)
        if np.isfinite(table[-1][-1]):
            return float(table[-1][-1])
    return float("nan")


def _unit(n: int, i: int) -> Array:
    e = np.zeros(n)
    e[i] = 1.0
    return e


def directional(f: Scalar, x: Array, v: Array) -> float:
    """d/dt f(x + t v) at t = 0."""
    return richardson(lambda t: f(x + t * v))


def gradient(f: Scalar, x: Array) -> Array:
    return np.array([directional(f, x, _unit(len(x), i)) for i in range(len(x))])


def hessian(f: Scalar, x: Array) -> Array:
    """∂²f/∂x_i∂x_j: the derivative along e_j of the derivative along e_i, both numeric."""
    n = len(x)

    def entry(i: int, j: int) -> float:
        return richardson(lambda s: directional(f, x + s * _unit(n, j), _unit(n, i)))

    return np.array([[entry(i, j) for j in range(n)] for i in range(n)])


def forward_difference(f: Scalar, x: Array, v: Array, h: float) -> float:
    """(f(x + h v) − f(x)) / h, as written."""
    return (f(x + h * v) - f(x)) / h


def central_difference(f: Scalar, x: Array, v: Array, h: float) -> float:
    """(f(x + h v) − f(x − h v)) / (2h), as written."""
    return (f(x + h * v) - f(x - h * v)) / (2 * h)
