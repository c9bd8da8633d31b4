"""Pearlmutter's R-operator as a symbolic transform: R_v{f(w)} = ∂/∂r f(w + r v) at r = 0.

`R(expr, w, v)` applies the R-operator's rules node by node (a table, `RULES`): a sum
term by term, a product by the product rule (constant factors pulled out: linearity under
scalar multiplication), a function by the chain rule, R_v{w} = v and R_v{c} = 0. The
direction may be scalar symbols (one or a list), an IndexedBase (every w[i] moves with
v[i]), a MatrixSymbol, or an explicit Matrix of symbols. Hv = R_v{∇f(w)}
(`hessian_vector_product`) is exact: no step r, no rounding of w + r v.

>>> import sympy as sp
>>> w0, w1, v0, v1 = sp.symbols("w0 w1 v0 v1")
>>> R(w0**2 * sp.sin(w1), [w0, w1], [v0, v1])
2*v0*w0*sin(w1) + v1*w0**2*cos(w1)
>>> hessian_vector_product(w0**2 * w1, [w0, w1], [v0, v1]).T
Matrix([[2*v0*w1 + 2*v1*w0, 2*v0*w0]])
>>> W, V = sp.MatrixSymbol("W", 2, 2), sp.MatrixSymbol("V", 2, 2)
>>> x = sp.MatrixSymbol("x", 2, 1)
>>> R(x.T * W.T * W * x, W, V)
x.T*V.T*W*x + x.T*W.T*V*x

The rules are proved on generic functions (SymPy `Function`s of w + r v, differentiated in
r, r set to 0): `prove(name)` is the simplified difference of a rule's two sides.

>>> [prove(name) for name in sorted(PROOFS)]
[0, 0, 0, 0, 0, 0, 0, 0]
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

r = sp.Symbol("r", real=True)          # the step along the direction


# --- the direction --------------------------------------------------------------------------
def _pairs(w: Any, v: Any) -> dict[sp.Basic, sp.Basic]:
    """{w: v} for each moving quantity: symbols, IndexedBases, MatrixSymbols, and lists or
    explicit matrices of them."""
    if isinstance(w, sp.MatrixBase | list | tuple):
        ws, vs = list(sp.Matrix(w)) if isinstance(w, sp.MatrixBase) else list(w), (
            list(sp.Matrix(v)) if isinstance(v, sp.MatrixBase) else list(v))
        if len(ws) != len(vs):
            raise ValueError(f"w has {len(ws)} entries and v {len(vs)}: they must match")
        pairs = (_pairs(a, b) for a, b in zip(ws, vs, strict=True))
        return functools.reduce(operator.or_, pairs, {})
    if isinstance(w, sp.IndexedBase | sp.Symbol):
        return {w: v if isinstance(w, sp.IndexedBase) else sp.sympify(v)}
    if isinstance(w, sp.MatrixSymbol):
        if getattr(v, "shape", None) != w.shape:
            raise ValueError(f"v must have the shape of {w}, {w.shape}")
        return {w: v}
    raise TypeError(f"cannot move {w!r} (a {type(w).__name__}): give symbols, an "
                    "IndexedBase, a MatrixSymbol or a matrix of symbols")


@dataclass(frozen=True)
class Direction:
    """What moves along w + r v, and what each moving quantity moves by."""

    moves: Mapping[sp.Basic, sp.Basic]

    @classmethod
    def of(cls, w: Any, v: Any) -> Direction:
        return cls(_pairs(w, v))

    def depends(self, e: sp.Basic) -> bool:
        return e.has(*self.moves)

    def shift(self, e: sp.Basic, by: sp.Expr = r) -> sp.Basic:
        """e at w + by·v."""
        def moved(x: sp.Indexed) -> sp.Expr:
            return x + by * self.moves[x.base][x.indices]
        e = e.replace(lambda x: isinstance(x, sp.Indexed) and x.base in self.moves, moved)
        rest = {k: k + by * v for k, v in self.moves.items() if not isinstance(k, sp.IndexedBase)}
        return e.subs(rest, simultaneous=True) if rest else e   # ∂/∂w_k of f stays at w + r v

    def moved(self, e: sp.Basic) -> sp.Basic | None:
        """R_v{w} = v where e is a moving quantity (or one entry of it), else None."""
        if e in self.moves and not isinstance(e, sp.IndexedBase):
            return self.moves[e]
        if isinstance(e, sp.Indexed) and e.base in self.moves:
            return self.moves[e.base][e.indices]
        if isinstance(e, MatrixElement) and e.parent in self.moves:
            return self.moves[e.parent][e.i, e.j]
        return None

    def by_definition(self, e: sp.Basic) -> sp.Basic:
        """∂/∂r e(w + r v) at r = 0, carried out by SymPy: the definition itself."""
        return sp.diff(self.shift(e), r).subs(r, 0).doit()


# --- the transform --------------------------------------------------------------------------
def _zero(e: sp.Basic) -> sp.Basic:
    if (isinstance(e, sp.MatrixExpr) and e.shape != (1, 1)) or isinstance(e, sp.MatrixBase):
        return sp.ZeroMatrix(*e.shape)
    return sp.Integer(0)


def _sum(d: Direction, e: sp.Basic) -> sp.Basic:
    """Linearity: R{a + b} = R{a} + R{b}; R{Σ_i f_i} = Σ_i R{f_i}."""
    if isinstance(e, sp.Sum):
        if any(d.depends(b) for lim in e.limits for b in lim[1:]):
            raise ValueError(f"the limits of {e} move with w")
        return sp.Sum(_r(d, e.function), *e.limits)
    return functools.reduce(operator.add, (_r(d, a) for a in e.args if d.depends(a)))


def _product(d: Direction, e: sp.Basic) -> sp.Basic:
    """Product rule, factors kept in order (matrices do not commute); constant factors stay
    outside (linearity under scalar multiplication)."""
    args = list(e.args)
    terms = [functools.reduce(operator.mul, [*args[:k], _r(d, a), *args[k + 1:]])
             for k, a in enumerate(args) if d.depends(a)]
    return functools.reduce(operator.add, terms)


def _power(d: Direction, e: sp.Pow) -> sp.Basic:
    """Chain rule for f^g: g f^(g−1) R{f} for a constant g, f^g (R{g} log f + g R{f}/f)."""
    base, exp = e.args
    if not d.depends(exp):
        return exp * base ** (exp - 1) * _r(d, base)
    if not d.depends(base):
        return e * sp.log(base) * _r(d, exp)
    return e * (_r(d, exp) * sp.log(base) + exp * _r(d, base) / base)


def _function(d: Direction, e: sp.Function) -> sp.Basic:
    """Chain rule: R{h(f_1, …, f_k)} = Σ_m ∂_m h(f) R{f_m}."""
    return sp.Add(*(e.fdiff(m + 1) * _r(d, a) for m, a in enumerate(e.args)
                    if d.depends(a)))


def _transpose(d: Direction, e: sp.Transpose) -> sp.Basic:
    return _r(d, e.arg).T


def _derivative(d: Direction, e: sp.Derivative) -> sp.Basic:
    """R{∂g/∂w_k} = Σ_j ∂²g/∂w_k∂w_j v_j (scalar symbols only: w moves inside and as the
    variable of differentiation)."""
    if not all(isinstance(k, sp.Symbol) for k in d.moves):
        raise ValueError(f"R of {e} needs scalar symbols as the direction")
    return sp.Add(*(sp.diff(e, k) * v for k, v in d.moves.items()))


# The R-operator's rules by the type of the node they apply to (first match wins).
RULES: tuple[tuple[type | tuple[type, ...], Callable[[Direction, Any], sp.Basic]], ...] = (
    ((sp.Add, sp.MatAdd, sp.Sum), _sum),
    ((sp.Mul, sp.MatMul), _product),
    (sp.Pow, _power),
    (sp.Transpose, _transpose),
    (sp.Derivative, _derivative),
    (sp.Function, _function),
)


def _r(d: Direction, e: sp.Basic) -> sp.Basic:
    if isinstance(e, sp.MatrixBase):
        return e.applyfunc(lambda x: _r(d, x))
    moved = d.moved(e)
    if moved is not None:
        return moved                                     # R{w} = v
    if not d.depends(e):
        return _zero(e)                                  # R{c} = 0
    for types, rule in RULES:
        if isinstance(e, types):
            return rule(d, e)
    return d.by_definition(e)          # any other node: the definition, carried out by SymPy


def R(expr: Any, w: Any, v: Any) -> sp.Basic:
    """R_v{expr}: the derivative of `expr` along w + r v at r = 0, by the R-operator's rules.

    >>> x, y = sp.IndexedBase("x"), sp.IndexedBase("y")
    >>> i = sp.Symbol("i", integer=True)
    >>> R(sp.exp(sp.Sum(x[i] * y[i], (i, 0, 2))), x, sp.IndexedBase("v"))
    exp(Sum(x[i]*y[i], (i, 0, 2)))*Sum(v[i]*y[i], (i, 0, 2))
    """
    return _r(Direction.of(w, v), sp.sympify(expr))


def gradient(f: sp.Expr, w: Iterable[sp.Symbol]) -> sp.Matrix:
    return sp.Matrix([sp.diff(f, s) for s in w])


def hessian_vector_product(f: sp.Expr, w: Iterable[sp.Symbol], v: Iterable[Any]) -> sp.Matrix:
    """Hv = R_v{∇f(w)}: exact, from the gradient alone (the Hessian is never formed)."""
    ws = list(w)
    return R(gradient(f, ws), ws, list(v))


# --- proofs of the rules on generic functions ---------------------------------------------
N_PROOF = 3
_w = sp.symbols(f"w0:{N_PROOF}", real=True)
_v = sp.symbols(f"v0:{N_PROOF}", real=True)
_f, _g, _h = sp.Function("f"), sp.Function("g"), sp.Function("h")
_c = sp.Symbol("c", real=True)


def by_definition(e: sp.Expr) -> sp.Expr:
    """∂/∂r e(w + r v) at r = 0 for the proofs' vector w = (w0, w1, w2)."""
    return Direction.of(list(_w), list(_v)).by_definition(e)


def _proofs() -> dict[str, tuple[sp.Expr, sp.Expr]]:
    f, g = _f(*_w), _g(*_w)
    grad = [sp.diff(f, s) for s in _w]
    # ∇f as any differentiable field g: its Jacobian ∂g_i/∂w_j is the Hessian of f
    grad_field = [sp.Function(f"g{a}")(*_w) for a in range(N_PROOF)]
    jac_v = [sum(sp.diff(e, b) * vb for b, vb in zip(_w, _v, strict=True)) for e in grad_field]
    return {
        "rop_sum": (by_definition(f + g), by_definition(f) + by_definition(g)),
        "rop_scalar": (by_definition(_c * f), _c * by_definition(f)),
        "rop_product": (by_definition(f * g), by_definition(f) * g + f * by_definition(g)),
        "rop_chain": (by_definition(_h(f)),
                      sp.Subs(sp.Derivative(_h(r), r), r, f).doit() * by_definition(f)),
        "rop_identity": (by_definition(_w[0]), _v[0]),
        "rop_constant": (by_definition(_c), sp.Integer(0)),
        "rop_directional": (by_definition(f), sum(a * b for a, b in zip(grad, _v, strict=True))),
        # Hv = R_v{∇f}: entry by entry, Σ_j ∂g_i/∂w_j v_j = R_v{g_i} for g = ∇f
        "rop_hessian": (sp.Matrix(jac_v), sp.Matrix([by_definition(e) for e in grad_field])),
    }


PROOFS: dict[str, Callable[[], tuple[sp.Expr, sp.Expr]]] = {
    name: functools.partial(lambda n: _proofs()[n], name) for name in (
        "rop_sum", "rop_scalar", "rop_product", "rop_chain", "rop_identity", "rop_constant",
        "rop_directional", "rop_hessian")}


def prove(name: str, sides: tuple[sp.Expr, sp.Expr] | None = None) -> sp.Basic:
    """The two sides of rule `name` (or the `sides` given) subtracted and simplified: 0 when
    the rule holds for every f, g, h, c, w, v."""
    lhs, rhs = sides if sides is not None else PROOFS[name]()
    difference = sp.simplify((lhs - rhs).doit())
    if isinstance(difference, sp.MatrixBase) and difference.is_zero_matrix:
        return sp.Integer(0)
    return difference


__all__ = ["PROOFS", "RULES", "Direction", "R", "by_definition", "gradient",
           "hessian_vector_product", "prove", "r"]
