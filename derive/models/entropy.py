"""Entropy of a labelled sample and the information gain of a split, with exact logarithms.

`logb(x, b)` is log_b x, written out exactly on rationals (log₂(2/5) = 1 − log₂5);
`plog(p, b)` is p log_b p with the convention 0 log 0 = 0. Both carry their numpy meaning.

>>> entropy_of((2, 3))
-3*logb(3, 2)/5 - 2/5 + logb(5, 2)
>>> t = Table(("A1",), ((1, "+"), (1, "-"), (0, "-")))
>>> t.classes, t.values("A1"), t.counts(t.subset("A1", 0))
(('+', '-'), (0, 1), (0, 1))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

Base = Any           # a logarithm base: 2, 10 or sp.E


def _np_log(x: Any, b: Any) -> Any:
    return np.log(np.asarray(x, dtype=float)) / np.log(float(b))


def _np_plog(p: Any, b: Any) -> Any:
    p = np.asarray(p, dtype=float)
    safe = np.where(p > 0, p, 1.0)
    return np.where(p > 0, p * np.log(safe) / np.log(float(b)), 0.0)


def _argument(printer: Any, x: sp.Expr) -> str:
    body = printer._print(x)
    if x.is_Atom or (x.is_Rational and x.is_positive):
        return body
    return rf"\left({body}\right)"


def _log_name(printer: Any, b: sp.Expr) -> str:
    return r"\ln" if b == sp.E else rf"\log_{{{printer._print(b)}}}"


class logb(sp.Function):
    """log_b x; on a positive rational, the sum of the logarithms of its prime factors
    (powers of an integer base taken out): log₂ 12 = 2 + log₂ 3."""

    is_real = True
    _imp_ = staticmethod(_np_log)

    @classmethod
    def eval(cls, x: sp.Expr, b: sp.Expr) -> sp.Expr | None:
        if not (x.is_Rational and x.is_positive):
            return None
        if x == 1:
            return sp.Integer(0)
        if not x.is_Integer:
            return cls(x.p, b) - cls(x.q, b)
        n, whole = int(x), 0
        if b.is_Integer:
            while n % int(b) == 0:
                n, whole = n // int(b), whole + 1
        factors = sp.factorint(n)
        if whole == 0 and len(factors) == 1 and next(iter(factors.values())) == 1:
            return None                              # a prime: stays log_b p
        return whole + sum((e * cls(q, b) for q, e in factors.items()), sp.Integer(0))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        x, b = self.args
        return 1 / (x * sp.log(b))

    def _eval_evalf(self, prec: int) -> sp.Expr:
        x, b = self.args
        return (sp.log(x) / sp.log(b))._eval_evalf(prec)

    def _latex(self, printer: Any, exp: Any = None) -> str:
        x, b = self.args
        name = _log_name(printer, b)
        if exp is not None:
            name = rf"{name}^{{{exp}}}"
        return rf"{name} {_argument(printer, x)}"


class plog(sp.Function):
    """p log_b p, with 0 log 0 = 0. Never evaluated by itself, so that a formula with the
    proportions in place prints as such; `written_out` evaluates it."""

    is_real = True
    _imp_ = staticmethod(_np_plog)

    def _eval_evalf(self, prec: int) -> sp.Expr:
        p, b = self.args
        return sp.Float(0) if p == 0 else (p * sp.log(p) / sp.log(b))._eval_evalf(prec)

    def _latex(self, printer: Any) -> str:
        p, b = self.args
        return rf"{_argument(printer, p)} {_log_name(printer, b)} {_argument(printer, p)}"


def written_out(expr: sp.Basic) -> sp.Basic:
    """Every p log_b p on a rational p written out exactly: 0 log 0 = 0, log_b(a/c) =
    log_b a − log_b c, log_b of an integer through its prime factors."""
    def exact(term: plog) -> sp.Expr:
        p, b = term.args
        return sp.Integer(0) if p == 0 else sp.expand(p * logb(p, b))

    return sp.expand(expr.replace(lambda e: isinstance(e, plog) and e.args[0].is_Rational,
                                  exact))


def proportions(counts: Sequence[int], base: Base = 2) -> sp.Expr:
    """−Σ_c (n_c/n) log_b (n_c/n) with the proportions in place (not evaluated)."""
    n, b = sum(counts), sp.sympify(base)
    return sp.Add(*(-plog(sp.Rational(c, n), b) for c in counts), evaluate=False)


def entropy_of(counts: Sequence[int], base: Base = 2) -> sp.Expr:
    """The entropy of class counts, exact."""
    return written_out(proportions(counts, base))


def entropy_formula(count_symbols: Sequence[sp.Symbol], size: sp.Symbol,
                    base: Base = 2) -> sp.Expr:
    """H = −Σ_c (n_c/|S|) log_b (n_c/|S|), in the counts' symbols."""
    b = sp.sympify(base)
    return sp.Add(*(-plog(c / size, b) for c in count_symbols))


@dataclass(frozen=True)
class Table:
    """Rows of attribute values, each ending with its label."""

    attributes: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    @property
    def labels(self) -> tuple[Any, ...]:
        return tuple(r[-1] for r in self.rows)

    @property
    def classes(self) -> tuple[Any, ...]:
        """The labels that occur, sorted (numbers before words)."""
        return tuple(sorted(set(self.labels), key=_order))

    def column(self, attribute: str) -> tuple[Any, ...]:
        k = self.attributes.index(attribute)
        return tuple(r[k] for r in self.rows)

    def values(self, attribute: str) -> tuple[Any, ...]:
        return tuple(sorted(set(self.column(attribute)), key=_order))

    def subset(self, attribute: str, value: Any) -> tuple[int, ...]:
        """Positions of the rows where `attribute` takes `value`."""
        return tuple(n for n, v in enumerate(self.column(attribute)) if v == value)

    def counts(self, rows: Sequence[int] | None = None) -> tuple[int, ...]:
        """How many of `rows` (all by default) carry each class, in `classes` order."""
        labels = [self.labels[n] for n in (range(len(self.rows)) if rows is None else rows)]
        return tuple(labels.count(c) for c in self.classes)


def _order(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int) else (1, str(value))
