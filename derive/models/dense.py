"""A fully connected layer without bias and with a sigmoid activation, z = σ(Wᵀx).

a_j = Σ_i w_ij x_i and z_j = σ(a_j). The loss L is any twice-differentiable function of
z, known through its derivatives at the current outputs: the arrays ∂L/∂z (``dL_dz``) and
∂²L/∂z² (``d2L_dz2``). Indices start at 0 (numpy's reading); pages print the spec's base.

>>> DenseSigmoid(2, 2).grad_weight()
(1 - z[j])*x[i]*z[j]*dL_dz[j]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from derive.derivation.steps import Domain
from derive.models.symbols import Frozen, Upstream, sigmoid

i, i2, j, j2, k, r = sp.symbols("i i' j j' k r", integer=True, nonnegative=True)
p, q = sp.symbols("p q", integer=True, nonnegative=True)  # outputs, in L's Σs
x, w = sp.IndexedBase("x", real=True), sp.IndexedBase("w", real=True)
a, z = sp.IndexedBase("a", real=True), sp.IndexedBase("z", real=True)
dLdz, d2Ldz = Upstream.of("L", "z"), Upstream.of("L", "z", 2)
g0 = sp.IndexedBase("g0", real=True)   # ∂L/∂z at the current outputs (random in checks)
L = sp.Symbol("L")


def sigma_prime_of(v: sp.Expr) -> sp.Expr:
    return v * (1 - v)


@dataclass(frozen=True)
class DenseSigmoid:
    """n inputs x_i, m outputs z_j = σ(a_j), a_j = Σ_i w_ij x_i (no bias)."""

    n: int
    m: int

    def pre_activation(self, col: sp.Expr) -> sp.Expr:
        return sp.Sum(w[r, col] * x[r], (r, 0, self.n - 1))

    def loss(self) -> sp.Expr:
        """L near the current outputs: exact up to second derivatives (its 2-jet), as Σs
        over the outputs (a checker differentiates it without writing out the layer)."""
        def dz(v: sp.Symbol) -> sp.Expr:
            return z[v] - Frozen(z[v])
        return (sp.Sum(g0[p] * dz(p), (p, 0, self.m - 1))
                + sp.Sum(d2Ldz[p, q] * dz(p) * dz(q), (p, 0, self.m - 1),
                         (q, 0, self.m - 1)) / 2)

    def definitions(self) -> dict[Any, Any]:
        """What a, z and ∂L/∂z stand for; ∂L/∂z moves with z through ∂²L/∂z²."""
        return {
            a: lambda col: self.pre_activation(col),
            z: lambda col: sigmoid(a[col]),
            dLdz: lambda col: g0[col] + sp.Sum(d2Ldz[col, k] * (z[k] - Frozen(z[k])),
                                                (k, 0, self.m - 1)),
        }

    def domains(self) -> dict[Any, Domain]:
        return {x: Domain((self.n,)), w: Domain((self.n, self.m)), g0: Domain((self.m,)),
                d2Ldz: Domain((self.m, self.m), "symmetric"),
                # the layer's sums, computed once per draw of data, then read as arrays
                a: Domain((self.m,), "defined"), z: Domain((self.m,), "defined"),
                dLdz: Domain((self.m,), "defined")}

    def grad_weight(self) -> sp.Expr:
        """∂L/∂w_ij = x_i z_j(1 − z_j) ∂L/∂z_j."""
        return x[i] * sigma_prime_of(z[j]) * dLdz[j]

    def grad_input(self) -> sp.Sum:
        """∂L/∂x_i = Σ_j w_ij z_j(1 − z_j) ∂L/∂z_j."""
        return sp.Sum(w[i, j] * sigma_prime_of(z[j]) * dLdz[j], (j, 0, self.m - 1))

    def hessian_diagonal(self) -> sp.Expr:
        """∂²L/∂w_ij² = x_i² z_j(1 − z_j)[z_j(1 − z_j) ∂²L/∂z_j² + (1 − 2z_j) ∂L/∂z_j]."""
        s = sigma_prime_of(z[j])
        return x[i] ** 2 * s * (s * d2Ldz[j, j] + (1 - 2 * z[j]) * dLdz[j])

    def hessian_cross(self) -> sp.Expr:
        """∂²L/∂w_ij∂w_i′j′ for i ≠ i′, j ≠ j′: only the mixed second derivative of L stays."""
        return (x[i] * x[i2] * sigma_prime_of(z[j]) * sigma_prime_of(z[j2])
                * d2Ldz[j, j2])
