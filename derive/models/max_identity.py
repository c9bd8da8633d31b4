"""max as an identity: max(a, b) = ½(a + b + |a − b|), max of n numbers one at a time, and
where max(x_1, …, x_n) is differentiable. Indices start at 0; pages print the spec's base.

>>> a, b = sp.symbols("a b", real=True)
>>> pair_identity(a, b)
a/2 + b/2 + Abs(a - b)/2
>>> float(MaxOf(1.0, 3.0, 2.0).rewrite(sp.Max))
3.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from derive.derivation.steps import Domain

x = sp.IndexedBase("x", real=True)
m = sp.IndexedBase("m", real=True)          # m_k = max(x_0, …, x_k)
j = sp.Symbol("j", integer=True, nonnegative=True)
t = sp.Symbol("t", positive=True)          # a step along a direction, or a gap
c = sp.Symbol("c", real=True)              # the common value at a tie
x1, x2 = sp.Symbol("x_1", real=True), sp.Symbol("x_2", real=True)
s, v = sp.Symbol("s", real=True), sp.Symbol("v", real=True)    # x_2 = x_1 + s v (s ∈ {0, 1})
gap = sp.Symbol("g", real=True)            # in the case x_1 ≥ x_2: x_2 = x_1 − g t, g ∈ {0, 1}
u = sp.Symbol("u", positive=True)          # how far below c the other coordinates are


class AtLeast(sp.Symbol):
    """x_2 in the case x_1 ≥ x_2: printed as x_2, drawn as the case requires."""


class Above(sp.Symbol):
    """x_2 in the case x_1 < x_2."""


class AtMost(sp.Symbol):
    """The largest of the coordinates other than two tied at c (x_3, or a name for the max
    of several): at most c, drawn equal to c about half of the time."""


x2_ge, x2_lt = AtLeast("x_2", real=True), Above("x_2", real=True)


def others_at_most(name: str) -> tuple[AtMost, sp.Expr]:
    """A symbol printed `name` for the other coordinates at a tie at c, and its meaning
    c − g u (g ∈ {0, 1}, u > 0): at most c, ties with c included."""
    return AtMost(name, real=True), c - gap * u


class MaxOf(sp.Function):
    """max(a, b, …) kept as written (SymPy's Max sorts and flattens its arguments)."""

    is_real = True

    @staticmethod
    def _imp_(*values: Any) -> Any:
        return np.maximum.reduce(np.broadcast_arrays(*values))

    def _eval_rewrite_as_Max(self, *args: Any, **kwargs: Any) -> sp.Expr:
        return sp.Max(*args)

    def _latex(self, printer: Any) -> str:
        return r"\max\left(" + ", ".join(printer._print(a) for a in self.args) + r"\right)"


class ArgMax(sp.Function):
    """The index of the largest argument (the first one at a tie; checks draw none)."""

    is_integer = True

    @staticmethod
    def _imp_(*values: Any) -> Any:
        return np.argmax(np.stack(np.broadcast_arrays(*values)), axis=0)


def pair_identity(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """½(a + b + |a − b|)."""
    return (a + b + sp.Abs(a - b)) / 2


def half(*terms: sp.Expr) -> sp.Expr:
    """½(t_1 + t_2 + …) with the terms as written (not combined by SymPy)."""
    return sp.Mul(sp.Rational(1, 2), sp.Add(*terms, evaluate=False), evaluate=False)


def case_domains() -> dict[Any, Domain]:
    return {x1: Domain(), t: Domain(kind="positive"), gap: Domain(kind="binary"),
            s: Domain(kind="binary"), v: Domain(), c: Domain(), u: Domain(kind="positive")}


def case_definitions() -> dict[Any, Any]:
    """x_2 in each case (x_1 ≥ x_2 with ties when g = 0; x_1 < x_2) and in general
    (a tie when s = 0)."""
    return {x2_ge: x1 - gap * t, x2_lt: x1 + t, x2: x1 + s * v}


def prefix_max(n: int) -> dict[Any, Any]:
    """m_k = max(x_0, …, x_k) for the n given numbers."""
    return {m: lambda k: MaxOf(*(x[q] for q in range(int(k) + 1)))}


def vector(n: int) -> list[sp.Indexed]:
    return [x[q] for q in range(n)]


def in_order(expr: sp.Basic, base: int = 0) -> str:
    """LaTeX of ½(…) and of sums with their terms in the order written (the textbook
    printer sorts them, which turns x_1 − x_2 into −(x_2 − x_1))."""
    from derive.derivation.indices import in_base
    from derive.latex.printer import tex

    if isinstance(expr, sp.Mul) and expr.args[0] == sp.Rational(1, 2):
        return r"\tfrac{1}{2}\left(" + in_order(sp.Mul(*expr.args[1:]), base) + r"\right)"
    if isinstance(expr, sp.Abs):
        return r"\left|" + in_order(expr.args[0], base) + r"\right|"
    if not isinstance(expr, sp.Add):
        return tex(in_base(expr, base))
    out = in_order(expr.args[0], base)
    for term in expr.args[1:]:
        negative = term.could_extract_minus_sign() and not isinstance(term, sp.Add)
        inner = -term if negative else term
        shown = in_order(inner, base)
        if isinstance(inner, sp.Add):
            shown = r"\left(" + shown + r"\right)"
        out += (" - " if negative else " + ") + shown
    return out
