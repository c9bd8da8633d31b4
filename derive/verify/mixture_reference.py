"""Independent numbers for the mixture of logistic regressions. Imports no model.

`by_enumeration` writes the joint table p(y, z | x) for y ∈ {0, 1} and every z (p(z) times
the Bernoulli probability of y) and sums out z; `network_forward` runs the two-layer network
(sigmoid hidden layer without bias, linear output with weights π) as numpy matrix products.

>>> x, W, pi = np.array([1.0, -1.0]), np.array([[0.0, 2.0], [0.0, 1.0]]), np.array([0.5, 0.5])
>>> [round(p, 4) for p in by_enumeration(x, W, pi)]     # ½ σ(0) + ½ σ(2 − 1)
[0.6155, 0.3845]
>>> round(network_forward(x, W, pi), 12) == round(by_enumeration(x, W, pi)[0], 12)
True
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def _sigmoid(a: float) -> float:
    return float(1.0 / (1.0 + np.exp(-a)))


def by_enumeration(x: Array, W: Array, pi: Array) -> tuple[float, float]:
    """(p(y = 1 | x), p(y = 0 | x)) from the joint table over (y, z); raises if the table
    does not sum to 1."""
    table = np.zeros((2, pi.size))
    for z in range(pi.size):
        score = float(sum(W[i, z] * x[i] for i in range(x.size)))
        p_one = _sigmoid(score)
        table[1, z] = pi[z] * p_one            # Bernoulli(1) = p
        table[0, z] = pi[z] * (1.0 - p_one)    # Bernoulli(0) = 1 − p
    if abs(table.sum() - 1.0) > 1e-12:
        raise AssertionError(f"the joint table sums to {table.sum()}, not 1")
    marginal = table.sum(axis=1)
    return float(marginal[1]), float(marginal[0])


def network_forward(x: Array, W: Array, pi: Array) -> float:
    """The network's output: πᵀ σ(Wᵀx)."""
    hidden = 1.0 / (1.0 + np.exp(-(W.T @ x)))
    return float(pi @ hidden)


def softmax(theta: Array) -> Array:
    e = np.exp(theta - theta.max())
    return np.asarray(e / e.sum())
