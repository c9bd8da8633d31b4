"""Swish h_β(x) = x σ(βx): its limits as β → 0, +∞, −∞ (SymPy, by sign of x), how fast
and how uniformly it gets there (sup |h_β − ReLU| = W(1/e)/β), and a figure of h_β for
given values of β, drawn from checked values (`parts/activation.tex.j2`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

import numpy as np
import sympy as sp
from pydantic import Field, field_validator

import derive.derivation.activation_rules  # noqa: F401  (registers the family's rules)
from derive.derivation import Derivation, Domain
from derive.models import activations as A
from derive.models.activations import ReLU, beta, x
from derive.questions.activation_numbers import COLOURS, curve, decimal, frame
from derive.questions.base import NonNegInt
from derive.questions.declare import Derived, kind
from derive.verify import activation_reference as ref

Beta = Annotated[float, Field(ge=-50, le=50)]
POINTS = 121                  # points per curve of the figure
TINY, HUGE = 1e-9, 1e9        # β of the numeric references of the limits


def _limit(point: sp.Expr) -> sp.Limit:
    return sp.Limit(A.swish(), beta, point, "+-" if point == 0 else "+")


@kind("activation.swish_limits",
      "Swish x σ(βx): limits as β → 0, ±∞ by sign of x, uniformity, and a figure.",
      {"betas": [-2, 0, 0.5, 1, 2, 10], "x_max": 3}, template="parts/activation.tex.j2")
class SwishLimits(Derived):
    betas: list[Beta] = Field([-2, 0, 0.5, 1, 2, 10], min_length=1, max_length=8,
                              description="The values of β drawn in the figure (|β| ≤ 50).")
    x_max: float = Field(3.0, ge=0.5, le=20, description="The figure spans [−x_max, x_max].")
    seed: NonNegInt = 0
    method: ClassVar[str] = "act_swish_reference"
    index_base_default: ClassVar[int] = 0        # no indices

    @field_validator("betas")
    @classmethod
    def _distinct(cls, betas: list[float]) -> list[float]:
        if len(set(betas)) < len(betas):
            raise ValueError(f"the values of beta must be distinct, got {betas}")
        return betas

    def derive(self) -> Derivation:
        points = {p: _limit(p) for p in (sp.Integer(0), sp.oo, -sp.oo)}
        positive = Domain(kind="positive")
        d = Derivation({x: Domain(), beta: positive, A.gamma: positive, A.t: positive},
                       definitions={lim: A.limit_meaning(p) for p, lim in points.items()})
        # what the question asks: the linear limit, ReLU, the role of β's sign (β → −∞) and
        # how the convergence happens (uniformly, with the largest gap); not the side facts
        d.marked = frozenset({"zero", "plus", "minus", "gap"})
        h = sp.Symbol(r"h_{\beta}(x)")
        limits = A.swish_limits()
        d.say("act_swish_def")
        d.chain(h, A.swish(), "definition", context=True)
        self._near_zero(d, h, points[sp.Integer(0)], limits["zero"])
        c = self._plus(d, h, points[sp.oo])
        self._minus(d, points[-sp.oo], limits["minus"], c)
        for point, key in ((sp.Integer(0), "zero"), (sp.oo, "plus"), (-sp.oo, "minus")):
            self._by_sign(d, point, key, limits[key])
        self._figure(d)
        return d

    def _by_sign(self, d: Derivation, point: sp.Expr, key: str, value: sp.Expr) -> None:
        """The limit at x = t and x = −t (t > 0), so that both signs are checked at every
        draw: checked, not shown (the cases above show them)."""
        for v, sign in ((A.t, "pos"), (-A.t, "neg")):
            lim = sp.Limit(A.swish(v), beta, point, "+-" if point == 0 else "+")
            d.definitions[lim] = A.limit_meaning(point).xreplace({x: v})
            d.chain(lim, lim, "definition").then(value.xreplace({x: v}), "act_limit")
            d.answer(f"{key}_{sign}")
            d.steps[-1].shown = d.steps[-2].shown = False

    def _near_zero(self, d: Derivation, h: sp.Symbol, lim: sp.Limit, value: sp.Expr) -> None:
        d.say("act_swish_zero")
        d.chain(h, A.swish(), "definition").then(A.tanh_form(), "act_sigmoid_tanh")
        d.say("act_swish_zero_limit")
        d.chain(lim, lim, "definition").then(value, "act_limit_remainder").answer("zero")
        slope = sp.diff(value, x)
        remainder = A.tanh_form() - value
        far = {sign: sp.limit(remainder.xreplace({beta: sign * sp.Symbol("b", positive=True)}),
                              x, sp.oo) for sign in (1, -1)}
        if (far[1], far[-1]) != (sp.oo, -sp.oo):   # fail closed: the sentence says so
            raise AssertionError(f"the remainder tends to {far[1]} (β > 0) and {far[-1]} "
                                 "(β < 0) as x → ∞, not to ±∞")
        d.say("act_swish_zero_claim", slope=slope, far_pos=far[1], far_neg=far[-1])
        d.chain(sp.Symbol(r"h_{0}(x)"), A.swish(x, 0), "substitute")
        d.apply("act_sigmoid_value").answer("at_zero")

    def _plus(self, d: Derivation, h: sp.Symbol, lim: sp.Limit) -> sp.Expr:
        by = A.limit_cases(sp.oo)
        d.say("act_swish_split")
        d.chain(h, A.swish(), "definition").then(A.relu_split(), "act_relu_split")
        d.say("act_swish_plus", h0=by.args[1].expr)
        d.chain(lim, lim, "definition").then(by, "act_limit")
        d.then(ReLU(x), "act_relu_cases").answer("plus")
        d.say("act_swish_at_zero", h0=by.args[1].expr)
        d.chain(sp.Symbol(r"h_{\beta}'(0)"), sp.diff(A.swish(), x).xreplace({x: 0}),
                "act_derivative")
        d.apply("act_sigmoid_value").answer("slope0")
        star, c = A.largest_gap()
        d.say("act_swish_gap", ustar=star, ustar_num=decimal(float(sp.N(star, 20))))
        gap = sp.Symbol(r"\sup_{x} \left|h_{\beta}(x) - \operatorname{ReLU}(x)\right|")
        d.chain(gap, (A.u / (1 + sp.exp(A.u))).xreplace({A.u: star}) / beta, "act_maximise")
        d.apply("act_lambert").answer("gap")
        return c

    def _minus(self, d: Derivation, lim: sp.Limit, value: sp.Expr, c: sp.Expr) -> None:
        """β → −∞ through a positive γ: h_{−γ} = x − h_γ (β is the variable that moves)."""
        d.say("act_swish_minus", c=decimal(float(sp.N(c, 20))))
        d.chain(sp.Symbol(r"h_{-\gamma}(x)"), A.swish(x, -A.gamma), "definition")
        d.steps[-1].display = r"x \sigma\left(-\gamma x\right)"    # γx, as the page writes βx
        d.then(A.reflected(A.gamma), "act_sigmoid_reflect",
               display=r"x - x \sigma\left(\gamma x\right)")
        d.say("act_swish_minus_limit")
        d.chain(lim, lim, "definition").then(A.limit_cases(-sp.oo), "act_limit")
        d.then(value, "act_min_cases").then(-ReLU(-x), "act_min_relu").answer("minus")

    def _grid(self) -> np.ndarray:
        return np.linspace(-self.x_max, self.x_max, POINTS)

    def _figure(self, d: Derivation) -> None:
        """The curves' values, from the model's SymPy h_β (checked against numpy), hidden."""
        grid = self._grid()
        rows = [sp.lambdify(x, A.swish(x, sp.Rational(repr(b_))).rewrite(sp.exp), "numpy")(grid)
                * np.ones_like(grid) for b_ in self.betas]
        rows.append(sp.lambdify(x, sp.Max(x, 0), "numpy")(grid) * np.ones_like(grid))
        values = sp.ImmutableMatrix([[sp.Float(v, 17) for v in row] for row in rows])
        listed = [decimal(b_) for b_ in self.betas]
        d.chain(sp.Symbol("P"), values, "evaluate").answer("plot")
        d.steps[-1].shown = False
        # the sentence that announces the figure, on a hidden copy that is not an answer (a
        # hidden answer would mark the sentence as one)
        d.say("act_swish_figure", n=len(self.betas), betas=", ".join(listed),
              betas_fr="; ".join(listed), x_max=decimal(self.x_max))
        d.chain(sp.Symbol("P"), values, "evaluate")
        d.steps[-1].shown = False

    def page(self, d: Derivation) -> dict[str, Any]:
        grid = self._grid()
        values = np.array(d.answers()["plot"].rhs.tolist(), dtype=float)
        curves = [curve(values[k], grid, rf"$\beta = {decimal(b_)}$",
                        f"{COLOURS[k % len(COLOURS)]}, thick")
                  for k, b_ in enumerate(self.betas)]
        curves.append(curve(values[-1], grid, r"$\operatorname{ReLU}(x)$",
                            "black, dashed, thick"))
        return {"plot": {"curves": curves, "ylabel": r"$h_{\beta}(x)$",
                         **frame(list(grid), list(values.ravel()))}}

    def value(self, answers: dict[str, Any]) -> Any:
        """The limits and facts, without the figure's values."""
        return {k: v for k, v in answers.items() if k in ("zero", "at_zero", "plus", "minus",
                                                           "slope0", "gap")}

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """numpy from the definition: h at β = ±10⁹ and 10⁻⁹, a grid search for the gap, a
        central difference at 0, the curves on the figure's grid."""
        v, b_, t = float(data["x"]), float(data["beta"]), float(data["t"])
        step = 1e-6
        grid = self._grid()
        plot = [ref.swish(grid, float(bb)) for bb in self.betas] + [np.maximum(grid, 0.0)]
        return {"zero": float(ref.swish(v, TINY)), "at_zero": float(ref.swish(v, 0.0)),
                "plus": float(ref.swish(v, HUGE)), "minus": float(ref.swish(v, -HUGE)),
                "slope0": float((ref.swish(step, b_) - ref.swish(-step, b_)) / (2 * step)),
                "gap": ref.swish_sup_gap(b_), "plot": np.array(plot),
                **{f"{key}_{sign}": float(ref.swish(sign_ * t, at))
                   for key, at in (("zero", TINY), ("plus", HUGE), ("minus", -HUGE))
                   for sign, sign_ in (("pos", 1.0), ("neg", -1.0))}}

