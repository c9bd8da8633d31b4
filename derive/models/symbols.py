"""SymPy objects with textbook LaTeX: derivatives of a loss as symbols, the sigmoid."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import sympy as sp


def _indices(printer: Any, args: tuple[sp.Expr, ...]) -> str:
    return ",".join(printer._print(a) for a in args)


@cache
def partial(loss: str, var: str, order: int = 1) -> type[sp.Function]:
    """A function class D(i, j) printed as ∂L/∂var_{i,j} (or ∂²L/∂var_i∂var_j for order 2).

    >>> from sympy import latex, symbols
    >>> i, j = symbols("i j")
    >>> latex(partial("L", "z")(i, j))
    '\\\\frac{\\\\partial L}{\\\\partial z_{i,j}}'
    """

    def _latex(self: sp.Function, printer: Any) -> str:
        if order == 1:
            return rf"\frac{{\partial {loss}}}{{\partial {var}_{{{_indices(printer, self.args)}}}}}"
        a, b = (printer._print(x) for x in self.args)
        if a == b:
            return rf"\frac{{\partial^2 {loss}}}{{\partial {var}_{{{a}}}^2}}"
        return rf"\frac{{\partial^2 {loss}}}{{\partial {var}_{{{a}}}\,\partial {var}_{{{b}}}}}"

    name = f"d{order}{loss}d{var}"
    return type(name, (sp.Function,), {"_latex": _latex, "is_real": True})


class sigmoid(sp.Function):
    """σ(a) = 1 / (1 + e^{−a}), whose derivative SymPy writes as σ(a)(1 − σ(a))."""

    is_real = True

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sigmoid_prime(sigmoid(self.args[0]))

    def _eval_rewrite_as_exp(self, arg: sp.Expr, **kwargs: Any) -> sp.Expr:
        return 1 / (1 + sp.exp(-arg))

    def _latex(self, printer: Any) -> str:
        return rf"\sigma\left({printer._print(self.args[0])}\right)"


class sigmoid_prime(sp.Function):
    """σ′ written through the output z = σ(a): z(1 − z), kept whole so it prints that way."""

    is_real = True

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return 1 - 2 * self.args[0]

    def _latex(self, printer: Any, exp: Any = None) -> str:
        z = printer._print(self.args[0])
        if exp is None:
            return rf"{z}\left(1 - {z}\right)"
        return rf"{z}^{{{exp}}}\left(1 - {z}\right)^{{{exp}}}"


def expand_sigmoid_prime(expr: sp.Expr) -> sp.Expr:
    """Replace every σ′ placeholder by z(1 − z), e.g. before numeric evaluation."""
    return expr.replace(sigmoid_prime, lambda z: z * (1 - z))


class relu_prime(sp.Function):
    """ReLU′(y) = 1 if y > 0 else 0, printed as the indicator 𝟙[y > 0]."""

    is_real = True

    def _latex(self, printer: Any) -> str:
        return rf"\mathbf{{1}}\left[{printer._print(self.args[0])} > 0\right]"


class ceildiv(sp.Function):
    """⌈a / s⌉ for an integer a and a positive integer s, printed as a fraction."""

    is_integer = True

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

    @classmethod
    def eval(cls, a: sp.Expr, s: sp.Expr) -> sp.Expr | None:
        if a.is_Integer and s.is_Integer:
            return sp.Integer(int(a) // int(s))
        return None

    def _latex(self, printer: Any) -> str:
        a, s = (printer._print(v) for v in self.args)
        return rf"\left\lfloor \frac{{{a}}}{{{s}}} \right\rfloor"


# Plain-Python meanings of the functions above, for numeric evaluation.
NUMERIC: dict[str, Callable[..., Any]] = {
    "relu_prime": lambda v: 1.0 if v > 0 else 0.0,
    "sigmoid": lambda a: 1.0 / (1.0 + __import__("math").exp(-a)),
    "sigmoid_prime": lambda v: v * (1.0 - v),
    "ceildiv": lambda a, s: -(-int(a) // int(s)),
    "floordiv": lambda a, s: int(a) // int(s),
}
