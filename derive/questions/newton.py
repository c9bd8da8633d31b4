"""The `newton.step` kind: the minimiser of the second-order Taylor model (Newton's step),
why it is a minimum when H is positive definite, what it says about the learning rate, a
saddle when H is indefinite (a short remark), and optionally given numbers and the cost over P
parameters.

The general steps are checked at random w, w⁽ᵗ⁾, g, f(w⁽ᵗ⁾) and a random symmetric positive
definite H (two dimensions: the page is the same in any), the lemma about ∇(uᵀAu) at a
random non-symmetric A; the answers are compared with numpy (`derive.verify.newton_reference`):
the model's gradient by central differences, its minimiser by conjugate gradients checked
against `numpy.linalg.solve`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import sympy as sp
from pydantic import Field, model_validator

from derive.derivation import Derivation
from derive.derivation.rules import register
from derive.models.matrix_calculus import Named, T
from derive.models.newton import HALF, Grad, Inv, NewtonModel, add, mul, show
from derive.questions import newton_examples as examples
from derive.questions.base import NonNegInt, PosInt
from derive.questions.declare import Derived, kind
from derive.verify import newton_reference as R

# Rules of the family, worded in strings/<language>/newton.yaml (`rules:`).
for _rule in ("newton_taylor", "newton_grad_linear", "newton_grad_quadratic",
              "newton_gradient_terms", "newton_symmetric", "newton_solve", "newton_inverse",
              "newton_complete_square", "newton_value", "newton_step", "newton_isotropic",
              "newton_scaled_identity", "newton_rate_match", "newton_det_expand",
              "newton_char_poly", "newton_eigen_direction", "newton_mlp_parameters",
              "newton_cholesky", "newton_slope_value"):
    register(_rule)

CHECK_DIMENSION = 2
Matrix = list[list[float]]


def step(d: Derivation, expr: sp.Basic, rule: str) -> Derivation:
    """`= expr`, shown as built (see `derive.models.newton.show`)."""
    return d.then(expr, rule, display=show(expr))


def chain(d: Derivation, lhs: str, expr: sp.Basic, rule: str, rows: int = 1,
          cols: int = 1) -> Derivation:
    """A chain `lhs = expr`, expr shown as built."""
    d.chain(Named(lhs, rows, cols), expr, rule)
    d.steps[-1].display = show(expr)
    return d


@kind("newton.step",
      "Newton's step: the minimiser of the second-order Taylor model, why H must be "
      "positive definite (a saddle otherwise, on an example), the learning rate it "
      "replaces, given numbers, and the cost over P parameters.",
      {"network": [32, 512, 512, 10]})
class NewtonStep(Derived):
    hessian: Matrix | None = Field(None, description="H at w⁽ᵗ⁾: symmetric positive "
                                   "definite (with gradient).")
    gradient: list[float] | None = Field(None, description="g = ∇f(w⁽ᵗ⁾) (with hessian).")
    point: list[float] | None = Field(None, description="w⁽ᵗ⁾ (default: the origin).")
    indefinite_hessian: Matrix = Field(
        default_factory=lambda: [[1.0, 2.0], [2.0, 1.0]],
        description="The example of a symmetric H with a negative eigenvalue.")
    indefinite_gradient: list[float] = Field(default_factory=lambda: [1.0, 0.0],
                                             description="g of that example.")
    parameters: PosInt | None = Field(None, description="P, for the cost of a Newton step.")
    network: list[PosInt] | None = Field(
        None, min_length=2, description="Widths of a fully connected network with biases "
        "(input first), whose parameters P give the cost of a Newton step.")
    seed: NonNegInt = 0
    index_base_default: ClassVar[int] = 0
    limits: ClassVar[dict[str, int]] = {"dimension of the given numbers": 4,
                                        "number of parameters": 10**8}

    @property
    def method(self) -> str:  # type: ignore[override]
        """The check's words: the general steps and the example, and the cost when asked."""
        return "newton_reference" if self.parameters is None and self.network is None \
            else "newton_reference_cost"

    def measures(self) -> dict[str, int]:
        out = {"dimension of the given numbers": len(self.gradient or []),
               "number of parameters": self.parameters or 0}
        if self.network is not None:
            out["number of parameters"] = R.parameters_of(self.network)
        return out

    @model_validator(mode="after")
    def _valid(self) -> NewtonStep:
        examples.validate(self)
        return self

    # derivation ----------------------------------------------------------------------------
    def derive(self) -> Derivation:
        N = NewtonModel(CHECK_DIMENSION)
        d = Derivation(N.domains(), {}, N.definitions())
        w, wt, g, H, n = N.w, N.wt, N.g, N.H, N.n
        s = N.step(w)
        # asked: the minimiser and what it says of the learning rate (and, when given, the
        # numbers and the cost); the intermediate steps and the remark are not marked
        d.marked = frozenset({"minimiser", "isotropic_rate", "given_minimiser",
                              "cost_cholesky"})
        d.say("newton_model")
        chain(d, "m(w)", N.model(w), "newton_taylor")
        self._lemma(d, N)
        d.say("newton_gradient")
        d.chain(Named(r"\nabla m(w)", n, 1), Grad(N.model(w), w), "definition")
        step(d, add(Grad(N.f0, w), Grad(mul(T(s), g), w), mul(HALF, Grad(mul(T(s), H, s), w))),
             "linearity")
        step(d, add(g, mul(HALF, add(H, T(H)), s)), "newton_gradient_terms")
        step(d, add(g, mul(H, s)), "newton_symmetric").answer("model_gradient")
        d.say("newton_stationary")
        chain(d, "w^{*}", N.newton_point(), "newton_solve", n).answer("minimiser")
        d.say("newton_zero_gradient")
        chain(d, r"\nabla m(w^{*})", add(g, mul(H, N.step(N.w_star))), "derived_above", n)
        step(d, add(g, mul(H, add(wt, mul(-1, Inv(H), g), mul(-1, wt)))), "substitute")
        step(d, add(g, mul(-1, H, Inv(H), g)), "expand")
        step(d, sp.ImmutableMatrix.zeros(n, 1), "newton_inverse").answer("gradient_at_minimiser")
        d.say("newton_minimum")
        chain(d, "m(w) - m(w^{*})", add(N.model(w), mul(-1, N.model(N.w_star))), "definition")
        d.steps[-1].shown = False                 # the model twice: too wide, and said above
        ws = add(w, mul(-1, N.w_star))
        step(d, mul(HALF, T(ws), H, ws), "newton_complete_square")
        d.say("newton_minimum_value")
        chain(d, "m(w^{*})", N.model(N.w_star), "definition")
        step(d, add(N.f0, mul(-HALF, T(g), Inv(H), g)), "newton_value").answer("model_minimum")
        self._learning_rate(d, N)
        if self.hessian is not None:
            examples.numbers(d, self)
        if self.parameters is not None or self.network is not None:
            examples.cost(d, self)
        examples.indefinite(d, self)
        return d

    def _lemma(self, d: Derivation, N: NewtonModel) -> None:
        """∇_w[(w − w⁽ᵗ⁾)ᵀa] = a and ∇_w[(w − w⁽ᵗ⁾)ᵀA(w − w⁽ᵗ⁾)] = (A + Aᵀ)(w − w⁽ᵗ⁾), A any
        square matrix (checked at a non-symmetric one)."""
        s = N.step(N.w)
        d.say("newton_lemma")
        linear, quadratic = Grad(mul(T(s), N.a), N.w), Grad(mul(T(s), N.A, s), N.w)
        d.chain(Named(show(linear), N.n, 1), linear, "definition")
        step(d, N.a, "newton_grad_linear")
        d.chain(Named(show(quadratic), N.n, 1), quadratic, "definition")
        step(d, mul(add(N.A, T(N.A)), s), "newton_grad_quadratic")

    def _learning_rate(self, d: Derivation, N: NewtonModel) -> None:
        """Newton's update beside gradient descent's, and H = λI."""
        scaled = mul(N.lam, sp.Identity(N.n))
        d.say("newton_rate")
        chain(d, "w^{(t+1)}", N.newton_point(), "newton_step", N.n)
        step(d, add(N.wt, mul(-1, Inv(scaled), N.g)), "newton_isotropic")
        d.steps[-1].bindings = {N.H: scaled}
        step(d, add(N.wt, mul(-1 / N.lam, N.g)), "newton_scaled_identity")
        d.answer("isotropic_update")
        d.say("newton_rate_match")
        d.chain(sp.Symbol(r"\eta"), 1 / N.lam, "newton_rate_match").answer("isotropic_rate")

    # answers ---------------------------------------------------------------------------
    def value(self, answers: dict[str, Any]) -> Any:
        """The numbers the page computes (the general formulas are on the page)."""
        out: dict[str, Any] = {"minimiser": "w^(t) - H^(-1) g",
                               "learning_rate_if_H_is_lambda_I": "1/lambda"}
        for key, v in answers.items():
            if key.startswith(("given_", "indefinite_", "cost_")):
                out[key] = examples.plain(v)
        return out

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """numpy at the drawn data: the model's gradient by central differences at w, its
        minimiser by conjugate gradients (checked against numpy.linalg.solve), the model
        there, the step with H = λI; the examples' numbers by numpy as well."""
        w, wt, g = (np.asarray(data[k], dtype=float) for k in ("w", "wt", "g"))
        H, f_t, lam = np.asarray(data["H"], dtype=float), float(data["f_t"]), float(
            data[r"\lambda"])
        star = R.minimiser(H, g, wt)
        grad = R.central_gradient(lambda v: R.model(v, f_t, g, H, wt), w)
        at_star = R.central_gradient(lambda v: R.model(v, f_t, g, H, wt), star)
        isotropic = wt - np.linalg.solve(lam * np.eye(wt.size), g)
        return {"model_gradient": grad.reshape(-1, 1), "minimiser": star.reshape(-1, 1),
                "gradient_at_minimiser": at_star.reshape(-1, 1),
                "model_minimum": np.array([[R.model(star, f_t, g, H, wt)]]),
                "isotropic_update": isotropic.reshape(-1, 1),
                "isotropic_rate": float(np.linalg.norm(isotropic - wt) / np.linalg.norm(g)),
                **examples.reference(self, float(data["t"]))}
