"""Names for the subexpressions a function's derivatives repeat: with u = w/2 + x + 2y − 3z,
the derivatives of σ(w/2 + x + 2y − 3z) are written with σ(u), as a textbook does.

A name is a `Named(u, meaning)`: printed u, differentiated as its meaning (so SymPy's chain
rule gives σ′(u) ∂u/∂x). The derivation defines the symbol u (`Derivation.definitions`):
the checker replaces u by that definition, and a `Named` whose name is no longer a symbol
is that value, so every step that shows u is checked numerically through the definition
on the page, never through the meaning kept inside (a wrong meaning fails its step).

>>> x, y, u = sp.Symbol("x"), sp.Symbol("y"), sp.Symbol("u")
>>> f = sp.exp(Named(u, x - 2*y))
>>> sp.diff(f, y), sp.latex(f)
(-2*exp(Named(u, x - 2*y)), 'e^{u}')
>>> unnamed(sp.diff(f, y)), f.xreplace({u: x - 2*y})
(-2*exp(x - 2*y), exp(x - 2*y))
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sympy as sp

from derive.latex.printer import tex, tex_broken, width

# A subexpression is named when the page written without names has a line wider than WIDE
# printed characters (see printer.width: about what a display holds beside its left side
# and its rule's name), and the name saves at least SAVED printed characters on the page.
WIDE = 50
SAVED = 40
SHORTEST = 3             # x − y is worth a name when it repeats; x y (2) never is
LETTERS = ("u", "s", "t", "r", "q")


class Named(sp.Function):
    """A subexpression written by its name: `Named(u, meaning)` prints u (u² as a power)
    and differentiates as `meaning`. Once its name is replaced by a value (the checker
    expanding u's definition, or a point's number put in), it is that value: so a wrong
    value on the page fails its check."""

    nargs = 2

    @classmethod
    def eval(cls, name: sp.Expr, meaning: sp.Expr) -> sp.Expr | None:
        if not isinstance(name, sp.Symbol):
            return name
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Integer(0 if argindex == 1 else 1)

    def _eval_is_real(self) -> bool | None:
        return self.args[1].is_real

    def _latex(self, printer: Any, exp: Any = None) -> str:
        shown = printer._print(self.args[0])
        return shown if exp is None else rf"{shown}^{{{exp}}}"


def unnamed(expr: sp.Basic) -> sp.Basic:
    """`expr` with every name replaced by what it stands for."""
    while expr.has(Named):
        expr = expr.replace(lambda e: isinstance(e, Named), lambda e: e.args[1])
    return expr


def candidates(f: sp.Expr) -> list[sp.Expr]:
    """The arguments of f's functions (but |·|) and the bases of its powers other than
    positive integer ones, that are more than a symbol or a short product; inner first."""
    found: list[sp.Expr] = []
    for e in sp.postorder_traversal(f):
        if isinstance(e, sp.Function) and len(e.args) == 1 and not isinstance(e, sp.Abs):
            inside = e.args[0]
        elif isinstance(e, sp.Pow) and not (e.exp.is_Integer and e.exp > 0):
            inside = e.base
        else:
            continue
        if not (inside.is_Atom or inside.is_number or inside in found) \
                and width(tex(inside)) >= SHORTEST:
            found.append(inside)
    return found


def _occurrences(shown: Iterable[sp.Basic], part: sp.Expr) -> int:
    return sum(1 for e in shown for node in sp.preorder_traversal(e) if node == part)


def widest(steps: Iterable[Any]) -> float:
    """The printed width of the widest display line of derivation steps: a step's `display`
    if it has one, else its expression (a long sum is broken over lines, a product is not;
    a matrix is as wide as its widest row)."""
    def rows(text: str) -> float:
        return max(sum(width(cell) + 2 for cell in row.split("&"))
                   for row in text.split(r"\\"))

    out = 0.0
    for step in steps:
        if step.display is not None:
            out = max(out, rows(step.display))
        elif isinstance(step.rhs, sp.MatrixBase):
            out = max(out, max(sum(width(tex(e)) + 2 for e in step.rhs.row(i))
                               for i in range(step.rhs.rows)))
        else:
            out = max(out, max(width(piece) for piece in tex_broken(step.rhs)))
    return out


def letters(variables: Sequence[sp.Symbol], others: Iterable[str], count: int) -> list[sp.Symbol]:
    """`count` names that print unlike any variable or other name on the page: u, or u₁, u₂,
    … (else s, t, r, q)."""
    taken = {tex(v) for v in variables} | {tex(sp.Symbol(o)) for o in others}
    for letter in LETTERS:
        names = ([sp.Symbol(letter, real=True)] if count == 1
                 else [sp.Symbol(f"{letter}_{n}", real=True) for n in range(1, count + 1)])
        family = {tex(n) for n in names} | {letter}
        if not family & taken:
            return names
    raise ValueError("no free letter for a name")        # 5 letters, at most 6 variables


def choose(f: sp.Expr, shown: Sequence[sp.Basic], variables: Sequence[sp.Symbol],
           others: Iterable[str]) -> dict[sp.Symbol, sp.Expr]:
    """The names worth introducing (name → what it stands for, inner names first): the
    candidates that `shown` (the expressions on the page, written without names) repeats
    enough for a name to save SAVED printed characters. Names do not nest: an expression
    that holds a named one keeps its form (1 + e^u, not a second name, whose relation to u
    the simplification could not see)."""
    worth: list[sp.Expr] = []
    for c in candidates(f):
        if not any(c.has(inner) for inner in worth) \
                and _occurrences(shown, c) * (width(tex(c)) - 1) >= SAVED:
            worth.append(c)
    return dict(zip(letters(variables, others, len(worth)), worth, strict=True)) if worth else {}


def renaming(names: dict[sp.Symbol, sp.Expr]) -> dict[sp.Expr, sp.Expr]:
    """What the rule `rename` replaces: each meaning by its Named, a meaning that holds an
    earlier (inner) name written with it."""
    out: dict[sp.Expr, sp.Expr] = {}
    for name, meaning in names.items():
        out[meaning] = Named(name, meaning.xreplace(out))
    return out


def values_at(names: dict[sp.Symbol, sp.Expr], at: dict[sp.Symbol, sp.Expr]
              ) -> dict[sp.Symbol, sp.Expr]:
    """Each name's exact value at a point (`at`: the variables' values)."""
    return {name: meaning.xreplace(at) for name, meaning in names.items()}
