"""Rules of the calculus families (matrix calculus, the SGD step, max as an identity).

Each is worded in templates/strings/<language>/calculus.yaml under `rules:`. Most are
stated by the kind (the reason for an expression it writes); `expand_matrix` and the two
Kronecker sums (`delta_sum_A`, `delta_sum_x`) compute.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from derive.derivation.rules import collapse_deltas, register


def expand_matrix(expr: sp.Basic, names: dict[Any, Any] | None = None, **_: Any) -> sp.Basic:
    """A matrix expression over named matrices written out entry by entry (`names`: the
    entries of each named matrix)."""
    return sp.ImmutableMatrix(expr.xreplace(dict(names or {})).doit())


_STATED = (
    "elementwise",        # h acts entry by entry: ∂w_i/∂z_k = 0 for k ≠ i
    "to_matrix_form",     # Σ_i A_ij v_i = (Aᵀv)_j, v_i x_j = (v xᵀ)_ij
    "hadamard",           # u ⊙ v = diag(u) v
    "norm_scaling",       # ‖c v‖ = |c| ‖v‖
    "unit_norm",          # ‖x‖ = 1
    "binary_label",       # y ∈ {0, 1}: |p − y| = 1 − p^y (1 − p)^(1−y)
    "loss_probability",   # p^y (1 − p)^(1−y) = e^(−L)
    "abs_nonneg",         # |t| = t for t ≥ 0
    "abs_negative",       # |t| = −t for t < 0
    "max_case",           # the larger of the two
    "largest_entry",      # the largest of the given numbers
    "max_nested",         # max(x_1, …, x_k) = max(max(x_1, …, x_{k−1}), x_k)
    "pair_identity",      # max(a, b) = ½(a + b + |a − b|)
    "local_max",          # near a unique maximiser x_k, max(x) = x_k
    "limit",              # the one-sided limit of a difference quotient
    "derived_above",      # a result derived earlier on the page, restated
)

for _name in _STATED:
    register(_name)
register("expand_matrix", expand_matrix)
# Σ_q A_kq δ_jq = A_kj and Σ_q x_q δ_jq = x_j: the Kronecker sums of ∂z/∂x_j and ∂z_i/∂A_ij,
# worded with their own indices (the shared `sum_collapse` names f and i, both taken here)
register("delta_sum_A", collapse_deltas)
register("delta_sum_x", collapse_deltas)
