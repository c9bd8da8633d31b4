"""A multilayer perceptron in numpy, written from its definition, and its derivatives by
finite differences: the independent route for the softmax and backpropagation kinds.

>>> import numpy as np
>>> p = softmax(np.array([0.0, np.log(3.0)]))
>>> [round(float(v), 6) for v in p]
[0.25, 0.75]
>>> x, v, w = np.array([1.0, 2.0]), np.zeros((2, 3)), np.ones((3, 2))
>>> g = weight_gradient(x, [v, w], None, np.array([1.0, 0.0]), "tanh", "softmax_ce", 0, 0, 1)
>>> abs(g) < 1e-9        # all hidden units are 0, and w's two columns are equal
True
>>> b = [np.zeros(3), np.zeros(2)]
>>> g = bias_gradient(x, [v, w], b, np.array([1.0, 0.0]), "identity", "softmax_ce", 1, 0)
>>> round(g, 6)          # ŷ = (½, ½): ∂L/∂o_0 = ŷ_0 − 1
-0.5
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from derive.verify.reference import finite_difference

Array = NDArray[np.float64]


def softmax(o: Array) -> Array:
    """e^{o_k} / Σ_l e^{o_l}, shifted by max(o) so that no exponential overflows."""
    e = np.exp(o - np.max(o))
    return np.asarray(e / e.sum())


def activation(name: str, a: Array) -> Array:
    if name == "tanh":
        return np.tanh(a)
    if name == "sigmoid":
        return np.asarray(1.0 / (1.0 + np.exp(-a)))
    if name == "relu":
        return np.maximum(a, 0.0)
    if name == "identity":
        return np.asarray(a, dtype=float)
    raise ValueError(f"unknown activation {name!r}")


def forward(x: Array, weights: Sequence[Array], biases: Sequence[Array] | None,
            act: str) -> tuple[list[Array], list[Array], Array]:
    """Pre-activations and units of every hidden layer, and the output scores."""
    pres: list[Array] = []
    units: list[Array] = []
    current = np.asarray(x, dtype=float)
    for n, w in enumerate(weights):
        z = current @ w + (biases[n] if biases is not None else 0.0)
        if n == len(weights) - 1:
            return pres, units, z
        pres.append(z)
        current = activation(act, z)
        units.append(current)
    raise ValueError("no layers")


def loss_of_scores(o: Array, y: Array, output: str) -> float:
    """−Σ y log softmax(o), or ½ Σ (o − y)²."""
    if output == "softmax_ce":
        shifted = o - np.max(o)
        log_p = shifted - np.log(np.sum(np.exp(shifted)))
        return float(-np.sum(y * log_p))
    return float(0.5 * np.sum((o - y) ** 2))


def loss(x: Array, weights: Sequence[Array], biases: Sequence[Array] | None, y: Array,
         act: str, output: str) -> float:
    return loss_of_scores(forward(x, weights, biases, act)[2], y, output)


def weight_gradient(x: Array, weights: Sequence[Array], biases: Sequence[Array] | None,
                    y: Array, act: str, output: str, layer: int, i: int, j: int) -> float:
    """∂L/∂W[layer][i, j] (layer from 0) by central differences of the numpy loss."""
    def at(value: Array) -> float:
        changed = [np.array(w, dtype=float) for w in weights]
        changed[layer][i, j] = value[0]
        return loss(x, changed, biases, y, act, output)

    return float(finite_difference(at, np.array([weights[layer][i, j]], dtype=float))[0])


def bias_gradient(x: Array, weights: Sequence[Array], biases: Sequence[Array], y: Array,
                  act: str, output: str, layer: int, j: int) -> float:
    """∂L/∂b[layer][j] (layer from 0) by central differences of the numpy loss."""
    def at(value: Array) -> float:
        changed = [np.array(b, dtype=float) for b in biases]
        changed[layer][j] = value[0]
        return loss(x, weights, changed, y, act, output)

    return float(finite_difference(at, np.array([biases[layer][j]], dtype=float))[0])


def softmax_jacobian_fd(o: Array) -> Array:
    """∂p_j/∂o_k by central differences: row j, column k."""
    def entry(r: int) -> Array:
        return finite_difference(lambda v: float(softmax(v)[r]), o)

    return np.array([entry(r) for r in range(len(o))])


def ce_gradient_fd(o: Array, y: Array) -> Array:
    """∂L/∂o of L = −Σ y log softmax(o), by central differences."""
    return finite_difference(lambda v: loss_of_scores(v, y, "softmax_ce"), o)


def local_derivative(act: str, a: float) -> float:
    """act′(a) by central differences (one-sided away from ReLU's kink)."""
    h = 1e-6
    if act == "relu" and abs(a) < h:
        return 1.0 if a > 0 else 0.0
    return float((activation(act, np.array(a + h)) - activation(act, np.array(a - h))) / (2 * h))
