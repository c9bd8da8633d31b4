"""The rules a derivation step may name, and the transformations of those that compute.

A rule either computes the next expression from the last (`transform`), or names the
reason for an expression the kind states (`transform=None`: chain rule, product rule, …).
Either way the pipeline checks the step numerically against the one before. The words
for each rule are in the strings files (`rules:`), one per language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from derive.models.symbols import PartialOf, sigmoid_prime


@dataclass(frozen=True)
class Rule:
    id: str
    transform: Callable[..., sp.Basic] | None = None


def differentiate(expr: sp.Basic, **_: Any) -> sp.Basic:
    """Carry out every ∂f/∂v whose meaning is known."""
    return expr.replace(lambda e: isinstance(e, PartialOf), lambda e: e.doit())


def rename(expr: sp.Basic, names: Mapping[sp.Basic, sp.Basic], **_: Any) -> sp.Basic:
    """Write sub-expressions by their names (σ(a) → p): `names` maps expression → name."""
    return expr.xreplace(dict(names))


def sigma_prime(expr: sp.Basic, names: Mapping[sp.Basic, sp.Basic] | None = None,
                **_: Any) -> sp.Basic:
    """σ′(a) = σ(a)(1 − σ(a)), with σ(a) written by its name when it has one."""
    names = dict(names or {})

    def written(s: sp.Expr) -> sp.Expr:
        value = names.get(s, s)
        return value * (1 - value)

    return expr.replace(lambda e: isinstance(e, sigmoid_prime), lambda e: written(e.args[0]))


def tanh_prime(expr: sp.Basic, **_: Any) -> sp.Basic:
    """tanh′(a) = 1 − tanh²(a), wherever SymPy wrote it otherwise."""
    return expr.replace(lambda e: isinstance(e, sp.Pow) and e.base.func == sp.cosh
                        and e.exp == -2, lambda e: 1 - sp.tanh(e.base.args[0]) ** 2)


def simplify(expr: sp.Basic, **_: Any) -> sp.Basic:
    """Targeted simplification: one fraction, cancelled, factored (never `sp.simplify`),
    a leading minus sign moved into a factor: −(y − p)x → (p − y)x."""
    return _minus_into_factor(sp.factor(sp.cancel(sp.together(expr))))


def _minus_into_factor(expr: sp.Basic) -> sp.Basic:
    if not (isinstance(expr, sp.Mul) and expr.could_extract_minus_sign()):
        return expr
    args = list((-expr).args) if isinstance(-expr, sp.Mul) else [-expr]
    for n, factor in enumerate(args):
        if isinstance(factor, sp.Add):
            args[n] = sp.expand(-factor)
            return sp.Mul(*args)
    return expr


def substitute(expr: sp.Basic, values: Mapping[sp.Basic, Any], **_: Any) -> sp.Basic:
    """Replace quantities by what they are (a derived result, or a given value)."""
    return expr.xreplace({k: sp.sympify(v) for k, v in values.items()})


def collapse_deltas(expr: sp.Basic, **_: Any) -> sp.Basic:
    """Σ_i δ_{ij} f(i) = f(j) for a free index j inside the range of i (as free indices are)."""
    def collapse(e: sp.Sum) -> sp.Basic:
        (var, _lo, _hi), *rest = e.limits
        for delta in e.function.atoms(sp.KroneckerDelta):
            if var in delta.args:
                other = delta.args[1] if delta.args[0] == var else delta.args[0]
                body = e.function.xreplace({delta: 1}).xreplace({var: other})
                return sp.Sum(body, *rest) if rest else body
        return e

    return expr.replace(lambda e: isinstance(e, sp.Sum) and e.has(sp.KroneckerDelta), collapse)


def _written_out(e: sp.Sum) -> sp.Basic:
    """A Σ with numeric limits written term by term; an empty range is 0 (SymPy's `doit`
    would read it backwards, by Karr's convention)."""
    if any(hi < lo for _, lo, hi in e.limits):
        return sp.Integer(0)
    return e.doit()


_TRANSFORMS: dict[str, Callable[..., sp.Basic] | None] = {
    "definition": None, "chain_rule": None, "product_rule": None, "linearity": None,
    "one_dependence": None, "sum_collapse": collapse_deltas, "differentiate": differentiate,
    "sigma_prime": sigma_prime, "tanh_prime": tanh_prime, "rename": rename,
    "simplify": simplify, "expand": lambda e, **_: sp.expand(e), "substitute": substitute,
    "sgd_update": None, "tighten_sum_limits": None, "relu_prime": None,
    "expand_sum": lambda e, **_: e.replace(lambda t: isinstance(t, sp.Sum), _written_out),
    "evaluate": None,
}

# Convolution on given arrays and as a linear map: a value read off the computed entries (an
# extreme, the positions where a value is reached), the coefficients of a linear map written
# as a matrix, and a matrix that is the transpose of another (the adjoint identity).
_TRANSFORMS |= {"read_off": None, "linear_map": None, "transpose": None}

RULES: dict[str, Rule] = {name: Rule(name, fn) for name, fn in _TRANSFORMS.items()}


def lookup(name: str) -> Rule:
    """The rule `name`. Families register their rules when their modules are imported, and
    kind modules are imported lazily: a rule not yet registered makes every rule module and
    every kind module load before the answer (KeyError when no module registers it)."""
    if name not in RULES:
        import importlib
        import pkgutil

        import derive.derivation
        from derive.questions import load_all

        for module in pkgutil.iter_modules(derive.derivation.__path__):
            if module.name.endswith("_rules"):
                importlib.import_module(f"derive.derivation.{module.name}")
        load_all()
    return RULES[name]


def register(name: str, transform: Callable[..., sp.Basic] | None = None) -> Rule:
    """Add a family's rule (declared in the family's own module, worded in its strings file
    templates/strings/<language>/<family>.yaml under `rules:`)."""
    if name in RULES:
        raise ValueError(f"rule {name!r} registered twice")
    RULES[name] = Rule(name, transform)
    return RULES[name]
