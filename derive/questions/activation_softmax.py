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
from derive.latex.decimals import shortest
from derive.latex.printer import tex
from derive.models import activations as A
from derive.models import softmax as S
from derive.models.function import Shown
from derive.models.matrix_calculus import Named
from derive.questions.activation_numbers import decimal, floats, same_decimals
from derive.questions.base import IndexBase, NonNegInt
from derive.questions.declare import Derived, kind
from derive.verify import activation_reference as ref

DIGITS = 10                 # significant digits of the largest float64 value shown
Entry = Annotated[float, Field(ge=-1e6, le=1e6)]
Vector = Annotated[list[Entry], Field(min_length=2, max_length=8)]
EXP_MAX = float(np.log(np.finfo(np.float64).max))          # ≈ 709.78: e^x overflows above
# below this, e^x is less than half the smallest subnormal double and rounds to 0 (≈ −745.13)
EXP_ZERO = float(np.log(np.finfo(np.float64).smallest_subnormal) - np.log(2.0))
Z = sp.Symbol("Z", positive=True)           # Σ_j e^{x_j − M}, between 1 and the length
D = sp.Symbol("d", integer=True, positive=True)     # the length of x, as the page writes it
# the question's indices: i for the component, j for the sum (the model's are j and m)
I = sp.Symbol("i", integer=True, nonnegative=True)
QUESTION = {S.j: I, S.m: S.j}


def _substitute(d: Derivation, values: dict[Any, Any]) -> Derivation:
    """The given numbers put in the last formula; the check compares the result with that
    formula at those numbers (the step's bindings)."""
    d.apply("substitute", values=values)
    d.steps[-1].bindings = dict(values)
    return d


def _column(entries: list[str]) -> str:
    return r"\begin{bmatrix}" + r" \\ ".join(entries) + r"\end{bmatrix}"


def _asked(e: sp.Basic) -> sp.Basic:
    """A formula of the model in the question's indices (component i, summed over j)."""
    return e.xreplace(QUESTION)


# what numpy's exp raises in each case of its results (the sentence names the events)
EVENTS = {"overflow": {"overflow"}, "overflow_underflow": {"overflow", "underflow"},
          "all_zero": {"underflow"}, "some_zero": {"underflow"}, "finite": set(),
          "finite_subnormal": {"underflow"}}


def _exp_case(exps: np.ndarray, events: tuple[str, ...]) -> str:
    """The case of the sentence on e^{x_j}: which terms overflow or vanish, and the events
    numpy raised (fail closed: the events must be those the case's words name)."""
    if np.any(np.isinf(exps)):
        case = "overflow_underflow" if "underflow" in events else "overflow"
    elif np.all(exps == 0):
        case = "all_zero"
    elif np.any(exps == 0):
        case = "some_zero"
    else:
        case = "finite_subnormal" if "underflow" in events else "finite"
    if set(events) != EVENTS[case]:
        raise AssertionError(f"numpy's exp raised {events}, not what case {case!r} says")
    return case


def _any_d(expr: sp.Basic, base: int) -> str:
    """`expr` as the page prints it, every sum running to d (its upper limit as the general
    length of x, not the length the steps are checked at)."""
    shown = in_base(expr, base)
    return tex(shown.replace(lambda e: isinstance(e, sp.Sum), lambda e: sp.Sum(
        e.function, *((i, lo, D - 1 + base) for i, lo, _ in e.limits))))


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
        d = Derivation(s.domains(shift=True), {I: (0, s.last)},
                       {**s.definitions(), S.top: s.largest()})
        # asked: the invariance and the stable form; the example vectors' float64 values
        d.marked = frozenset({"shift", "stable",
                              *(f"float_{n}" for n in range(len(self.vectors)))})
        self._shift(d, s)
        self._stable(d, s)
        shifts: dict[sp.Expr, int] = {}        # Z of each vector, by the first one that has it
        d.say("act_sm_examples", n=len(self.vectors))      # the question gives no vector
        d.chain(sp.Symbol("N_x"), sp.Integer(len(self.vectors)), "evaluate")
        d.steps[-1].shown = False
        for n, vector in enumerate(self.vectors):
            self._numbers(d, s, n, vector, shifts)
        return d

    def _shift(self, d: Derivation, s: S.Softmax) -> None:
        """S(x + c)_i = S(x)_i, written for x ∈ ℝ^d and checked at the given length."""
        i, j, c, base = I, S.j, S.c, self.display_base()
        total = sp.Sum(sp.exp(s.o[j]), (j, 0, s.last))
        ec = sp.exp(c)
        d.say("act_sm_shift", n=self.classes)
        shifted = _asked(s.prob_of(i, c))
        d.chain(Shown(r"S(\mathbf{x} + c)_{i}"), shifted, "definition")
        d.steps[-1].display = _any_d(shifted, base)
        split = sp.exp(c) * sp.exp(s.o[i]) / sp.Sum(ec * sp.exp(s.o[j]), (j, 0, s.last))
        d.then(split, "act_exp_sum", display=_any_d(split, base))
        shown = (rf"\frac{{{tex(ec)}\, {tex(in_base(sp.exp(s.o[i]), base))}}}"
                 rf"{{{tex(ec)} {_any_d(total, base)}}}")
        d.then(sp.exp(s.o[i]) / total, "linearity", display=shown)
        d.then(sp.exp(s.o[i]) / total, "shift_cancels",
               display=_any_d(sp.exp(s.o[i]) / total, base))
        d.then(s.p[i], "definition", display=r"S(\mathbf{x})_{i}").answer("shift")

    def _stable(self, d: Derivation, s: S.Softmax) -> None:
        i, j, base = I, S.j, self.display_base()
        total = sp.Sum(sp.exp(s.o[j]), (j, 0, s.last))
        d.say("act_sm_log")
        d.chain(Shown(r"\log S(\mathbf{x})_{i}"), sp.log(sp.exp(s.o[i]) / total),
                "definition")
        d.steps[-1].display = _any_d(sp.log(sp.exp(s.o[i]) / total), base)
        d.then(s.o[i] - sp.log(total), "log_sum_exp",
               display=_any_d(s.o[i] - sp.log(total), base)).answer("naive")
        d.say("act_sm_stable")
        stable = _asked(s.log_prob())
        d.then(stable, "act_shift_by_max", display=_any_d(stable, base)).answer("stable")

    def _numbers(self, d: Derivation, s: S.Softmax, n: int, vector: list[float],
                 shifts: dict[sp.Expr, int]) -> None:
        exact_in = [sp.Rational(repr(float(v))) for v in vector]
        top = max(exact_in)
        naive = A.naive_log_softmax(vector)
        stable = A.stable_log_softmax(vector)
        exact = np.array([float(v) for v in ref.exact_log_softmax(vector)])
        events = naive.flags["exp"]
        d.say("act_sm_vector", vector=floats(vector, written=True), exps=floats(naive.exps),
              case=_exp_case(naive.exps, events), high=decimal(EXP_MAX),
              low=decimal(EXP_ZERO), k=n + 1)
        given = {s.o[q]: v for q, v in enumerate(exact_in)}
        d.chain(S.top, s.largest(), "definition")
        _substitute(d, given).answer(f"max_{n}")
        d.steps[-1].display = shortest(float(top))
        # what the naive form returns: said in words (its numbers are numpy's own)
        d.say("act_sm_naive", total=decimal(naive.total), log_total=decimal(naive.log_total),
              naive=floats(naive.values), case=_result_case(naive.values, exact),
              error=decimal(float(np.max(np.abs(naive.values - exact)))
                            if np.all(np.isfinite(naive.values)) else 0.0, 2))
        d.chain(sp.Symbol(rf"k_{{{n + 1}}}"), sp.Integer(n + 1), "evaluate")  # carries it
        d.steps[-1].shown = False
        j = S.j
        total = sp.Sum(sp.exp(s.o[j] - S.top), (j, 0, s.last))
        d.definitions[Z] = total
        z = sp.Add(*(sp.exp(v - top) for v in exact_in))
        first = shifts.setdefault(z, n)        # the same shifted scores: the same Z
        d.say("act_sm_z", **({"case": "new"} if first == n else {
            "case": "same", "k": first + 1, "z": decimal(float(sp.N(z, 30)), 6)}))
        d.chain(Z, total, "definition").apply("expand_sum")
        if _substitute(d, {**given, S.top: top}).result != z:
            raise AssertionError(f"Z is {d.result}, not {z}")
        d.steps[-1].display = rf"{tex(z)} \approx {decimal(float(sp.N(z, 30)), 6)}"
        for step in d.chains()[-1] if first != n else ():    # checked, and said in words
            step.shown = False
        column = sp.ImmutableMatrix([s.o[q] - S.top - sp.log(Z) for q in range(self.classes)])
        d.chain(Named(rf"\log S(\mathbf{{x}}^{{({n + 1})}})", self.classes, 1), column,
                "act_shift_by_max")
        _substitute(d, {**given, S.top: top, Z: z})
        shifted = [v - top for v in exact_in]
        d.steps[-1].display = _column([rf"{shortest(float(v))} - \log Z" for v in shifted])
        d.answer(f"exact_{n}")
        # one reading of the numbers: float64's, which the check compares with the exact value
        d.then(sp.ImmutableMatrix([sp.Float(float(v), 17) for v in stable]), "act_float64",
               display=r"\approx " + _column(same_decimals(stable, DIGITS)))
        d.answer(f"float_{n}")
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
