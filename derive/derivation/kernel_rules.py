"""Rules of the kernel family: the reasons of the steps of proofs about p.d. and c.p.d.
kernels, and of the numbers of a counterexample. All are stated by the kind (the reason for
an expression it writes) and checked like any step; each is worded in
templates/strings/<language>/kernel.yaml under `rules:`.
"""

from __future__ import annotations

from derive.derivation.rules import register

_STATED = (
    "kernel_centred_def",      # k̃(x, y) = k(x, y) − k(x0, x) − k(x0, y) + k(x0, x0)
    "kernel_expand",           # the double sum expanded, k symmetric
    "kernel_zero_sum",         # Σ a_i = 0
    "kernel_split_zero",       # the terms with index 0 apart
    "kernel_first_coefficient",  # c_0 = −Σ c_i
    "kernel_norm_expand",      # ‖u − v‖² = ‖u‖² + ‖v‖² − 2⟨u, v⟩
    "kernel_bilinear",         # Σ_ij a_i a_j ⟨x_i, x_j⟩ = ‖Σ_i a_i x_i‖²
    "kernel_feature",          # k̃(x, y) = ⟨Φ(x), Φ(y)⟩
    "kernel_diagonal_zero",    # k(x, x) = 0
    "kernel_exp_sum",          # e^{u + v} = e^u e^v
    "kernel_series",           # e^u = Σ_m u^m / m!
    "kernel_limit",            # (e^{tu} − 1)/t → u as t → 0⁺
    "kernel_factor",           # a factorisation
    "kernel_schur",            # K1 = B Bᵀ, K2 = C Cᵀ: a sum of squares
    "kernel_gram",             # the kernel at the points
    "kernel_value",            # aᵀ K a with these numbers
    "kernel_eigen",            # eigenvalues of the matrix
    "kernel_decomposition",    # the kernel written as its proof reads it
    "kernel_separable",        # Σ a_i a_j u_i u_j = (Σ a_i u_i)², any numbers u_i
    "kernel_shift",            # the terms in x alone, y alone, constant
    "kernel_verdict",          # a verdict tested on an example (not shown)
    "kernel_scaling",          # Ψ = Φ / √2
)

for _name in _STATED:
    register(_name)
