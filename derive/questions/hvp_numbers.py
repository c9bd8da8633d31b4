"""The finite-difference estimates of Hv measured in float64, for r = 10⁻¹ … 10⁻¹²: their
errors against the exact Hv, the slopes of log error against log r where truncation
dominates, the r that minimises each error, and the usual estimates ε^{1/2}, ε^{1/3}.

Only the gradient is evaluated in floating point (SymPy's ∇f lambdified into numpy); the
exact Hv is SymPy's Hessian times v at w₀, to 30 digits. Nothing here is typed: each
sentence of the page about these numbers is built from what this module returns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp
from numpy.typing import NDArray

from derive.questions.hvp_line import Line
from derive.verify import hvp_reference as R

Array = NDArray[np.float64]
EPS = float(np.finfo(np.float64).eps)
# A point is in the truncation regime when the measured error is at least this many times
# the rounding estimate ε‖g(w₀)‖/r of the difference of two gradients divided by r.
ROUNDING_MARGIN = 100.0


def floats(m: sp.MatrixBase) -> Array:
    return np.array([float(sp.N(e, 30)) for e in m], dtype=np.float64)


@dataclass(frozen=True)
class Scheme:
    """One estimate's measured errors and what they say."""

    errors: tuple[float, ...]
    leading: float                     # ‖coefficient‖ of its leading term, r^order
    order: int
    slope: float | None                # fitted on the truncation regime (None: < 2 points)
    fitted: tuple[int, ...]            # indices of the r values fitted
    best: int                          # index of the smallest error

    def regime(self, rs: Sequence[float]) -> tuple[float, float] | None:
        """The smallest and largest r of the fit."""
        if not self.fitted:
            return None
        return rs[self.fitted[-1]], rs[self.fitted[0]]


@dataclass(frozen=True)
class Measured:
    rs: tuple[float, ...]
    exponents: tuple[float, ...]       # r = 10^{−exponent}
    forward: Scheme
    central: Scheme
    hv_norm: float
    g_norm: float

    @property
    def estimates(self) -> dict[str, float]:
        """The usual best steps: ε^{1/2} (forward) and ε^{1/3} (central)."""
        return {"forward": EPS ** 0.5, "central": EPS ** (1 / 3)}


def grid(first: int, last: int, per_decade: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """r = 10^{−first} down to 10^{−last}, `per_decade` points per power of ten."""
    count = (last - first) * per_decade + 1
    exponents = tuple(first + k / per_decade for k in range(count))
    return tuple(10.0 ** -e for e in exponents), exponents


def slope(rs: Sequence[float], errors: Sequence[float], indices: Sequence[int]) -> float | None:
    """Least-squares slope of log error against log r over `indices`."""
    if len(indices) < 2:
        return None
    x = np.log10([rs[i] for i in indices])
    y = np.log10([errors[i] for i in indices])
    return float(np.polyfit(x, y, 1)[0])


def _scheme(rs: Sequence[float], errors: list[float], leading: float, order: int,
            g_norm: float) -> Scheme:
    rounding = [EPS * max(g_norm, 1e-300) / h for h in rs]
    fitted = tuple(i for i, (e, q) in enumerate(zip(errors, rounding, strict=True))
                   if e > 0 and e >= ROUNDING_MARGIN * q)
    best = min(range(len(rs)), key=lambda i: (errors[i], -rs[i]))
    return Scheme(tuple(errors), leading, order, slope(rs, errors, fitted), fitted, best)


def measure(line: Line, first: int = 1, last: int = 12, per_decade: int = 2) -> Measured:
    """Both estimates in float64 at every r of the grid, against the exact Hv."""
    rs, exponents = grid(first, last, per_decade)
    g = sp.lambdify(line.xs, line.gradient, modules="numpy")
    w0, v = floats(sp.ImmutableMatrix(line.w0)), floats(sp.ImmutableMatrix(line.v))

    def grad(w: Array) -> Array:
        return np.array(g(*w), dtype=np.float64).reshape(-1)

    exact = floats(line.hv())
    here = grad(w0)
    forward, central = [], []
    for h in rs:
        plus, minus = grad(w0 + h * v), grad(w0 - h * v)
        forward.append(float(np.linalg.norm((plus - here) / h - exact)))
        central.append(float(np.linalg.norm((plus - minus) / (2 * h) - exact)))
    g_norm = float(np.linalg.norm(here))
    lead_f = float(np.linalg.norm(floats(line.along(2)))) / 2
    lead_c = float(np.linalg.norm(floats(line.along(3)))) / 6
    return Measured(rs, exponents, _scheme(rs, forward, lead_f, 1, g_norm),
                    _scheme(rs, central, lead_c, 2, g_norm), float(np.linalg.norm(exact)),
                    g_norm)


def decades_apart(a: float, b: float) -> float:
    """|log₁₀(a/b)|."""
    return abs(math.log10(a / b))


def coordinates(rs: Sequence[float], values: Sequence[float]) -> str:
    """pgfplots coordinates of the positive values (a log axis cannot show 0)."""
    return " ".join(f"({h:.6e},{e:.6e})" for h, e in zip(rs, values, strict=True) if e > 0)


def plot(meas: Measured) -> dict[str, str]:
    """The figure's curves and axes: the measured errors, and each leading truncation term
    as a dashed guide drawn only where it is inside the axes (above y_min)."""
    rs = meas.rs
    measured = [e for e in meas.forward.errors + meas.central.errors if e > 0] or [1.0]
    low, high = min(measured), max(measured)
    ymin = low / 30

    def guide(s: Scheme) -> str:
        if s.leading <= 0:
            return ""
        start = max(rs[-1], (ymin / s.leading) ** (1 / s.order))   # where it enters
        if start >= rs[0]:
            return ""
        return coordinates([start, rs[0]], [s.leading * start ** s.order,
                                            s.leading * rs[0] ** s.order])

    return {"forward": coordinates(rs, meas.forward.errors),
            "central": coordinates(rs, meas.central.errors),
            "forward_line": guide(meas.forward), "central_line": guide(meas.central),
            "xmin": f"{rs[-1] / 2:.3e}", "xmax": f"{rs[0] * 2:.3e}",
            "ymin": f"{ymin:.3e}", "ymax": f"{high * 30:.3e}"}


_MEASURED: dict[tuple[object, ...], Measured] = {}
_REFERENCES: dict[tuple[object, ...], dict[str, list[float]]] = {}


def measured_of(line: Line, first: int, last: int, per_decade: int) -> Measured:
    """`measure`, once per question."""
    key = (line.f, tuple(line.names), tuple(line.w0), tuple(line.v), first, last, per_decade)
    if len(_MEASURED) > 32:
        _MEASURED.clear()
    if key not in _MEASURED:
        _MEASURED[key] = measure(line, first, last, per_decade)
    return _MEASURED[key]


def line_errors_of(f: sp.Expr, xs: tuple[sp.Symbol, ...], w0: tuple[sp.Expr, ...],
                   v: tuple[sp.Expr, ...]) -> dict[str, list[float]]:
    """The reference from f alone (`derive.verify.hvp_reference.line_errors`, mpmath at 60
    digits), once per question."""
    key = (f, xs, w0, v)
    if len(_REFERENCES) > 32:
        _REFERENCES.clear()
    if key not in _REFERENCES:
        fn = sp.lambdify(xs, f, modules="mpmath")
        _REFERENCES[key] = R.line_errors(fn, [str(sp.N(c, 70)) for c in w0],
                                         [str(sp.N(c, 70)) for c in v])
    return _REFERENCES[key]
