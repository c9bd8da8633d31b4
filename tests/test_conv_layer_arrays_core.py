"""conv_layer.arrays on the derivation core.

Every step after a chain's first is checked and passes; the answers are the ones computed
before the core; a broken formula (a wrong output entry, a wrong or missing location, a
wrong extreme, an off-by-one tap range) fails the check; sentences follow the values.
"""

from __future__ import annotations

import re
from typing import Any

import helpers
import pytest
import sympy as sp

from derive.latex.environment import strings
from derive.models.conv_layer import LayerAxis
from derive.questions import KINDS, Check, Solution, conv_layer_arrays

KIND = "conv_layer.arrays"
EXAMPLE = {k: v for k, v in KINDS[KIND].example.items() if k != "report"}
X2 = [[[0.5, -1, 2], [1, 0.25, 0], [0, 1, -1], [2, 2, 1]],
      [[1, 0, 0], [0.1, 0.2, 0.3], [1, 1, 1], [-2, 0, 1]],
      [[0, 0, 0], [1, -1, 1], [0.3, 0.0, 0.2], [1, 2, 3]]]
W2 = [[[[1, 0], [0, 1], [-1, 0.5]], [[0, 0], [1, 1], [0, -1]]]]
GIVENS = [
    EXAMPLE,
    {**EXAMPLE, "padding": 1, "index_base": 0},
    {"x": X2, "w": W2, "b": [0.5, -1], "stride": 2, "padding": 1},
    {"x": X2, "w": W2, "padding": 2, "index_base": 0},
    {"x": [[[1, 0], [0, 0]], [[0, 0], [1, 0]]], "w": [[[[1, -1, 0], [0, 0, 0]]]],
     "b": [0, 0, 0]},
]
REPORTS = ("output", "max", "min", "zeros")








@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.parametrize("given", GIVENS, ids=lambda v: str(v)[:50])
def test_every_step_after_a_definition_is_checked_and_passes(given: dict[str, Any],
                                                             report: str) -> None:
    solution = _solve(**{**given, "report": report})
    check = solution.verify()
    assert check.passed, check.detail
    d = solution.derivation
    assert d is not None
    for chain in d.chains():
        assert chain[0].check is None and chain[0].rule == "definition"
        assert all(s.check is not None and s.check.passed and s.check.samples > 0
                   for s in chain[1:])
    assert any(len(chain) > 1 for chain in d.chains())


# --- the answers, as computed before the derivation core --------------------------------------
BEFORE = [
    ({**EXAMPLE, "report": "max"}, {"value": 3.5, "locations": [[2, 1, 1]]}),
    ({**EXAMPLE, "report": "output"}, [[[2.5], [1.5]], [[3.5], [-0.5]]]),
    ({**EXAMPLE, "report": "zeros"}, {"value": 0.0, "locations": []}),
    ({**GIVENS[1], "report": "max"}, {"value": 3.5, "locations": [[0, 2, 0], [2, 1, 0],
                                                                  [2, 3, 0]]}),
    ({**GIVENS[2], "report": "output"}, [[[0.5, -1.0], [0.5, -1.0], [0.5, -1.0]],
                                         [[0.5, -1.0], [1.3, -0.65], [-2.5, -0.5]],
                                         [[0.5, -1.0], [0.5, -1.0], [0.5, -1.0]]]),
    ({**EXAMPLE, "report": "min"}, {"value": -0.5, "locations": [[2, 2, 1]]}),
    ({**GIVENS[4], "report": "zeros"}, {"value": 0.0, "locations": [
        [1, 1, 3], [1, 2, 1], [1, 2, 2], [1, 2, 3], [2, 1, 1], [2, 1, 2], [2, 1, 3], [2, 2, 3]]}),
    ({**GIVENS[4], "report": "min"}, {"value": -1.0, "locations": [[1, 1, 2], [2, 2, 2]]}),
]


@pytest.mark.parametrize(("given", "answer"), BEFORE, ids=lambda v: str(v)[:50])
def test_answers_are_unchanged(given: dict[str, Any], answer: Any) -> None:
    assert _solve(**given).answer == answer


# --- broken formulas fail the check -----------------------------------------------------------
def _broken(monkeypatch: pytest.MonkeyPatch, change: Any) -> None:
    original = conv_layer_arrays.LayerArraysGiven.derive

    def derive(self: Any) -> Any:
        d = original(self)
        change(d)
        return d

    monkeypatch.setattr(conv_layer_arrays.LayerArraysGiven, "derive", derive)


def _answer_step(d: Any, key: str) -> Any:
    (step,) = [s for s in d.steps if key in s.answer]
    return step


def test_a_wrong_output_entry_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def change(d: Any) -> None:
        step = _answer_step(d, "Z1")
        entries = step.rhs.as_mutable()
        entries[1, 0] += sp.Rational(1, 10)
        step.rhs = sp.ImmutableMatrix(entries)

    _broken(monkeypatch, change)
    solution = _solve(**GIVENS[2], report="output")
    check = solution.verify()
    assert not check.passed and "answer Z1" in check.detail and "answer Z0" not in check.detail
    d = solution.derivation
    assert d is not None
    assert [s.rule for s in d.steps if s.check is not None and not s.check.passed] == ["evaluate"]


def test_a_wrong_location_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def move(d: Any) -> None:                        # (1,3,1) read as (1,3,2)
        step = _answer_step(d, "locations")
        first, *rest = step.rhs.args[3:]
        moved = conv_layer_arrays.LOC[first.indices[0], first.indices[1], 1]
        step.rhs = step.rhs.func(*step.rhs.args[:3], moved, *rest)

    _broken(monkeypatch, move)
    check = _check(**GIVENS[1], report="max")
    assert not check.passed and "answer locations" in check.detail


def test_a_missing_location_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def drop(d: Any) -> None:
        step = _answer_step(d, "locations")
        step.rhs = step.rhs.func(*step.rhs.args[:-1])

    _broken(monkeypatch, drop)
    assert not _check(**GIVENS[4], report="zeros").passed


def test_a_wrong_extreme_value_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def lower(d: Any) -> None:
        _answer_step(d, "value").rhs -= sp.Rational(1, 10**6)

    _broken(monkeypatch, lower)
    check = _check(**GIVENS[2], report="min")
    assert not check.passed and "answer value" in check.detail


@pytest.mark.parametrize("shift", [(0, 1), (1, 0), (-1, 0), (0, -1)])
def test_an_off_by_one_tap_range_fails(monkeypatch: pytest.MonkeyPatch,
                                       shift: tuple[int, int]) -> None:
    right = LayerAxis.tap_range

    def off(self: LayerAxis, out: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        lo, hi = right(self, out)
        return lo + shift[0], hi + shift[1]

    monkeypatch.setattr(LayerAxis, "tap_range", off)
    for given in (GIVENS[1], GIVENS[2]):
        solution = _solve(**given, report="output")
        assert not solution.verify().passed, given
        tight = helpers.step_by_rule(solution, "tighten_sum_limits")
        assert tight.check is not None and not tight.check.passed


# --- pages: sentences from values, indices in the spec's base ----------------------------------
LANGUAGES = ["en", "fr"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_location_sentences_follow_the_count(language: str) -> None:
    words = strings(language)["sentences"]["layer_arrays_zeros"]
    none = _page(language, **EXAMPLE, report="zeros")
    assert words["none"].split(":")[0] in none and r"= \varnothing" in none
    many = _page(language, **GIVENS[4], report="zeros")
    # a count is not written in digits ("at 8 locations"): the set is listed below
    assert words["other"].split("$")[2] in many and " 8 " not in many
    assert r"\begin{aligned}" in many and "(1,1,3)" in many and "(0,0,0)" not in many
    one = _page(language, **EXAMPLE, report="max")
    single = strings(language)["sentences"]["layer_arrays_extreme"]["max_one"]
    assert single.split("$")[2] in one and " 1 position" not in one
    assert r"\left\{(2,1,1)\right\}" in one and r"\max_{i,j,m} Z_{i,j,m}" in one
    zero_based = _page(language, **GIVENS[1], report="max")
    assert r"\left\{(0,2,0),\ (2,1,0),\ (2,3,0)\right\}" in zero_based


@pytest.mark.parametrize("language", LANGUAGES)
def test_values_sentences(language: str) -> None:
    text = _page(language, **GIVENS[2], report="output")
    assert r"Z_{\cdot,\cdot,1}" in text and r"Z_{\cdot,\cdot,2}" in text
    assert r"\tilde{X}" in text and "b_m" in text
    words = strings(language)["sentences"]["layer_arrays_values"]["other"]
    assert words.split("{r}")[0] in text and r"$3 \times 3$" in text
    assert "(2 channels; indices numbered from 1)" in text or "(2 canaux ; indices" in text
    one = _page(language, **EXAMPLE, report="output")
    assert r"Z_{\cdot,\cdot,1}" in one and r"Z_{\cdot,\cdot,2}" not in one
    assert r"\tilde{X}" not in one


def test_french_sentences_space_high_punctuation() -> None:
    words = strings("fr")
    texts = [words["checks"]["layer_arrays"]]
    for key, value in words["sentences"].items():
        if key.startswith("layer_arrays_"):
            texts += list(value.values())
    for text in texts:
        prose = re.sub(r"\$[^$]*\$", "", text)
        assert not re.search(r"[^\s~][:;?!]", prose), text


def test_old_strings_are_gone() -> None:
    for language in LANGUAGES:
        words = strings(language)
        assert "arrays" not in words and "layer" not in words


def _solve(**given: Any) -> Solution:
    return helpers.solve(KIND, **given)


def _check(**given: Any) -> Check:
    return helpers.check(KIND, **given)


def _page(language: str, **given: Any) -> str:
    return helpers.page(KIND, language, **given)
