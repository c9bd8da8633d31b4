"""Indices are 0-based inside (numpy's reading); pages print them in the spec's base.

>>> import sympy as sp
>>> i, j = sp.symbols("i j", integer=True)
>>> x = sp.IndexedBase("x")
>>> in_base(sp.Sum(x[i] * x[j + i], (i, 0, sp.Max(0, j - 2))), 1, [j])
Sum(x[i + j - 1]*x[i], (i, 1, Max(1, j - 2)))
"""

from __future__ import annotations

from collections.abc import Iterable

import sympy as sp


def _push_into_extremes(expr: sp.Basic) -> sp.Basic:
    """Max(a, b) + c → Max(a + c, b + c) for a number c, so limits read naturally."""
    def push(e: sp.Add) -> sp.Basic:
        number = sum((a for a in e.args if a.is_Number), sp.Integer(0))
        extremes = [a for a in e.args if isinstance(a, sp.Max | sp.Min)]
        if number == 0 or len(extremes) != 1 or len(e.args) != 2:
            return e
        (m,) = extremes
        return m.func(*(a + number for a in m.args))

    return expr.replace(lambda e: isinstance(e, sp.Add), push)


def in_base(expr: sp.Basic, base: int, free: Iterable[sp.Symbol] | None = None) -> sp.Basic:
    """`expr` (indices from 0) written with indices from `base`: every index variable v
    (free or summed) stands for v − base, every array index e becomes e + base. Without
    `free`, every free symbol of `expr` that appears in an index is an index variable."""
    if base == 0 or not isinstance(expr, sp.Basic):
        return expr
    if free is None:
        free = [v for v in expr.free_symbols if isinstance(v, sp.Symbol)]
    return _walk(expr, base, {v: v - base for v in free})


def _shifted(e: sp.Expr, base: int, shift: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
    return _push_into_extremes(sp.expand(e.xreplace(shift) + base))


def _walk(e: sp.Basic, base: int, shift: dict[sp.Symbol, sp.Expr]) -> sp.Basic:
    if isinstance(e, sp.Sum):
        inner = {**shift, **{v: v - base for v, *_ in e.limits}}
        limits = [(v, _shifted(lo, base, shift), _shifted(hi, base, shift))
                  for v, lo, hi in e.limits]
        return sp.Sum(_walk(e.function, base, inner), *limits)
    if isinstance(e, sp.Indexed):
        return e.func(e.base, *(_shifted(a, base, shift) for a in e.indices))
    if not e.args or isinstance(e, sp.IndexedBase):
        return e
    return e.func(*(_walk(a, base, shift) for a in e.args))
