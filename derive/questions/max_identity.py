"""max(x_1, x_2) = ½(x_1 + x_2 + |x_1 − x_2|) by cases, max of n numbers one at a time, its
gradient where the maximiser is unique, one-sided derivatives at ties, then where it is
differentiable (the statement asked, marked); at a given point, whether it is differentiable
there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

import numpy as np
import sympy as sp
from pydantic import Field, field_validator, model_validator

import derive.derivation.calculus_rules  # noqa: F401  (registers the family's rules)
from derive.derivation import Derivation, Domain
from derive.derivation.rules import differentiate, register
from derive.listing import Listing
from derive.models import max_identity as X
from derive.models.matrix_calculus import Named
from derive.models.symbols import PartialOf
from derive.questions.base import IndexBase, NonNegInt
from derive.questions.declare import Derived, kind
from derive.questions.logistic_numbers import shown
from derive.verify import calculus_reference as ref

K = sp.Symbol("k", integer=True, nonnegative=True)      # the maximiser, where unique
FunctionName = Annotated[str, Field(pattern=r"^[A-Za-z]$")]
TAKEN = "cejkmnqrtx"        # letters the page already uses (x_k, e_k, c + t, m_k, r, …)
register("coordinate_partial", differentiate)           # ∂x_k/∂x_j = δ_jk


@kind("max.identity",
      "max as ½(a + b + |a − b|), max of n numbers, where max is differentiable.",
      {"n": 3})
class MaxIdentity(Derived):
    n: int = Field(3, ge=2, le=12, strict=True,
                   description="How many numbers (the length of point, if given).")
    point: list[float] | None = Field(
        None, description="A point x: is max differentiable there, and what is its gradient "
                          "or subdifferential?")
    function: FunctionName | None = Field(
        None, description="Letter the statement gives max(x_1, …, x_n) (f, say); without it "
                          "the page writes max.")
    index_base: IndexBase = 1
    seed: NonNegInt = 0
    method: ClassVar[str] = "max_reference"

    @model_validator(mode="before")
    @classmethod
    def _n_of_point(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("point"), list) and "n" not in data:
            return {**data, "n": len(data["point"])}
        return data

    @field_validator("function")
    @classmethod
    def _free_letter(cls, letter: str | None) -> str | None:
        if letter is not None and letter in TAKEN:
            raise ValueError(f"{letter!r} already names something on the page (letters taken: "
                             f"{', '.join(TAKEN)}); choose another, such as f")
        return letter

    @model_validator(mode="after")
    def _point_fits(self) -> MaxIdentity:
        if self.point is not None and len(self.point) != self.n:
            raise ValueError(f"point has {len(self.point)} entries, n is {self.n}")
        return self

    def derive(self) -> Derivation:
        n = self.n
        domains = {**X.case_domains(), X.x: Domain((n,))}
        d = Derivation(domains, {X.j: (0, n - 1)},
                       {**X.case_definitions(), **X.prefix_max(n), K: X.ArgMax(*X.vector(n))})
        if self.point is None:
            self.pair(d)
            if n > 2:
                self.nested(d)
            self.gradient(d)
            self.tie(d)
            self.where(d)
            d.marked = frozenset({"identity", "nested"})    # and the statement of where()
        else:                             # what is asked is the point: only that is marked
            d.marked = frozenset({"point_gradient", "maximisers"})
            self.at_point(d, self.point)
        return d

    def function_tex(self) -> str:
        """The function's name in LaTeX: the statement's letter, else max."""
        return self.function or r"\max"

    def arguments(self, start: int) -> str:
        """x_start, …, x_last in LaTeX (spec base), each written out when they are two."""
        first, last = start + self.display_base(), self.n - 1 + self.display_base()
        if last - first <= 1:
            return ", ".join(f"x_{{{q}}}" for q in range(first, last + 1))
        return rf"x_{{{first}}}, \dots, x_{{{last}}}"

    def pair(self, d: Derivation) -> None:
        """The identity for two numbers, case by case, then for all."""
        x1 = X.x1
        for case, x2, rule, sign in (("ge", X.x2_ge, "abs_nonneg", 1),
                                     ("lt", X.x2_lt, "abs_negative", -1)):
            d.say("max_case", case=case)
            d.chain(X.MaxOf(x1, x2), X.MaxOf(x1, x2), "definition")
            d.then(x1 if sign > 0 else x2, "max_case")
            diff = sp.Add(x1, -x2, evaluate=False)
            written = X.half(x1, x2, diff if sign > 0 else sp.Mul(-1, diff, evaluate=False))
            d.then(written, "simplify", display=X.in_order(written))
            whole = X.half(x1, x2, sp.Abs(diff, evaluate=False))
            d.then(whole, rule, display=X.in_order(whole))
        d.say("max_pair")
        d.chain(X.MaxOf(x1, X.x2), X.MaxOf(x1, X.x2), "definition")
        whole = X.half(x1, X.x2, sp.Abs(sp.Add(x1, -X.x2, evaluate=False), evaluate=False))
        d.then(whole, "pair_identity", display=X.in_order(whole)).answer("identity")

    def nested(self, d: Derivation) -> None:
        """m_k = max(m_{k−1}, x_k), each pair by the identity."""
        base = self.display_base()
        d.say("max_nested", n=self.n, first=base, second=base + 1)
        for k in range(1, self.n):
            before = X.x[0] if k == 1 else X.m[k - 1]
            d.chain(X.m[k], X.MaxOf(*(X.x[q] for q in range(k + 1))), "definition")
            if k > 1:
                d.then(X.MaxOf(before, X.x[k]), "max_nested")
            whole = X.half(before, X.x[k], sp.Abs(sp.Add(before, -X.x[k], evaluate=False),
                                                  evaluate=False))
            d.then(whole, "pair_identity", display=X.in_order(whole, base))
        d.answer("nested")

    def gradient(self, d: Derivation) -> None:
        """∂ max/∂x_j = δ_jk where x_k is the only largest coordinate."""
        xs = X.vector(self.n)
        lhs = PartialOf(X.MaxOf(*xs), X.x[X.j], sp.Max(*xs))
        d.say("max_gradient", n=self.n, f=self.function_tex(), args=self.arguments(0))
        d.chain(lhs, lhs, "definition")
        d.then(PartialOf(X.x[K], X.x[X.j], X.x[K]), "local_max")
        d.apply("coordinate_partial").answer("gradient")

    def tie(self, d: Derivation) -> None:
        """At x_1 = x_2 = c the largest, the difference quotients along e_1 from each side;
        the other coordinates, at most c, are written: x_3 itself, or r, their maximum."""
        c, t, n, base = X.c, X.t, self.n, self.display_base()
        case = {2: "two", 3: "three"}.get(n, "many")
        rest: list[sp.Expr] = []
        if n > 2:
            other, meaning = X.others_at_most(f"x_{{{base + 2}}}" if n == 3 else "r")
            d.definitions[other] = meaning
            rest = [other]
        d.say("max_tie", case=case, f=self.function_tex(), first=base, second=base + 1,
              third=base + 2, others=self.arguments(2))
        for key, moved in (("right", c + t), ("left", c - t)):
            quotient = (X.MaxOf(moved, c, *rest) - X.MaxOf(c, c, *rest)) / t
            d.chain(quotient, quotient, "definition")
            d.then((sp.Max(moved, c) - sp.Max(c, c)) / t,
                   "largest_entry" if rest else "max_case").answer(key)

    def where(self, d: Derivation) -> None:
        """The statement asked: differentiable exactly where the maximiser is unique, with
        gradient e_k there; stated in words (marked), its gradient checked again."""
        xs = X.vector(self.n)
        d.say("max_where", f=self.function_tex())
        d.chain(PartialOf(X.MaxOf(*xs), X.x[X.j], sp.Max(*xs)), sp.KroneckerDelta(X.j, K),
                "derived_above")
        d.steps[-1].shown = False
        d.steps[-1].states = True

    def at_point(self, d: Derivation, point: list[float]) -> None:
        """Differentiable at the point or not, from its maximisers: the gradient where the
        maximiser is unique, else the one-sided derivatives and the subdifferential."""
        exact = [sp.Rational(repr(float(v))) for v in point]
        top = max(exact)
        where = [q for q, v in enumerate(exact) if v == top]
        base = self.display_base()
        indicator = sp.ImmutableMatrix(self.n, 1, [int(v == top) for v in exact])
        if len(where) == 1:
            self.gradient(d)
            d.say("max_point_smooth", value=shown(top), k=where[0] + base,
                  f=self.function_tex())
            d.chain(Named(rf"\nabla {self.function_tex()}(x)", self.n, 1), indicator,
                    "derived_above").answer("point_gradient")
            return
        d.say("max_point_kink", case="two" if len(where) == 2 else "many", value=shown(top),
              count=len(where), k=where[0] + base,
              where=Listing([f"$k = {q + base}$" for q in where]))
        ek = [int(q == where[0]) for q in range(self.n)]
        rates = []
        for key, sign in (("point_right", 1), ("point_left", -1)):
            moved = [v + sign * X.t * u for v, u in zip(exact, ek, strict=True)]
            quotient = (X.MaxOf(*moved) - X.MaxOf(*exact)) / X.t
            d.chain(quotient, quotient, "definition")
            d.then((sp.Max(*moved) - sp.Max(*exact)) / X.t, "largest_entry").answer(key)
            rates.append(d.result)
        d.say("max_point_hull", k=where[0] + base, right=rates[0], left=rates[1],
              hull=_hull(where, base), f=self.function_tex())
        d.chain(Named("M", self.n, 1), indicator, "definition").answer("maximisers")
        d.steps[-1].shown = False         # checked against numpy's maximisers, not shown

    def value(self, answers: dict[str, Any]) -> Any:
        if self.point is None:
            return answers
        ks = [k for k in ("point_gradient", "point_right", "point_left", "maximisers")
              if k in answers]
        out: dict[str, Any] = {}
        for k in ks:
            v = answers[k]
            out[k] = [int(e) for e in v] if isinstance(v, sp.MatrixBase) else float(v)
        out["differentiable"] = "point_gradient" in answers
        return out

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        x, x1 = np.asarray(data["x"], dtype=float), float(data["x_1"])   # x_2 = x_1 + s v
        x2 = x1 + float(data["s"]) * float(data["v"])
        c = float(data["c"])                       # x_1 = x_2 = c, the others at most c
        tied = np.array([c, c, c - float(data["g"]) * float(data["u"])][:min(self.n, 3)])
        right, left = ref.one_sided(tied, np.eye(tied.size)[0])
        out: dict[str, Any] = {
            "identity": max(x1, x2), "nested": float(np.max(x)),
            "gradient": ref.max_gradient(x), "right": right, "left": left}
        if self.point is not None:
            p = np.array(self.point, dtype=float)
            where = ref.maximisers(p)
            out["maximisers"] = np.isin(np.arange(p.size), where).astype(float).reshape(-1, 1)
            if len(where) == 1:
                out["point_gradient"] = ref.max_gradient(p, ref.safe_step(p)).reshape(-1, 1)
            else:
                e = np.eye(p.size)[where[0]]
                out["point_right"], out["point_left"] = ref.one_sided(p, e)
        return out


def _hull(where: list[int], base: int) -> str:
    """conv{e_k : k maximiser} as the combinations Σ λ_k e_k (no tuple, whose commas a
    French page would read as decimal commas); each relation braced, so that a line never
    breaks inside it."""
    names = [rf"\lambda_{{{q + base}}}" for q in where]
    vertices = ", ".join(f"e_{{{q + base}}}" for q in where)
    combination = " + ".join(f"{lam} e_{{{q + base}}}" for lam, q in zip(names, where,
                                                                       strict=True))
    return (rf"\operatorname{{conv}}\{{{vertices}\}} = \{{{combination} : "
            rf"{{\lambda_k \ge 0}},\ {{{' + '.join(names)} = 1}}\}}")
