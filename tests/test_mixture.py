"""mixture.logistic_network: p(y = 1 | x) by the sum and product rules, the network, the
range; checked against enumeration of z and a numpy forward pass; broken formulas fail."""

from __future__ import annotations

import math

import pytest
import sympy as sp
from helpers import check, page, solve
from pydantic import ValidationError

from derive.latex.environment import strings
from derive.models import mixture as M
from derive.models.symbols import sigmoid
from derive.questions import KINDS

GIVEN = {"features": 2, "components": 3, "x": [1.0, -2.0],
         "w": [[0.5, 1.0], [-1.0, 0.0], [2.0, 0.25]], "pi": [0.5, 0.25, 0.25]}


def _sigma(a: float) -> float:
    return 1 / (1 + math.exp(-a))


def test_the_given_numbers() -> None:
    solution = solve("mixture.logistic_network", **GIVEN)
    assert solution.verify().passed
    # scores w_k·x: 0.5 − 2 = −1.5, −1, 2 − 0.5 = 1.5
    expected = 0.5 * _sigma(-1.5) + 0.25 * _sigma(-1.0) + 0.25 * _sigma(1.5)
    assert solution.answer["value"] == pytest.approx(expected, rel=1e-12)


def test_softmax_gating() -> None:
    given = {**GIVEN, "gating": "softmax", "theta": [0.0, 1.0, -1.0]}
    del given["pi"]
    solution = solve("mixture.logistic_network", **given)
    assert solution.verify().passed
    e = [math.exp(t) for t in (0.0, 1.0, -1.0)]
    pi = [v / sum(e) for v in e]
    expected = sum(p * _sigma(a) for p, a in zip(pi, (-1.5, -1.0, 1.5), strict=True))
    assert solution.answer["value"] == pytest.approx(expected, rel=1e-9)


def test_dropping_pi_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check("mixture.logistic_network", features=3, components=4).passed
    monkeypatch.setattr(M.Mixture, "marginal",
                        lambda self: self.total(sigmoid(self.score(M.k))))
    assert not check("mixture.logistic_network", features=3, components=4).passed


def test_the_seed_formula_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # the seed's table writes π_k / σ(w_kᵀx) at the output
    monkeypatch.setattr(M.Mixture, "marginal",
                        lambda self: self.total(M.pi[M.k] / sigmoid(self.score(M.k))))
    assert not check("mixture.logistic_network", features=3, components=4).passed


def test_the_marginal_is_the_sum() -> None:
    m = M.Mixture(2, 2)
    assert m.marginal() == sp.Sum(M.pi[M.k] * sigmoid(M.score[M.k]), (M.k, 0, 1))
    assert m.definitions()[M.score](M.k) == sp.Sum(M.W[M.j, M.k] * M.x[M.j], (M.j, 0, 1))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_probabilities_are_written_as_probabilities(language: str) -> None:
    text = page("mixture.logistic_network", language, features=3, components=3)
    assert r"p\left(y = 1, z = k \mid x\right)" in text
    assert r"p\left(y = 1 \mid z = k, x\right) p\left(z = k\right)" in text
    assert r"\sigma\left(w_{k}^{\top} x\right)" in text
    assert "p_{y=1" not in text and "W_{j,k}" not in text and "W_{j, k}" not in text
    assert ("]0, 1[" in text and "tous $d$ et $K$" in text) if language == "fr" else (
        "(0, 1)" in text and "any $d$ and $K$" in text)


@pytest.mark.parametrize(("change", "match"), [
    ({"pi": [0.5, 0.25, 0.3]}, "sum to 1"),
    ({"pi": [1.25, -0.25, 0.0]}, "below 0"),
    ({"x": [1.0]}, "entries"),
    ({"theta": [0.0, 0.0, 0.0]}, "not theta"),
])
def test_bad_numbers(change: dict[str, object], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        KINDS["mixture.logistic_network"].given.model_validate({**GIVEN, **change})


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_figure_is_the_general_network(language: str) -> None:
    text = page("mixture.logistic_network", language, features=6, components=5)
    assert r"\begin{tikzpicture}" in text and r"$\vdots$" in text
    assert r"\sigma(w_{K}^\top x)" in text and r"x_{d}" in text and r"\pi_{K}" in text
    assert r"x_{6}" not in text and r"\pi_{5}" not in text


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_answer_is_written_for_any_k_and_z_does_not_depend_on_x(language: str) -> None:
    text = page("mixture.logistic_network", language, features=3, components=3)
    assert r"\sum_{k=1}^{K}" in text and r"\sum_{k=1}^{3}" not in text
    assert r"p\left(z = k \mid x\right)" in text            # the product rule as it is
    assert r"\mathbb{R}^d" in text and r"\mathbb{R}^{3}" not in text
    assert "$x_n$" in text                                      # the example's index said
    independent = strings(language)["rules"]["mixture_independent"]
    assert independent in text
    marks = [line for line in text.splitlines() if r"\answermark" in line]
    assert len(marks) == 2                                      # p(y = 1 | x), and ŷ


def test_the_general_sums_are_still_checked_at_the_given_k() -> None:
    solution = solve("mixture.logistic_network", features=2, components=4)
    d = solution.derivation
    assert d is not None and solution.verify().passed
    sums = [s.rhs for s in d.steps if s.rule == "mixture_independent"]
    assert sums and sums[0].limits[0][2] == 3                   # k from 0 to K − 1 = 3
