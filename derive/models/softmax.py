"""Softmax and cross-entropy: p = softmax(o), L = −Σ_j y_j log p_j.

Indices start at 0 (numpy's reading); pages print them in the spec's base. The names of the
scores, probabilities and label are parameters, so an assignment's own letters (x, f, H)
print as written.

>>> s = Softmax(3)
>>> s.jacobian_entry() == s.p[j] * (sp.KroneckerDelta(j, k) - s.p[k])
True
>>> s.grad_scores() == s.p[k] - s.y[k]
True
>>> s.jacobian_matrix()[0, 1], s.jacobian_matrix()[1, 1]
(-p[0]*p[1], (1 - p[1])*p[1])
>>> import numpy as np
>>> bool(np.allclose(np.exp(log_softmax(np.array([1000.0, 0.0]))), [1.0, 0.0]))
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import NDArray

import derive.derivation.backprop_rules  # noqa: F401  (registers the family's rules)
from derive.derivation.rules import simplify
from derive.derivation.steps import Domain

j, k, m = sp.symbols("j k m", integer=True, nonnegative=True)
c = sp.Symbol("c", real=True)                 # a shift added to every score
cls = sp.Symbol("c", integer=True, nonnegative=True)     # the class of a one-hot label
top = sp.Symbol("M", real=True)               # the largest score
L = sp.Symbol("L")


def log_softmax(o: NDArray[np.float64]) -> NDArray[np.float64]:
    """log softmax(o) without overflow: o − max(o) − log Σ exp(o − max(o))."""
    shifted = np.asarray(o, dtype=float) - np.max(o)
    return shifted - np.log(np.sum(np.exp(shifted)))


def softmax(o: NDArray[np.float64]) -> NDArray[np.float64]:
    """softmax(o), computed through the stable log-softmax."""
    return np.exp(log_softmax(o))


class Shown(sp.ImmutableDenseMatrix):
    """A matrix whose entries print in display style (fractions of partials stay legible)."""

    def _latex(self, printer: Any) -> str:
        rows = [" & ".join(r"\displaystyle " + printer._print(self[r, q])
                           for q in range(self.cols)) for r in range(self.rows)]
        return r"\begin{bmatrix}" + r" \\[1.6ex] ".join(rows) + r"\end{bmatrix}"


def in_order(*factors: sp.Expr) -> sp.Expr:
    """A product printed with its factors in the order given (the page's order, such as
    w_ij z_j(1 − z_j) ∂L/∂z_j, rather than the printer's): for a display only, its indices
    already in the page's base; the checker reads the step's own expression.

    >>> from derive.latex.printer import tex
    >>> a, b = sp.symbols("a b")
    >>> print(tex(in_order(b, 1 - a, a)))
    b \\left(1 - a\\right) a
    """
    return sp.Mul(*(sp.UnevaluatedExpr(f) for f in factors), evaluate=False)


@dataclass(frozen=True)
class Softmax:
    """K classes: scores o_j, probabilities p_j = e^{o_j} / Σ_m e^{o_m}, label y."""

    classes: int
    score: str = "o"
    prob: str = "p"
    label: str = "y"
    o: sp.IndexedBase = field(init=False)
    p: sp.IndexedBase = field(init=False)
    y: sp.IndexedBase = field(init=False)
    r: sp.IndexedBase = field(init=False)

    def __post_init__(self) -> None:
        for name, text in (("o", self.score), ("p", self.prob), ("y", self.label),
                           ("r", "r")):
            object.__setattr__(self, name, sp.IndexedBase(text, real=True))

    @property
    def last(self) -> int:
        return self.classes - 1

    def prob_of(self, index: sp.Expr, shift: sp.Expr = 0) -> sp.Expr:
        """p_index = e^{o_index + shift} / Σ_m e^{o_m + shift}."""
        return (sp.exp(self.o[index] + shift)
                / sp.Sum(sp.exp(self.o[m] + shift), (m, 0, self.last)))

    def loss(self) -> sp.Expr:
        """L = −Σ_m y_m log p_m."""
        return -sp.Sum(self.y[m] * sp.log(self.p[m]), (m, 0, self.last))

    def largest(self) -> sp.Expr:
        """M = max_m o_m, written out (the meaning of the symbol `top`)."""
        return sp.Max(*(self.o[q] for q in range(self.classes)))

    def log_prob(self) -> sp.Expr:
        """log p_j = o_j − M − log Σ_m e^{o_m − M}, M = max_m o_m (no overflow)."""
        return self.o[j] - top - sp.log(sp.Sum(sp.exp(self.o[m] - top), (m, 0, self.last)))

    def definitions(self, target: int | None = None) -> dict[Any, Any]:
        """p from o; y one-hot on `target`, else a soft label r / Σ r (entries sum to 1)."""
        if target is not None:
            return {self.p: lambda q: self.prob_of(q), cls: sp.Integer(target),
                    self.y: lambda q: sp.KroneckerDelta(q, target)}
        return {self.p: lambda q: self.prob_of(q),
                self.y: lambda q: self.r[q] / sp.Sum(self.r[m], (m, 0, self.last))}

    def domains(self, shift: bool = False) -> dict[Any, Domain]:
        shape = (self.classes,)
        out = {self.o: Domain(shape), self.r: Domain(shape, "positive"),
               self.p: Domain(shape, "defined"), self.y: Domain(shape, "defined")}
        return {**out, c: Domain()} if shift else out

    def jacobian_entry(self) -> sp.Expr:
        """∂p_j/∂o_k = p_j(δ_jk − p_k)."""
        return self.p[j] * (sp.KroneckerDelta(j, k) - self.p[k])

    def jacobian_matrix(self) -> sp.ImmutableMatrix:
        """diag(p) − p pᵀ, written out."""
        return sp.ImmutableMatrix(self.classes, self.classes, lambda r, q: self.p[r] * (
            sp.KroneckerDelta(r, q) - self.p[q]))

    def grad_scores(self, target: int | None = None) -> sp.Expr:
        """∂L/∂o_k = p_k − y_k, and p_k − δ_kc for a one-hot label (on the class `cls`)."""
        if target is None:
            return self.p[k] - self.y[k]
        return simplify(self.p[k] - sp.KroneckerDelta(k, cls))

    def grad_vector(self, target: int) -> sp.ImmutableMatrix:
        """p − e_c, written out."""
        return sp.ImmutableMatrix([self.p[q] - (1 if q == target else 0)
                                   for q in range(self.classes)])
