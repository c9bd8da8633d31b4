"""R-passes as checked steps: 𝓡_v{q} taken apart by the R-operator's rules, one rule per step,
until only 𝓡 of quantities derived before is left (the R-forward and R-backward passes); and
sums over the dimension written to n on the page (`any_n`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy as sp

from derive.derivation import Derivation
from derive.derivation.indices import in_base
from derive.derivation.second_order_rules import ORDER
from derive.latex.printer import tex
from derive.models.roperator_nets import Pass
from derive.models.roperator_symbols import Moving, ROp

MAX_ROUNDS = 12
N_ANY = sp.Symbol("n", integer=True, positive=True)     # the dimension, as the page writes it


def any_n(expr: sp.Basic, base: int) -> str:
    """`expr` as the page prints it, each sum over the dimension running to n: the result
    holds in any dimension, the steps are checked in the given one."""
    shown = in_base(expr, base)
    return tex(shown.replace(lambda e: isinstance(e, sp.Sum), lambda e: sp.Sum(
        e.function, *((var, lo, N_ANY - 1 + base) for var, lo, _ in e.limits))))


def _name_of(e: sp.Basic) -> sp.Basic:
    return e.base if isinstance(e, sp.Indexed) else e


def r_pass(d: Derivation, moving: Moving, step: Pass) -> sp.Basic:
    """𝓡_v{step.name} from its definition, rule by rule; returns the result (in which only
    𝓡 of `step.stop` names is left)."""
    names = {k: v for k, v in d.definitions.items() if k not in step.stop}
    d.chain(moving.of(step.name), moving.of(step.name), "rop_definition")
    d.apply("rop_unfold", moving=moving, names=names)
    for _ in range(MAX_ROUNDS):
        before = d.result
        for rule in ORDER:
            d.apply(rule, moving=moving)
        if step.rename:
            d.apply("rename", names=step.rename)
        left = [e for e in d.result.atoms(ROp) if _name_of(e.shown) not in step.stop]
        if left and d.result == before:
            d.apply("rop_unfold", moving=moving, names=names)
        if d.result == before:
            break
    left = [e for e in d.result.atoms(ROp) if _name_of(e.shown) not in step.stop]
    if left:
        raise ValueError(f"the R-operator's rules leave {left[0]} in R{{{step.name}}}")
    return d.result


def known_from(derived: Mapping[sp.Basic, sp.Basic]) -> dict[sp.Basic, Any]:
    """What `rop_known` substitutes: a Symbol → its 𝓡; an IndexedBase → a function of the
    indices (the free indices of the entry it was derived for replaced by the given ones)."""
    out: dict[sp.Basic, Any] = {}
    for name, value in derived.items():
        if isinstance(name, sp.Indexed):
            free = name.indices

            def at(*idx: Any, _v: sp.Basic = value, _f: tuple[Any, ...] = free) -> sp.Basic:
                return _v.xreplace(dict(zip(_f, idx, strict=True)))
            out[name.base] = at
        else:
            out[name] = value
    return out
