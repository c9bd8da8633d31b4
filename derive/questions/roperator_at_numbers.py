"""A quantity of the R-operator's passes at given numbers, as checked steps (for
`roperator.hv`, see `roperator_numbers`): its formula at every entry, the Σ written out, the
numbers put in (in the formula's own order), and the values, exact and shown rounded; what
would be wider or taller than the page allows, or was shown above, is checked but not shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sympy as sp

from derive.derivation import Derivation
from derive.latex.printer import TextbookPrinter, tex, width
from derive.models.roperator_nets import Net
from derive.models.roperator_symbols import ROp
from derive.models.softmax import Shown
from derive.models.symbols import sigmoid, sigmoid_prime
from derive.questions.mlp_numbers import approx, number

# Printed characters (see `derive.latex.printer.width`) a display's right side may take.
FITS = 44
ROWS = 6           # rows of a displayed formula (its numbers and values may have more)


def numeric(v: sp.Basic) -> sp.Basic:
    """An exact value to 30 digits (σ through exp, σ′(z) as z(1 − z))."""
    v = v.replace(lambda e: isinstance(e, sigmoid_prime), lambda e: e.args[0] * (1 - e.args[0]))
    return sp.N(v.rewrite(sp.exp) if v.has(sigmoid) else v, 30)


def kept(v: sp.Basic) -> sp.Basic:
    """A value as later quantities use it: exact when rational, else to 30 digits."""
    return v if isinstance(v, sp.Rational) else numeric(v)


def written_out(e: sp.Basic) -> sp.Basic:
    """Every Σ written term by term (its index put into 𝓡{…} too), but the Σ that 𝓡{…}
    stands for: its meaning is not shown."""
    if isinstance(e, ROp) or not e.args or isinstance(e, sp.IndexedBase):
        return e
    if isinstance(e, sp.Sum):
        (var, lo, hi), *rest = e.limits
        body = sp.Sum(e.function, *rest) if rest else e.function
        return sp.Add(*(written_out(body.xreplace({var: sp.Integer(k)}))
                        for k in range(int(lo), int(hi) + 1)))
    return e.func(*(written_out(a) for a in e.args))


def bindings(e: sp.Basic, values: Mapping[sp.Basic, sp.Expr],
             r_values: Mapping[sp.Basic, sp.Expr]) -> dict[sp.Basic, sp.Expr]:
    """The values of what `e` reads: array entries, symbols and 𝓡{…} of derived names."""
    rops = {rop: sp.Dummy() for rop in e.atoms(ROp)}
    rest = e.xreplace(rops)
    wanted = rest.atoms(sp.Indexed) | {s for s in rest.free_symbols if isinstance(s, sp.Symbol)}
    out = {a: values[a] for a in wanted if a in values}
    return out | {rop: r_values[rop.shown] for rop in rops if rop.shown in r_values}


class _AtNumbers(TextbookPrinter):
    """The formula as SymPy prints it, each name that has a value written as that value
    (negative ones in parentheses): the numbers keep the formula's order."""

    def __init__(self, values: Mapping[sp.Basic, sp.Expr]) -> None:
        super().__init__({"mul_symbol": "times"})
        self.values = values

    def _print(self, expr: Any, **kwargs: Any) -> str:
        if isinstance(expr, sp.Basic) and expr in self.values:
            return number(self.values[expr])
        return str(super()._print(expr, **kwargs))


def _in_place(e: sp.Basic, bound: Mapping[sp.Basic, sp.Expr]) -> str:
    """`e` with the numbers in place."""
    return _tidy(_AtNumbers(bound).doprint(e))


def columns_width(entries: list[list[str]]) -> float:
    """The printed width of a matrix of LaTeX entries: its widest row, with the gaps."""
    return max(sum(width(t) + 2 for t in row) for row in entries)


_DOUBLED = re.compile(r"\\left\(\\left\((-[0-9.]+)\\right\)\s*\\right\)")


def _tidy(display: str) -> str:
    """σ((−0.5)) → σ(−0.5): a negative number's parentheses, not doubled by a function's."""
    return _DOUBLED.sub(r"\\left(\1\\right)", display)


def _entries(formula: sp.Basic, index: Sequence[sp.Symbol],
             ranges: Sequence[tuple[int, int]]) -> list[list[sp.Basic]]:
    """The formula at every entry: a column over one index, a matrix over two."""
    if not index:
        return [[formula]]
    if len(index) == 1:
        return [[formula.xreplace({index[0]: k})] for k in range(ranges[0][0], ranges[0][1] + 1)]
    return [[formula.xreplace({index[0]: r, index[1]: c}) for c in range(ranges[1][0],
                                                                           ranges[1][1] + 1)]
            for r in range(ranges[0][0], ranges[0][1] + 1)]


def _as_matrix(rows: list[list[sp.Basic]], indexed: bool = True) -> sp.Basic:
    """The entries of an indexed name as a matrix (a column over one index), a scalar's
    value as itself."""
    return Shown(rows) if indexed else rows[0][0]


class Passes:
    """The quantities of the passes at the numbers, each a chain of checked steps; the
    values found (`values`: forward and backward, `r_values`: 𝓡 of each name)."""

    def __init__(self, d: Derivation, net: Net, values: dict[sp.Basic, sp.Expr]) -> None:
        self.d, self.net, self.values = d, net, values
        self.r_values: dict[sp.Basic, sp.Expr] = {}

    def show(self, name: sp.Basic, formula: sp.Basic, rule: str,
             lhs: Callable[[sp.Basic], sp.Basic] | sp.Basic, r: bool = False) -> sp.Basic:
        """lhs = the formula at every entry of `name`, its Σ written out, = the numbers in
        place ≈ the values. Every step is checked; a formula shown above (the index form, a
        definition) or too wide or too tall is not displayed, and the numbers in place only
        when they fit. `lhs`: a function of each entry (𝓡{a_1}, …) or the whole left side;
        `r`: the values are 𝓡 of `name`."""
        d = self.d
        idx = [i for i in getattr(name, "indices", ()) if isinstance(i, sp.Symbol)]
        ranges = [self.net.free[i] for i in idx]
        names, formulas = _entries(name, idx, ranges), _entries(formula, idx, ranges)
        outs = [[written_out(f) for f in row] for row in formulas]
        # a matrix (a column over one index); a single entry as a number, but for Hv
        matrix = bool(idx) and (isinstance(lhs, sp.Basic) or len(names) * len(names[0]) > 1)
        left = lhs if isinstance(lhs, sp.Basic) else _as_matrix(
            [[lhs(n) for n in row] for row in names], matrix)
        d.chain(left, _as_matrix(formulas, matrix), rule)
        _hide(d, formulas, outs != formulas or _shown_before(d))
        if outs != formulas:
            d.then(_as_matrix(outs, matrix), "expand_sum")
            _hide(d, outs)
        bound: dict[sp.Basic, sp.Expr] = {}
        for row in outs:
            for f in row:
                bound |= bindings(f, self.values, self.r_values)
        result = [[kept(f.xreplace(bound)) for f in row] for row in outs]
        d.put(bound, number=number)
        d.steps[-1].display = _reading(outs, result, bound, matrix)
        store = self.r_values if r else self.values
        for row_n, row_v in zip(names, result, strict=True):
            store.update(zip(row_n, row_v, strict=True))
        return _as_matrix(result, matrix)


def _reading(outs: list[list[sp.Basic]], result: list[list[sp.Basic]],
             bound: Mapping[sp.Basic, sp.Expr], indexed: bool) -> str:
    """The numbers in place, then = or ≈ the values: beside them when both fit, below them
    when only the numbers fit, alone when the formula only reads values (𝓡{p}, say) or the
    numbers are too wide."""
    relation = approx(sp.Matrix(result)).split(" ")[1]
    if not indexed:
        alone = beside = f"{relation} {number(result[0][0], paren=False)}"
    else:
        alone = approx(sp.Matrix(result)).strip()
        rows = [" & ".join(number(v, paren=False) for v in row) for row in result]
        beside = rf"{relation} \begin{{bmatrix}}" + r" \\[1.6ex] ".join(rows) + \
            r"\end{bmatrix}"
    placed = columns_width([[_in_place(f, bound) for f in row] for row in outs])
    values = columns_width([[number(v, paren=False) for v in row] for row in result])
    lookup = all(f.is_Number or isinstance(f, sp.Indexed | sp.Symbol | ROp)
                 for row in outs for f in row)
    if lookup or placed > FITS:
        return alone
    in_place = _in_place(_as_matrix(outs, indexed), bound)
    return f"{in_place} {beside}" if placed + values <= FITS else rf"{in_place} \\ &{alone}"


def _shown_before(d: Derivation) -> bool:
    """Whether the chain just started states what an earlier chain of the same name shows
    (a definition derived with the formulas above)."""
    last = d.steps[-1]
    return any(c[0] is not last and c[0].lhs == last.lhs and any(s.rhs == last.rhs for s in c)
               for c in d.chains())


def _hide(d: Derivation, rows: list[list[sp.Basic]], repeated: bool = False) -> None:
    """The last step checked but not displayed: repeated, wider than FITS or taller than
    ROWS."""
    if repeated or len(rows) > ROWS or columns_width([[tex(f) for f in row]
                                                       for row in rows]) > FITS:
        d.steps[-1].shown = False
