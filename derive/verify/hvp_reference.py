"""Second derivatives from function values alone: the independent routes for the R-operator
pass of `derive.models.hvp` and for the kind `hvp.finite_difference` (never importing
`derive.models`).

The loss is written from the definition, example by example; the Hessian is a double loop
of central differences of that loss, H_ij ≈ [ℒ(w + h e_i + h e_j) − ℒ(w + h e_i − h e_j)
− ℒ(w − h e_i + h e_j) + ℒ(w − h e_i − h e_j)] / 4h², error O(h²) plus rounding ε/h².

>>> import numpy as np
>>> quadratic = lambda w: float(w[0] ** 2 + 3 * w[0] * w[1])
>>> np.round(hessian(quadratic, np.array([1.0, 2.0])), 6)
array([[2., 3.],
       [3., 0.]])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import mpmath as mp
import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def _hidden(name: str, a: float) -> float:
    if name == "tanh":
        return float(np.tanh(a))
    if name == "sigmoid":
        return 1.0 / (1.0 + float(np.exp(-a)))
    if name == "relu":
        return max(a, 0.0)
    raise ValueError(f"unknown activation {name!r}")


def mlp_loss(flat: Array, widths: Sequence[int], activation: str, X: Array, y: Array) -> float:
    """Mean cross-entropy of softmax(scores), one example and one unit at a time; `flat`
    holds W_1 (row-major, in × out), b_1, W_2, b_2, …"""
    layers, at = [], 0
    for m, n in pairwise(widths):
        layers.append((flat[at:at + m * n].reshape(m, n), flat[at + m * n:at + m * n + n]))
        at += m * n + n
    total = 0.0
    for x, label in zip(X, y, strict=True):
        units = [float(v) for v in x]
        for depth, (w, b) in enumerate(layers):
            scores = [sum(units[i] * float(w[i, j]) for i in range(len(units))) + float(b[j])
                      for j in range(w.shape[1])]
            last = depth == len(layers) - 1
            units = scores if last else [_hidden(activation, s) for s in scores]
        top = max(units)
        log_sum = top + float(np.log(sum(np.exp(s - top) for s in units)))
        total += log_sum - units[int(label)]
    return total / len(y)


def gradient(f: Callable[[Array], float], w: Array, h: float = 1e-6) -> Array:
    """∂f/∂w_i by central differences."""
    out = np.zeros(len(w))
    for i in range(len(w)):
        e = np.zeros(len(w))
        e[i] = h
        out[i] = (f(w + e) - f(w - e)) / (2 * h)
    return out


def hessian(f: Callable[[Array], float], w: Array, h: float = 1e-4) -> Array:
    """∂²f/∂w_i∂w_j by the four-point central difference, both triangles computed."""
    n = len(w)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            ei, ej = np.zeros(n), np.zeros(n)
            ei[i], ej[j] = h, h
            out[i, j] = (f(w + ei + ej) - f(w + ei - ej) - f(w - ei + ej)
                         + f(w - ei - ej)) / (4 * h * h)
    return out


def line_errors(f: Callable[..., Any], point: Sequence[Any], direction: Sequence[Any],
                digits: int = 60, r_forward: str = "1e-15", r_central: str = "1e-10"
                ) -> dict[str, list[float]]:
    """From f's values alone, in `digits`-digit arithmetic (mpmath): Hv, and the actual
    errors of the two difference quotients divided by their order, e⁺(r)/r at r_forward
    and e^±(r)/r² at r_central — the leading coefficients, up to O(r) and O(r²) relative
    terms of size 10⁻¹⁵ and 10⁻²⁰. g and Hv are mpmath's numerical derivatives of f."""
    with mp.workdps(digits):
        n = len(point)
        w0 = [mp.mpf(str(c)) if not isinstance(c, mp.mpf) else c for c in point]
        v = [mp.mpf(str(c)) if not isinstance(c, mp.mpf) else c for c in direction]

        def g(t: Any) -> list[Any]:
            w = [a + t * b for a, b in zip(w0, v, strict=True)]
            return [mp.diff(lambda s, i=i: f(*[w[j] + (s if j == i else 0) for j in range(n)]),
                            0) for i in range(n)]

        hv = [mp.diff(lambda t, i=i: g(t)[i], 0) for i in range(n)]
        rf, rc = mp.mpf(r_forward), mp.mpf(r_central)
        here, ahead = g(0), g(rf)
        plus, minus = g(rc), g(-rc)
        forward = [((a - b) / rf - h) / rf for a, b, h in zip(ahead, here, hv, strict=True)]
        central = [((a - b) / (2 * rc) - h) / rc**2
                   for a, b, h in zip(plus, minus, hv, strict=True)]
        return {"hvp": [float(h) for h in hv], "forward_leading": [float(c) for c in forward],
                "central_leading": [float(c) for c in central]}
