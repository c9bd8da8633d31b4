"""A continuous piecewise-linear activation (slope a right of α, flat on [β, α], slope b or
−b left of β) built from ReLU: the coefficients solved region by region, the construction
checked on every piece and at the breakpoints, LeakyReLU and soft shrinkage as special cases,
and, with the given numbers, sample points and a figure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import sympy as sp
from pydantic import Field, model_validator

import derive.derivation.activation_rules  # noqa: F401  (registers the family's rules)
from derive.derivation import Derivation, Domain
from derive.latex.printer import tex
from derive.models import activations as A
from derive.models.activations import PiecewiseLinear, x
from derive.models.function import Shown
from derive.questions.activation_numbers import COLOURS, curve, frame
from derive.questions.base import NonNegInt
from derive.questions.declare import Derived, kind
from derive.verify import activation_reference as ref

Number = Annotated[float, Field(ge=-100, le=100)]


def _exact(v: float) -> sp.Rational:
    return sp.Rational(repr(float(v)))


def _tuple(values: list[sp.Expr]) -> str:
    return r"\bigl(" + ", ".join(tex(v) for v in values) + r"\bigr)"


@kind("activation.relu_construction",
      "A piecewise-linear activation (slopes a, 0, b; breakpoints β ≤ α) built from ReLU.",
      {"a": 1, "b": -0.25, "alpha": 1, "beta": -1, "left_slope": "-b"},
      template="parts/activation.tex.j2")
class ReluConstruction(Derived):
    a: Number = Field(1.0, description="The slope right of alpha.")
    b: Number = Field(-0.25, description="The parameter of the slope left of beta.")
    alpha: Number = Field(1.0, description="The right breakpoint α.")
    beta: Number = Field(-1.0, description="The left breakpoint β (β ≤ α).")
    left_slope: Literal["b", "-b"] = Field(
        "-b", description="The slope left of beta: b, or −b as the statement writes it.")
    seed: NonNegInt = 0
    method: ClassVar[str] = "act_relu_reference"
    index_base_default: ClassVar[int] = 0        # no indices

    @model_validator(mode="after")
    def _ordered(self) -> ReluConstruction:
        if self.beta > self.alpha:
            raise ValueError(f"beta ({self.beta:g}) is greater than alpha ({self.alpha:g}): h "
                             "is flat on [beta, alpha], so beta must not exceed alpha")
        return self

    # the activation, symbolic and with the given numbers ---------------------------------
    def slope(self, b: sp.Expr) -> sp.Expr:
        """The slope left of β, as the statement is read."""
        return b if self.left_slope == "b" else -b

    def symbolic(self) -> PiecewiseLinear:
        return PiecewiseLinear(A.a, self.slope(A.b), A.alpha, A.beta_)

    def given(self) -> PiecewiseLinear:
        return self.symbolic().at(_exact(self.a), self.slope(_exact(self.b)),
                                  _exact(self.alpha), _exact(self.beta))

    def samples(self) -> list[sp.Rational]:
        """Both sides of each breakpoint, the breakpoints, the middle of the flat piece."""
        lo, hi = _exact(self.beta), _exact(self.alpha)
        points = {lo - 2, lo - 1, lo, hi, hi + 1, hi + 2, (lo + hi) / 2}
        return sorted(points)

    # the derivation --------------------------------------------------------------------
    def derive(self) -> Derivation:
        p = self.symbolic()
        normal, positive = Domain(), Domain(kind="positive")
        d = Derivation({x: normal, A.a: normal, A.b: normal, A.alpha: normal, A.delta: positive,
                        A.t: positive, A.s: Domain(kind="unit"), A.c1: normal, A.c2: normal,
                        A.lam: Domain(kind="unit"), A.tau: positive},
                       definitions={A.beta_: A.alpha - A.delta})
        h, g = sp.Function("h"), sp.Function("g")
        # asked: the construction, and the popular activation it resembles
        d.marked = frozenset({"construction", "leaky"})
        d.say("act_relu_reading", case=self.left_slope.replace("-", "minus_"))
        d.chain(h(x), p.definition(), "definition", context=True)
        d.say("act_relu_ansatz")
        d.chain(g(x), p.ansatz(), "act_ansatz")
        for key, point in p.regions().items():
            d.say("act_relu_region", case=key)
            d.chain(g(point), p.ansatz(point), "substitute")
            d.apply("act_relu_signs", signs=p.signs())
            self._branch(d, h(point), p, point)
        solved = p.solve()
        d.say("act_relu_match", c1=solved[A.c1], c2=solved[A.c2])
        d.chain(h(x), p.definition(), "definition")
        d.then(p.construction(), "act_relu_construction").answer("construction")
        # the pieces were matched above with c₁, c₂ free; the breakpoints are new: shown,
        # with the term that vanishes there written out (a ReLU(0), not dropped silently)
        d.say("act_relu_verify")
        for point in (p.alpha, p.beta, *p.regions().values()):
            first = len(d.steps)
            d.chain(h(point), p.definition(point), "substitute")
            at_break = point in (p.alpha, p.beta)
            d.then(p.construction(point), "act_relu_construction",
                   display=tex(p.held(point)) if at_break else None)
            d.apply("act_relu_signs", signs=p.signs())
            for n, done in enumerate(d.steps[first:]):   # a piece: checked, shown above
                done.shown = n > 0 and at_break
        self._special(d, h)
        self._numbers(d, h)
        return d

    def _branch(self, d: Derivation, lhs: sp.Expr, p: PiecewiseLinear, point: sp.Expr) -> None:
        """h at a point of one piece: its definition (checked, not shown), then that piece;
        the piece alone when SymPy already picks it from the definition."""
        definition, piece = p.definition(point), p.branch(point)
        if definition == piece:
            d.chain(lhs, piece, "act_branch")
            return
        d.chain(lhs, definition, "substitute")
        d.steps[-1].shown = False
        d.then(piece, "act_branch")

    def _special(self, d: Derivation, h: sp.Function) -> None:
        """LeakyReLU (α = β = 0, a = 1, left slope λ) and soft shrinkage (a = 1, left slope
        1, β = −α = −τ), computed from the construction."""
        b_leaky = sp.solve(self.slope(A.b) - A.lam, A.b)[0]
        leaky = self.symbolic().at(1, A.lam, 0, 0).construction()
        d.say("act_relu_leaky", b=b_leaky)
        d.chain(h(x), leaky, "act_relu_construction")
        d.then(A.leaky_relu(), "act_leaky", display=rf"\max\left(x, {tex(A.lam)} x\right)")
        d.answer("leaky")
        b_shrink = sp.solve(self.slope(A.b) - 1, A.b)[0]
        shrink = self.symbolic().at(1, 1, A.tau, -A.tau).construction()
        d.say("act_relu_shrink", b=b_shrink)
        d.chain(h(x), shrink, "act_relu_construction").then(A.soft_shrink(), "act_soft_shrink")
        d.answer("shrink")

    def _numbers(self, d: Derivation, h: sp.Function) -> None:
        q = self.given()
        d.say("act_relu_numbers", case=self._family(), a=_exact(self.a), b=_exact(self.b),
              alpha=_exact(self.alpha), beta=_exact(self.beta))
        d.chain(h(x), q.definition(), "definition")
        d.then(q.construction(), "act_relu_construction").answer("given_construction")
        points = self.samples()
        values = sp.ImmutableMatrix([[q.construction(v) for v in points]])
        case = "flat" if self.beta < self.alpha else "no_flat"
        d.say("act_relu_samples", n=len(points), points=_tuple(points), case=case)
        d.chain(Shown(rf"\bigl(h(x_1), \dots, h(x_{{{len(points)}}})\bigr)"), values,
                "act_relu_construction")
        d.steps[-1].display = _tuple(list(values))
        d.answer("samples")
        d.say("act_relu_figure", case=case, lo=tex(points[0]), hi=tex(points[-1]))
        d.chain(sp.Symbol("P"), values, "evaluate")
        d.steps[-1].shown = False

    def _family(self) -> str:
        """Which popular activation the given numbers make h, if any."""
        a, s, lo, hi = (float(v) for v in (self.a, self.slope(_exact(self.b)), self.beta,
                                           self.alpha))
        if lo == hi == 0 and a == 1:
            return "relu" if s == 0 else "leaky" if 0 < s < 1 else "kink"
        if a == s == 1 and hi == -lo > 0:
            return "shrink"
        return "other"

    def page(self, d: Derivation) -> dict[str, Any]:
        xs = [float(v) for v in self.samples()]
        ys = [float(v) for v in d.answers()["samples"].rhs]
        return {"plot": {"curves": [curve(ys, xs, "$h(x)$", f"{COLOURS[0]}, thick", marks=True)],
                         "ylabel": "$h(x)$", **frame(xs, ys)}}

    def value(self, answers: dict[str, Any]) -> Any:
        out = {k: v for k, v in answers.items() if k != "samples"}
        out["samples"] = {"x": [float(v) for v in self.samples()],
                          "h": [float(v) for v in answers["samples"]]}
        return out

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """numpy from the description of h: flat on [β, α], the slopes walking out from it."""
        sign = 1.0 if self.left_slope == "b" else -1.0
        v = float(data["x"])
        beta = float(data["alpha"]) - float(data["delta"])
        given = (self.a, sign * self.b, self.alpha, self.beta)
        return {"construction": float(ref.piecewise_linear(
                    v, float(data["a"]), sign * float(data["b"]), float(data["alpha"]), beta)),
                "leaky": float(ref.leaky_relu(v, float(data["lambda"]))),
                "shrink": float(ref.soft_shrink(v, float(data["tau"]))),
                "given_construction": float(ref.piecewise_linear(v, *given)),
                "samples": ref.piecewise_linear(
                    np.array([float(p) for p in self.samples()]), *given).reshape(1, -1)}
