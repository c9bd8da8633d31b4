"""Logistic regression on numbers, and the length of an SGD step."""

from __future__ import annotations

import json
import math

import pytest
import sympy as sp
from pydantic import ValidationError

from derive.derivation.indices import in_base
from derive.latex.printer import tex
from derive.models import logistic as M
from derive.models.logistic import LogisticRegression
from derive.questions.declare import verify_derivation
from derive.questions.logistic import LogisticGrad
from tests.test_derivation import _sentences

EXAMPLE = {"x": [1, 2], "w": [0.5, -0.2], "b": 0.1, "y": 1, "eta": 0.5}
UNIT = {"x": [0.6, 0.8], "w": [0.5, -0.2], "b": 0.1, "y": 0, "eta": 0.5}


def _checked(**given: object) -> LogisticGrad:
    g = LogisticGrad.model_validate(given)
    d = g.derive()
    check = verify_derivation(d, g)
    assert check.passed, check.detail
    return g


@pytest.mark.parametrize("given", [EXAMPLE, UNIT, {**EXAMPLE, "y": 0, "b": -3},
                                   {"x": [2.5], "w": [-1], "b": 0, "y": 1, "eta": 0.01}])
def test_numbers_are_put_in_and_checked(given: dict[str, object]) -> None:
    g = _checked(**given)
    d = g.derive()
    assert {"a", "p", "loss_value", "grad_b_value", "grad_w_value", "w_new", "b_new"} <= set(
        d.answers())
    assert {"loss", "grad_w", "grad_b", "update"} <= set(d.answers())     # formulas kept


def test_exact_values_of_the_example() -> None:
    d = LogisticGrad.model_validate(EXAMPLE).derive()
    a = d.answers()["a"].rhs
    assert a == sp.Rational(1, 5)                         # 0.5·1 − 0.2·2 + 0.1, exactly
    p = 1 / (1 + sp.exp(-sp.Rational(1, 5)))
    assert float(d.answers()["p"].rhs.rewrite(sp.exp)) == pytest.approx(float(p), abs=1e-15)
    value = LogisticGrad.model_validate(EXAMPLE).value(
        {k: s.rhs for k, s in d.answers().items()})
    assert value["grad_b_value"] == pytest.approx(float(p) - 1)
    assert value["grad_w_value"] == pytest.approx([float(p) - 1, 2 * (float(p) - 1)])
    assert value["w_new"] == pytest.approx([0.5 - 0.5 * (float(p) - 1),
                                            -0.2 - 0.5 * 2 * (float(p) - 1)])
    assert value["loss_value"] == pytest.approx(-math.log(float(p)))
    json.dumps(value)                                      # numbers and lists only


def test_the_update_and_step_print_the_textbook_way() -> None:
    d = LogisticGrad(features=3).derive()
    assert tex(in_base(d.answers()["grad_w"].rhs, 1)) == r"\left(p - y\right) {x}_{j}"
    assert tex(in_base(d.answers()["update"].rhs, 1)) == (
        r"{w}_{j} - \eta \left(p - y\right) {x}_{j}")
    s = LogisticGrad(features=3, report="step_size").derive()
    assert tex(s.answers()["step_size"].rhs) == r"\eta \left(1 - e^{- L}\right)"
    assert tex(LogisticRegression(3).step_length()) == (
        r"\eta \left|{p - y}\right| \lVert x \rVert")
    free = LogisticGrad(features=3, report="step_size", normalized=False).derive()
    assert free.answers()["step_size"].rhs == M.eta * (1 - sp.exp(-M.L)) * M.x_norm


@pytest.mark.parametrize("normalized", [True, False])
@pytest.mark.parametrize("features", [1, 2, 4])
def test_the_step_size_is_derived_and_checked(features: int, normalized: bool) -> None:
    g = _checked(features=features, report="step_size", normalized=normalized)
    rules = [s.rule for s in g.derive().steps]
    assert ("unit_norm" in rules) == normalized
    assert {"norm_scaling", "binary_label", "loss_probability"} <= set(rules)


@pytest.mark.parametrize(("given", "case_en", "case_fr"), [
    (UNIT, "it gets this example wrong", "il se trompe"),          # p ≈ 0.56, y = 0
    ({**UNIT, "y": 1}, "it gets this example right", "il classe bien"),
    ({**UNIT, "w": [0, 0], "b": 0}, "it is undecided", "il hésite"),   # p = 1/2
])
def test_the_step_sentence_follows_the_numbers(given: dict[str, object], case_en: str,
                                               case_fr: str) -> None:
    _checked(**given, report="step_size")
    assert case_en in _sentences("logistic.grad", "en", **given, report="step_size")
    assert case_fr in _sentences("logistic.grad", "fr", **given, report="step_size")


def test_a_long_x_without_normalisation_has_a_longer_step() -> None:
    g = _checked(**EXAMPLE, report="step_size", normalized=False)
    value = g.value({k: s.rhs for k, s in g.derive().answers().items()})
    p = 1 / (1 + math.exp(-0.2))
    assert value["step_value"] == pytest.approx(0.5 * (1 - p) * math.sqrt(5))


def test_a_wrong_sign_in_the_update_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LogisticRegression, "sgd_update",
                        lambda self: M.w[M.j] + M.eta * self.grad_w())
    given = LogisticGrad.model_validate(EXAMPLE)
    check = verify_derivation(given.derive(), given)
    assert not check.passed and "answer w_new" in check.detail


@pytest.mark.parametrize("seed", [1, 3, 4])
def test_a_step_length_without_its_absolute_value_fails(seed: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """η(p − y)‖x‖ is right for y = 0 only: the steps are compared on two draws of the label,
    so a seed whose draws include y = 1 is needed (a quarter of the seeds draw y = 0 twice)."""
    monkeypatch.setattr(LogisticRegression, "step_length",
                        lambda self: M.eta * (M.p - M.y) * M.x_norm)
    given = LogisticGrad(features=2, report="step_size", seed=seed)
    d = given.derive()
    assert not verify_derivation(d, given).passed
    failed = [s.rule for s in d.steps if s.check is not None and not s.check.passed]
    assert failed[0] == "norm_scaling"


@pytest.mark.parametrize(("bad", "message"), [
    ({"w": [0.5]}, "w has 1 entries, x has 2"),
    ({"features": 3}, "x has 2 entries, features is 3"),
    ({"y": 0.5}, "y is a label, 0 or 1"),
    ({"y": 2}, "y is a label, 0 or 1"),
    ({"eta": 0}, "greater than 0"),
    ({"eta": -0.1}, "greater than 0"),
    ({"b": None}, "missing: b"),
    ({"report": "step_size"}, "x has length 2.23607, not 1"),
    ({"x": [1, "a"]}, "valid number"),
])
def test_bad_numbers_are_rejected(bad: dict[str, object], message: str) -> None:
    given = {k: v for k, v in {**EXAMPLE, **bad}.items() if v is not None}
    with pytest.raises(ValidationError, match=message):
        LogisticGrad.model_validate(given)


def test_features_follow_x() -> None:
    assert LogisticGrad.model_validate(EXAMPLE).features == 2
    assert LogisticGrad().features == 3


def test_the_bias_gradient_is_checked_but_shown_and_marked_only_when_asked() -> None:
    """USC 3.1 asks the update of w only: ∂L/∂b is derived and checked, not on the page."""
    d = LogisticGrad(features=3).derive()
    assert "grad_b" in d.answers() and "grad_b" not in (d.marked or set())
    assert not any(s.shown for s in d.chains() if s[-1].answer == ("grad_b",) for s in s)
    shown = LogisticGrad(features=3, bias=True).derive()
    assert "grad_b" in (shown.marked or set())
    assert all(s.shown for c in shown.chains() if c[-1].answer == ("grad_b",) for s in c)


@pytest.mark.parametrize("features", [1, 3, 7])
def test_the_gradient_steps_name_what_they_do(features: int) -> None:
    """USC 3.1: each factor differentiated, σ′(a) shown as such and the coefficient x_j read
    off (Σ_i x_i δ_ij = x_j checked, not shown: no δ_ij the page never introduced); then
    σ′ = σ(1 − σ) applied where it is named; the label is y ∈ {0, 1} as in part 2."""
    g = _checked(features=features)
    d = g.derive()
    (chain,) = [c for c in d.chains() if c[-1].answer == ("grad_w",)]
    assert [s.rule for s in chain] == ["definition", "chain_rule", "differentiate",
                                       "sum_collapse", "sigma_prime", "simplify"]
    shown = [s for s in chain if s.shown]
    assert [s.rule for s in shown][2:] == ["differentiate", "sigma_prime", "simplify"]
    assert r"\sigma'" in (shown[2].display or "")            # σ′(a) applied a line later
    assert r"p \left(1 - p\right)" in (shown[3].display or "")
    for language, label in (("en", r"y \in \{0, 1\}"), ("fr", r"y \in \{0, 1\}")):
        text = _sentences("logistic.grad", language, features=features)
        assert label in text and r"y \in [0, 1]$ the" not in text
        assert r"\delta" not in text


@pytest.mark.parametrize(("language", "words", "not_words"), [
    ("en", ["the model misclassifies", "1 minus the probability"], ["examples it misclass"]),
    ("fr", ["que le modèle classe mal", "c'est 1 moins"], ["qu'elle classe", "un moins"]),
])
def test_the_step_size_reading_says_who_misclassifies(language: str, words: list[str],
                                                      not_words: list[str]) -> None:
    text = _sentences("logistic.grad", language, features=3, report="step_size")
    assert all(w in text for w in words) and not any(w in text for w in not_words)
