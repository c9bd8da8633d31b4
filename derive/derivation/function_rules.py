"""Rules of the scalar-function and decision-tree families (words in
templates/strings/<language>/function.yaml and entropy.yaml, under `rules:`).

>>> import sympy as sp
>>> x, y = sp.symbols("x y")
>>> simplify_entries(sp.ImmutableMatrix([x*y/(x*y + x), x + 1]))
Matrix([
[y/(y + 1)],
[    x + 1]])
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from derive.derivation.rules import register
from derive.models.entropy import written_out


def _tidy(e: sp.Expr) -> sp.Expr:
    """The shortest of e, its single fraction, and that fraction factored (never
    `sp.simplify`, which can hang): ties keep the earlier form."""
    together = sp.cancel(sp.together(e))
    factored = sp.factor(together)
    candidates = [e, together, factored, sp.powsimp(together, deep=True),
                  sp.powsimp(factored, deep=True)]
    return min(candidates, key=lambda c: (sp.count_ops(c), len(str(c))))


def simplify_entries(expr: sp.Basic, **_: Any) -> sp.Basic:
    """Each entry of a vector or matrix (or a scalar) in its shortest tidy form."""
    if isinstance(expr, sp.MatrixBase):
        tidy = expr.applyfunc(_tidy)           # keeps the matrix's class
        return tidy if isinstance(tidy, sp.ImmutableMatrix) else sp.ImmutableMatrix(tidy)
    return _tidy(expr)


def _written_out(expr: sp.Basic, **_: Any) -> sp.Basic:
    return written_out(expr)


# The scalar-function family: the Hessian as the derivatives of the gradient's entries,
# the directional derivative ∇f·v, the product Hv, and finite-difference quotients.
for _name, _transform in (("simplify_entries", simplify_entries),
                          ("hessian_of_gradient", None), ("directional_derivative", None),
                          ("hessian_vector_product", None), ("hessian_entries_put_in", None),
                          ("difference_quotient", None),
                          ("absolute_error", None)):
    register(_name, _transform)

# Decision trees: the entropy of class counts, its exact logarithms (0 log 0 = 0 where a
# class is absent), the weighted entropy of a split and the information gain.
for _name, _transform in (("entropy_counts", None), ("exact_logs", _written_out),
                          ("zero_log_zero", _written_out), ("weighted_entropy", None),
                          ("information_gain", None)):
    register(_name, _transform)
