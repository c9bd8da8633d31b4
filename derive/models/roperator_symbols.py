"""SymPy objects that let a derivation *write* the R-operator and still be checked numerically.

- `Offset(r)` prints as r, is 0 in numbers and has derivative 1: an expression written at
  w + r v (`Moving.shift`) is, in numbers, the expression at w, and its ∂/∂r is carried out
  by SymPy. So "∂/∂r f(w + r v) at r = 0" is evaluated at any r the checker draws.
- `ROp(shown, r, meaning)` is R_v{shown}: printed 𝓡_v{shown}, evaluated as ∂/∂r of its
  meaning (shown with every definition expanded, at w + r v). It is a `PartialOf`, so the
  step checker carries it out like any ∂f/∂v.
- `AtZero(e)` prints [e]_{r=0}; `Dr(e)` prints ∂/∂r e.
- `generic(name, n)` is a generic function f(w_0, …, w_{n−1}) for pages that prove rules for
  every f: printed f(𝐰), ∂f/∂w_i(𝐰), ∂²f/∂w_i∂w_j(𝐰); in numbers a fixed smooth function
  with every mixed partial non-zero (the step checks evaluate it; the rules themselves are
  proved for all f in `derive.models.roperator.PROOFS`).

>>> w, v = sp.IndexedBase("w"), sp.IndexedBase("v")
>>> f = generic("f", 2)(w[0], w[1])
>>> m = Moving({w: v})
>>> from derive.latex.printer import tex
>>> print(tex(m.of(f)))
\\mathcal{R}_{\\mathbf{v}}\\left\\{f\\left(\\mathbf{w}\\right)\\right\\}
>>> print(tex(m.definition(f)))
\\left. \\frac{\\partial}{\\partial r} f\\left(\\mathbf{w} + r \\mathbf{v}\\right) \\right|_{r=0}
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from derive.models.roperator import Direction, R, r
from derive.models.symbols import PartialOf


class Offset(sp.Function):
    """r on the page, 0 in numbers, ∂/∂r = 1."""

    is_real = True
    _imp_ = staticmethod(lambda t: 0.0 * np.asarray(t, dtype=float))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Integer(1)

    def _latex(self, printer: Any, exp: Any = None) -> str:
        return printer._print(self.args[0] if exp is None else self.args[0] ** exp)


class ROp(PartialOf):
    """R_v{shown}: args (shown, r, meaning), the meaning at w + Offset(r) v."""

    direction_tex = r"\mathbf{v}"

    @property
    def shown(self) -> sp.Expr:
        return self.args[0]

    def has(self, *patterns: Any) -> bool:
        """What the page shows: the meaning (a Σ over a whole layer, say) is not looked
        into, so a product prints 𝓡{a} z without parentheses."""
        return any(isinstance(self, p) if isinstance(p, type) else self == p
                   for p in patterns) or self.shown.has(*patterns)

    def doit(self, **hints: Any) -> sp.Expr:
        """The value: ∂/∂r of the meaning, the offset then set to 0."""
        return sp.diff(self.args[2], r).replace(lambda e: isinstance(e, Offset),
                                                lambda e: sp.Integer(0))

    def _latex(self, printer: Any, exp: Any = None) -> str:
        shown = printer._print(self.shown)
        body = rf"\mathcal{{R}}_{{{self.direction_tex}}}\left\{{{shown}\right\}}"
        return body if exp is None else rf"\left({body}\right)^{{{exp}}}"


class Dr(PartialOf):
    """∂/∂r e for an e written at w + r v: args (e, r, e). In a product it is bracketed,
    (∂/∂r f(w + rv)) g(w + rv), so as not to read as the derivative of the product."""

    precedence = PRECEDENCE["Add"]

    def _latex(self, printer: Any, exp: Any = None) -> str:
        inner = printer._print(self.args[0])
        if isinstance(self.args[0], sp.Add | sp.Mul):
            inner = rf"\left[{inner}\right]"
        return rf"\frac{{\partial}}{{\partial r}} {inner}"


class AtZero(sp.Function):
    """[e]_{r=0}: e is written with Offset(r), which is 0 in numbers; so is e, as printed."""

    _imp_ = staticmethod(lambda e: e)

    def _latex(self, printer: Any, exp: Any = None) -> str:
        inner = self.args[0]
        if isinstance(inner, Dr):
            return rf"\left. {printer._print(inner)} \right|_{{r=0}}"
        return rf"\left[{printer._print(inner)}\right]_{{r=0}}"


@dataclass
class Moving:
    """The direction of a derivation: what moves (w → v), and the derivation's definitions
    (`expand`: a name → its meaning, so that R of a named quantity moves what it is made of)."""

    moves: Mapping[sp.Basic, sp.Basic]
    expand: Callable[[sp.Basic], sp.Basic] = field(default=lambda e: e)

    @property
    def direction(self) -> Direction:
        return Direction(self.moves)

    def shift(self, e: sp.Basic) -> sp.Basic:
        return self.direction.shift(self.expand(e), Offset(r))

    def of(self, e: sp.Basic) -> ROp:
        """R_v{e}, evaluable."""
        return ROp(e, r, self.shift(e))

    def definition(self, e: sp.Basic) -> AtZero:
        """∂/∂r e(w + r v) at r = 0, written with e's own names (not expanded)."""
        moved = self.direction.shift(e, Offset(r))
        return AtZero(Dr(moved, r, self.shift(e)))

    def depends(self, e: sp.Basic) -> bool:
        return self.direction.depends(self.expand(e))

    def value(self, e: sp.Basic) -> sp.Basic:
        """R_v{e} by the transform (names expanded)."""
        return R(self.expand(e), list(self.moves), list(self.moves.values()))


# --- generic functions ------------------------------------------------------------------------
def _coefficients(name: str, n: int) -> list[sp.Rational]:
    """Fixed, name-dependent, non-zero coefficients (a small congruential sequence)."""
    state = zlib.crc32(name.encode())
    out = []
    for _ in range(4 * n + 2):
        state = (1103515245 * state + 12345) % (1 << 31)
        out.append(sp.Rational(state % 17 + 3, 10) * (1 if state % 3 else -1))
    return out


@cache
def _meaning(name: str, n: int) -> tuple[tuple[sp.Symbol, ...], sp.Expr]:
    """The test function behind a generic f of n variables: smooth everywhere, every mixed
    partial derivative of order ≤ 3 non-zero in general."""
    u = sp.symbols(f"u0:{n}", real=True)
    c = _coefficients(name, n)
    lin = [sum(c[k * n + m] * u[m] for m in range(n)) / 4 for k in range(3)]
    expr = sp.sin(lin[0] + c[-1]) + sp.exp(lin[1] / 2) + lin[2] ** 3 / 6 + lin[0] * lin[1]
    return u, expr


@cache
def _partials(name: str, n: int, order: int) -> dict[tuple[int, ...], Callable[..., Any]]:
    u, expr = _meaning(name, n)
    out = {}
    for combo in itertools.product(range(n), repeat=order):
        out[combo] = sp.lambdify(u, sp.diff(expr, *(u[k] for k in combo)) if combo else expr,
                                 modules="numpy")
    return out


def _point(printer: Any, args: tuple[sp.Expr, ...]) -> str:
    """The point of a generic function: 𝐰 + r𝐯 when the arguments are the entries of one
    vector expression in order, else the arguments one by one."""
    first = args[0]
    entries = [a for a in first.atoms(sp.Indexed) if len(a.indices) == 1]
    if len(args) > 1 and entries and all(a.indices[0].is_Integer for a in entries):
        def moved(k: int) -> sp.Expr:
            return first.xreplace({a: a.base[a.indices[0] + k] for a in entries})
        if all(moved(k) == arg for k, arg in enumerate(args)):
            bold = {a: sp.Symbol(rf"\mathbf{{{a.base}}}") for a in entries}
            terms = sorted(sp.Add.make_args(first.xreplace(bold)), key=lambda t: t.has(Offset))
            return " + ".join(" ".join(printer._print(f) for f in sorted(
                sp.Mul.make_args(t), key=lambda f: (not f.is_Number, not isinstance(f, Offset))))
                for t in terms).replace("+ -1 ", "- ")
    return ", ".join(printer._print(a) for a in args)


class _Generic(sp.Function):
    """f, ∂f/∂w_i or ∂²f/∂w_i∂w_j of a generic function: args (indices…, point…)."""

    is_real = True
    fname: str = "f"
    arity: int = 1
    order: int = 0

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        k = argindex - 1 - self.order
        if k < 0:
            raise ValueError("a generic function is not differentiated in its indices")
        indices, point = self.args[:self.order], self.args[self.order:]
        return generic(self.fname, self.arity, self.order + 1)(*indices, k, *point)

    @classmethod
    def _evaluate(cls, *args: Any) -> Any:
        indices = [np.asarray(a).astype(np.int64) for a in args[:cls.order]]
        point = [np.asarray(a, dtype=float) for a in args[cls.order:]]
        shape = np.broadcast_shapes(*(a.shape for a in [*indices, *point]))
        out = np.zeros(shape)
        for combo, fn in _partials(cls.fname, cls.arity, cls.order).items():
            here = np.ones(shape, dtype=bool)
            for idx, k in zip(indices, combo, strict=True):
                here = here & (idx == k)
            if np.any(here):
                out = np.where(here, np.broadcast_to(np.asarray(fn(*point), dtype=float),
                                                     shape), out)
        return out

    def _latex(self, printer: Any, exp: Any = None) -> str:
        indices, point = self.args[:self.order], self.args[self.order:]
        at = rf"\left({_point(printer, point)}\right)"
        if self.arity == 1:
            name = self.fname + "'" * self.order if self.order < 3 else \
                rf"{self.fname}^{{({self.order})}}"
        else:
            var = _variable(point)
            parts = r"\,".join(rf"\partial {var}_{{{printer._print(i)}}}" for i in indices)
            power = "" if self.order == 1 else f"^{{{self.order}}}"
            name = (rf"\frac{{\partial{power} {self.fname}}}{{{parts}}}"
                    if self.order else self.fname)
        body = name + at
        return body if exp is None else rf"\left({body}\right)^{{{exp}}}"


def _variable(point: tuple[sp.Expr, ...]) -> str:
    """The name of the variable: the vector whose entries stand alone in the point (w in
    w + r v)."""
    alone = sorted({str(t.base) for p in point for t in sp.Add.make_args(p)
                    if isinstance(t, sp.Indexed)})
    bases = alone or sorted({str(a.base) for p in point for a in p.atoms(sp.Indexed)})
    return bases[0] if bases else "x"


@cache
def generic(name: str, arity: int, order: int = 0) -> type[_Generic]:
    """The class of a generic function `name` of `arity` variables (its order-th partials)."""
    cls = type(name if order == 0 else f"{name}_d{order}", (_Generic,),
               {"fname": name, "arity": arity, "order": order,
                "nargs": order + arity})
    cls._imp_ = staticmethod(cls._evaluate)          # type: ignore[attr-defined]
    return cls
