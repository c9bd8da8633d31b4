"""The symbols of proofs about any kernel: k(x_i, x_j) for index expressions i, j, the
centred kernel k̃, coefficients a_i, and an exact check of an identity between two steps.

A kernel in a proof is any symmetric function; numerically, `k(i, j)` reads the array "k"
(the values of k at the points x_0, …, x_N, drawn at random by the step checker), so an
identity checked there holds for whatever kernel those values come from. `exact_identity`
proves the same identity in SymPy for n = 3 points, with every value k(x_p, x_q) = k(x_q, x_p)
a symbol and the coefficients symbols (summing to 0 where the proof says so).

>>> i, j = sp.symbols("i j", integer=True)
>>> print(sp.latex(k(0, i)))
k(x_{0}, x_{i})
>>> lhs = sp.Sum(a[i] * a[j] * kt(i, j), (i, 1, n), (j, 1, n))
>>> rhs = sp.Sum(a[i] * a[j] * k(i, j), (i, 1, n), (j, 1, n))
>>> exact_identity(lhs, rhs, zero_sum=(a,)), exact_identity(lhs, rhs)
(True, False)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sympy as sp

n = sp.Symbol("n", integer=True, positive=True)
i, j, m = (sp.Symbol(s, integer=True, nonnegative=True) for s in "ijm")
t = sp.Symbol("t", positive=True)


class Label(sp.Symbol):
    """The label of an array, printed as `latex` (two arrays may print alike: a and a)."""

    def __new__(cls, name: str, latex: str = "") -> Label:
        obj = super().__new__(cls, name)
        obj._tex = latex or name
        return obj

    def __getnewargs__(self) -> tuple[str, str]:
        return (self.name, self._tex)

    def _latex(self, printer: Any) -> str:
        return self._tex


a = sp.IndexedBase(Label("a"))            # coefficients with Σ a_i = 0 where a proof says so
c = sp.IndexedBase(Label("cg", "c"))      # any coefficients (c_0 = −Σ c_i in part 4)


class KernelAt(sp.Function):
    """letter(x_i, x_j): a kernel's value at two of the points x_0, …, x_n."""

    letter = "k"
    is_real = True
    is_number = False        # k(x_0, x_0) is read from data, not a number SymPy evaluates

    def _latex(self, printer: Any, exp: Any = None) -> str:
        p, q = (printer._print(v) for v in self.args)
        out = rf"{self.letter}(x_{{{p}}}, x_{{{q}}})"
        return out if exp is None else rf"{out}^{{{exp}}}"


class k(KernelAt):
    letter = "k"


class kt(KernelAt):
    letter = r"\tilde{k}"


class K1(KernelAt):
    letter = "k_1"


class K2(KernelAt):
    letter = "k_2"


def centred(p: sp.Expr, q: sp.Expr) -> sp.Expr:
    """k̃(x_p, x_q) = k(x_p, x_q) − k(x_0, x_p) − k(x_0, x_q) + k(x_0, x_0)."""
    return k(p, q) - k(0, p) - k(0, q) + k(0, 0)


def double_sum(body: sp.Expr, lo: int | sp.Expr = 1, hi: sp.Expr = n) -> sp.Sum:
    return sp.Sum(body, (i, lo, hi), (j, lo, hi))


def form(kernel: type[KernelAt] = k, coef: sp.IndexedBase = a, lo: int = 1) -> sp.Sum:
    """Σ_i Σ_j coef_i coef_j kernel(x_i, x_j)."""
    return double_sum(coef[i] * coef[j] * kernel(i, j), lo)


def _symbol(name: str, *args: Any) -> sp.Symbol:
    return sp.Symbol(name + "_" + "_".join(str(v) for v in args), real=True)


def exact_form(expr: sp.Expr, size: int = 3, zero_sum: Sequence[sp.IndexedBase] = (),
               meanings: Mapping[Any, Callable[..., sp.Expr]] | None = None,
               first_minus_sum: Sequence[sp.IndexedBase] = ()) -> sp.Expr:
    """`expr` for n = `size` points, expanded, every value a symbol: k(x_p, x_q) symmetric,
    k̃ by its definition, other kernels by `meanings` (which may use n), arrays in `zero_sum`
    with their last entry −Σ of the others, arrays in `first_minus_sum` with entry 0 equal to
    −Σ of entries 1 … n."""
    rules: dict[Any, Callable[..., sp.Expr]] = {kt: centred, **(meanings or {})}
    e = expr.xreplace({n: size}).doit()
    for _ in range(4):                  # a meaning may sum up to n: n = size there too
        e = e.replace(lambda v: type(v) in rules,
                      lambda v: rules[type(v)](*v.args)).xreplace({n: size}).doit()
    last = {base: -sum((base[q] for q in range(1, size)), sp.Integer(0)) for base in zero_sum}
    e = e.replace(lambda v: isinstance(v, sp.Indexed) and v.base in last
                  and v.indices == (size,), lambda v: last[v.base])
    first = {base: -sum((base[q] for q in range(1, size + 1)), sp.Integer(0))
             for base in first_minus_sum}
    e = e.replace(lambda v: isinstance(v, sp.Indexed) and v.base in first
                  and v.indices == (0,), lambda v: first[v.base])

    def value(v: KernelAt) -> sp.Symbol:
        p, q = sorted(v.args, key=str)
        return _symbol(type(v).__name__, p, q)

    e = e.replace(lambda v: isinstance(v, KernelAt), value)
    e = e.replace(lambda v: isinstance(v, sp.Indexed),
                  lambda v: _symbol(str(v.base), *v.indices))
    return sp.expand(e)


def exact_identity(before: sp.Expr, after: sp.Expr, size: int = 3,
                   zero_sum: Sequence[sp.IndexedBase] = (),
                   meanings: Mapping[Any, Callable[..., sp.Expr]] | None = None,
                   first_minus_sum: Sequence[sp.IndexedBase] = ()) -> bool:
    """Whether SymPy proves `before` = `after` for n = `size` (see `exact_form`)."""
    gap = exact_form(before - after, size, zero_sum, meanings, first_minus_sum)
    return bool(sp.simplify(gap) == 0) if gap != 0 and gap.has(sp.exp) else gap == 0
