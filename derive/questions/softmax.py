"""Softmax kinds: the gradient of cross-entropy through softmax, and the softmax Jacobian
(with its shift invariance and the stable log-softmax), as checked steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import sympy as sp
from pydantic import Field, model_validator

from derive.derivation import Derivation
from derive.models import softmax as S
from derive.models.softmax import Shown, Softmax
from derive.models.symbols import PartialOf
from derive.questions.base import IndexBase, NonNegInt
from derive.questions.declare import Derived, kind
from derive.verify import backprop_reference as ref

# A name printed as written: one letter, or a hatted one (\hat{y}).
Name = Annotated[str, Field(pattern=r"^([A-Za-z]|\\hat\{[A-Za-z]\})$")]
Classes = Annotated[int, Field(strict=True, ge=2, le=12)]
WRITTEN_OUT = 4            # classes up to which vectors and matrices are written out


class SoftmaxGiven(Derived):
    classes: Classes = Field(3, description="Number of classes K (2 to 12).")
    score: Name = Field("o", description="Letter of the scores (the softmax's input).")
    prob: Name = Field("p", description="Letter of the probabilities softmax(scores).")
    label: Name = Field("y", description="Letter of the label.")
    loss: Name = Field("L", description="Letter of the loss.")
    index_base: IndexBase = 1
    seed: NonNegInt = 0

    @model_validator(mode="after")
    def _distinct(self) -> SoftmaxGiven:
        names = [self.score, self.prob, self.label, self.loss]
        if len(set(names)) < len(names):
            raise ValueError(f"score, prob, label and loss need distinct letters, got {names}")
        return self

    def model(self) -> Softmax:
        return Softmax(self.classes, self.score, self.prob, self.label)

    def start(self, target: int | None = None, shift: bool = False) -> Derivation:
        s = self.model()
        d = Derivation(s.domains(shift), {S.j: (0, s.last), S.k: (0, s.last)},
                       {**s.definitions(target), self.L: s.loss()})
        return d

    @property
    def L(self) -> sp.Symbol:
        return sp.Symbol(self.loss)


@kind("softmax.cross_entropy_grad",
      "Gradient of the cross-entropy of softmax(scores) with respect to the scores.",
      {"classes": 3, "target": 1})
class CrossEntropyGrad(SoftmaxGiven):
    target: int | None = Field(None, description="The class of a one-hot label (numbered "
                               "from index_base); without it, any label whose entries sum to 1.")
    method: ClassVar[str] = "softmax_ce_fd"

    @model_validator(mode="after")
    def _target_exists(self) -> CrossEntropyGrad:
        if self.target is not None and not 0 <= self.target - self.index_base < self.classes:
            last = self.classes - 1 + self.index_base
            raise ValueError(f"target: class {self.target} does not exist (classes "
                             f"{self.index_base} to {last})")
        return self

    def derive(self) -> Derivation:
        s, c = self.model(), self.target_index()
        d = self.start(c)
        L, j, k = self.L, S.j, S.k
        d.say("softmax_ce_setup", case="one_hot" if c is not None else "soft",
              n=self.classes, p=s.prob_of(j), c=(c or 0) + self.index_base, pc=s.p[c or 0],
              pj=s.p[j], y=sp.Symbol(self.label), ym=s.y[S.m], L=L)
        d.chain(L, s.loss().xreplace({S.m: j}), "definition", context=True)
        d.say("softmax_ce_factors")
        d.chain(PartialOf(L, s.p[j], L), PartialOf(L, s.p[j], L), "definition")
        d.apply("log_derivative", loss=L, probs=s.p, label=s.y)
        d.chain(PartialOf(s.p[j], s.o[k], s.p[j]), PartialOf(s.p[j], s.o[k], s.p[j]),
                "definition")
        d.apply("softmax_jacobian", probs=s.p, scores=s.o).answer("jacobian")
        d.say("softmax_ce_chain")
        grad = PartialOf(L, s.o[k], L)
        d.chain(grad, grad, "definition")
        d.then(sp.Sum(PartialOf(L, s.p[j], L) * PartialOf(s.p[j], s.o[k], s.p[j]),
                      (j, 0, s.last)), "chain_rule")
        d.apply("softmax_jacobian", probs=s.p, scores=s.o)
        d.apply("log_derivative", loss=L, probs=s.p, label=s.y)
        if c is None:
            d.then(s.p[k] * sp.Sum(s.y[j], (j, 0, s.last)) - s.y[k], "linearity")
            d.then(s.grad_scores(), "target_sums_to_one").answer("grad")
            d.marked = frozenset({"grad"})
            return d
        d.apply("one_hot", label=s.y, target=S.cls).apply("simplify").answer("grad")
        if self.classes <= WRITTEN_OUT:
            d.say("softmax_ce_vector", c=c + self.index_base)
            partials = Shown([PartialOf(L, s.o[q], L) for q in range(self.classes)])
            d.chain(sp.Symbol(rf"\nabla_{{{self.score}}} {self.loss}"), partials, "definition")
            d.then(s.grad_vector(c), "one_hot").answer("vector")
        d.marked = frozenset({"grad", "vector"})     # the Jacobian is a step, not asked
        return d

    def target_index(self) -> int | None:
        return None if self.target is None else self.target - self.index_base

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        o = data[self.score]
        c = self.target_index()
        y = (np.eye(self.classes)[c] if c is not None
             else data["r"] / data["r"].sum())
        grad = ref.ce_gradient_fd(o, y)
        return {"grad": grad, "vector": grad.reshape(-1, 1),
                "jacobian": ref.softmax_jacobian_fd(o)}


@kind("softmax.jacobian",
      "Softmax: its Jacobian diag(p) − ppᵀ, its invariance to a shift of the scores, "
      "and the stable log-softmax.", {"classes": 3, "report": "jacobian"})
class Jacobian(SoftmaxGiven):
    report: Literal["jacobian", "shift", "log_softmax"] = Field(
        "jacobian", description="The Jacobian, the shift invariance, or log-softmax.")
    method: ClassVar[str] = "softmax_fd"

    def derive(self) -> Derivation:
        s = self.model()
        d = self.start(shift=self.report == "shift")
        j, k, m = S.j, S.k, S.m
        total = sp.Sum(sp.exp(s.o[m]), (m, 0, s.last))
        if self.report == "shift":
            d.say("softmax_shift")
            d.chain(sp.Symbol(rf"\mathrm{{softmax}}({self.score} + c)_j"),
                    s.prob_of(j, S.c), "definition")
            d.then(s.prob_of(j), "shift_cancels").answer("shift")
            return d
        if self.report == "log_softmax":
            d.say("softmax_log", n=self.classes)
            d.definitions[S.top] = s.largest()
            d.chain(sp.log(s.p[j]), sp.log(s.p[j]), "definition")
            d.then(s.o[j] - sp.log(total), "log_sum_exp")
            d.then(s.log_prob(), "shift_cancels").answer("log_softmax")
            return d
        d.say("softmax_jacobian_setup", p=s.prob_of(j))
        lhs = PartialOf(s.p[j], s.o[k], s.p[j])
        d.chain(lhs, lhs, "definition")
        d.then((sp.exp(s.o[j]) * sp.KroneckerDelta(j, k) * total
                - sp.exp(s.o[j]) * sp.exp(s.o[k])) / total ** 2, "quotient_rule")
        d.then(s.p[j] * sp.KroneckerDelta(j, k) - s.p[j] * s.p[k], "rename")
        d.apply("simplify").answer("jacobian")
        if self.classes <= WRITTEN_OUT:
            d.say("softmax_jacobian_matrix")
            partials = Shown(self.classes, self.classes, lambda r, q: PartialOf(
                s.p[r], s.o[q], s.p[r]))
            d.chain(sp.Symbol(r"J"), partials, "definition")
            d.then(s.jacobian_matrix(), "matrix_form").answer("matrix")
        return d

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        o = data[self.score]
        jac = ref.softmax_jacobian_fd(o)
        p = ref.softmax(o)
        return {"jacobian": jac, "matrix": jac, "shift": ref.softmax(o + data.get("c", 0.0)),
                "log_softmax": np.log(p)}
