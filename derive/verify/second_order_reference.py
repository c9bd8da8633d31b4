"""Hessian-vector products by numbers alone, for the checks of the R-operator kinds.

Two routes, both from numpy losses written here from their definitions (never from a
derived formula, and without importing `derive.models`):

- the explicit Hessian of the loss, every entry by Richardson-extrapolated central
  differences of the loss's *values*, multiplied by v;
- central differences of a numpy gradient (backpropagation written by hand) along v.

`hessian_vector_product` computes both and refuses to answer when they disagree.

>>> rng = np.random.default_rng(0)
>>> x, w, v = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)
>>> loss, grad = logistic(x, 0.5, 1.0)
>>> p = 1 / (1 + np.exp(-(w @ x + 0.5)))
>>> bool(np.allclose(hessian_vector_product(loss, grad, w, v), p * (1 - p) * (v @ x) * x))
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from derive.verify.function_reference import hessian

Array = NDArray[np.float64]
Loss = Callable[[Array], float]
Grad = Callable[[Array], Array]
AGREEMENT = 1e-6          # how closely the two routes must agree (relative)


def _sigmoid(a: Any) -> Any:
    """1/(1 + e^{−a}), written so that no exp overflows for a given number far from 0."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(a, dtype=float)))


def logistic(x: Array, b: float, y: float) -> tuple[Loss, Grad]:
    """L(w) = −y log σ(wᵀx + b) − (1 − y) log(1 − σ(wᵀx + b)), and its gradient (p − y) x.
    As −log σ(a) = log(1 + e^{−a}) and −log(1 − σ(a)) = a + log(1 + e^{−a}), the loss is
    computed as log(1 + e^{−a}) + (1 − y) a: finite however far a is from 0."""
    def loss(w: Array) -> float:
        a = float(w @ x + b)
        return float(np.logaddexp(0.0, -a) + (1 - y) * a)

    def grad(w: Array) -> Array:
        return (_sigmoid(w @ x + b) - y) * x

    return loss, grad


def sigmoid_layer(x: Array, y: Array, shape: tuple[int, int]) -> tuple[Loss, Grad]:
    """L(W) = ½‖σ(Wᵀx) − y‖² over the flattened n × m weights W, and its gradient
    x (σ′ ⊙ (z − y))ᵀ."""
    def loss(flat: Array) -> float:
        z = _sigmoid(flat.reshape(shape).T @ x)
        return float(0.5 * np.sum((z - y) ** 2))

    def grad(flat: Array) -> Array:
        z = _sigmoid(flat.reshape(shape).T @ x)
        return np.outer(x, z * (1 - z) * (z - y)).reshape(-1)

    return loss, grad


def mlp(x: Array, y: Array, widths: tuple[int, int, int]) -> tuple[Loss, Grad]:
    """x → a = W1ᵀx → z = σ(a) → o = W2ᵀz, L = ½‖o − y‖², over the flattened (W1, W2); the
    gradient by backpropagation."""
    n, h, c = widths

    def split(flat: Array) -> tuple[Array, Array]:
        return flat[:n * h].reshape(n, h), flat[n * h:].reshape(h, c)

    def loss(flat: Array) -> float:
        w1, w2 = split(flat)
        o = _sigmoid(w1.T @ x) @ w2
        return float(0.5 * np.sum((o - y) ** 2))

    def grad(flat: Array) -> Array:
        w1, w2 = split(flat)
        z = _sigmoid(w1.T @ x)
        delta = z @ w2 - y                         # ∂L/∂o
        eps = z * (1 - z) * (w2 @ delta)           # ∂L/∂a
        return np.concatenate([np.outer(x, eps).reshape(-1), np.outer(z, delta).reshape(-1)])

    return loss, grad


def along(grad: Grad, w: Array, v: Array, h: float = 1e-2, levels: int = 4) -> Array:
    """d/dt ∇L(w + t v) at t = 0: central differences of the gradient, Richardson-extrapolated."""
    table: list[list[Array]] = []
    for k in range(levels):
        step = h / 2**k
        row = [(grad(w + step * v) - grad(w - step * v)) / (2 * step)]
        for m in range(1, k + 1):
            row.append(row[m - 1] + (row[m - 1] - table[k - 1][m - 1]) / (4**m - 1))
        table.append(row)
    return table[-1][-1]


def hessian_vector_product(loss: Loss, grad: Grad | None, w: Array, v: Array) -> Array:
    """H v with H the loss's Hessian by differences of its values; checked against the
    differences of the gradient along v when a gradient is given."""
    explicit = hessian(loss, w) @ v
    if grad is not None:
        other = along(grad, w, v)
        gap = float(np.max(np.abs(explicit - other)))
        if gap > AGREEMENT * max(1.0, float(np.max(np.abs(other)))):
            raise ArithmeticError(f"the two numeric routes to Hv disagree by {gap:.3g}")
    return explicit
