"""Independent numeric references for the activation kinds: numpy from the definitions,
a grid search for a supremum, and mpmath at 50 digits for log-softmax (no derive.models).

>>> round(swish_sup_gap(2.0) * 2.0, 6)
0.278465
>>> [round(float(v), 10) for v in exact_log_softmax([1000.0, 1001.0, 1002.0])]
[-2.4076059644, -1.4076059644, -0.4076059644]
"""

from __future__ import annotations

from collections.abc import Sequence

import mpmath
import numpy as np
from numpy.typing import ArrayLike, NDArray


def swish(x: NDArray[np.float64] | float, beta: float) -> NDArray[np.float64]:
    """x / (1 + e^{−βx}) from the definition, written with e^{−|βx|} so nothing overflows."""
    x = np.asarray(x, dtype=float)
    z = beta * x
    small = np.exp(-np.abs(z))                        # in (0, 1]
    sig = np.where(z >= 0, 1.0 / (1.0 + small), small / (1.0 + small))
    return np.asarray(x * sig)


def swish_sup_gap(beta: float, target: str = "relu") -> float:
    """sup over x of |x σ(βx) − ReLU(x)| (or − min(x, 0)), by a grid over ±60/|β| refined
    by golden-section search around the best grid point."""
    def gap(x: NDArray[np.float64] | float) -> NDArray[np.float64]:
        limit = np.maximum(x, 0.0) if target == "relu" else np.minimum(x, 0.0)
        return np.abs(swish(x, beta) - limit)

    span = 60.0 / abs(beta)
    grid = np.linspace(-span, span, 400_001)
    k = int(np.argmax(gap(grid)))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
    ratio = (np.sqrt(5.0) - 1) / 2
    for _ in range(80):
        m1, m2 = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        if gap(m1) < gap(m2):
            lo = m1
        else:
            hi = m2
    return float(gap((lo + hi) / 2))


def piecewise_linear(x: ArrayLike, right: float, left: float, alpha: float,
                     beta: float) -> NDArray[np.float64]:
    """The activation from its description: 0 on [β, α], slope `right` beyond α and
    `left` before β, walking out from the flat piece."""
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    out = np.where(x > alpha, right * (x - alpha), out)
    return np.where(x < beta, -left * (beta - x), out)


def leaky_relu(x: ArrayLike, slope: float) -> NDArray[np.float64]:
    """x where x ≥ 0, slope · x where x < 0."""
    x = np.asarray(x, dtype=float)
    return np.where(x >= 0, x, slope * x)


def soft_shrink(x: ArrayLike, threshold: float) -> NDArray[np.float64]:
    """x − τ above τ, x + τ below −τ, 0 in between."""
    x = np.asarray(x, dtype=float)
    return np.where(x > threshold, x - threshold, np.where(x < -threshold, x + threshold, 0.0))


def exact_log_softmax(values: Sequence[float], digits: int = 50) -> list[mpmath.mpf]:
    """log S(x)_i = x_i − log Σ_j e^{x_j} as written, at `digits` digits: mpmath's exponent
    range is unbounded, so e^{1000} neither overflows nor e^{−1000} underflows."""
    with mpmath.workdps(digits):
        xs = [mpmath.mpf(float(v)) for v in values]
        log_total = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in xs))
        return [v - log_total for v in xs]
