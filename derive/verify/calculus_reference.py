"""numpy references of the calculus families, written from the definitions: the loss of
L = f(σ(Ax + b)) and of logistic regression run forward, their gradients by finite
differences, and max(x) with its derivatives by one-sided differences."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from derive.verify.reference import finite_difference

Array = NDArray[np.float64]


def sigmoid(a: Array | float) -> Array:
    return 1.0 / (1.0 + np.exp(-np.asarray(a, dtype=float)))


def affine_sigmoid_loss(A: Array, x: Array, b: Array, c: Array, Q: Array) -> float:
    """L = f(σ(Ax + b)) with f(w) = cᵀw + ½ wᵀQw."""
    w = sigmoid(A @ x + b)
    return float(c @ w + 0.5 * w @ Q @ w)


def affine_sigmoid_grads(A: Array, x: Array, b: Array, c: Array, Q: Array) -> dict[str, Array]:
    """∇_x L (n), ∇_A L (m × n), ∇_b L (m) by central differences of the forward loss."""
    return {"x": finite_difference(lambda v: affine_sigmoid_loss(A, v, b, c, Q), x),
            "A": finite_difference(lambda v: affine_sigmoid_loss(v, x, b, c, Q), A),
            "b": finite_difference(lambda v: affine_sigmoid_loss(A, x, v, c, Q), b)}


def logistic_loss(w: Array, b: float, x: Array, y: float) -> float:
    """Cross-entropy of one example, −y log p − (1 − y) log(1 − p), p = σ(wᵀx + b)."""
    p = float(sigmoid(w @ x + b))
    return float(-y * np.log(p) - (1 - y) * np.log(1 - p))


def logistic_step(w: Array, b: float, x: Array, y: float, eta: float) -> dict[str, object]:
    """One SGD step on one example: forward values, gradients by finite differences, the
    updated parameters and the length of the step, ‖w′ − w‖."""
    grad_w = finite_difference(lambda v: logistic_loss(v, b, x, y), w)
    grad_b = float(finite_difference(lambda v: logistic_loss(w, float(v[0]), x, y),
                                     np.array([b]))[0])
    w_new, b_new = w - eta * grad_w, b - eta * grad_b
    return {"a": float(w @ x + b), "p": float(sigmoid(w @ x + b)),
            "loss": logistic_loss(w, b, x, y), "grad_w": grad_w, "grad_b": grad_b,
            "w_new": w_new, "b_new": b_new, "step": float(np.linalg.norm(w_new - w))}


def max_gradient(x: Array, h: float = 1e-6) -> Array:
    """∇ max(x) by central differences (where the maximiser is unique and h is small)."""
    return finite_difference(lambda v: float(np.max(v)), x, h)


def one_sided(x: Array, direction: Array, h: float = 1e-7) -> tuple[float, float]:
    """(max(x + h d) − max(x))/h and (max(x − h d) − max(x))/h: the derivatives of max
    along d and along −d, from one side."""
    top = float(np.max(x))
    return ((float(np.max(x + h * direction)) - top) / h,
            (float(np.max(x - h * direction)) - top) / h)


def maximisers(x: Array) -> list[int]:
    """Every index where x reaches its largest value (exact comparison)."""
    return [int(k) for k in np.flatnonzero(x == np.max(x))]


def safe_step(x: Array) -> float:
    """A difference step small enough that the largest coordinate stays the largest."""
    ordered = np.sort(x)[::-1]
    gap = float(ordered[0] - ordered[1]) if x.size > 1 else 1.0
    return min(1e-6, gap / 4) if gap > 0 else 1e-6
