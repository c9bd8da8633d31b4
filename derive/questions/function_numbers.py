"""Numbers on the page of the scalar-function and decision-tree kinds: significant digits,
exact decimals, values put in a formula, a vector with its decimal reading."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import sympy as sp

from derive.latex.decimals import significant
from derive.latex.printer import tex, width


def exact_or_decimal(v: sp.Expr) -> str:
    """A rational with a terminating decimal as that decimal (0.1, −2.25); else its LaTeX."""
    v = sp.nsimplify(v) if isinstance(v, sp.Float) else v
    if v.is_Rational and not v.is_Integer:
        q = int(v.q)
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        if q == 1:
            return format(sp.Float(v, 30), "f").rstrip("0")
    return tex(v)


def in_place(v: sp.Expr) -> str:
    """A value put in a formula: negative numbers in parentheses."""
    text = exact_or_decimal(v)
    return rf"\left({text}\right)" if v.is_negative else text


def matrix_tex(rows: list[list[str]]) -> str:
    body = r" \\ ".join(" & ".join(r) for r in rows)
    return rf"\left[\begin{{matrix}}{body}\end{{matrix}}\right]"


def approximate(value: sp.Basic, fit: float = float("inf")) -> str:
    """The exact value, and ≈ its decimals unless it is rational; only the decimals when
    both would be wider than `fit` printed characters."""
    entries = list(value) if isinstance(value, sp.MatrixBase) else [value]
    if all(e.is_Rational for e in entries):
        return tex(value)
    if not isinstance(value, sp.MatrixBase):
        shown = significant(float(sp.N(value, 30)))
        both = rf"{tex(value)} \approx {shown}"
        return both if width(both) <= fit else shown
    rows = [[significant(float(sp.N(e, 30))) for e in value.row(i)] for i in range(value.rows)]
    shown = matrix_tex(rows)
    numbers = max(sum(width(n) + 2 for n in row) for row in rows)
    fits = printed_width(value) + numbers + 2 <= fit
    return rf"{tex(value)} \approx {shown}" if fits else shown


def printed_width(value: sp.Basic, show: Any = tex) -> float:
    """The printed width of a scalar, or of a matrix's widest row (see printer.width)."""
    if not isinstance(value, sp.MatrixBase):
        return width(show(value))
    return max(sum(width(show(e)) + 2 for e in value.row(i)) for i in range(value.rows))


def digits_for(difference: float) -> int:
    """Significant digits that show a difference of two values near 1 (6 at least)."""
    if difference == 0:
        return 6
    return min(15, max(6, 4 - math.floor(math.log10(abs(difference)))))


def written_tuple(values: Sequence[Any], show: Any = tex) -> str:
    inner = ", ".join(show(v) for v in values)
    return inner if len(values) == 1 else rf"\left({inner}\right)"
