"""Kernels k(x, y) given symbolically, and what makes them p.d. or c.p.d.

A kernel on a set X is a symmetric k: X × X → ℝ. It is positive definite (p.d.) when every
Gram matrix K = [k(x_i, x_j)] is positive semidefinite, Σ a_i a_j k(x_i, x_j) ≥ 0 for every
a ∈ ℝⁿ; it is conditionally positive definite (c.p.d.) when that holds for the a with
Σ a_i = 0 only, that is when K is positive semidefinite on the hyperplane 1^⊥: Vᵀ K V ⪰ 0 for
the basis V = (e_1 − e_n, …, e_{n−1} − e_n) of 1^⊥, or P K P ⪰ 0 with P = I − 11ᵀ/n.

A kernel is an expression in x, y (X = ℝ) or in x1, …, xd, y1, …, yd (X = ℝ^d), read by the
`ast` allow-list parser of `derive.models.function` (never `eval`), or a finite set of points
of ℝ or ℝ^d, where the Gram matrix of all the points is the whole kernel and p.d./c.p.d. are
decided exactly (rational entries) or to 50 digits.

>>> k = Kernel.parse("-(x - y)**2")
>>> K = k.gram([0, 1])
>>> K
Matrix([
[ 0, -1],
[-1,  0]])
>>> psd(K), psd(restricted(K))
(False, True)
>>> quadratic_form(K, [1, 1]), quadratic_form(K, [1, -1])
(-2, 2)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from derive.models import function as F

Point = Any           # a number (X = ℝ) or a tuple of numbers (X = ℝ^d), exact SymPy values
DIGITS = 50           # precision of the eigenvalues of Gram matrices that are not rational
MAX_DIM = 4


def variable_names(dim: int) -> tuple[list[str], list[str]]:
    """The names a kernel on ℝ^dim is written in: x, y, or x1 … xd, y1 … yd."""
    if dim == 1:
        return ["x"], ["y"]
    return [f"x{c}" for c in range(1, dim + 1)], [f"y{c}" for c in range(1, dim + 1)]


@dataclass(frozen=True)
class Kernel:
    """k(x, y) as a SymPy expression in the coordinates `x` and `y` of two points of ℝ^dim."""

    expr: sp.Expr
    x: tuple[sp.Symbol, ...]
    y: tuple[sp.Symbol, ...]

    @classmethod
    def parse(cls, text: str, dim: int = 1) -> Kernel:
        """The kernel written in `text` (x, y on ℝ; x1 … xd, y1 … yd on ℝ^d); any other name,
        and anything but numbers, + − * / **, and the functions of `derive.models.function`,
        is an `ExpressionError`."""
        xs, ys = variable_names(dim)
        expr = F.parse(text, variables=xs + ys)
        return cls(expr, tuple(F.symbols(xs)), tuple(F.symbols(ys)))

    @classmethod
    def of(cls, expr: sp.Expr, x: Sequence[sp.Symbol], y: Sequence[sp.Symbol]) -> Kernel:
        return cls(sp.sympify(expr), tuple(x), tuple(y))

    @property
    def dim(self) -> int:
        return len(self.x)

    def swapped(self) -> sp.Expr:
        """k(y, x)."""
        return self.expr.xreplace({**dict(zip(self.x, self.y, strict=True)),
                                   **dict(zip(self.y, self.x, strict=True))})

    def at(self, p: Point, q: Point) -> sp.Expr:
        """k(p, q), exact."""
        return self.expr.xreplace({**dict(zip(self.x, coordinates(p), strict=True)),
                                   **dict(zip(self.y, coordinates(q), strict=True))})

    def gram(self, points: Sequence[Point]) -> sp.Matrix:
        """The Gram matrix [k(x_i, x_j)], exact."""
        return sp.Matrix(len(points), len(points),
                         lambda i, j: self.at(points[i], points[j]))

    def numpy(self) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """k as a numpy function of two arrays of points (shape (..., dim)), broadcasting."""
        fn = sp.lambdify([*self.x, *self.y], self.expr, modules="numpy")

        def k(p: np.ndarray, q: np.ndarray) -> np.ndarray:
            p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
            out = fn(*np.moveaxis(p, -1, 0), *np.moveaxis(q, -1, 0))
            return np.broadcast_to(np.asarray(out, dtype=float),
                                   np.broadcast_shapes(p.shape[:-1], q.shape[:-1]))

        return k

    def symmetric(self) -> bool | None:
        """True when k(x, y) − k(y, x) expands to 0, None when SymPy cannot tell."""
        gap = sp.expand(self.expr - self.swapped())
        if gap == 0:
            return True
        gap = sp.expand(sp.expand_trig(gap))
        return True if gap == 0 else None


def coordinates(p: Point) -> tuple[sp.Expr, ...]:
    if isinstance(p, tuple | list):
        return tuple(sp.nsimplify(v) if isinstance(v, float) else sp.sympify(v) for v in p)
    return (sp.nsimplify(p) if isinstance(p, float) else sp.sympify(p),)


def quadratic_form(K: sp.Matrix, a: Sequence[Any]) -> sp.Expr:
    """aᵀ K a = Σ_ij a_i a_j K_ij, exact."""
    v = sp.Matrix([sp.sympify(c) for c in a])
    return sp.expand((v.T * K * v)[0, 0])


def zero_sum_basis(n: int) -> sp.Matrix:
    """The columns e_i − e_n, i < n: a basis of {a : Σ a_i = 0} (n × (n − 1))."""
    return sp.Matrix(n, n - 1, lambda i, j: 1 if i == j else -1 if i == n - 1 else 0)


def projector(n: int) -> sp.Matrix:
    """P = I − 11ᵀ/n, the orthogonal projector onto {a : Σ a_i = 0}."""
    return sp.eye(n) - sp.ones(n, n) / n


def restricted(K: sp.Matrix) -> sp.Matrix:
    """Vᵀ K V: the quadratic form of K on the zero-sum coefficients, in the basis V."""
    V = zero_sum_basis(K.rows)
    return V.T * K * V


def rational(M: sp.Matrix) -> bool:
    return all(e.is_Rational for e in M)


def psd(M: sp.Matrix) -> bool | None:
    """Whether M ⪰ 0: exact for rational entries (SymPy's Cholesky-type test), else by its
    eigenvalues to `DIGITS` digits; None when the smallest is too close to 0 to tell."""
    if M.rows == 0:
        return True
    if rational(M):
        return bool(M.is_positive_semidefinite)
    low = smallest_eigenvalue(M)
    scale = max(1.0, float(max(abs(sp.N(e, 20)) for e in M)))
    if abs(low) <= scale * 1e-40:
        return None
    return bool(low > 0)


def smallest_eigenvalue(M: sp.Matrix, digits: int = DIGITS) -> sp.Float:
    """The smallest eigenvalue of a symmetric M, to `digits` digits (mpmath)."""
    with mpmath.workdps(digits):
        A = mpmath.matrix([[mpmath.mpf(str(sp.N(e, digits + 10))) for e in row]
                           for row in M.tolist()])
        values = mpmath.eigsy(A, eigvals_only=True)
        return sp.Float(str(min(values)), digits)


def eigenvalues(M: sp.Matrix) -> list[sp.Expr]:
    """The eigenvalues of a small symmetric M (sorted): exact when SymPy finds them in real
    radicals; else (a cubic's three real roots, which radicals write with i) to DIGITS digits."""
    if M.rows <= 3 and rational(M):
        found = [v for v, m in M.eigenvals().items() for _ in range(m)]
        if not any(v.has(sp.I) for v in found):
            return sorted(found, key=lambda v: float(sp.N(v, 30)))
    with mpmath.workdps(DIGITS):
        A = mpmath.matrix([[mpmath.mpf(str(sp.N(e, DIGITS + 10))) for e in row]
                           for row in M.tolist()])
        return sorted(sp.Float(str(v), 30) for v in mpmath.eigsy(A, eigvals_only=True))
