"""The one-channel convolution model: exact values, and index formulas vs brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.models import conv as C
from derive.models.conv import Conv2D, output_size
from derive.verify import reference as ref
from derive.verify.evaluate import evaluate_grid


@pytest.mark.parametrize(("n", "k", "s", "p", "d", "expected"), [
    (5, 3, 1, 0, 1, 3), (5, 3, 1, 2, 1, 7), (5, 3, 2, 0, 1, 2), (3, 3, 2, 1, 1, 2),
    (48, 3, 1, 0, 1, 46), (64, 3, 1, 0, 1, 62), (386, 3, 1, 0, 1, 384), (32, 3, 1, 1, 1, 32),
    (7, 3, 1, 0, 2, 3), (4, 4, 3, 0, 1, 1),
])
def test_output_size_table(n: int, k: int, s: int, p: int, d: int, expected: int) -> None:
    assert output_size(n, k, s, p, d) == expected


def test_kernel_larger_than_padded_input_is_refused() -> None:
    with pytest.raises(ValueError, match="larger than the padded input"):
        output_size(2, 5, 1, 1)


def test_forward_formula_of_the_assignment() -> None:
    layer = Conv2D((5, 5), (3, 3))
    assert layer.output_shape == (3, 3)
    assert layer.forward() == sp.Sum(C.w[C.k, C.l] * C.x[C.i + C.k - 1, C.j + C.l - 1],
                                     (C.k, 1, 3), (C.l, 1, 3))
    assert layer.forward_at(1, 1) == sum(C.w[a, b] * C.x[a, b]
                                         for a in range(1, 4) for b in range(1, 4))


def test_operation_counts() -> None:
    assert Conv2D((5, 5), (3, 3)).operation_counts() == {
        "mult_per_output": 9, "add_per_output": 8, "outputs": 9, "mult": 81, "add": 72}
    assert Conv2D((5, 5), (3, 3)).operation_counts(bias=True)["add"] == 81


def test_gradient_limits_are_real_limits_without_piecewise() -> None:
    grad = Conv2D((5, 5), (3, 3)).grad_input()
    assert grad.limits[0] == (C.k, sp.Max(1, C.i - 2), sp.Min(3, C.i))
    for formula in (grad, Conv2D((5, 5), (3, 3)).grad_weights()):
        assert not formula.has(sp.Piecewise, sp.KroneckerDelta)


def _brute_force(layer: Conv2D, wrt: str) -> dict[tuple[int, int], sp.Expr]:
    """Expand every output pixel, differentiate L = Σ ∂L/∂y_ij · y_ij by SymPy."""
    b = layer.base
    rows, cols = layer.output_shape
    n, m = layer.input_shape
    kr, kc = layer.kernel_shape
    xs = {(a, c): sp.Symbol(f"x_{a}_{c}") for a in range(b, b + n) for c in range(b, b + m)}
    ws = {(a, c): sp.Symbol(f"w_{a}_{c}") for a in range(b, b + kr) for c in range(b, b + kc)}
    pad_r, pad_c = layer.padding
    sr, sc = layer.stride
    loss = sp.Integer(0)
    for r, c in itertools.product(range(b, b + rows), range(b, b + cols)):
        pixel = sum(ws[(k, l)] * xs.get((sr * (r - b) + k - pad_r, sc * (c - b) + l - pad_c), 0)
                    for k, l in ws)
        loss += C.dLdy[r, c] * pixel
    target = xs if wrt == "x" else ws
    return {idx: sp.diff(loss, sym).subs({**{v: C.x[k] for k, v in xs.items()},
                                          **{v: C.w[k] for k, v in ws.items()}})
            for idx, sym in target.items()}


LAYERS = [
    Conv2D((5, 5), (3, 3)),
    Conv2D((4, 5), (2, 3), (1, 1), (1, 0), 0),
    Conv2D((5, 4), (3, 2), (2, 1), (0, 1), 1),
    Conv2D((3, 3), (3, 3), (2, 2), (1, 1), 0),
    Conv2D((6, 5), (2, 2), (3, 2), (2, 1), 1),
]


@pytest.mark.parametrize("layer", LAYERS, ids=str)
def test_index_formulas_equal_brute_force_differentiation(layer: Conv2D) -> None:
    for wrt, formula, (a, c) in (("x", layer.grad_input(), (C.i, C.j)),
                                 ("w", layer.grad_weights(), (C.k, C.l))):
        for idx, expected in _brute_force(layer, wrt).items():
            derived = formula.subs({a: idx[0], c: idx[1]}).doit()
            assert sp.expand(derived - expected) == 0, (wrt, idx, derived, expected)


def test_a_wrong_limit_is_caught_by_brute_force() -> None:
    layer = Conv2D((5, 5), (3, 3))
    right = layer.grad_input()
    (k, lo, hi), rest = right.limits[0], right.limits[1:]
    wrong = sp.Sum(right.function, (k, lo, hi + 1), *rest)
    expected = _brute_force(layer, "x")[(3, 3)]
    assert sp.expand(right.subs({C.i: 3, C.j: 3}).doit() - expected) == 0
    assert sp.expand(wrong.subs({C.i: 3, C.j: 3}).doit() - expected) != 0


@st.composite
def layers(draw: st.DrawFn) -> Conv2D:
    kr, kc = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    pr, pc = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    n = draw(st.integers(max(1, kr - 2 * pr), 7))
    m = draw(st.integers(max(1, kc - 2 * pc), 7))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    return Conv2D((n, m), (kr, kc), stride, (pr, pc), draw(st.sampled_from([0, 1])))


@settings(max_examples=40, deadline=None)
@given(layer=layers(), seed=st.integers(0, 2**16))
def test_formulas_agree_with_numpy_reference(layer: Conv2D, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=layer.input_shape), rng.normal(size=layer.kernel_shape)
    b = layer.base
    reference = ref.conv2d(x, w, layer.stride, layer.padding)
    assert reference.shape == layer.output_shape
    forward = evaluate_grid(layer.forward(), (C.i, C.j), layer.output_shape, b,
                            {"x": x, "w": w})
    np.testing.assert_allclose(forward, reference, atol=1e-12)
    g = rng.normal(size=layer.output_shape)     # ∂L/∂y for L = Σ g ⊙ y

    def loss_x(v: np.ndarray) -> float:
        return float(np.sum(g * ref.conv2d(v, w, layer.stride, layer.padding)))

    def loss_w(v: np.ndarray) -> float:
        return float(np.sum(g * ref.conv2d(x, v, layer.stride, layer.padding)))

    values = {"x": x, "w": w, "dL_dy": g}
    grad_x = evaluate_grid(layer.grad_input(), (C.i, C.j), layer.input_shape, b, values)
    grad_w = evaluate_grid(layer.grad_weights(), (C.k, C.l), layer.kernel_shape, b, values)
    np.testing.assert_allclose(grad_x, ref.finite_difference(loss_x, x), atol=1e-6)
    np.testing.assert_allclose(grad_w, ref.finite_difference(loss_w, w), atol=1e-6)


@pytest.mark.parametrize("name", ["conv2d.forward", "conv2d.grad_input", "conv2d.grad_weights"])
def test_one_channel_kinds_verify_at_realistic_size(name: str) -> None:
    """386×386, the input size of seed 003: checked on every entry, with sampled FD."""
    from derive.questions import KINDS

    given = KINDS[name].given.model_validate({"input": [386, 386], "kernel": [3, 3],
                                              "padding": 1})
    check = KINDS[name].solve(given).verify()
    assert check.passed, check
    assert check.samples >= 9


@pytest.mark.parametrize("layer", [*LAYERS, Conv2D((3, 3), (3, 3), (2, 2), (1, 1), 0)], ids=str)
def test_conv_matrix_is_the_jacobian_of_the_written_out_layer(layer: Conv2D) -> None:
    from derive.models.conv_matrix import conv_matrix, vec

    b = layer.base
    rows, cols = layer.output_shape
    outputs = sp.Matrix([layer.forward_at(r + b, c + b) for r in range(rows) for c in range(cols)])
    assert conv_matrix(layer) == outputs.jacobian(vec(layer.input_shape, b))


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding"),
                         [((2, 2), (2, 2), 2, 0), ((2, 3), (3, 2), 2, 1), ((3, 2), (2, 2), 1, 0)])
def test_transposed_convolution_scatters_each_input_pixel(
        shape: tuple[int, int], kernel: tuple[int, int], stride: int, padding: int) -> None:
    from derive.models.conv_matrix import TransposedConv2D

    layer = TransposedConv2D(shape, kernel, (stride, stride), (padding, padding), 0)
    full = sp.zeros((shape[0] - 1) * stride + kernel[0], (shape[1] - 1) * stride + kernel[1])
    for r, c in itertools.product(range(shape[0]), range(shape[1])):
        for a, q in itertools.product(range(kernel[0]), range(kernel[1])):
            full[r * stride + a, c * stride + q] += C.x[r, c] * C.w[a, q]
    cropped = full[padding: full.rows - padding, padding: full.cols - padding]
    assert layer.output() == cropped
    assert layer.output_shape == cropped.shape


# --- the answers of the gradient kinds are in the quantities the question gives --------------
@pytest.mark.parametrize(("name", "key", "given"), [
    ("conv2d.grad_input", "grad_x", {"input": [5, 5], "kernel": [3, 3]}),
    ("conv2d.grad_input", "grad_x", {"input": [6, 6], "kernel": [3, 2], "stride": 2}),
    ("conv2d.grad_weights", "grad_w", {"input": [5, 5], "kernel": [3, 3]}),
    ("conv2d.grad_weights", "grad_w", {"input": [5, 6], "kernel": [2, 2], "padding": 1}),
])
def test_through_a_relu_the_answer_is_in_the_given_upstream(name: str, key: str,
                                                            given: dict[str, object]) -> None:
    from helpers import page, solve

    solution = solve(name, **given, activation="relu")
    assert solution.verify().passed and solution.derivation is not None
    answer = solution.derivation.answers()[key]
    assert answer.rule == "substitute"                      # ∂L/∂y = ∂L/∂z · 𝟙[y > 0] put in
    uses = {e.base for e in answer.rhs.atoms(sp.Indexed)}
    assert C.dLdz in uses and C.dLdy not in uses
    plain = solve(name, **given).derivation               # no activation: nothing to put in
    assert plain is not None and plain.answers()[key].rule != "substitute"
    if name == "conv2d.grad_weights":                    # ∂L/∂y_{i,j} said in its sentence
        text = page(name, "en", **given, activation="relu")
        assert r"\partial L/\partial y_{i,j} = \partial L/\partial z_{i,j}" in text


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_forward_part_writes_the_relu_the_question_names(language: str) -> None:
    from helpers import page

    from derive.latex.environment import strings

    words = strings(language)["sentences"]["conv_forward_relu"]
    text = page("conv2d.forward", language, input=[5, 5], kernel=[3, 3], activation="relu")
    assert words in text and r"{z}_{i,j} &= \max\left(0, {y}_{i,j}\right)" in text
    assert words not in page("conv2d.forward", language, input=[4, 6], kernel=[2, 3])
