"""Checks recompute by another route, and sentences follow the computed values.

Each check below is shown to refuse a deliberately broken formula (or to accept a correct
answer it used to refuse), and each sentence is rendered with givens for which the old fixed
wording was false.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp
from helpers import check as _check
from helpers import page as _page
from helpers import solve as _solve
from numpy.lib.stride_tricks import sliding_window_view

from derive.latex.environment import strings
from derive.models.conv import Axis
from derive.models.conv_matrix import TransposedConv2D, conv_matrix
from derive.questions import conv_arrays, conv_linear
from derive.verify import counting, reference_nd
from derive.verify.counting import walk_conv2d, walk_conv_layer

VERIFY = Path(counting.__file__).parent








# --------------------------------------------------------------------------- 1. counting
@pytest.mark.parametrize(("args", "expected"), [
    (((5, 5), (3, 3), (1, 1), (0, 0)), ((3, 3), 81, 72)),
    (((32, 32), (5, 5), (2, 2), (2, 2)), ((16, 16), 16 * 16 * 25, 16 * 16 * 24)),
    (((7, 9), (3, 2), (2, 3), (1, 0), (2, 1)), ((3, 3), 9 * 6, 9 * 5)),
    (((2, 2), (3, 3), (1, 1), (0, 0)), ((0, 0), 0, 0)),
])
def test_walk_conv2d(args: tuple[Any, ...], expected: tuple[Any, ...]) -> None:
    assert walk_conv2d(*args) == expected


@pytest.mark.parametrize("seed", range(40))
def test_walk_agrees_with_numpy_sliding_windows(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = rng.integers(1, 12, 2), rng.integers(1, 4, 2)
    s, p, d = rng.integers(1, 4, 2), rng.integers(0, 3, 2), rng.integers(1, 3, 2)
    span = d * (k - 1) + 1
    padded = np.pad(np.zeros(tuple(n)), ((p[0], p[0]), (p[1], p[1])))
    if np.any(span > padded.shape):
        assert walk_conv2d(tuple(n), tuple(k), tuple(s), tuple(p), tuple(d))[0] == (0, 0)
        return
    windows = sliding_window_view(padded, tuple(span))[:: s[0], :: s[1]]
    shape, mults, adds = walk_conv2d(tuple(n), tuple(k), tuple(s), tuple(p), tuple(d))
    assert shape == windows.shape[:2]
    assert mults == windows.shape[0] * windows.shape[1] * k[0] * k[1]
    assert adds == mults - shape[0] * shape[1]
    cout, cin = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    (rows, cols, m), mults3, adds3 = walk_conv_layer((n[0], n[1], cin), tuple(k), cout, tuple(s),
                                                     tuple(p), tuple(d), bias=True)
    assert (rows, cols, m) == (*shape, cout)
    assert mults3 == mults * cin * cout and adds3 == mults3


def test_no_output_size_formula_in_the_references() -> None:
    # the walk and the multi-channel reference find sizes by sliding a window, not by ⌊·/s⌋
    assert "//" not in inspect.getsource(counting)
    assert "//" not in inspect.getsource(reference_nd._sizes)


def test_verify_imports_no_model() -> None:
    for path in VERIFY.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.startswith("derive.models") for n in names), path.name


# --------------------------------------------------------------------------- 2. conv_layer.sizes
LAYERS = [
    {"input": [32, 32, 3], "kernel": [5, 5], "out_channels": 8, "stride": 2, "padding": 2},
    {"input": [11, 9, 2], "kernel": [3, 2], "out_channels": 3, "dilation": 2, "padding": 1},
    {"input": [6, 7, 1], "kernel": [2, 3], "out_channels": 2, "stride": 3, "bias": False},
]


@pytest.mark.parametrize("given", LAYERS)
@pytest.mark.parametrize("report", ["shapes", "channels", "multiplications", "parameters"])
def test_sizes_checks_pass(given: dict[str, Any], report: str) -> None:
    assert _check("conv_layer.sizes", **given, report=report).passed


def test_sizes_parameters_without_bias_are_accepted() -> None:
    solution = _solve("conv_layer.sizes", input=[5, 5, 2], kernel=[3, 3], out_channels=4,
                      bias=False, report="parameters")
    assert solution.answer == {"without_bias": 72}                    # what the page shows
    assert solution.answer_latex.split(",")[0].endswith("= 72")       # the layer's own count
    assert solution.verify().passed


@pytest.mark.parametrize(("key", "broken", "report"), [
    ("size", "stride forgotten", "shapes"),
    ("with_bias", "bias dropped", "parameters"),
    ("multiplications", "input channels forgotten", "multiplications"),
    ("additions_bias", "bias addition forgotten", "multiplications"),
])
def test_sizes_refuse_broken_formulas(key: str, broken: str, report: str,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from derive.questions import conv_layer_sizes as LS

    wrong = {"size": LS.N + 2 * LS.P - LS.K + 1,
             "with_bias": LS.K1 * LS.K2 * LS.C_IN * LS.C_OUT,
             "multiplications": LS.H * LS.Wd * LS.C_OUT * LS.K1 * LS.K2,
             "additions_bias": LS.H * LS.Wd * LS.C_OUT * (LS.K1 * LS.K2 * LS.C_IN - 1)}[key]
    monkeypatch.setitem(LS.FORMULAS, key, wrong)
    assert not _check("conv_layer.sizes", **LAYERS[0], report=report).passed, broken


# --------------------------------------------------------------------------- 3. transposed
def _flipped(self: TransposedConv2D) -> sp.SparseMatrix:
    """A transposed matrix with the kernel read backwards: wrong unless the kernel is symmetric."""
    k = self.kernel_shape
    return conv_matrix(self.forward_conv()).T.applyfunc(
        lambda e: e.base[k[0] - 1 - e.indices[0] + 2 * self.base,
                         k[1] - 1 - e.indices[1] + 2 * self.base] if e != 0 else e)


TRANSPOSED = [{"input": [2, 2], "kernel": [2, 2], "stride": 2},
              {"input": [3, 3], "kernel": [3, 3], "stride": 2, "padding": 1},
              {"input": [2, 3], "kernel": [3, 2], "stride": 1, "padding": 1, "index_base": 1}]


@pytest.mark.parametrize("given", TRANSPOSED)
def test_transposed_matrix_is_checked_against_the_convolution_matrix(given: dict[str, Any]) -> None:
    """M = Aᵀ is a checked step: M scattered input pixel by input pixel, A gathered window by
    window (the adjoint identity between the two derived matrices); Aᵀ is also an answer,
    compared with numpy convolutions of unit images."""
    solution = _solve("conv2d.transposed", **given)
    assert solution.verify().passed
    assert solution.derivation is not None
    (step,) = [s for s in solution.derivation.steps if s.rule == "transpose"]
    assert step.check is not None and step.check.passed and step.answer == ("adjoint",)


def test_transposed_check_refuses_a_broken_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TransposedConv2D, "matrix", _flipped)
    check = _check("conv2d.transposed", **TRANSPOSED[1])
    assert not check.passed and "answer linear_map" in check.detail


def test_transposed_check_refuses_a_broken_convolution_matrix(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def flipped(layer: Any) -> sp.SparseMatrix:
        k = layer.kernel_shape
        return conv_matrix(layer).applyfunc(
            lambda e: e.base[k[0] - 1 - e.indices[0], k[1] - 1 - e.indices[1]] if e != 0 else e)

    monkeypatch.setattr(conv_linear, "conv_matrix", flipped)
    check = _check("conv2d.transposed", **TRANSPOSED[1])
    assert not check.passed and "answer adjoint" in check.detail


# 4. architecture: tests/test_architecture.py


# --------------------------------------------------------------------------- 5. conv2d.arrays
def test_limits_with_padding() -> None:
    solution = _solve("conv2d.arrays", x=[[1, 2, 3], [4, 5, 6], [7, 8, 9]],
                      w=[[1, 0], [0, -1]], padding=1, report="limits", index_base=0)
    assert solution.answer == {"k1": ["Max(0, 1 - i)", "Min(1, 3 - i)"],
                               "k2": ["Max(0, 1 - j)", "Min(1, 3 - j)"]}
    assert solution.verify().passed


def test_limits_refuse_broken_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Axis, "kernel_range", lambda self, out: (sp.Integer(self.b),
                                                                 sp.Integer(self.b + self.k - 1)))
    assert not _check("conv2d.arrays", x=[[1, 2], [3, 4]], w=[[1, 1], [1, 1]], padding=1,
                      report="limits").passed


@pytest.mark.parametrize(("x", "w", "report", "locations"), [
    ([[0.1, 0.2], [0.3, 0.4]], [[0.7]], "max", [[1, 1]]),
    ([[0.1, 0.2, 0.3], [0.3, 0.4, 0.7]], [[0.1, 0.2]], "min", [[0, 0]]),
    # 0.1 + 0.2 and 0.3 + 0.0 are both 3/10, but not in floating point
    ([[0.1, 0.3], [0.2, 0.0]], [[1], [1]], "max", [[0, 0], [0, 1]]),
])
def test_extremes_of_decimal_arrays_are_accepted(x: list[list[float]], w: list[list[float]],
                                                 report: str, locations: list[list[int]]) -> None:
    solution = _solve("conv2d.arrays", x=x, w=w, report=report, index_base=0)
    assert solution.answer["locations"] == locations
    assert solution.verify().passed


def test_extremes_refuse_a_wrong_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    original = conv_arrays.ArraysGiven.derive

    def off(self: Any) -> Any:           # the largest value read off wrong by 10⁻⁶
        d = original(self)
        (step,) = [s for s in d.steps if "value" in s.answer]
        step.rhs += sp.Rational(1, 10**6)
        return d

    monkeypatch.setattr(conv_arrays.ArraysGiven, "derive", off)
    check = _check("conv2d.arrays", x=[[0.4, 0.1], [0.3, 0.2]], w=[[0.7]], report="max")
    assert not check.passed and "answer value" in check.detail


# --------------------------------------------------------------------------- 6. sentences
LANGUAGES = ["en", "fr"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_shape_sentence_follows_stride_and_padding(language: str) -> None:
    text = _page("conv_layer.sizes", language, **LAYERS[0], report="shapes")
    assert r"\frac{32 + 2 \times 2 - 5}{2}}\right\rfloor + 1" in text
    assert "&= 16 " in text and r"$(16, 16, 8)$" in text
    assert "minus one" not in text and "moins un" not in text
    dilated = _page("conv_layer.sizes", language, **LAYERS[1], report="shapes")
    assert r"\frac{11 - 2 \times \left(3 - 1\right) + 2 \times 1 - 1}{1}" in dilated
    assert "d(K-1)" in dilated


@pytest.mark.parametrize("language", LANGUAGES)
def test_parameter_sentence_follows_the_bias(language: str) -> None:
    words = strings(language)["sentences"]
    text = _page("conv_layer.sizes", language, **LAYERS[2], report="parameters")
    def tail(case: str) -> str:               # after the last value put in
        return str(words["layer_params"][case]).rsplit("}$)", 1)[-1]
    assert tail("plain") in text and tail("bias") not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_conv2d_location_sentences_count_properly(language: str) -> None:
    words = strings(language)["sentences"]
    none = _page("conv2d.arrays", language, x=[[1, 2], [3, 4]], w=[[1]], report="zeros")
    assert "(s)" not in none and words["arrays_zeros"]["none"].split(":")[0] in none
    assert r"= \varnothing" in none
    one = _page("conv2d.arrays", language, x=[[1, 2], [3, 4]], w=[[1]], report="max")
    assert ("at a single location " if language == "en" else "qu'en une position ") in one
    two = _page("conv2d.arrays", language, x=[[4, 1], [4, 2]], w=[[1]], report="max")
    assert ("at each of these locations " if language == "en"
            else "en chacune de ces positions ") in two
    assert r"\left\{(1,1),\ (2,1)\right\}" in two                     # from 1, as by default


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("kind", "given"), [
    ("conv_layer.arrays", {"x": [[[1], [2]], [[3], [4]]], "w": [[[[1]]]]}),
])
def test_location_sentences_count_properly(language: str, kind: str,
                                           given: dict[str, Any]) -> None:
    none = _page(kind, language, **given, report="zeros")
    assert "(s)" not in none and not re.search(r"\\\[\s*\.\s*\\\]", none)
    assert strings(language)["sentences"]["layer_arrays_zeros"]["none"].split(":")[0] in none
    assert r"= \varnothing" in none
    one = _page(kind, language, **given, report="max")
    assert ("at a single location " if language == "en" else "qu'en une position ") in one
    two = _page(kind, language, x=[[[4], [1]], [[4], [2]]], w=[[[[1]]]], report="max")
    assert ("at each of these locations " if language == "en"
            else "en chacune de ces positions ") in two
    assert r"\left\{(1,1,1),\ (2,1,1)\right\}" in two                # from 1, as by default


@pytest.mark.parametrize("language", LANGUAGES)
def test_limit_sentence_follows_padding(language: str) -> None:
    text = _page("conv2d.arrays", language, x=[[1, 2, 3], [4, 5, 6], [7, 8, 9]],
                 w=[[1, 0], [0, -1]], padding=1, index_base=1, report="limits")
    assert r"$\max\left(1, 3 - i\right) \le k_1 \le \min\left(2, 5 - i\right)$" in text
    assert "{" + "b}" not in text and "{" + "p}" not in text
    words = strings(language)["sentences"]["arrays_limits"]
    assert words["padded"][:12] in text and words["valid"][:12] not in text


def _my_strings(language: str) -> list[str]:
    words = strings(language)
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, str):
            out.append(value)

    walk({k: v for k, v in words["sentences"].items()
          if k.startswith(("arrays_", "layer_arrays_", "conv_matrix_", "transposed_"))})
    return out


def test_french_high_punctuation_is_spaced() -> None:
    # babel-french turns the space before : ; ? ! into a non-breaking one
    for text in _my_strings("fr"):
        prose = re.sub(r"\$[^$]*\$", "", text)
        assert not re.search(r"[^\s~][:;?!]", prose), text
