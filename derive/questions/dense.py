"""Question kinds on a fully connected sigmoid layer, and storage of derivatives."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np
import sympy as sp
from pydantic import Field

from derive.derivation import Derivation
from derive.models import dense as D
from derive.models.dense import DenseSigmoid
from derive.models.symbols import PartialOf, sigmoid
from derive.questions.base import IndexBase, NonNegInt, PosInt
from derive.questions.declare import Derived, kind
from derive.verify.reference import finite_difference, hessian_diagonal_fd, hessian_fd


class DenseGiven(Derived):
    inputs: PosInt = Field(description="Number of inputs n.")
    outputs: PosInt = Field(description="Number of outputs m.")
    index_base: IndexBase = 1
    seed: NonNegInt = 0
    method: ClassVar[str] = "dense_fd"
    # The layer's sums are computed arrays in the checks (never written out): ∂L/∂x and
    # ∂L/∂w of a 100 × 100 layer take about a second.
    limits: ClassVar[dict[str, int]] = {"number of weights": 10_000}

    def measures(self) -> dict[str, int]:
        return {"number of weights": self.inputs * self.outputs}

    def layer(self) -> DenseSigmoid:
        return DenseSigmoid(self.inputs, self.outputs)

    def start(self, free: dict[sp.Symbol, tuple[int, int]]) -> Derivation:
        n, m = self.inputs, self.outputs
        d = Derivation(self.layer().domains(), free, self.layer().definitions())
        d.say("dense_setup", n=n, m=m, a=self.layer().pre_activation(D.j), z=sigmoid(D.a[D.j]))
        return d

    def forward(self, data: Mapping[str, Any]) -> Callable[..., float]:
        """(weights, inputs) ↦ L(σ(Wᵀx)) for the 2-jet of L at the current outputs (numpy,
        from the definition; the current outputs computed once)."""
        x, w, g, h = (data[k] for k in ("x", "w", "g0", "d2L_dz2"))
        at = 1.0 / (1.0 + np.exp(-(x @ w)))

        def loss(weights: np.ndarray | None = None, inputs: np.ndarray | None = None) -> float:
            z = 1.0 / (1.0 + np.exp(-((x if inputs is None else inputs)
                                      @ (w if weights is None else weights))))
            return float(g @ (z - at) + 0.5 * (z - at) @ h @ (z - at))
        return loss


def _rows(n: int) -> dict[sp.Symbol, tuple[int, int]]:
    return {D.i: (0, n - 1)}


@kind("dense_sigmoid.grad_input", "∂L/∂x_i of a bias-free sigmoid layer, given ∂L/∂z.",
      {"inputs": 2, "outputs": 2})
class GradInput(DenseGiven):
    def derive(self) -> Derivation:
        m, layer = self.outputs, self.layer()
        d = self.start(_rows(self.inputs))
        dx = PartialOf(D.L, D.x[D.i], layer.loss())
        d.chain(dx, dx, "definition")
        d.then(sp.Sum(D.dLdz[D.j] * PartialOf(D.z[D.j], D.a[D.j], sigmoid(D.a[D.j]))
                      * PartialOf(D.a[D.j], D.x[D.i], layer.pre_activation(D.j)),
                      (D.j, 0, m - 1)), "chain_rule")
        d.apply("differentiate").apply("sum_collapse")
        d.apply("sigma_prime", names={sigmoid(D.a[D.j]): D.z[D.j]}).answer("grad_x")
        return d

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        loss = self.forward(data)
        return {"grad_x": finite_difference(lambda v: loss(inputs=v), data["x"])}
@kind("dense_sigmoid.grad_weight", "∂L/∂w_ij of a bias-free sigmoid layer, given ∂L/∂z.",
      {"inputs": 2, "outputs": 2})
class GradWeight(DenseGiven):
    def derive(self) -> Derivation:
        layer, dw = self.layer(), PartialOf(D.L, D.w[D.i, D.j], self.layer().loss())
        d = self.start({D.i: (0, self.inputs - 1), D.j: (0, self.outputs - 1)})
        d.chain(dw, dw, "definition")
        d.then(sp.Sum(D.dLdz[D.k] * PartialOf(D.z[D.k], D.w[D.i, D.j], sigmoid(D.a[D.k])),
                      (D.k, 0, self.outputs - 1)), "chain_rule")
        d.then(D.dLdz[D.j] * PartialOf(D.z[D.j], D.a[D.j], sigmoid(D.a[D.j]))
               * PartialOf(D.a[D.j], D.w[D.i, D.j], layer.pre_activation(D.j)), "one_dependence")
        d.apply("differentiate").apply("sum_collapse")
        d.apply("sigma_prime", names={sigmoid(D.a[D.j]): D.z[D.j]}).answer("grad_w")
        return d

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        loss = self.forward(data)
        return {"grad_w": finite_difference(lambda v: loss(weights=v), data["w"])}


@kind("dense_sigmoid.hessian_diagonal", "∂²L/∂w_ij² of a bias-free sigmoid layer.",
      {"inputs": 2, "outputs": 2})
class HessianDiagonal(DenseGiven):
    def derive(self) -> Derivation:
        layer = self.layer()
        grad = layer.grad_weight()
        d = self.start({D.i: (0, self.inputs - 1), D.j: (0, self.outputs - 1)})
        d.say("dense_second_order")
        lhs = PartialOf(PartialOf(D.L, D.w[D.i, D.j], D.L), D.w[D.i, D.j], grad)
        d.chain(lhs, lhs, "definition")
        s = D.sigma_prime_of(D.z[D.j])
        d.then(D.x[D.i] * (PartialOf(D.dLdz[D.j], D.w[D.i, D.j], D.dLdz[D.j]) * s
                           + D.dLdz[D.j] * PartialOf(s, D.w[D.i, D.j], s)), "product_rule")
        d.then(D.x[D.i] * (D.d2Ldz[D.j, D.j] * s * D.x[D.i] * s
                           + D.dLdz[D.j] * (1 - 2 * D.z[D.j]) * s * D.x[D.i]), "chain_rule")
        d.then(layer.hessian_diagonal(), "simplify").answer("hessian_diagonal")
        return d

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        loss = self.forward(data)
        return {"hessian_diagonal": hessian_diagonal_fd(lambda v: loss(weights=v), data["w"])}


@kind("dense_sigmoid.hessian_cross",
      "∂²L/∂w_ij∂w_i'j' (i ≠ i', j ≠ j') of a bias-free sigmoid layer.",
      {"inputs": 2, "outputs": 2})
class HessianCross(DenseGiven):
    # The reference differentiates every pair of weights numerically (4 evaluations for
    # each of the (nm)² entries of the Hessian): about a second at 100 weights.
    limits: ClassVar[dict[str, int]] = {"number of weights": 100}

    def derive(self) -> Derivation:
        layer = self.layer()
        n, m = self.inputs, self.outputs
        d = self.start({D.i: (0, n - 1), D.j: (0, m - 1), D.i2: (0, n - 1), D.j2: (0, m - 1)})
        d.where = sp.And(sp.Ne(D.i, D.i2), sp.Ne(D.j, D.j2))
        d.say("dense_cross")
        s = D.sigma_prime_of(D.z[D.j])
        lhs = PartialOf(PartialOf(D.L, D.w[D.i, D.j], D.L), D.w[D.i2, D.j2], layer.grad_weight())
        d.chain(lhs, lhs, "definition")
        d.then(D.x[D.i] * (PartialOf(D.dLdz[D.j], D.w[D.i2, D.j2], D.dLdz[D.j]) * s
                           + D.dLdz[D.j] * PartialOf(s, D.w[D.i2, D.j2], s)), "product_rule")
        d.then(D.x[D.i] * s * D.d2Ldz[D.j, D.j2] * D.sigma_prime_of(D.z[D.j2]) * D.x[D.i2],
               "chain_rule")
        d.then(layer.hessian_cross(), "simplify").answer("hessian_cross")
        return d

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        loss = self.forward(data)
        h = hessian_fd(lambda v: loss(weights=v), data["w"])
        n, m = self.inputs, self.outputs
        return {"hessian_cross": h.reshape(n, m, n, m)}
