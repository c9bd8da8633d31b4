"""Logistic regression: the loss, ∂L/∂w_j, ∂L/∂b and one SGD step, as checked steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from derive.derivation import Derivation
from derive.models import logistic as M
from derive.models.symbols import PartialOf, sigmoid
from derive.questions.base import NonNegInt, PosInt
from derive.questions.declare import Derived, kind
from derive.verify.reference import finite_difference


@kind("logistic.grad", "Logistic regression: loss, ∂L/∂w_j, ∂L/∂b and one SGD step.",
      {"features": 3})
class LogisticGrad(Derived):
    features: PosInt = Field(3, description="Number of features n.")
    index_base: Literal[0, 1] = 1
    seed: NonNegInt = 0
    method: ClassVar[str] = "logistic_fd"

    def derive(self) -> Derivation:
        m = M.LogisticRegression(self.features)
        d = Derivation(m.domains(), {M.j: (0, self.features - 1)}, m.definitions())
        d.say("logistic_model", n=self.features, a=m.score(), p=sigmoid(M.a))
        d.chain(M.L, m.loss(), "definition").answer("loss")
        for var, key in ((M.w[M.j], "grad_w"), (M.b, "grad_b")):
            partial = PartialOf(M.L, var, m.loss())
            d.chain(partial, partial, "definition")
            d.then(PartialOf(M.L, M.p, m.loss()) * PartialOf(M.p, M.a, sigmoid(M.a))
                   * PartialOf(M.a, var, m.score()), "chain_rule")
            d.apply("differentiate").apply("sigma_prime", names={sigmoid(M.a): M.p})
            if key == "grad_w":
                d.apply("sum_collapse")
            d.apply("simplify").answer(key)
        grad = PartialOf(M.L, M.w[M.j], m.loss())
        d.say("sgd_step")
        d.chain(M.w_new[M.j], M.w[M.j] - M.eta * grad, "sgd_update")
        d.apply("substitute", values={grad: m.grad_w()}).answer("update")
        return d

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        x, w, b, y, eta = (data[k] for k in ("x", "w", "b", "y", "eta"))

        def loss(weights: np.ndarray, bias: float) -> float:
            p = 1.0 / (1.0 + np.exp(-(weights @ x + bias)))
            return float(-y * np.log(p) - (1 - y) * np.log(1 - p))

        grad_w = finite_difference(lambda v: loss(v, b), w)
        grad_b = finite_difference(lambda v: loss(w, float(v[0])), np.array([b]))[0]
        return {"loss": loss(w, b), "grad_w": grad_w, "grad_b": grad_b,
                "update": w - eta * grad_w}
