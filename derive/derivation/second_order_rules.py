"""Rules of the R-operator family (words in templates/strings/<language>/second_order.yaml).

Each transform rewrites every 𝓡_v{·} of an expression that its rule fits, one level deep,
so a derivation applies the rules one by one and the checker compares each step with the
one before. Every rule is proved for arbitrary functions in
`derive.models.roperator.PROOFS` (SymPy: definition, ∂/∂r, r = 0, difference simplified
to 0); the stated ones (`transform=None`) are steps a kind writes and names.

>>> import sympy as sp
>>> from derive.models.roperator_symbols import Moving
>>> w, v, x = sp.IndexedBase("w"), sp.IndexedBase("v"), sp.IndexedBase("x")
>>> m = Moving({w: v})
>>> e = m.of(w[0] * x[0] + sp.exp(w[1]))
>>> e = rop_sum(e, moving=m); e = rop_scalar(e, moving=m); e = rop_chain(e, moving=m)
>>> rop_identity(e, moving=m)
exp(w[1])*v[1] + v[0]*x[0]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sympy as sp

from derive.derivation.rules import register
from derive.models.roperator_symbols import Moving, ROp


def _each(expr: sp.Basic, fits: Callable[[ROp], bool],
          rewrite: Callable[[ROp], sp.Basic]) -> sp.Basic:
    return expr.replace(lambda e: isinstance(e, ROp) and fits(e), rewrite)


def rop_constant(expr: sp.Basic, moving: Moving, **_: Any) -> sp.Basic:
    """𝓡{c} = 0 for what does not move with w."""
    return _each(expr, lambda e: not moving.depends(e.shown), lambda e: sp.Integer(0))


def rop_identity(expr: sp.Basic, moving: Moving, **_: Any) -> sp.Basic:
    """𝓡{w} = v (an entry of w: the same entry of v)."""
    return _each(expr, lambda e: moving.direction.moved(e.shown) is not None,
                 lambda e: moving.direction.moved(e.shown))


def rop_sum(expr: sp.Basic, moving: Moving, **_: Any) -> sp.Basic:
    """𝓡{a + b} = 𝓡{a} + 𝓡{b}; 𝓡{Σ_i f_i} = Σ_i 𝓡{f_i}."""
    def split(e: ROp) -> sp.Basic:
        s = e.shown
        if isinstance(s, sp.Sum):
            return sp.Sum(moving.of(s.function), *s.limits)
        return sp.Add(*(moving.of(a) for a in s.args))
    return _each(expr, lambda e: isinstance(e.shown, sp.Add | sp.Sum), split)


def _factors(e: ROp, moving: Moving) -> tuple[list[sp.Expr], list[sp.Expr]]:
    args = list(e.shown.args)
    return ([a for a in args if not moving.depends(a)], [a for a in args if moving.depends(a)])


def rop_scalar(expr: sp.Basic, moving: Moving, **_: Any) -> sp.Basic:
    """𝓡{c f} = c 𝓡{f} for factors c that do not move."""
    def fits(e: ROp) -> bool:
        const, moving_ = _factors(e, moving) if isinstance(e.shown, sp.Mul) else ([], [])
        return bool(const) and bool(moving_)

    def pull(e: ROp) -> sp.Basic:
        const, rest = _factors(e, moving)
        return sp.Mul(*const) * moving.of(sp.Mul(*rest))
    return _each(expr, fits, pull)


def rop_product(expr: sp.Basic, moving: Moving, **_: Any) -> sp.Basic:
    """𝓡{f g} = 𝓡{f} g + f 𝓡{g} (over every factor that moves)."""
    def fits(e: ROp) -> bool:
        return isinstance(e.shown, sp.Mul) and len(_factors(e, moving)[1]) > 1

    def spread(e: ROp) -> sp.Basic:
        args = list(e.shown.args)
        return sp.Add(*(sp.Mul(*args[:k], moving.of(a), *args[k + 1:])
                        for k, a in enumerate(args) if moving.depends(a)))
    return _each(expr, fits, spread)


def rop_chain(expr: sp.Basic, moving: Moving, **_: Any) -> sp.Basic:
    """𝓡{h(f)} = h′(f) 𝓡{f}; 𝓡{f^n} = n f^(n−1) 𝓡{f} for a constant n."""
    def fits(e: ROp) -> bool:
        s = e.shown
        return ((isinstance(s, sp.Function) and not isinstance(s, ROp))
                or (isinstance(s, sp.Pow) and not moving.depends(s.exp)))

    def through(e: ROp) -> sp.Basic:
        s = e.shown
        if isinstance(s, sp.Pow):
            return s.exp * s.base ** (s.exp - 1) * moving.of(s.base)
        return sp.Add(*(s.fdiff(m + 1) * moving.of(a) for m, a in enumerate(s.args)
                        if moving.depends(a)))
    return _each(expr, fits, through)


def rop_unfold(expr: sp.Basic, moving: Moving, names: Mapping[sp.Basic, Any],
               **_: Any) -> sp.Basic:
    """𝓡{name} = 𝓡{what the name stands for}: `names` maps a Symbol, or an IndexedBase (its
    meaning a function of the indices), to its definition one level down."""
    def meaning(s: sp.Basic) -> sp.Basic | None:
        if isinstance(s, sp.Indexed) and s.base in names:
            return names[s.base](*s.indices)
        return names.get(s) if isinstance(s, sp.Symbol) else None

    return _each(expr, lambda e: meaning(e.shown) is not None,
                 lambda e: moving.of(meaning(e.shown)))


def rop_known(expr: sp.Basic, known: Mapping[sp.Basic, Any], **_: Any) -> sp.Basic:
    """𝓡{q} replaced by what was derived for it (`known`: a Symbol or IndexedBase → its 𝓡,
    a function of the indices for an IndexedBase), until none is left."""
    def value(e: ROp) -> sp.Basic:
        s = e.shown
        return known[s.base](*s.indices) if isinstance(s, sp.Indexed) else known[s]

    def fits(e: ROp) -> bool:
        s = e.shown
        return (s.base if isinstance(s, sp.Indexed) else s) in known

    for _round in range(20):
        before, expr = expr, _each(expr, fits, value)
        if expr == before:
            return expr
    raise ValueError("derived 𝓡-values refer to each other without end")


def rop_transform(expr: sp.Basic, moving: Moving, **_: Any) -> sp.Basic:
    """Every 𝓡{f} carried out at once by the transform `derive.models.roperator.R`."""
    return _each(expr, lambda e: True, lambda e: moving.value(e.shown))


# The rules with a transform, in the order a derivation tries them (`r_steps`).
ORDER: tuple[str, ...] = ("rop_constant", "rop_identity", "rop_sum", "rop_scalar",
                          "rop_product", "rop_chain")
_TRANSFORMS: dict[str, Callable[..., sp.Basic] | None] = {
    "rop_constant": rop_constant, "rop_identity": rop_identity, "rop_sum": rop_sum,
    "rop_scalar": rop_scalar, "rop_product": rop_product, "rop_chain": rop_chain,
    "rop_unfold": rop_unfold, "rop_known": rop_known, "rop_transform": rop_transform,
    # stated: the definition, the directional derivative ∇f·v, Hv = 𝓡{∇f}, calculus in r
    "rop_definition": None, "rop_directional": None, "rop_hessian": None,
    "rop_at_zero": None, "rop_r_constant_factor": None, "rop_r_product": None,
    "rop_r_chain": None, "rop_r_sum": None,
}
for _name, _transform in _TRANSFORMS.items():
    register(_name, _transform)
