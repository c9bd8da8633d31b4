"""conv2d.arrays, conv2d.matrix and conv2d.transposed on the derivation core.

Every step after a chain's first is checked and passes; the answers of the shipped specs are
the ones computed before the core; a broken formula (a wrong entry of A, an off-by-one limit,
a wrong extreme or zero location, a wrong value) fails the check; sentences follow the values.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp
from helpers import check as _check
from helpers import page as _page
from helpers import solve as _solve
from helpers import step_by_rule
from numpy.lib.stride_tricks import sliding_window_view

from derive.build import build, load_all
from derive.latex.environment import strings
from derive.models.conv import Axis, Conv2D
from derive.models.conv_matrix import TransposedConv2D, conv_matrix
from derive.questions import KINDS, conv_arrays, conv_linear

SPECS = Path(__file__).resolve().parent.parent / "specs"
SHIPPED_X = [[0, 0, 0, 0, 0], [0, 3, 3, 3, 0], [0, 3, 2, 3, 0], [0, 3, 2, 3, 0], [0, 0, 0, 0, 0]]
SHIPPED_W = [[1, -1], [1, -1]]








ARRAYS = [
    {"x": SHIPPED_X, "w": SHIPPED_W, "index_base": 0},
    {"x": [[1, 2, 3], [4, 5, 6], [7, 8, 9]], "w": [[1, 0], [0, -1]], "padding": 1},
    {"x": [[1, -2, 0, 3], [0.5, 1, 2, -1], [2, 2, 0, 1]], "w": [[1, 2], [0, -1]], "stride": 2,
     "padding": 2},
    {"x": [[0.1, 0.3], [0.2, 0.0]], "w": [[1], [1]], "index_base": 0},
]
LINEAR = [
    ("conv2d.matrix", {"input": [3, 3], "kernel": [3, 3], "stride": 2, "padding": 1,
                       "index_base": 0}),
    ("conv2d.matrix", {"input": [4, 5], "kernel": [2, 3], "stride": 1, "padding": 0}),
    ("conv2d.matrix", {"input": [7, 7], "kernel": 3, "stride": 2, "padding": 2}),
    ("conv2d.transposed", {"input": [2, 2], "kernel": [2, 2], "stride": 2, "index_base": 0}),
    ("conv2d.transposed", {"input": [3, 3], "kernel": [3, 3], "stride": 2, "padding": 1}),
    ("conv2d.transposed", {"input": [2, 3], "kernel": [3, 2], "stride": 1, "padding": 1}),
]
CASES = [("conv2d.arrays", {**g, "report": r}) for g in ARRAYS
         for r in ("limits", "output", "max", "min", "zeros")] + LINEAR


@pytest.mark.parametrize(("kind", "given"), CASES, ids=lambda v: str(v)[:60])
def test_every_step_after_a_definition_is_checked_and_passes(kind: str,
                                                             given: dict[str, Any]) -> None:
    solution = _solve(kind, **given)
    check = solution.verify()
    assert check.passed, check.detail
    d = solution.derivation
    assert d is not None
    for chain in d.chains():
        assert chain[0].check is None and chain[0].rule == "definition"
        assert all(s.check is not None and s.check.passed and s.check.samples > 0
                   for s in chain[1:])
    assert any(len(chain) > 1 for chain in d.chains()) or given.get("report") == "limits"


# --- the answers of the shipped specs, as built before the derivation core -------------------
BEFORE = {
    ("intro-ml-hw8", "1.1a"): {"k1": [0, 1], "k2": [0, 1]},
    ("intro-ml-hw8", "1.1c"): {"value": 6.0, "locations": [[1, 3], [2, 3]]},
    ("intro-ml-hw8", "1.1d"): {"value": -6.0, "locations": [[1, 0], [2, 0]]},
    ("intro-ml-hw8", "1.1e"): [[0, 1], [0, 2]],
    ("ift6135-a2022-cnn", "4.3"): "Matrix([[w[1, 1], w[1, 2], 0, w[2, 1], w[2, 2], 0, 0, 0, 0], "
    "[0, w[1, 0], w[1, 1], 0, w[2, 0], w[2, 1], 0, 0, 0], [0, 0, 0, w[0, 1], w[0, 2], 0, w[1, 1], "
    "w[1, 2], 0], [0, 0, 0, 0, w[0, 0], w[0, 1], 0, w[1, 0], w[1, 1]]])",
    ("ift6135-a2022-cnn", "4.4"): "Matrix([[w[0, 0], 0, 0, 0], [w[0, 1], 0, 0, 0], "
    "[0, w[0, 0], 0, 0], [0, w[0, 1], 0, 0], [w[1, 0], 0, 0, 0], [w[1, 1], 0, 0, 0], "
    "[0, w[1, 0], 0, 0], [0, w[1, 1], 0, 0], [0, 0, w[0, 0], 0], [0, 0, w[0, 1], 0], "
    "[0, 0, 0, w[0, 0]], [0, 0, 0, w[0, 1]], [0, 0, w[1, 0], 0], [0, 0, w[1, 1], 0], "
    "[0, 0, 0, w[1, 0]], [0, 0, 0, w[1, 1]]])",
}


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    out = tmp_path_factory.mktemp("shipped")
    parts = {}
    for loaded in load_all([SPECS / "intro-ml-hw8.yaml", SPECS / "ift6135-a2022-cnn.yaml"]):
        build(loaded, out, pdf=False)
        doc = json.loads((out / loaded.stem / "answers.json").read_text())
        parts |= {(loaded.stem, p["id"]): p for p in doc["parts"]}
    return parts


@pytest.mark.parametrize("key", sorted(BEFORE))
def test_shipped_answers_are_unchanged(shipped: dict[tuple[str, str], dict[str, Any]],
                                       key: tuple[str, str]) -> None:
    part = shipped[key]
    text = part["answer"]["text"]
    if isinstance(BEFORE[key], str):
        assert text == BEFORE[key]
        assert part["answer"]["srepr"].startswith("MutableSparseMatrix(")
    else:
        assert json.loads(text) == BEFORE[key]
    assert part["check"]["passed"]
    steps = part["steps"]
    assert all(s["check"]["passed"] for s in steps if s["check"] is not None)
    assert all(s["check"] is not None for s in steps if s["rule"] != "definition")


# --- broken formulas fail the check -----------------------------------------------------------
def _broken_derivation(monkeypatch: pytest.MonkeyPatch, cls: type, change: Any) -> None:
    original = cls.derive

    def derive(self: Any) -> Any:
        d = original(self)
        change(d)
        return d

    monkeypatch.setattr(cls, "derive", derive)


def _answer_step(d: Any, key: str) -> Any:
    (step,) = [s for s in d.steps if key in s.answer]
    return step


def test_a_wrong_entry_of_the_matrix_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    right = conv_matrix

    def wrong(layer: Conv2D) -> sp.SparseMatrix:
        a = right(layer).copy()
        a[0, 0] = a[0, 1]                    # w_{1,1} read where w_{1,2} belongs, say
        return a

    monkeypatch.setattr(conv_linear, "conv_matrix", wrong)
    check = _check("conv2d.matrix", **LINEAR[0][1])
    derivation = _solve("conv2d.matrix", **LINEAR[0][1]).derivation
    assert derivation is not None
    steps = derivation.steps
    product = next(n for n, s in enumerate(steps) if "linear_map" in s.answer)
    assert not check.passed
    assert f"step {product} " in check.detail and "answer linear_map" in check.detail
    assert check.detail.count("step ") == 1          # the output written out is still right


def test_a_matrix_off_by_one_column_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    right = conv_matrix

    def shifted(layer: Conv2D) -> sp.SparseMatrix:      # every input read one pixel late
        a = right(layer)
        return sp.SparseMatrix(a.rows, a.cols, {(r, c + 1): v for (r, c), v in a.todok().items()
                                                if c + 1 < a.cols})

    monkeypatch.setattr(conv_linear, "conv_matrix", shifted)
    assert not _check("conv2d.matrix", **LINEAR[1][1]).passed


@pytest.mark.parametrize("report", ["limits", "output", "max"])
@pytest.mark.parametrize("shift", [(0, 1), (1, 0), (-1, 0), (0, -1)])
def test_an_off_by_one_limit_fails(monkeypatch: pytest.MonkeyPatch, report: str,
                                   shift: tuple[int, int]) -> None:
    right = Axis.kernel_range

    def off(self: Axis, out: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        lo, hi = right(self, out)
        return lo + shift[0], hi + shift[1]

    monkeypatch.setattr(Axis, "kernel_range", off)
    for given in ARRAYS[:3]:
        assert not _check("conv2d.arrays", **{**given, "report": report}).passed, given


def test_a_wrong_extreme_location_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def move(d: Any) -> None:                      # (1,3), (2,3) → (1,3), (3,3)
        step = _answer_step(d, "locations")
        i, j, first, _ = step.rhs.args
        step.rhs = step.rhs.func(i, j, first, conv_arrays.LOC[3, 3])

    _broken_derivation(monkeypatch, conv_arrays.ArraysGiven, move)
    check = _check("conv2d.arrays", **ARRAYS[0], report="max")
    assert not check.passed and "answer locations" in check.detail


def test_a_missing_location_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def drop(d: Any) -> None:                      # one of the two zeros forgotten
        step = _answer_step(d, "locations")
        step.rhs = step.rhs.func(*step.rhs.args[:-1])

    _broken_derivation(monkeypatch, conv_arrays.ArraysGiven, drop)
    assert not _check("conv2d.arrays", **ARRAYS[0], report="zeros").passed


def test_a_wrong_extreme_value_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def lower(d: Any) -> None:
        _answer_step(d, "value").rhs -= 1

    _broken_derivation(monkeypatch, conv_arrays.ArraysGiven, lower)
    check = _check("conv2d.arrays", **ARRAYS[1], report="min")
    assert not check.passed and "answer value" in check.detail


def test_a_wrong_output_value_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def change(d: Any) -> None:
        step = _answer_step(d, "Z")
        step.rhs = step.rhs.subs({}).as_mutable()
        step.rhs[1, 1] += sp.Rational(1, 10)
        step.rhs = sp.ImmutableMatrix(step.rhs)

    _broken_derivation(monkeypatch, conv_arrays.ArraysGiven, change)
    check = _check("conv2d.arrays", **ARRAYS[0], report="output")
    assert not check.passed and "step 2" in check.detail and "answer Z" in check.detail


def test_a_read_outside_the_given_array_fails() -> None:
    given = conv_arrays.GivenArray.of("X", [[1.0, 2.0]])
    i = sp.Symbol("i", integer=True)
    from derive.verify.fast_eval import evaluate_fast

    values = evaluate_fast(given(0, i), [i], [3], 0, {})
    assert values[:2].tolist() == [1.0, 2.0] and values[2] != values[2]        # NaN


def test_a_broken_scatter_matrix_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    right = TransposedConv2D.matrix

    def dropped(self: TransposedConv2D) -> sp.SparseMatrix:   # the last tap forgotten
        k = self.kernel_shape
        return right(self).applyfunc(
            lambda e: 0 if e != 0 and e.indices == (k[0] - 1, k[1] - 1) else e)

    monkeypatch.setattr(TransposedConv2D, "matrix", dropped)
    solution = _solve(LINEAR[4][0], **LINEAR[4][1])
    check = solution.verify()
    assert not check.passed
    d = solution.derivation
    assert d is not None
    failed = {s.rule for s in d.steps if s.check is not None and not s.check.passed}
    assert failed == {"linear_map", "transpose"}


def test_a_broken_transposed_formula_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    right = Conv2D.grad_input

    def off_by_one(self: Conv2D) -> sp.Sum:
        s = right(self)
        (v, lo, hi), rest = s.limits[0], s.limits[1:]
        return sp.Sum(s.function, (v, lo + 1, hi), *rest)

    monkeypatch.setattr(Conv2D, "grad_input", off_by_one)
    solution = _solve(LINEAR[4][0], **LINEAR[4][1])
    assert not solution.verify().passed
    tight = step_by_rule(solution, "tighten_sum_limits")
    assert tight.check is not None and not tight.check.passed


# --- pages: sentences from values, figures, large matrices ----------------------------------
LANGUAGES = ["en", "fr"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_zero_sentences_follow_the_count(language: str) -> None:
    words = strings(language)["sentences"]["arrays_zeros"]
    none = _page("conv2d.arrays", language, x=[[1, 2], [3, 4]], w=[[1]], report="zeros")
    assert words["none"].split(":")[0] in none and r"\varnothing" in none
    one = _page("conv2d.arrays", language, x=[[0, 2], [3, 4]], w=[[1]], report="zeros")
    # a count is not written in digits ("at 1 location"): one, or the set listed below
    assert words["one"].split("$")[2] in one and " 1 location" not in one
    assert r"\left\{(1,1)\right\}" in one
    many = _page("conv2d.arrays", language, x=[[0] * 7] * 2, w=[[1]], report="zeros",
                 index_base=0)
    assert words["other"].split("$")[2] in many and "14" not in many
    assert r"\begin{aligned}" in many and "(1,6)" in many and "(2,0)" not in many


@pytest.mark.parametrize("language", LANGUAGES)
def test_values_and_limits_sentences(language: str) -> None:
    text = _page("conv2d.arrays", language, **ARRAYS[1], report="output")
    assert "{" + "b}" not in text and "{" + "x}" not in text and r"\tilde{X}" in text
    assert re.search(r"\$4 \\times 4\$ (output|\(lignes)", text)
    limits = _page("conv2d.arrays", language, **ARRAYS[0], report="limits")
    assert r"$0 \le k_1 \le 1$" in limits and r"$0 \le k_2 \le 1$" in limits


@pytest.mark.parametrize("language", LANGUAGES)
def test_linear_map_pages_carry_their_figures(language: str) -> None:
    matrix = _page(LINEAR[0][0], language, **LINEAR[0][1])
    assert matrix.count(r"\begin{tikzpicture}") == 1
    assert r"\operatorname{vec}(Y) &= \left[\begin{matrix}{w}_{1,1} & {w}_{1,2}" in matrix
    transposed = _page(LINEAR[3][0], language, **LINEAR[3][1])
    assert transposed.count(r"\begin{tikzpicture}") == 2
    assert r"M &= C^{\top}" in transposed           # C: not the A of the matrix part
    yes = strings(language)["sentences"]["transposed_linear"].split("$")[0]
    assert r"\answerhere " + yes in transposed                # linear? yes, marked
    assert transposed.count(r"\answermark") == 1               # M; M = Cᵀ is not asked
    assert strings(language)["sentences"]["transposed_figure"] in transposed


def test_a_large_matrix_is_written_with_dots_and_recorded_whole() -> None:
    given = {"input": [8, 8], "kernel": [2, 2], "stride": 1, "padding": 1}
    solution = _solve("conv2d.matrix", **given)
    assert solution.verify().passed
    assert solution.answer.shape == (81, 64) and solution.answer == conv_matrix(
        Conv2D((8, 8), (2, 2), (1, 1), (1, 1), 1))
    page = _page("conv2d.matrix", "en", **given)
    assert r"\cdots" in page and r"\vdots" in page and "{w}_{2,2}" in page
    assert "{x}_{8,8}" in page                           # vec(X) ends with the last pixel


def test_extremes_of_a_large_output_are_found_on_every_entry() -> None:
    """Steps over many positions are compared at a sample of them; the extreme is not."""
    x = [[(3 * r + 5 * c) % 11 - 5 for c in range(40)] for r in range(40)]
    solution = _solve("conv2d.arrays", x=x, w=[[1, -1], [2, 0]], report="min", index_base=0)
    assert solution.verify().passed
    windows = sliding_window_view(np.array(x, dtype=float), (2, 2))
    z = np.einsum("rcab,ab->rc", windows, np.array([[1.0, -1.0], [2.0, 0.0]]))
    assert solution.answer["value"] == z.min()
    assert solution.answer["locations"] == np.argwhere(z == z.min()).tolist()


def test_french_sentences_space_high_punctuation() -> None:
    words = strings("fr")
    texts = [text for k, text in words["checks"].items()
             if k.startswith(("conv_arrays", "conv_matrix", "conv_transposed"))]
    for key, value in words["sentences"].items():
        if key.startswith(("arrays_", "conv_matrix_", "transposed_")):
            texts += list(value.values()) if isinstance(value, dict) else [value]
    for text in texts:
        prose = re.sub(r"\$[^$]*\$|\\\[.*?\\\]|\\begin\{gather\*\}.*?\\end\{gather\*\}", "",
                       text)
        assert not re.search(r"[^\s~][:;?!]", prose), text


@pytest.mark.parametrize(("kind", "given"), LINEAR, ids=lambda v: str(v)[:60])
def test_matrices_are_the_models_in_the_spec_base(kind: str, given: dict[str, Any]) -> None:
    g = KINDS[kind].given.model_validate(given)
    shape = (g.input[0], g.input[1]), (g.kernel[0], g.kernel[1])
    geometry = (*shape, (g.stride,) * 2, (g.padding,) * 2, g.index_base)
    expected = (conv_matrix(Conv2D(*geometry)) if kind == "conv2d.matrix"
                else conv_matrix(TransposedConv2D(*geometry).forward_conv()).T)
    assert _solve(kind, **given).answer == expected


# --- what the pages say: every symbol named, nothing shown twice, only what is asked --------
def test_output_size_names_its_symbols_and_states_the_size() -> None:
    text = _page("conv2d.output_size", "en", input=[5, 5], kernel=[2, 2], output="Z")
    assert "input size $N = 5$, kernel size $K = 2$, padding $p = 0$ and stride $s = 1$" in text
    assert "padded" not in text
    # the size is marked where it is computed (⌊(5 − 2)/1⌋ + 1 = 4), once; the sentence names it
    assert r"$Z$ is $4 \times 4$." in text and r"\answerhere" not in text
    assert text.count(r"\answermark") == 1
    assert r"= 4 \tag*{\footnotesize arithmetic\answermark}" in text
    padded = _page("conv2d.output_size", "fr", input=[5, 7], kernel=[3, 2], padding=2)
    assert "complétée de zéros" in padded and r"La sortie est de taille $7 \times 10$." in padded
    assert padded.count(r"\answermark") == 2               # I = 7 and J = 10, one chain each
    assert _check("conv2d.output_size", input=[5, 7], kernel=[3, 2], padding=2).passed


def test_operations_define_the_kernel_size() -> None:
    text = _page("conv2d.operations", "en", input=[5, 5], kernel=[3, 2])
    sentence = text.split(r"\begin{align*}")[0]
    assert r"kernel, which has $K_1$ rows and $K_2$ columns (here $3 \times 2$)" in sentence
    assert r"$I \times J$ output pixels (here $3 \times 4$)" in sentence


def test_the_given_arrays_are_not_displayed_again_unless_asked() -> None:
    arrays = {"x": [[0, 1, 2], [3, 4, 5], [6, 7, 8]], "w": [[1, -1]], "report": "max"}
    assert "of the assignment" in _page("conv2d.arrays", "en", **arrays)
    assert "X = " not in _page("conv2d.arrays", "en", **arrays)
    assert "X = " in _page("conv2d.arrays", "en", **arrays, show_arrays=True)


def test_each_arrays_report_has_its_own_check_words() -> None:
    words = strings("en")["checks"]
    arrays = {"x": [[0, 1, 2], [3, 4, 5], [6, 7, 8]], "w": [[1, -1]]}
    limits = _check("conv2d.arrays", **arrays, report="limits").method
    assert "padded" not in words[limits]
    assert "zero-padded" in words[_check("conv2d.arrays", **arrays, report="limits",
                                         padding=1).method]
    assert "zeros" in words[_check("conv2d.arrays", **arrays, report="zeros").method]
    assert "padded" not in words[_check("conv2d.output_size", input=5, kernel=2).method]


def test_the_matrix_part_writes_out_its_output_and_marks_it() -> None:
    given = {"input": [3, 3], "kernel": [3, 3], "stride": 2, "padding": 1, "index_base": 0}
    solution = _solve("conv2d.matrix", **given)
    assert solution.verify().passed
    assert solution.derivation is not None
    keys = set(solution.derivation.answers())
    assert {"output", "linear_map"} <= keys
    text = _page("conv2d.matrix", "fr", **given)
    # the 2 × 2 output map as one matrix, its four-term entries on two lines each
    assert text.count(r"\answermark") == 2 and text.count(r"\begin{array}{@{}l@{}}") == 4


def test_extreme_parts_show_the_values_not_the_sum_again() -> None:
    arrays = {"x": [[0, 1, 2], [3, 4, 5], [6, 7, 8]], "w": [[1, -1]]}
    # Z[i, j] = x[i, j] − x[i, j + 1] = −1 everywhere: the values alone, once
    text = _page("conv2d.arrays", "en", **arrays, report="max")
    assert r"\sum" not in text.split(r"\max")[0] and r"\left[\begin{matrix}-1 & -1" in text
    assert r"\sum" in _page("conv2d.arrays", "en", **arrays, report="output")
    assert r"\sum" in _page("conv2d.arrays", "en", **arrays, report="max", padding=1)
    # written as the assignment writes its arrays
    round_ = _page("conv2d.arrays", "en", **arrays, report="min", delimiters="parentheses")
    assert r"\left(\begin{matrix}-1 & -1" in round_ and r"\left[" not in round_
    assert _check("conv2d.arrays", **arrays, report="min", delimiters="parentheses").passed


def test_an_output_written_pixel_by_pixel_is_one_display_marked_once() -> None:
    given = {"input": [3, 4], "kernel": [2, 3], "stride": 1, "padding": 1}
    solution = _solve("conv2d.matrix", **given)
    assert solution.verify().passed and solution.derivation is not None
    assert {f"y_{r}_{c}" for r in range(4) for c in range(4)} <= set(
        solution.derivation.answers())                    # each pixel still compared
    text = _page("conv2d.matrix", "en", **given)
    written = text.split(strings("en")["sentences"]["conv_matrix_written"]["padded"][:20])[1]
    pixels = written.split(r"\end{align*}")[0]
    assert pixels.count("{y}_{") == 16 and r"\begin{align*}" in pixels   # one display
    assert text.count(r"\answerhere") == 1 and text.count(r"\answermark") == 1
