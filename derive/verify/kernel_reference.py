"""Kernels by numbers alone: Gram matrices from a numpy kernel function, quadratic forms,
eigenvalues (numpy's `eigvalsh`, of K or of P K P with P = I − 11ᵀ/n), the centred kernel,
and a feature map read off an eigendecomposition. The references of the kernel kinds call
these on the values drawn by the checker or on a kernel lambdified from its parsed text,
never on a derived expression.

>>> import numpy as np
>>> K = gram(lambda p, q: -((p - q) ** 2).sum(-1), np.array([[0.0], [1.0]]))
>>> (K + 0.0).tolist(), form(K, [1, 1]), round(smallest(K), 12), round(smallest(K, True), 12)
([[0.0, -1.0], [-1.0, 0.0]], -2.0, -1.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
KernelFn = Callable[[Array, Array], Array]


def gram(k: KernelFn, points: Array) -> Array:
    """[k(x_i, x_j)] for the rows x_i of `points` (shape (n, d)), entry by entry."""
    n = len(points)
    return np.array([[float(k(points[p], points[q])) for q in range(n)] for p in range(n)])


def form(K: Array, a: Sequence[float] | Array) -> float:
    """aᵀ K a."""
    v = np.asarray(a, dtype=float)
    return float(v @ K @ v)


def centring(n: int) -> Array:
    """P = I − 11ᵀ/n."""
    return np.eye(n) - np.ones((n, n)) / n


def smallest(K: Array, zero_sum: bool = False) -> float:
    """The smallest eigenvalue of K, or of P K P (K on the zero-sum coefficients)."""
    M = centring(len(K)) @ K @ centring(len(K)) if zero_sum else K
    return float(np.linalg.eigvalsh((M + M.T) / 2)[0])


def centred(K: Array) -> Array:
    """k̃(x_p, x_q) = k(x_p, x_q) − k(x_0, x_p) − k(x_0, x_q) + k(x_0, x_0) on every pair."""
    return K - K[0][None, :] - K[0][:, None] + K[0, 0]


def squared_distances(points: Array) -> Array:
    """‖x_p − x_q‖² for every pair of rows."""
    diff = points[:, None, :] - points[None, :, :]
    return np.asarray((diff**2).sum(-1))


def feature_distances(K: Array) -> Array:
    """‖Φ(x_p) − Φ(x_q)‖² for Φ read off the eigendecomposition of the p.s.d. matrix K
    (Φ(x_p) = row p of V diag(√λ)): a feature map of the kernel whose Gram matrix K is."""
    values, vectors = np.linalg.eigh((K + K.T) / 2)
    if values[0] < -1e-8 * max(1.0, float(np.abs(values).max())):
        raise ValueError(f"the matrix is not p.s.d. (eigenvalue {values[0]:.3g})")
    phi = vectors * np.sqrt(np.clip(values, 0.0, None))
    return squared_distances(phi)


def zero_sum(b: Array) -> Array:
    """b minus its mean: coefficients summing to 0."""
    return np.asarray(b, dtype=float) - float(np.mean(b))
