"""Logistic regression: the loss, ∂L/∂w_j, ∂L/∂b and one SGD step, as checked steps; with
an example's numbers (x, w, b, y, η) the same formulas evaluated, and the length of a step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import sympy as sp
from pydantic import Field, model_validator

from derive.derivation import Derivation
from derive.derivation.indices import in_base
from derive.derivation.rules import collapse_deltas, differentiate
from derive.latex.printer import tex
from derive.models import logistic as M
from derive.models.softmax import in_order
from derive.models.symbols import PartialOf, sigmoid
from derive.questions import logistic_numbers as numbers
from derive.questions.base import NonNegInt, PosInt
from derive.questions.declare import Derived, kind
from derive.verify.reference import finite_difference

SLOPE = sp.Function(r"\sigma'")          # σ′(a), as the step that applies it shows it


def _in_order(factors: list[sp.Expr], base: int) -> str:
    """A product as the page shows it, its factors in the order of the chain's."""
    return tex(in_order(*(in_base(f, base) for f in factors if f != 1)))


@kind("logistic.grad", "Logistic regression: loss, ∂L/∂w_j, ∂L/∂b and one SGD step.",
      {"features": 3})
class LogisticGrad(Derived):
    features: PosInt = Field(3, description="Number of features n (the length of x if given).")
    index_base: Literal[0, 1] = 1
    seed: NonNegInt = 0
    report: Literal["gradient", "step_size"] = Field(
        "gradient", description="The gradient and SGD update, or the length of one SGD step.")
    bias: bool = Field(False, description="Also show ∂L/∂b (derived and checked always).")
    normalized: bool = Field(True, description="Examples scaled to ‖x‖ = 1 (step_size).")
    x: list[float] | None = Field(None, description="An example's features (with w, b, y, eta).")
    w: list[float] | None = Field(None, description="The current weights.")
    b: float | None = Field(None, description="The current bias.")
    y: float | None = Field(None, description="The example's label, 0 or 1.")
    eta: float | None = Field(None, description="The learning rate, > 0.")
    method: ClassVar[str] = "logistic_fd"
    # Random scores grow like the square root of n, and σ(a) rounds to 1 beyond |a| ≈ 37.
    limits: ClassVar[dict[str, int]] = {"number of features": 100}

    def measures(self) -> dict[str, int]:
        return {"number of features": self.features}

    @model_validator(mode="before")
    @classmethod
    def _features_of_x(cls, data: Any) -> Any:
        return numbers.fill_features(data)

    @model_validator(mode="after")
    def _example_fits(self) -> LogisticGrad:
        numbers.validate(self)
        return self

    def derive(self) -> Derivation:
        m = M.LogisticRegression(self.features)
        step = self.report == "step_size"
        d = (Derivation(m.step_domains(self.normalized), {M.j: (0, self.features - 1)},
                        m.step_definitions(self.normalized)) if step else
             Derivation(m.domains(), {M.j: (0, self.features - 1)}, m.definitions()))
        d.say("logistic_setup", n=self.features, a=m.score(), p=sigmoid(M.a))
        d.chain(M.L, m.loss(), "definition").answer("loss")
        base = self.display_base()
        for var, key in ((M.w[M.j], "grad_w"), (M.b, "grad_b"))[:1 if step else 2]:
            partial = PartialOf(M.L, var, m.loss())
            links = [PartialOf(M.L, M.p, m.loss()), PartialOf(M.p, M.a, sigmoid(M.a)),
                     PartialOf(M.a, var, m.score())]
            d.chain(partial, partial, "definition")
            d.then(sp.Mul(*links), "chain_rule")
            # each factor's derivative in the chain's order: σ′(a) as such, the coefficient
            # of the linear score read off at once (Σ_i x_i δ_ij = x_j, checked, not shown)
            outer, inner = differentiate(links[0]), collapse_deltas(differentiate(links[2]))
            d.apply("differentiate")
            d.steps[-1].display = _in_order([outer, SLOPE(M.a), inner], base)
            if collapse_deltas(d.result) != d.result:
                d.apply("sum_collapse")
                d.steps[-1].shown = False
            d.apply("sigma_prime", names={sigmoid(M.a): M.p})
            d.steps[-1].display = _in_order([outer, M.p * (1 - M.p), inner], base)
            d.apply("simplify").answer(key)
            if key == "grad_b" and not self.bias:      # not asked: checked, not shown
                for hidden in d.chains()[-1]:
                    hidden.shown = False
        grad = PartialOf(M.L, M.w[M.j], m.loss())
        d.say("sgd_step")
        d.chain(M.w_new[M.j], M.w[M.j] - M.eta * grad, "sgd_update")
        d.apply("substitute", values={grad: m.grad_w()}).answer("update")
        if step:
            numbers.step_size(d, m, self.normalized)
        if self.x is not None:
            numbers.put_numbers(d, m, self)
        else:                  # what is asked: the gradient and the update, or the step's size
            d.marked = frozenset({"step_size"} if step else
                                 {"grad_w", "update"} | ({"grad_b"} if self.bias else set()))
        return d

    def value(self, answers: dict[str, Any]) -> Any:
        """The numbers when an example is given, else the formulas."""
        return numbers.plain(answers) if self.x is not None else super().value(answers)

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        x, w, b, y, eta = (data[k] for k in ("x", "w", "b", "y", "eta")) if "x" in data else (
            data["u"] / np.linalg.norm(data["u"]), data["w"], data["b"], data["y"], data["eta"])

        def loss(weights: np.ndarray, bias: float) -> float:
            p = 1.0 / (1.0 + np.exp(-(weights @ x + bias)))
            return float(-y * np.log(p) - (1 - y) * np.log(1 - p))

        grad_w = finite_difference(lambda v: loss(v, b), w)
        grad_b = finite_difference(lambda v: loss(w, float(v[0])), np.array([b]))[0]
        out = {"loss": loss(w, b), "grad_w": grad_w, "grad_b": grad_b,
               "update": w - eta * grad_w,
               "step_size": float(np.linalg.norm(eta * grad_w))}
        return out | (numbers.reference_at(self) if self.x is not None else {})
