"""Rules of the activation family (words in templates/strings/<language>/activation.yaml,
under `rules:`): swish and its limits, ReLU constructions, a stable log-softmax.

Most are stated by the kind (the reason for an expression it writes); `act_relu_signs`,
`act_lambert` and `act_sigmoid_value` compute.

>>> import sympy as sp
>>> from derive.models.activations import ReLU, t
>>> apply_relu_signs(ReLU(t) + ReLU(-t))
t
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from derive.derivation.rules import register
from derive.models.activations import lambert, relu_signs


def apply_relu_signs(expr: sp.Basic, signs: dict[sp.Symbol, sp.Expr] | None = None,
                     **_: Any) -> sp.Basic:
    """ReLU(v) = v where v ≥ 0, 0 where v ≤ 0 (signs read after `signs`)."""
    return sp.expand(relu_signs(expr, signs))


def sigmoid_value(expr: sp.Basic, **_: Any) -> sp.Basic:
    """σ written as 1/(1 + e^{−a}) and the result simplified (σ(0) = 1/2)."""
    return sp.simplify(expr.rewrite(sp.exp))


_STATED = (
    "act_sigmoid_tanh",      # σ(t) = ½ + ½ tanh(t/2)
    "act_limit",             # a limit in β, by sign of x (SymPy's limit)
    "act_relu_split",        # x = ReLU(x) − ReLU(−x), σ(t) + σ(−t) = 1
    "act_limit_remainder",   # the remainder (x/2) tanh(βx/2) → 0 as β → 0
    "act_relu_cases",        # 0 for x ≤ 0, x for x > 0: ReLU(x)
    "act_min_cases",         # x for x < 0, 0 for x ≥ 0: min(0, x)
    "act_min_relu",          # min(0, x) = −ReLU(−x)
    "act_sigmoid_reflect",   # σ(−t) = 1 − σ(t)
    "act_maximise",          # the largest value of u σ(−u), at the root of its derivative
    "act_derivative",        # the derivative, at a point
    "act_ansatz",            # one ReLU hinge at each breakpoint
    "act_branch",            # the piece of h that holds there
    "act_relu_construction",  # h = a ReLU(x − α) − s ReLU(β − x), derived above
    "act_leaky",             # ReLU(x) − λ ReLU(−x) = max(x, λx) for 0 ≤ λ ≤ 1
    "act_soft_shrink",       # ReLU(x − τ) − ReLU(−x − τ) = sign(x) max(|x| − τ, 0)
    "act_exp_sum",           # e^{u + c} = e^c e^u
    "act_shift_by_max",      # S(x) = S(x − M), M = max_j x_j
    "act_float64",           # the stable form in float64, as numpy computes it
)

for _name in _STATED:
    register(_name)
register("act_relu_signs", apply_relu_signs)
register("act_lambert", lambda e, **_: lambert(e))
register("act_sigmoid_value", sigmoid_value)
