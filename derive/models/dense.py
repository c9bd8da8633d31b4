"""A fully connected layer without bias and with a sigmoid activation, z = σ(Wᵀx).

The loss L is any twice-differentiable function of the outputs z. Derivatives are taken
by SymPy through a second-order jet of L at the current outputs, which is exact up to
order two, so the results come out in the symbols ∂L/∂z_j and ∂²L/∂z_j∂z_j′ with σ′
written as z_j(1 − z_j).

>>> DenseSigmoid(2, 2).grad_weight()
d1Ldz(j)*sigmoid_prime(z[j])*x[i]
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.models.symbols import partial, sigmoid

i, i2, j, j2 = sp.symbols("i i' j j'", integer=True, positive=True)
x, w, z = sp.IndexedBase("x"), sp.IndexedBase("w"), sp.IndexedBase("z")
dLdz, d2Ldz = partial("L", "z"), partial("L", "z", 2)


def _jet(outputs: dict[sp.Expr, sp.Expr]) -> sp.Expr:
    """Second-order Taylor polynomial of L at z, in the outputs that vary."""
    keys = list(outputs)
    first = sum(dLdz(a) * (outputs[a] - z[a]) for a in keys)
    second = sum(
        (sp.Rational(1, 2) if a == b else 1) * d2Ldz(a, b)
        * (outputs[a] - z[a]) * (outputs[b] - z[b])
        for n, a in enumerate(keys) for b in keys[n:]
    )
    return first + second


@dataclass(frozen=True)
class DenseSigmoid:
    """n inputs x_i, m outputs z_j = σ(a_j), a_j = Σ_i w_ij x_i (no bias)."""

    n: int
    m: int

    def _derive(self, *weights: tuple[sp.Expr, sp.Expr]) -> sp.Expr:
        """∂ⁿL/∂w_{i j}… for representative weights (i, j): each w_ij only enters a_j."""
        ts = sp.symbols(f"t0:{len(weights)}")
        pre: dict[sp.Expr, sp.Expr] = {}
        for t, (row, col) in zip(ts, weights, strict=True):
            pre[col] = pre.get(col, sp.Symbol(f"rest_{col}")) + t * x[row]
        outputs = {col: sigmoid(a) for col, a in pre.items()}
        result = sp.diff(_jet(outputs), *ts)
        at_point = {sig: z[col] for col, sig in outputs.items()}
        return sp.expand(result.subs(at_point))

    def grad_weight(self) -> sp.Expr:
        """∂L/∂w_ij."""
        return self._derive((i, j))

    def hessian_diagonal(self) -> sp.Expr:
        """∂²L/∂w_ij²."""
        return sp.collect(self._derive((i, j), (i, j)), [dLdz(j), d2Ldz(j, j)], sp.factor)

    def hessian_cross(self) -> sp.Expr:
        """∂²L/∂w_ij ∂w_i′j′ for i ≠ i′ and j ≠ j′."""
        return sp.factor(self._derive((i, j), (i2, j2)))

    def grad_input_term(self) -> sp.Expr:
        """∂z_j/∂x_i: x_i enters every a_j, so ∂L/∂x_i sums these against ∂L/∂z_j."""
        t = sp.Symbol("t")
        return sp.diff(sigmoid(t * w[i, j] + sp.Symbol("rest")), t).subs(
            sigmoid(t * w[i, j] + sp.Symbol("rest")), z[j])

    def grad_input(self) -> sp.Sum:
        """∂L/∂x_i = Σ_j ∂L/∂z_j ∂z_j/∂x_i."""
        return sp.Sum(dLdz(j) * self.grad_input_term(), (j, 1, self.m))
