"""SymPy objects with textbook LaTeX: derivatives of a loss as symbols, the sigmoid."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import sympy as sp

from derive.latex.notation import indexed


def _np_sigmoid(a: Any) -> Any:
    """σ without overflow for large |a|."""
    a = np.asarray(a, dtype=float)
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _indices(printer: Any, args: tuple[sp.Expr, ...]) -> str:
    return ",".join(printer._print(a) for a in args)


class sigmoid(sp.Function):
    """σ(a) = 1 / (1 + e^{−a}), whose derivative SymPy writes as σ(a)(1 − σ(a)).

    `_imp_` is its numpy meaning, so `sympy.lambdify` needs no name mapping:

    >>> a = sp.Symbol("a")
    >>> float(sp.lambdify(a, sigmoid(a))(0.0))
    0.5
    """

    is_real = True
    _imp_ = staticmethod(_np_sigmoid)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sigmoid_prime(sigmoid(self.args[0]))

    def _eval_rewrite_as_exp(self, arg: sp.Expr, **kwargs: Any) -> sp.Expr:
        return 1 / (1 + sp.exp(-arg))

    def _latex(self, printer: Any, exp: Any = None) -> str:
        power = "" if exp is None else f"^{{{exp}}}"      # σ²(a) in a product
        return rf"\sigma{power}\left({printer._print(self.args[0])}\right)"


class sigmoid_prime(sp.Function):
    """σ′ written through the output z = σ(a): z(1 − z), kept whole so it prints that way."""

    is_real = True
    _imp_ = staticmethod(lambda z: z * (1.0 - z))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return 1 - 2 * self.args[0]

    def _latex(self, printer: Any, exp: Any = None) -> str:
        z = printer._print(self.args[0])
        if exp is None:
            return rf"{z}\left(1 - {z}\right)"
        return rf"{z}^{{{exp}}}\left(1 - {z}\right)^{{{exp}}}"


class relu_prime(sp.Function):
    """ReLU′(y) = 1 if y > 0 else 0, printed as the indicator 𝟙[y > 0]."""

    is_real = True
    _imp_ = staticmethod(lambda v: np.where(np.asarray(v) > 0, 1.0, 0.0))

    def _latex(self, printer: Any) -> str:
        return rf"\mathbf{{1}}\left[{printer._print(self.args[0])} > 0\right]"


class ceildiv(sp.Function):
    """⌈a / s⌉ for an integer a and a positive integer s, printed as a fraction."""

    is_integer = True
    _imp_ = staticmethod(lambda a, s: -(-np.asarray(a, dtype=np.int64) // s))

    @classmethod
    def eval(cls, a: sp.Expr, s: sp.Expr) -> sp.Expr | None:
        if a.is_Integer and s.is_Integer:
            return sp.Integer(-(-int(a) // int(s)))
        return None

    def _latex(self, printer: Any) -> str:
        a, s = (printer._print(v) for v in self.args)
        return rf"\left\lceil \frac{{{a}}}{{{s}}} \right\rceil"


class floordiv(sp.Function):
    """⌊a / s⌋ for an integer a and a positive integer s, printed as a fraction."""

    is_integer = True
    _imp_ = staticmethod(lambda a, s: np.asarray(a, dtype=np.int64) // s)

    @classmethod
    def eval(cls, a: sp.Expr, s: sp.Expr) -> sp.Expr | None:
        if a.is_Integer and s.is_Integer:
            return sp.Integer(int(a) // int(s))
        return None

    def _latex(self, printer: Any) -> str:
        a, s = (printer._print(v) for v in self.args)
        return rf"\left\lfloor \frac{{{a}}}{{{s}}} \right\rfloor"


_UPSTREAM_NAME = re.compile(r"^d(\d?)([A-Za-z]+)_d([A-Za-z]+)\d?$")


class Upstream(sp.IndexedBase):
    """An array of given derivatives of a loss, ∂L/∂z_j (order 1) or ∂²L/∂z_j∂z_j′ (order 2).

    An IndexedBase named like a Python identifier (``dL_dz``, ``d2L_dz2``), so `lambdify`
    takes the array as an argument; its entries print as fractions of partials.

    >>> g = Upstream.of("L", "z")
    >>> j = sp.Symbol("j")
    >>> sp.latex(g[j])
    '\\\\frac{\\\\partial L}{\\\\partial z_{j}}'
    >>> float(sp.lambdify((g, j), 2 * g[j])(np.array([1.0, 3.0]), 1))
    6.0
    """

    @classmethod
    def of(cls, loss: str, var: str, order: int = 1) -> Upstream:
        name = f"d{loss}_d{var}" if order == 1 else f"d{order}{loss}_d{var}{order}"
        return cls(name, real=True)

    def __getitem__(self, indices: Any, **kw_args: Any) -> UpstreamEntry:
        indices = indices if isinstance(indices, tuple) else (indices,)
        return UpstreamEntry(self, *indices)

    def parts(self) -> tuple[str, str, int]:
        """(loss, variable, order) read off the name."""
        match = _UPSTREAM_NAME.match(str(self.label))
        assert match, f"not an upstream name: {self.label}"
        return match.group(2), match.group(3), int(match.group(1) or 1)


class UpstreamEntry(sp.Indexed):
    """One entry of an `Upstream` array, printed ∂L/∂z_j."""

    is_real = True

    def _latex(self, printer: Any) -> str:
        loss, var, order = self.base.parts()
        idx = [printer._print(a) for a in self.indices]
        if order == 1:
            return rf"\frac{{\partial {loss}}}{{\partial {indexed(var, idx)}}}"
        a, b = idx
        if a == b:
            return rf"\frac{{\partial^2 {loss}}}{{\partial {indexed(var, [a])}^2}}"
        return (rf"\frac{{\partial^2 {loss}}}{{\partial {indexed(var, [a])}\,"
                rf"\partial {indexed(var, [b])}}}")


class PartialOf(sp.Function):
    """∂f/∂v of a named quantity f whose meaning is `expr`: printed as a fraction of
    partials, and evaluated (by `doit`) as SymPy's derivative of `expr`.

    >>> p, a = sp.symbols("p a")
    >>> d = PartialOf(p, a, sigmoid(a))
    >>> sp.latex(d)
    '\\\\frac{\\\\partial p}{\\\\partial a}'
    >>> d.doit()
    sigmoid_prime(sigmoid(a))
    """

    def doit(self, **hints: Any) -> sp.Expr:
        _name, var, meaning = self.args
        return sp.diff(meaning, var)

    def _latex(self, printer: Any) -> str:
        name, var = self.args[:2]
        if isinstance(name, PartialOf):             # ∂²f/∂u∂v
            inner, first = printer._print(name.args[0]), printer._print(name.args[1])
            second = printer._print(var)
            if first == second:
                return rf"\frac{{\partial^2 {inner}}}{{\partial {first}^2}}"
            return rf"\frac{{\partial^2 {inner}}}{{\partial {first}\,\partial {second}}}"
        if isinstance(name, sp.Symbol) or type(name) is sp.Indexed:
            return rf"\frac{{\partial {printer._print(name)}}}{{\partial {printer._print(var)}}}"
        body = printer._print(name)
        if isinstance(name, sp.Add | sp.Mul):
            body = rf"\left({body}\right)"
        return rf"\frac{{\partial}}{{\partial {printer._print(var)}}} {body}"


class Frozen(sp.Function):
    """A value held fixed: Frozen(v) is v, but its derivative is 0. Used to write a loss
    through its expansion around the current point, L(z) ≈ gᵀ(z − z̄) + ½(z − z̄)ᵀH(z − z̄),
    with z̄ = Frozen(z).

    >>> u = sp.Symbol("u")
    >>> sp.diff(u * Frozen(u), u)
    Frozen(u)
    """

    _imp_ = staticmethod(lambda v: v)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Integer(0)

    def _latex(self, printer: Any) -> str:
        return rf"\bar{{{printer._print(self.args[0])}}}"
