"""The function of the Hv-by-finite-differences kind, and its derivatives by two routes.

f is the mean logistic loss on given examples, or any expression read by the `ast`
allow-list of `derive.models.function` (never `eval`). Along the line w₀ + r v the gradient
is φ(r) = g(w₀ + r v); its derivatives at r = 0 are computed twice, so that the page's
chain-rule steps compare two different computations:

- the line route: φ⁽ᵏ⁾(0), SymPy differentiating φ in the one variable r;
- the tensor route: Hv = ∇²f(w₀) v from the Hessian, and D^{k+1}f(w₀)[v, …, v, ·]
  = Σ_{j₁…j_k} ∂^{k+1}f/∂w_i∂w_{j₁}…∂w_{j_k} v_{j₁}⋯v_{j_k}, contracted one v at a time
  (each contraction differentiates every entry with respect to every w_j).

>>> line = Line(logistic_loss([[1, 2], [-1, 0]], [1, 0]), "w_1 w_2 b".split(),
...             [0, 0, 0], [1, 0, 0])
>>> line.hv() == line.along(1)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from derive.models import function as F

r = sp.Symbol("r", real=True)
Number = float | int


def _exact(value: Number) -> sp.Rational:
    return sp.Integer(value) if isinstance(value, int) else sp.Rational(repr(value))


def logistic_names(features: int) -> list[str]:
    """w_1 … w_d, then the bias b."""
    return [f"w_{j + 1}" for j in range(features)] + ["b"]


def logistic_loss(X: Sequence[Sequence[Number]], y: Sequence[Number]) -> sp.Expr:
    """(1/N) Σ_n [log(1 + e^{z_n}) − y_n z_n], z_n = wᵀx_n + b: −log σ(z) for y = 1 and
    −log(1 − σ(z)) for y = 0, written without σ so that every derivative stays short."""
    ws = F.symbols(logistic_names(len(X[0])))
    terms = []
    for row, label in zip(X, y, strict=True):
        z = sum((_exact(x) * w for x, w in zip(row, ws[:-1], strict=True)), ws[-1])
        terms.append(sp.log(1 + sp.exp(z)) - _exact(label) * z)
    return sp.Add(*terms) / len(X)


@dataclass(frozen=True)
class Line:
    """f, its variables, the point w₀ and the direction v (exact numbers)."""

    f: sp.Expr
    names: tuple[str, ...] | list[str]
    point: Sequence[sp.Expr | Number]
    direction: Sequence[sp.Expr | Number]

    @cached_property
    def xs(self) -> list[sp.Symbol]:
        return F.symbols(list(self.names))

    @cached_property
    def w0(self) -> list[sp.Expr]:
        return [sp.sympify(c) if isinstance(c, sp.Basic) else _exact(c) for c in self.point]

    @cached_property
    def v(self) -> list[sp.Expr]:
        return [sp.sympify(c) if isinstance(c, sp.Basic) else _exact(c)
                for c in self.direction]

    @cached_property
    def gradient(self) -> list[sp.Expr]:
        return [sp.diff(self.f, x) for x in self.xs]

    def at(self, exprs: Sequence[sp.Expr], shift: sp.Expr) -> sp.ImmutableMatrix:
        """The entries at w₀ + shift · v."""
        values = {x: p + shift * c for x, p, c in zip(self.xs, self.w0, self.v, strict=True)}
        return sp.ImmutableMatrix([e.xreplace(values) for e in exprs])

    @cached_property
    def phi(self) -> sp.ImmutableMatrix:
        """φ(r) = g(w₀ + r v), a vector of expressions in r."""
        return self.at(self.gradient, r)

    def along(self, k: int) -> sp.ImmutableMatrix:
        """φ⁽ᵏ⁾(0), the line route."""
        return self._line_derivatives[k]

    @cached_property
    def _line_derivatives(self) -> list[sp.ImmutableMatrix]:
        out, current = [], self.phi
        for _ in range(6):                   # φ(0) … φ⁽⁵⁾(0)
            out.append(current.xreplace({r: 0}))
            current = current.diff(r)
        return out

    def contracted(self, k: int) -> sp.ImmutableMatrix:
        """D^{k+1}f(w₀)[v, …, v, ·] (k copies of v), the tensor route; k = 1 is Hv."""
        return self._contractions[k - 1]

    @cached_property
    def _contractions(self) -> list[sp.ImmutableMatrix]:
        out, entries = [], list(self.gradient)
        for _ in range(3):
            entries = [sum((sp.diff(e, x) * c for x, c in zip(self.xs, self.v, strict=True)),
                           sp.Integer(0)) for e in entries]
            out.append(self.at(entries, sp.Integer(0)))
        return out

    def hv(self) -> sp.ImmutableMatrix:
        """∇²f(w₀) v, the Hessian times v."""
        hessian = sp.ImmutableMatrix(F.hessian(self.f, self.xs))
        at = {x: p for x, p in zip(self.xs, self.w0, strict=True)}
        return sp.ImmutableMatrix(hessian.xreplace(at) * sp.ImmutableMatrix(self.v))


_LINES: dict[tuple[object, ...], Line] = {}


def line_of(f: sp.Expr, names: tuple[str, ...], point: tuple[sp.Expr, ...],
            direction: tuple[sp.Expr, ...]) -> Line:
    """One Line per question (its derivatives are computed once, then reused)."""
    key = (f, names, point, direction)
    if len(_LINES) > 32:
        _LINES.clear()
    if key not in _LINES:
        _LINES[key] = Line(f, names, point, direction)
    return _LINES[key]
