"""Activation kinds: swish's limits (exact, and numerically), the ReLU construction against
the piecewise definition, a broken construction caught, and the float64 log-softmax report."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import sympy as sp
from helpers import marked
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from derive.models import activations as A
from derive.questions.activation import SwishLimits
from derive.questions.activation_relu import ReluConstruction
from derive.questions.activation_softmax import SoftmaxStability
from derive.questions.declare import verify_derivation
from derive.verify import activation_reference as ref
from tests.test_derivation import _sentences


def _checked(g: Any) -> dict[str, sp.Basic]:
    d = g.derive()
    check = verify_derivation(d, g)
    assert check.passed, check.detail
    return {k: s.rhs for k, s in d.answers().items()}


# --- swish -------------------------------------------------------------------------------------
def test_swish_limits_are_exact() -> None:
    x = A.x
    assert A.swish_limits() == {"zero": x / 2, "plus": sp.Max(0, x), "minus": sp.Min(0, x)}
    star, c = A.largest_gap()
    assert star == 1 + sp.LambertW(sp.exp(-1)) and c == sp.LambertW(sp.exp(-1))
    assert A.derivative_at_zero() == sp.Rational(1, 2)
    assert [A.limit_cases(sp.oo).args[k].expr for k in range(3)] == [0, 0, x]


@pytest.mark.parametrize("v", [-3.0, -0.4, -1e-3, 0.0, 1e-3, 0.7, 5.0])
def test_swish_limits_numerically(v: float) -> None:
    assert abs(ref.swish(v, 1e-10) - v / 2) < 1e-9
    assert abs(ref.swish(v, 1e10) - max(v, 0.0)) < 1e-9
    assert abs(ref.swish(v, -1e10) - min(v, 0.0)) < 1e-9
    assert abs(A.swish_np(v, 1e10) - ref.swish(v, 1e10)) < 1e-12


@pytest.mark.parametrize("b", [0.3, 1.0, 7.0])
def test_the_largest_gap_is_lambert_over_beta(b: float) -> None:
    c = float(sp.N(A.largest_gap()[1]))
    assert c == pytest.approx(0.27846454276107, rel=1e-12)
    assert ref.swish_sup_gap(b) == pytest.approx(c / b, rel=1e-7)
    assert ref.swish_sup_gap(-b, "min") == pytest.approx(c / b, rel=1e-7)


def test_swish_kind_is_checked_and_its_figure_is_its_checked_values() -> None:
    g = SwishLimits(betas=[-1, 0, 3], x_max=2)
    answers = _checked(g)
    assert answers["zero"] == A.x / 2 and answers["gap"] == sp.LambertW(sp.exp(-1)) / A.beta
    page = g.page(g.derive())
    curves = page["plot"]["curves"]
    assert len(curves) == 4 and curves[1]["coordinates"].startswith("(-2.0000,-1.0000)")


def test_a_wrong_limit_fails_its_check(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = {"zero": A.x / 2, "plus": A.x, "minus": sp.Min(0, A.x)}    # plus: not ReLU
    monkeypatch.setattr(A, "swish_limits", lambda: wrong)
    g = SwishLimits()
    check = verify_derivation(g.derive(), g)
    assert not check.passed and "plus_neg" in check.detail
    wrong["zero"] = A.x                          # a wrong slope near 0: refused while deriving
    with pytest.raises(AssertionError, match="remainder"):
        g.derive()


def test_swish_sentences_in_both_languages() -> None:
    en, fr = _sentences("activation.swish_limits", "en"), _sentences(
        "activation.swish_limits", "fr")
    assert r"\num{0.2785}" in en and r"\num{0.2785}" in fr
    assert r"-2, 0, \num{0.5}, 1, 2, 10" in en and r"-2; 0; \num{0.5}; 1; 2; 10" in fr


def test_the_remainder_is_unbounded_with_the_sign_of_beta() -> None:
    fr = _sentences("activation.swish_limits", "fr")
    assert r"il tend vers $\infty$ si $\beta > 0$ et vers $-\infty$ si $\beta < 0$" in fr
    assert "l'affirmation" not in fr and "«" not in fr
    en = _sentences("activation.swish_limits", "en")
    assert r"it tends to $\infty$ if $\beta > 0$ and to $-\infty$ if $\beta < 0$" in en
    assert "the claim" not in en
    # β < 0 in the remainder: SymPy's limit is −∞ (what the sentence says, computed)
    b = sp.Symbol("b", positive=True)
    remainder = (A.tanh_form() - A.x / 2).xreplace({A.beta: -b})
    assert sp.limit(remainder, A.x, sp.oo) == -sp.oo


def test_beta_to_minus_infinity_goes_through_a_positive_gamma() -> None:
    shown = _blocks(SwishLimits(), "en")
    lines = [line for b in shown for line in b["lines"]]
    assert any(line["lhs"] == r"h_{-\gamma}(x)" for line in lines)
    assert not any(line["lhs"] == r"h_{-\beta}(x)" for line in lines)
    rules = [line["rule"] for line in lines]
    assert rules.count("definition of ReLU\\answermark") == 1
    assert sum(r"$\min(0, x) = -\operatorname{ReLU}(-x)$" in r for r in rules) == 1
    zero = next(line for line in lines if line["lhs"].startswith(r"\lim_{\beta \to 0}"))
    assert "remainder" in zero["rule"] and "sign of" not in zero["rule"]


def test_only_what_is_asked_is_marked() -> None:
    shown = _blocks(SwishLimits(), "en")
    marked = _marked(shown)
    assert len(marked) == 4 and not any("h_{\\beta}'(0)" in m for m in marked)
    assert not any(m == r"h_{0}(x)" for m in marked)


def test_betas_must_be_distinct() -> None:
    with pytest.raises(ValidationError, match="distinct"):
        SwishLimits(betas=[1, 1])


# --- the ReLU construction ---------------------------------------------------------------------
@pytest.mark.parametrize("reading", ["b", "-b"])
def test_the_construction_is_derived_with_its_signs(reading: str) -> None:
    p = ReluConstruction(left_slope=reading).symbolic()     # type: ignore[arg-type]
    sign = 1 if reading == "b" else -1
    assert p.solve() == {A.c1: A.a, A.c2: -sign * A.b}


numbers = st.integers(-40, 40).map(lambda n: n / 8)


@settings(max_examples=60, deadline=None)
@given(a=numbers, b=numbers, alpha=numbers, gap=st.integers(0, 40).map(lambda n: n / 8),
       reading=st.sampled_from(["b", "-b"]))
def test_the_construction_equals_the_piecewise_function(a: float, b: float, alpha: float,
                                                        gap: float, reading: str) -> None:
    g = ReluConstruction(a=a, b=b, alpha=alpha, beta=alpha - gap, left_slope=reading)  # type: ignore[arg-type]
    q = g.given()
    xs = [*g.samples(), *(sp.Rational(k, 4) for k in range(-60, 61))]
    construction = q.construction()
    built = sp.lambdify(A.x, construction, "numpy")
    left = b if reading == "b" else -b
    expected = ref.piecewise_linear(np.array([float(v) for v in xs]), a, left, alpha,
                                    alpha - gap)
    for v, e in zip(xs, expected, strict=True):
        assert construction.xreplace({A.x: v}) == sp.Rational(repr(float(e)))  # exact
        assert abs(float(built(float(v))) - e) < 1e-9


def test_the_kind_is_checked_and_names_leaky_relu() -> None:
    g = ReluConstruction(a=1, b=0.2, alpha=0, beta=0, left_slope="b")
    answers = _checked(g)
    assert answers["leaky"] == sp.Max(A.x, A.lam * A.x)
    assert g._family() == "leaky"
    assert ReluConstruction(a=1, b=-1, alpha=2, beta=-2)._family() == "shrink"
    assert "is a LeakyReLU" in _sentences("activation.relu_construction", "en", a=1, b=0.2,
                                          alpha=0, beta=0, left_slope="b")


def test_a_sign_flipped_construction_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    def flipped(self: A.PiecewiseLinear, v: sp.Expr = A.x) -> sp.Expr:
        solved = self.solve()
        return self.ansatz(v).xreplace({A.c1: solved[A.c1], A.c2: -solved[A.c2]})

    g = ReluConstruction()
    assert verify_derivation(g.derive(), g).passed
    monkeypatch.setattr(A.PiecewiseLinear, "construction", flipped)
    check = verify_derivation(g.derive(), g)
    assert not check.passed and "step" in check.detail


def test_beta_above_alpha_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"beta .* is greater than alpha"):
        ReluConstruction(alpha=0, beta=1)


# --- log-softmax in float64 --------------------------------------------------------------------
LIMIT = float(np.log(np.finfo(np.float64).max))


@pytest.mark.parametrize("top", [LIMIT - 0.01, LIMIT - 1e-9, LIMIT + 1e-9, LIMIT + 0.01, 800.0])
def test_overflow_is_reported_exactly_when_numpy_overflows(top: float) -> None:
    r = A.naive_log_softmax([top, 0.0])
    with np.errstate(over="ignore"):
        overflows = bool(np.isinf(np.exp(top)))
    assert ("overflow" in r.flags["exp"]) == overflows
    assert (not np.all(np.isfinite(r.values))) == overflows
    assert np.allclose(A.stable_log_softmax([top, 0.0]),
                       [float(v) for v in ref.exact_log_softmax([top, 0.0])], atol=1e-12)


@pytest.mark.parametrize("low", [-745.0, -745.2, -1000.0])
def test_underflow_to_zero_is_reported_as_numpy_does_it(low: float) -> None:
    r = A.naive_log_softmax([low, low - 0.5])
    with np.errstate(under="ignore"):
        zero = bool(np.all(np.exp([low, low - 0.5]) == 0))
    assert (r.total == 0) == zero and np.all(np.isposinf(r.values)) == zero
    exact = [float(v) for v in ref.exact_log_softmax([low, low - 0.5])]
    assert np.allclose(A.stable_log_softmax([low, low - 0.5]), exact, atol=1e-12)


def test_the_stability_kind_reports_numpy_results() -> None:
    answers = _checked(SoftmaxStability())
    assert [float(v) for v in answers["float_0"]] == pytest.approx(
        [-2.40760596444438, -1.40760596444438, -0.40760596444438], abs=1e-13)
    en = _sentences("softmax.stability", "en")
    assert r"(+\infty,\allowbreak\ +\infty,\allowbreak\ +\infty)" in en
    assert "(overflow)" in en and "no usable value" in en and r"\texttt" not in en
    fine = _sentences("softmax.stability", "en", vectors=[[1, 2, 3]])
    assert "all finite and positive" in fine and "no harm here" in fine


@pytest.mark.parametrize(("vector", "words"), [
    ([1000, 1001, 1002], "(dépassement de capacité)"),
    ([-1000, -1001, -1002], "(soupassement de capacité)"),
    ([1000, -1000, 0], "(dépassement et soupassement de capacité)"),
    ([-740, 0, 1], "(soupassement de capacité) : tous finis"),
])
def test_numpy_s_events_are_named_in_french(vector: list[float], words: str) -> None:
    fr = _sentences("softmax.stability", "fr", vectors=[vector])
    assert words in fr
    assert not any(w in fr for w in ("overflow", "underflow", "texttt"))


def _blocks(g: Any, language: str = "fr") -> list[dict[str, Any]]:
    from derive.derivation.page import blocks
    from derive.latex.environment import strings

    d = g.derive()
    assert verify_derivation(d, g).passed
    return blocks(d, strings(language), g.display_base())


def _marked(shown: list[dict[str, Any]]) -> list[str]:
    """The left sides of the marked lines (and the sentences marked as answers)."""
    return marked(shown, sentences=True)

def test_the_softmax_proof_is_written_for_any_length_and_checked_at_the_given_one() -> None:
    shown = _blocks(SoftmaxStability(vectors=[[1, 2, 3, 4]]))
    text = " ".join(b["sentence"] + " ".join(line["lhs"] + line["rhs"] for line in b["lines"])
                    for b in shown)
    # the question's indices: component i, summed over j
    assert r"\sum_{j=1}^{d}" in text and r"\sum_{j=1}^{4}" not in text.split("Z =")[0]
    assert r"S(\mathbf{x})_{i}" in text and r"\log S(\mathbf{x})_{i}" in text
    assert r"\sum_{m" not in text and "x_m" not in text
    assert "$d = 4$" in text and r"\log d" in text and r"\mathbf{x}^{(1)} = (1" in text
    assert "vecteurs de l'exemple" in text and "vecteurs donnés" not in text
    vector = next(b for b in shown if any(r"\log S(\mathbf{x}^{(1)})" in line["lhs"]
                                          for line in b["lines"]))
    numbers = [line["rhs"] for line in vector["lines"] if r"\num" in line["rhs"]]
    assert len(numbers) == 1 and numbers[0].startswith(r"\approx")     # one reading


def test_the_float64_column_has_one_number_of_decimals_and_m_is_not_an_answer() -> None:
    shown = _blocks(SoftmaxStability())
    column = next(line["rhs"] for b in shown for line in b["lines"]
                  if line["rhs"].startswith(r"\approx"))
    assert r"-\num{2.407605964}" in column and r"-\num{0.407605964}" in column
    marked = _marked(shown)
    assert not any(m == "M" for m in marked)
    assert r"S(\mathbf{x} + c)_{i}" in marked and len(marked) == 4   # shift, stable, 2 values


def test_a_vector_with_the_same_shifted_scores_says_z_is_the_same() -> None:
    shown = _blocks(SoftmaxStability())       # (1000, 1001, 1002) and (−1000, −1001, −1002)
    zs = [b for b in shown if any(line["lhs"] == "Z" for line in b["lines"])]
    assert len(zs) == 1                                   # Z shown once
    same = next(b for b in shown if "ceux de $\\mathbf{x}^{(1)}$" in b["sentence"])
    assert r"\num{1.50321}" in same["sentence"] and same["sentence"].rstrip().endswith("est")
    assert same["lines"] and same["lines"][0]["lhs"].startswith(r"\log S(\mathbf{x}^{(2)})")
    fine = _blocks(SoftmaxStability(vectors=[[1, 2, 3], [5, 7, 9]]), "en")
    assert sum(any(line["lhs"] == "Z" for line in b["lines"]) for b in fine) == 2


def test_the_gap_sentences_say_what_is_maximal_and_what_the_gap_depends_on() -> None:
    fr = _sentences("activation.swish_limits", "fr")
    assert "où la fonction atteint donc son maximum" in fr and "où elle est maximale" not in fr
    assert "ne dépend que de" not in fr and r"|x|\,\sigma(-\beta|x|) \ge 0" in fr
    en = _sentences("activation.swish_limits", "en")
    assert "so the function is largest there" in en and "only:" not in en
    assert "carries all the dependence on" in en and "(with equality at $x = 0$)" in en


def test_the_construction_is_shown_again_only_at_the_breakpoints() -> None:
    shown = _blocks(ReluConstruction())
    (verify,) = [b for b in shown if b["key"] == "act_relu_verify"]
    lefts = [line["lhs"] for b in shown[shown.index(verify):] for line in b["lines"]
             if line["lhs"]][:3]
    assert lefts == [r"h{\left(\alpha \right)}", r"h{\left(\beta \right)}",
                     r"h{\left(x \right)}"]              # then LeakyReLU: no piece again
    values = next(line for b in shown for line in b["lines"] if "h(x_1)" in line["lhs"])
    assert values["lhs"] == r"\bigl(h(x_1), \dots, h(x_{7})\bigr)"
    assert values["rhs"].startswith(r"\bigl(- \frac{1}{2}, - \frac{1}{4}, 0, 0, 0, 1, 2")


@pytest.mark.parametrize("reading", ["b", "-b"])
def test_both_sides_are_written_and_the_vanishing_term_is_shown(reading: str) -> None:
    shown = _blocks(ReluConstruction(left_slope=reading), "en")   # type: ignore[arg-type]
    lines = {line["lhs"]: line["rhs"] for b in shown for line in b["lines"] if line["lhs"]}
    left = "- b t" if reading == "b" else "b t"              # the slope b or −b, walked back
    assert lines[r"h{\left(\beta - t \right)}"] == left
    assert lines[r"h{\left(\alpha + t \right)}"] == "a t"
    assert r"a \operatorname{ReLU}\left(0\right)" in lines[r"h{\left(\alpha \right)}"]
    assert r"\operatorname{ReLU}\left(0\right)" in lines[r"h{\left(\beta \right)}"]
    leaky = next(line for b in shown for line in b["lines"] if r"\max\left(x," in line["rhs"])
    assert leaky["rhs"] == r"\max\left(x, \lambda x\right)" and "lambda \\le 1" in leaky["rule"]
    text = " ".join(b["sentence"] for b in shown)
    assert "For example, with" in text and "as it is written" not in text
    assert _marked(shown) == [r"h{\left(x \right)}", r"h{\left(x \right)}"]   # h, LeakyReLU


def test_the_leaky_slopes_are_stated_consistently() -> None:
    fr = _sentences("activation.relu_construction", "fr")
    assert r"LeakyReLU quand $0 < \lambda < 1$" in fr and r"ReLU quand $\lambda = 0$" in fr
    assert "max(x, \\lambda x)$ pour $\\lambda \\le 1$" in str(
        __import__("derive.latex.environment", fromlist=["strings"]).strings("fr")["rules"][
            "act_leaky"])


def test_vectors_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValidationError, match="same length"):
        SoftmaxStability(vectors=[[1, 2], [1, 2, 3]])
