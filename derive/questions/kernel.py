"""Claims about p.d. and c.p.d. kernels, each settled with its evidence: a proof whose
steps are checked numerically at random values of any symmetric kernel and proved by SymPy
for n = 3 points, or a counterexample found by search and checked by numpy. A claim false
as stated gets its counterexample, then the corrected claim and its proof."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from itertools import pairwise
from typing import Any, ClassVar, Literal

import sympy as sp
from pydantic import Field, PrivateAttr

from derive.derivation import Derivation
from derive.models import kernel_symbols as S
from derive.models.function import Shown
from derive.models.matrix_calculus import Named
from derive.questions import kernel_closure, kernel_cpd, kernel_exp
from derive.questions.base import NonNegInt
from derive.questions.declare import Derived, kind
from derive.questions.kernel_evidence import Claim, ag

ClaimName = Literal["pd_implies_cpd", "constant", "neg_sq_distance", "centred",
                    "feature_map", "exp_cpd", "exp_converse", "sum_square", "polynomial"]
BUILDERS: dict[str, Callable[[int], Claim]] = {
    "pd_implies_cpd": kernel_cpd.pd_implies_cpd, "constant": kernel_cpd.constant,
    "neg_sq_distance": kernel_cpd.neg_sq_distance, "centred": kernel_cpd.centred,
    "feature_map": kernel_exp.feature_map, "exp_cpd": kernel_exp.exp_cpd,
    "exp_converse": kernel_exp.exp_converse, "sum_square": kernel_closure.sum_square,
    "polynomial": kernel_closure.polynomial,
}
# Steps SymPy does not prove for n = 3: numbers of a counterexample (checked by numpy), a
# series (checked on its first terms), a limit (checked against numpy's), a verdict.
NOT_EXACT = {"evaluate", "substitute", "kernel_gram", "kernel_value", "kernel_eigen",
             "kernel_series", "kernel_limit", "kernel_verdict", "kernel_feature",
             "kernel_scaling", "kernel_diagonal_zero"}
MEANINGS = {**kernel_cpd.EXACT_MEANINGS, **kernel_closure.EXACT_MEANINGS}


def exact_failures(d: Derivation) -> list[str]:
    """The steps of `d` that SymPy does not prove equal to the step before (n = 3)."""
    failed = []
    for chain in d.chains():
        for before, step in pairwise(chain):
            if step.rule in NOT_EXACT or _not_symbolic(before.rhs) or _not_symbolic(step.rhs):
                continue
            lhs, rhs = (e.xreplace(kernel_closure.EXACT_SUBS) for e in (before.rhs, step.rhs))
            if not S.exact_identity(lhs, rhs, zero_sum=(S.a,), meanings=MEANINGS,
                                    first_minus_sum=(S.c,)):
                failed.append(f"{step.rule}: {before.rhs} = {step.rhs}")
    return failed


def _not_symbolic(e: sp.Basic) -> bool:
    return (isinstance(e, sp.MatrixBase | Named) or bool(e.atoms(Shown))
            or not isinstance(e, sp.Expr))


# How each claim is checked, as the verification appendix words it (strings `checks:`).
METHODS = {"pd_implies_cpd": "kernel_claim_counterexample", "constant": "kernel_claim_proof",
           "neg_sq_distance": "kernel_claim_proof", "centred": "kernel_claim_proof",
           "feature_map": "kernel_claim_feature", "exp_cpd": "kernel_claim_series",
           "exp_converse": "kernel_claim_limit", "sum_square": "kernel_claim_counterexample",
           "polynomial": "kernel_claim_counterexample"}


@kind("kernel.claim",
      "A claim on p.d./c.p.d. kernels settled by a checked proof or counterexample.",
      {"claim": "centred"})
class KernelClaim(Derived):
    claim: ClaimName = Field(description=(
        "pd_implies_cpd: p.d. ⇒ c.p.d.; constant: c is p.d. iff c ≥ 0, c.p.d. always; "
        "neg_sq_distance: −‖x − y‖²; centred: k c.p.d. ⇔ k̃ p.d.; feature_map: "
        "k = −‖Ψ(x) − Ψ(y)‖² when k(x, x) = 0; exp_cpd: e^{tk} p.d.; exp_converse; "
        "sum_square: (f(x) + f(y))²; polynomial: Σ c_m k^m, c_m ≥ 0."))
    seed: NonNegInt = 0
    index_base_default: ClassVar[int] = 0
    _claim: Claim | None = PrivateAttr(None)

    @property
    def method(self) -> str:  # type: ignore[override]
        """The check's words: what this claim's proof and references compute."""
        return METHODS[self.claim]

    def derive(self) -> Derivation:
        claim = BUILDERS[self.claim](self.seed)
        failed = exact_failures(claim.d)
        if failed:
            raise ValueError("SymPy does not prove these steps: " + "; ".join(failed))
        self._claim = claim
        return claim.d

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        assert self._claim is not None
        return self._claim.reference(data)

    def value(self, answers: dict[str, Any]) -> Any:
        assert self._claim is not None
        return {"claim": self.claim, "verdicts": self._claim.verdicts}


__all__ = ["BUILDERS", "METHODS", "KernelClaim", "ag", "exact_failures"]
