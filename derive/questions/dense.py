"""Question kinds on a fully connected sigmoid layer, and storage of derivatives."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np
import sympy as sp
from pydantic import Field

from derive.derivation import Derivation
from derive.derivation.indices import in_base
from derive.latex.printer import tex
from derive.models import dense as D
from derive.models.dense import DenseSigmoid
from derive.models.softmax import in_order
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
        d = Derivation(self.layer().domains(), free, self.layer().definitions())
        base = self.display_base()
        total = sp.Sum(in_order(D.w[D.r, D.j], D.x[D.r]), (D.r, base, self.inputs - 1 + base))
        d.say("dense_layer_setup", a=tex(total), z=sigmoid(D.a[D.j]))
        return d

    def shown(self, *factors: sp.Expr) -> str:
        """A product in the order given, as the page prints it."""
        return tex(in_order(*(in_base(f, self.display_base()) for f in factors)))

    def through_sigma(self, d: Derivation, upstream: sp.Expr, tail: sp.Expr,
                      summed: bool) -> None:
        """∂L/∂z_j ∂z_j/∂a_j ∂a_j/∂v → each factor's derivative, in the chain's order (σ′(a_j)
        as such; the coefficient of the linear a_j read off at once, Σ_r w_rj δ_ir = w_ij
        checked but not shown), then σ′ = σ(1 − σ) with σ(a_j) = z_j, in the textbook order:
        the tail (x_i or w_ij), z_j(1 − z_j), ∂L/∂z_j; under Σ_j when `summed`."""
        base = self.display_base()

        def shown(*factors: sp.Expr) -> str:
            if not summed:
                return self.shown(*factors)
            term = in_order(*(in_base(f, base) for f in factors))
            return tex(sp.Sum(term, (D.j, base, self.outputs - 1 + base)))

        d.apply("differentiate")
        d.steps[-1].display = shown(upstream, SLOPE(D.a[D.j]), tail)
        d.apply("sum_collapse")
        d.steps[-1].shown = False
        d.apply("sigma_prime", names={sigmoid(D.a[D.j]): D.z[D.j]})
        d.steps[-1].display = shown(tail, D.sigma_prime_of(D.z[D.j]), upstream)

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


SLOPE = sp.Function(r"\sigma'")          # σ′(a_j), as the step that applies it shows it


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
        links = [PartialOf(D.z[D.j], D.a[D.j], sigmoid(D.a[D.j])),
                 PartialOf(D.a[D.j], D.x[D.i], layer.pre_activation(D.j))]
        d.then(sp.Sum(D.dLdz[D.j] * sp.Mul(*links), (D.j, 0, m - 1)), "chain_rule")
        self.through_sigma(d, D.dLdz[D.j], D.w[D.i, D.j], summed=True)
        d.answer("grad_x")
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
        links = [PartialOf(D.z[D.j], D.a[D.j], sigmoid(D.a[D.j])),
                 PartialOf(D.a[D.j], D.w[D.i, D.j], layer.pre_activation(D.j))]
        d.then(D.dLdz[D.j] * sp.Mul(*links), "one_dependence")
        self.through_sigma(d, D.dLdz[D.j], D.x[D.i], summed=False)
        d.answer("grad_w")
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
        # the terms in the order of the product rule's, each factor where it came from
        first, second = (s, D.d2Ldz[D.j, D.j], s, D.x[D.i]), (D.dLdz[D.j], 1 - 2 * D.z[D.j],
                                                               s, D.x[D.i])
        d.then(D.x[D.i] * (sp.Mul(*first) + sp.Mul(*second)), "chain_rule",
               display=rf"{self.shown(D.x[D.i])} \left({self.shown(*first)} + "
                       rf"{self.shown(*second)}\right)")
        d.then(layer.hessian_diagonal(), "simplify",
               display=rf"{self.shown(D.x[D.i] ** 2, s)} \left({self.shown(s, D.d2Ldz[D.j, D.j])}"
                       rf" + {self.shown(1 - 2 * D.z[D.j], D.dLdz[D.j])}\right)")
        d.answer("hessian_diagonal")
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
        s2 = D.sigma_prime_of(D.z[D.j2])
        d.then(D.x[D.i] * s * D.d2Ldz[D.j, D.j2] * s2 * D.x[D.i2], "chain_rule",
               display=self.shown(D.x[D.i], s, D.d2Ldz[D.j, D.j2], s2, D.x[D.i2]))
        d.then(layer.hessian_cross(), "simplify",
               display=self.shown(D.x[D.i], D.x[D.i2], s, s2, D.d2Ldz[D.j, D.j2]))
        d.answer("hessian_cross")
        return d

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        loss = self.forward(data)
        h = hessian_fd(lambda v: loss(weights=v), data["w"])
        n, m = self.inputs, self.outputs
        return {"hessian_cross": h.reshape(n, m, n, m)}
