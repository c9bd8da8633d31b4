"""Softmax's translation invariance as checked steps, the stable log-softmax it gives, and,
on given vectors, what numpy returns for the naive formula (±∞, NaN, and the floating-point
events it raised, all computed) against the stable form and an exact value (mpmath)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

import numpy as np
import sympy as sp
from pydantic import Field, model_validator

import derive.derivation.activation_rules  # noqa: F401  (registers the family's rules)
from derive.derivation import Derivation
from derive.derivation.indices import in_base
from derive.latex.printer import tex
from derive.models import activations as A
from derive.models import softmax as S
from derive.models.matrix_calculus import Named
from derive.questions.activation_numbers import decimal, floats, shortest
from derive.questions.base import IndexBase, NonNegInt
from derive.questions.declare import Derived, kind
from derive.verify import activation_reference as ref

Entry = Annotated[float, Field(ge=-1e6, le=1e6)]
Vector = Annotated[list[Entry], Field(min_length=2, max_length=8)]
EXP_MAX = float(np.log(np.finfo(np.float64).max))          # ≈ 709.78: e^x overflows above
# below this, e^x is less than half the smallest subnormal double and rounds to 0 (≈ −745.13)
EXP_ZERO = float(np.log(np.finfo(np.float64).smallest_subnormal) - np.log(2.0))
Z = sp.Symbol("Z", positive=True)           # Σ_m e^{x_m − M}, between 1 and the length


def _substitute(d: Derivation, values: dict[Any, Any]) -> Derivation:
    """The given numbers put in the last formula; the check compares the result with that
    formula at those numbers (the step's bindings)."""
    d.apply("substitute", values=values)
    d.steps[-1].bindings = dict(values)
    return d


def _column(entries: list[str]) -> str:
    return r"\begin{bmatrix}" + r" \\ ".join(entries) + r"\end{bmatrix}"


def _exp_case(exps: np.ndarray) -> str:
    if np.any(np.isinf(exps)):
        return "overflow"
    if np.all(exps == 0):
        return "all_zero"
    if np.any(exps == 0):
        return "some_zero"
    return "finite"


def _result_case(naive: np.ndarray, exact: np.ndarray) -> str:
    if not np.all(np.isfinite(naive)):
        return "fails"
    err = float(np.max(np.abs(naive - exact)))
    return "agrees" if err <= 1e-12 * max(1.0, float(np.max(np.abs(exact)))) else "inaccurate"


@kind("softmax.stability",
      "Softmax's shift invariance and a stable log-softmax; naive vs stable in float64.",
      {"vectors": [[1000, 1001, 1002], [-1000, -1001, -1002]]})
class SoftmaxStability(Derived):
    vectors: list[Vector] = Field(
        [[1000, 1001, 1002], [-1000, -1001, -1002]], min_length=1, max_length=4,
        description="Score vectors x, all of the same length (2 to 8 entries, |x_j| ≤ 10⁶).")
    index_base: IndexBase = 1
    seed: NonNegInt = 0
    method: ClassVar[str] = "act_softmax_reference"

    @model_validator(mode="after")
    def _same_length(self) -> SoftmaxStability:
        lengths = sorted({len(v) for v in self.vectors})
        if len(lengths) > 1:
            raise ValueError(f"the vectors must all have the same length, got lengths {lengths}")
        return self

    @property
    def classes(self) -> int:
        return len(self.vectors[0])

    def derive(self) -> Derivation:
        s = S.Softmax(self.classes, "x", "S")
        d = Derivation(s.domains(shift=True), {S.j: (0, s.last), S.k: (0, s.last)},
                       {**s.definitions(), S.top: s.largest()})
        self._shift(d, s)
        self._stable(d, s)
        for n, vector in enumerate(self.vectors):
            self._numbers(d, s, n, vector)
        return d

    def _shift(self, d: Derivation, s: S.Softmax) -> None:
        j, m, c, base = S.j, S.m, S.c, self.display_base()
        total = sp.Sum(sp.exp(s.o[m]), (m, 0, s.last))
        ec = sp.exp(c)
        d.say("act_sm_shift")
        d.chain(sp.Symbol(r"S(x + c)_j"), s.prob_of(j, c), "definition")
        split = sp.exp(c) * sp.exp(s.o[j]) / sp.Sum(ec * sp.exp(s.o[m]), (m, 0, s.last))
        d.then(split, "act_exp_sum")
        shown = (rf"\frac{{{tex(ec)}\, {tex(in_base(sp.exp(s.o[j]), base))}}}"
                 rf"{{{tex(ec)} {tex(in_base(total, base))}}}")
        d.then(sp.exp(s.o[j]) / total, "linearity", display=shown)
        d.then(sp.exp(s.o[j]) / total, "shift_cancels")
        d.then(s.p[j], "definition").answer("shift")

    def _stable(self, d: Derivation, s: S.Softmax) -> None:
        j, m = S.j, S.m
        total = sp.Sum(sp.exp(s.o[m]), (m, 0, s.last))
        d.say("act_sm_log")
        d.chain(sp.log(s.p[j]), sp.log(sp.exp(s.o[j]) / total), "definition")
        d.then(s.o[j] - sp.log(total), "log_sum_exp").answer("naive")
        d.say("act_sm_stable", n=self.classes, logn=sp.log(self.classes))
        d.then(s.log_prob(), "act_shift_by_max").answer("stable")

    def _numbers(self, d: Derivation, s: S.Softmax, n: int, vector: list[float]) -> None:
        exact_in = [sp.Rational(repr(float(v))) for v in vector]
        top = max(exact_in)
        naive = A.naive_log_softmax(vector)
        stable = A.stable_log_softmax(vector)
        exact = np.array([float(v) for v in ref.exact_log_softmax(vector)])
        events = naive.flags["exp"]
        d.say("act_sm_vector", x=floats(vector, written=True), exps=floats(naive.exps),
              case=_exp_case(naive.exps), high=decimal(EXP_MAX), low=decimal(EXP_ZERO),
              flags=rf" (\texttt{{{', '.join(events)}}})" if events else "")
        given = {s.o[q]: v for q, v in enumerate(exact_in)}
        d.chain(S.top, s.largest(), "definition")
        _substitute(d, given).answer(f"max_{n}")
        d.steps[-1].display = shortest(float(top))
        d.say("act_sm_naive", total=decimal(naive.total), log_total=decimal(naive.log_total),
              naive=floats(naive.values), case=_result_case(naive.values, exact),
              error=decimal(float(np.max(np.abs(naive.values - exact)))
                            if np.all(np.isfinite(naive.values)) else 0.0, 2))
        total = sp.Sum(sp.exp(s.o[S.m] - S.top), (S.m, 0, s.last))
        d.definitions[Z] = total
        d.chain(Z, total, "definition").apply("expand_sum")
        z = _substitute(d, {**given, S.top: top}).result
        d.steps[-1].display = rf"{tex(z)} \approx {decimal(float(sp.N(z, 30)), 6)}"
        column = sp.ImmutableMatrix([s.o[q] - S.top - sp.log(Z) for q in range(self.classes)])
        d.chain(Named(rf"\log S(x^{{({n + 1})}})", self.classes, 1), column, "act_shift_by_max")
        _substitute(d, {**given, S.top: top, Z: z})
        shifted = [v - top for v in exact_in]
        d.steps[-1].display = (_column([rf"{shortest(float(v))} - \log Z" for v in shifted])
                               + r" \approx "
                               + _column([decimal(float(sp.N(e, 30)), 6) for e in d.result]))
        d.answer(f"exact_{n}")
        d.then(sp.ImmutableMatrix([sp.Float(float(v), 17) for v in stable]), "act_float64",
               display=_column([decimal(v, 10) for v in stable])).answer(f"float_{n}")
        error = float(np.max(np.abs(stable - exact)))
        d.say("act_sm_compare", error=decimal(error, 2) if error else "0",
              shifted=floats([float(v) for v in shifted], written=True))
        d.chain(sp.Symbol(rf"e_{{{n + 1}}}"), sp.Float(error, 17), "evaluate")
        d.steps[-1].shown = False

    def value(self, answers: dict[str, Any]) -> Any:
        return {k: ([float(v) for v in answers[k]] if k.startswith(("exact", "float"))
                    else float(answers[k]) if k.startswith("max") else answers[k])
                for k in answers}

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """numpy at random scores (max-shifted softmax, its logarithm), and for each given
        vector mpmath at 50 digits through the formula as written."""
        x, c = np.asarray(data["x"], dtype=float), float(data["c"])
        shifted = (x + c) - np.max(x + c)
        softmax = np.exp(shifted) / np.exp(shifted).sum()
        logs = x - np.max(x) - np.log(np.exp(x - np.max(x)).sum())
        out: dict[str, Any] = {"shift": softmax, "naive": logs, "stable": logs}
        for n, vector in enumerate(self.vectors):
            exact = np.array([float(v) for v in ref.exact_log_softmax(vector)]).reshape(-1, 1)
            out[f"exact_{n}"] = out[f"float_{n}"] = exact
            out[f"max_{n}"] = float(np.max(vector))
        return out
