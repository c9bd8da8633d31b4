"""Multi-channel convolution layer: exact counts, index formulas against independent numpy
references, finite differences and brute-force SymPy differentiation, and mutants."""

from __future__ import annotations

import doctest
import itertools
import math
from typing import Any

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from derive.models import conv_layer as CL
from derive.models.conv_layer import ConvLayer, unroll
from derive.models.symbols import sigmoid
from derive.verify import reference_nd as R
from derive.verify.evaluate import evaluate_grid
from derive.verify.fast_eval import evaluate_fast

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
DJDU, DJDZ = str(CL.dJdU), str(CL.dJdZ)


# ---------------------------------------------------------------------------------------
# Exact values.

COUNT_TABLE = [
    # input, kernel, C_out, stride, padding, dilation, bias,
    #   output shape, multiplications, additions, parameters
    ((48, 64, 10), (3, 3), 20, (1, 1), (0, 0), (1, 1), True,
     (46, 62, 20), 5_133_600, 5_133_600, 1820),
    ((48, 64, 10), (3, 3), 20, (1, 1), (0, 0), (1, 1), False,
     (46, 62, 20), 5_133_600, 5_076_560, 1800),
    ((48, 64, 10), (3, 3), 20, (1, 1), (1, 1), (1, 1), True,
     (48, 64, 20), 5_529_600, 5_529_600, 1820),
    ((48, 64, 10), (3, 3), 20, (2, 2), (1, 1), (1, 1), True,
     (24, 32, 20), 1_382_400, 1_382_400, 1820),
    ((48, 64, 10), (3, 3), 20, (1, 1), (0, 0), (2, 2), True,
     (44, 60, 20), 4_752_000, 4_752_000, 1820),
    ((32, 32, 3), (5, 5), 16, (1, 1), (0, 0), (1, 1), True,
     (28, 28, 16), 940_800, 940_800, 1216),
    ((5, 5, 1), (3, 3), 1, (1, 1), (0, 0), (1, 1), False, (3, 3, 1), 81, 72, 9),
    ((7, 8, 2), (3, 2), 3, (2, 3), (1, 2), (2, 2), True, (3, 4, 3), 432, 432, 39),
]


@pytest.mark.parametrize(("shape", "kernel", "cout", "stride", "padding", "dilation", "bias",
                          "out", "mults", "adds", "params"), COUNT_TABLE)
def test_exact_counts(shape: tuple[int, int, int], kernel: tuple[int, int], cout: int,
                      stride: tuple[int, int], padding: tuple[int, int],
                      dilation: tuple[int, int], bias: bool, out: tuple[int, int, int],
                      mults: int, adds: int, params: int) -> None:
    layer = ConvLayer(shape, kernel, cout, stride, padding, dilation, bias=bias)
    counts = layer.operation_counts()
    assert layer.output_shape == out
    assert layer.channels == (shape[2], cout)
    assert counts["mult_per_output"] == kernel[0] * kernel[1] * shape[2]
    assert counts["add_per_output"] == kernel[0] * kernel[1] * shape[2] - 1 + int(bias)
    assert counts["outputs"] == math.prod(out)
    assert (counts["mult"], counts["add"]) == (mults, adds)
    assert layer.parameter_count() == params
    assert layer.parameter_count(bias=True) - layer.parameter_count(bias=False) == cout
    z = R.conv2d_nd(np.zeros(shape), np.zeros(layer.weight_shape), None, stride, padding,
                    dilation)
    assert z.shape == out


def test_the_assignment_layer() -> None:
    layer = ConvLayer((48, 64, 10), (3, 3), 20)
    assert layer.output_shape == (46, 62, 20)
    assert layer.channels == (10, 20)
    assert layer.operation_counts()["mult"] == 46 * 62 * 20 * 90 == 5_133_600
    assert layer.parameter_count() == 3 * 3 * 10 * 20 + 20 == 1820
    assert layer.parameter_count(bias=False) == 1800


def test_counts_match_the_expanded_layer() -> None:
    """Every output of a valid layer is a sum of K1·K2·C_in products (+ bias)."""
    layer = ConvLayer((4, 5, 2), (2, 3), 2)
    counts = layer.operation_counts()
    for idx in itertools.product(*(range(1, s + 1) for s in layer.output_shape)):
        terms = sp.Add.make_args(unroll(layer.forward(), dict(zip((CL.i, CL.j, CL.m), idx,
                                                                   strict=True))))
        assert len(terms) == counts["mult_per_output"] + 1
        assert sum(isinstance(t, sp.Mul) for t in terms) == counts["mult_per_output"]


@pytest.mark.parametrize("kwargs", [
    {"input_shape": (2, 2, 1), "kernel_shape": (3, 3), "out_channels": 1},
    {"input_shape": (5, 5, 1), "kernel_shape": (3, 3), "out_channels": 1,
     "dilation": (3, 1)},
    {"input_shape": (5, 5, 1), "kernel_shape": (3, 3), "out_channels": 1,
     "activation": "tanh"},
    {"input_shape": (5, 5, 1), "kernel_shape": (3, 3), "out_channels": 1, "base": 2},
    {"input_shape": (5, 5, 1), "kernel_shape": (3, 3), "out_channels": 1, "stride": (0, 1)},
])
def test_invalid_layers(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ConvLayer(**kwargs)


def test_closed_forms() -> None:
    i, j, m, n, k1, k2 = CL.i, CL.j, CL.m, CL.n, CL.k1, CL.k2
    layer = ConvLayer((5, 5, 2), (3, 3), 4, bias=False)
    assert layer.forward() == sp.Sum(CL.W[k1, k2, n, m] * CL.X[i + k1 - 1, j + k2 - 1, n],
                                     (k1, 1, 3), (k2, 1, 3), (n, 1, 2))
    assert layer.grad_b() == sp.Sum(CL.dJdZ[i, j, m], (i, 1, 3), (j, 1, 3))
    assert layer.grad_W() == sp.Sum(CL.dJdZ[i, j, m] * CL.X[i + k1 - 1, j + k2 - 1, n],
                                    (i, 1, 3), (j, 1, 3))
    assert layer.grad_X() == sp.Sum(
        CL.W[k1, k2, n, m] * CL.dJdZ[i - k1 + 1, j - k2 + 1, m],
        (k1, sp.Max(1, i - 2), sp.Min(3, i)), (k2, sp.Max(1, j - 2), sp.Min(3, j)), (m, 1, 4))
    flipped = ConvLayer((5, 5, 2), (3, 3), 4, flip=True, base=0)
    assert flipped.forward() == CL.bias_[m] + sp.Sum(
        CL.W[2 - k1, 2 - k2, n, m] * CL.X[i + k1, j + k2, n], (k1, 0, 2), (k2, 0, 2), (n, 0, 1))
    relu = ConvLayer((5, 5, 1), (3, 3), 1, activation="relu")
    assert relu.grad_Z() == CL.dJdU[i, j, m] * CL.relu_prime(CL.Z[i, j, m])
    assert relu.activate() == sp.Max(0, CL.Z[i, j, m])
    sig = ConvLayer((5, 5, 1), (3, 3), 1, activation="sigmoid")
    assert sig.grad_Z() == CL.dJdU[i, j, m] * CL.sigmoid_prime(CL.U[i, j, m])
    assert ConvLayer((5, 5, 1), (3, 3), 1).grad_Z() == CL.dJdU[i, j, m]
    padded = ConvLayer((5, 5, 1), (3, 3), 1, padding=(1, 1))
    (total,) = padded.forward().atoms(sp.Sum)
    assert total.limits[0] == (k1, sp.Max(1, 3 - i), sp.Min(3, 7 - i))


def test_unroll_reads_reversed_limits_as_empty() -> None:
    k = CL.k1
    assert unroll(sp.Sum(CL.W[k], (k, 3, 1))) == 0  # Sum.doit would give −W[2]
    assert sp.Sum(CL.W[k], (k, 3, 1)).doit() == -CL.W[2]
    assert unroll(sp.Sum(CL.W[k], (k, 1, CL.i)), {CL.i: 2}) == CL.W[1] + CL.W[2]


def test_docstring_examples() -> None:
    for module in (CL, R):
        failed, attempted = doctest.testmod(module)
        assert attempted > 0 and failed == 0


# ---------------------------------------------------------------------------------------
# Random layers and the independent numpy reference.

@st.composite
def layers(draw: st.DrawFn, max_size: int = 4, max_channels: int = 3) -> ConvLayer:
    kernel, stride, padding, dilation, size = [], [], [], [], []
    for _ in range(2):
        k = draw(st.integers(1, 3))
        d = draw(st.integers(1, 3)) if k > 1 else 1
        p = draw(st.integers(0, 2))
        span = d * (k - 1) + 1
        kernel.append(k)
        dilation.append(d)
        padding.append(p)
        stride.append(draw(st.integers(1, 3)))
        size.append(max(1, span - 2 * p) + draw(st.integers(0, max_size)))
    return ConvLayer(
        (size[0], size[1], draw(st.integers(1, max_channels))), (kernel[0], kernel[1]),
        draw(st.integers(1, max_channels)), (stride[0], stride[1]), (padding[0], padding[1]),
        (dilation[0], dilation[1]), flip=draw(st.booleans()), bias=draw(st.booleans()),
        activation=draw(st.sampled_from(CL.ACTIVATIONS)), base=draw(st.sampled_from((0, 1))))


def _data(layer: ConvLayer, seed: int) -> dict[str, np.ndarray]:
    """Random X, W, b, ∂J/∂U and everything the numpy reference makes of them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=layer.input_shape)
    w = rng.normal(size=layer.weight_shape)
    b = rng.normal(size=layer.out_channels) if layer.bias else np.zeros(layer.out_channels)
    conf = (layer.stride, layer.padding, layer.dilation, layer.flip)
    z = R.conv2d_nd(x, w, b, *conf)
    du = rng.normal(size=z.shape)
    dz = R.activation_backward(du, z, layer.activation)
    dw, dx, db = R.conv2d_nd_backward(x, w, dz, *conf)
    return {"X": x, "W": w, "b": b, "Z": z, "U": R.activate(z, layer.activation),
            DJDU: du, DJDZ: dz, "ref_W": dw, "ref_X": dx, "ref_b": db}


def _evaluate(layer: ConvLayer, expr: sp.Expr, quantity: str, data: dict[str, np.ndarray],
              **kwargs: Any) -> np.ndarray:
    free, shape = layer.index_grid(quantity)
    return evaluate_fast(expr, free, shape, layer.base, data, **kwargs)


def _close(a: np.ndarray, b: np.ndarray) -> None:
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def _agrees(layer: ConvLayer, expr: sp.Expr, quantity: str, data: dict[str, np.ndarray],
            expected: np.ndarray) -> bool:
    """Whether a formula reproduces the reference (reading outside an array counts as no)."""
    try:
        got = _evaluate(layer, expr, quantity, data)
    except IndexError:
        return False
    return bool(np.allclose(got, expected, rtol=1e-10, atol=1e-10))


@SETTINGS
@given(layers(), st.integers(0, 2**32 - 1))
def test_formulas_match_numpy_reference(layer: ConvLayer, seed: int) -> None:
    data = _data(layer, seed)
    _close(_evaluate(layer, layer.forward(), "Z", data), data["Z"])
    _close(_evaluate(layer, layer.grad_Z(), "Z", data), data[DJDZ])
    _close(_evaluate(layer, layer.grad_W(), "W", data), data["ref_W"])
    _close(_evaluate(layer, layer.grad_X(), "X", data), data["ref_X"])
    _close(_evaluate(layer, layer.grad_b(), "b", data), data["ref_b"])
    # the same through ∂J/∂U and the activation's derivative, with no ∂J/∂Z given
    upstream = {k: v for k, v in data.items() if k != DJDZ}
    _close(_evaluate(layer, layer.grad_W(chain=True), "W", upstream), data["ref_W"])
    _close(_evaluate(layer, layer.grad_X(chain=True), "X", upstream), data["ref_X"])
    _close(_evaluate(layer, layer.grad_b(chain=True), "b", upstream), data["ref_b"])


@SETTINGS
@given(layers())
def test_no_conditionals_inside_sums(layer: ConvLayer) -> None:
    exprs = [layer.forward(), layer.grad_b(), *(
        f(chain) for f in (layer.grad_W, layer.grad_X) for chain in (False, True))]
    for expr in exprs:
        sums = expr.atoms(sp.Sum)
        assert sums
        for total in sums:
            assert not total.function.has(sp.Piecewise, sp.KroneckerDelta, sp.Heaviside)
            assert not any(part.has(sp.Piecewise) for limit in total.limits for part in limit)
    if math.gcd(layer.stride[0], layer.dilation[0]) == 1 and math.gcd(
            layer.stride[1], layer.dilation[1]) == 1:
        assert not layer.grad_X().has(sp.Piecewise)


@settings(max_examples=15, deadline=None)
@given(layers(max_size=2, max_channels=2), st.integers(0, 2**32 - 1))
def test_formulas_match_finite_differences(layer: ConvLayer, seed: int) -> None:
    data = _data(layer, seed)
    if layer.activation == "relu":
        assume(np.min(np.abs(data["Z"])) > 1e-3)  # no kink within the difference step
    g, conf = data[DJDU], (layer.stride, layer.padding, layer.dilation, layer.flip)
    x, w, b, act = data["X"], data["W"], data["b"], layer.activation
    upstream = {k: v for k, v in data.items() if k != DJDZ}
    fd = {
        "W": R.finite_difference(lambda v: R.layer_loss(x, v, b, g, act, *conf), w),
        "X": R.finite_difference(lambda v: R.layer_loss(v, w, b, g, act, *conf), x),
        "b": R.finite_difference(lambda v: R.layer_loss(x, w, v, g, act, *conf), b),
    }
    formulas = {"W": layer.grad_W(chain=True), "X": layer.grad_X(chain=True),
                "b": layer.grad_b(chain=True)}
    for quantity, expr in formulas.items():
        if quantity == "b" and not layer.bias:
            continue
        np.testing.assert_allclose(_evaluate(layer, expr, quantity, upstream), fd[quantity],
                                   rtol=1e-6, atol=1e-6)


@settings(max_examples=10, deadline=None)
@given(layers(max_size=2, max_channels=2), st.integers(0, 2**32 - 1))
# stride 3, dilation 2: a formula holding -3*Mod(j, 2) was misread by lambdify (SymPy #30389)
@example(ConvLayer((1, 2, 1), (1, 2), 1, (1, 3), (0, 2), (1, 2), base=0, bias=False), 0)
def test_fast_evaluator_matches_entrywise_evaluator(layer: ConvLayer, seed: int) -> None:
    """evaluate_fast against derive.verify.evaluate.evaluate_grid (one entry at a time),
    and with a budget so small that every Σ is a Python loop."""
    data = _data(layer, seed)
    for expr, quantity in ((layer.forward(), "Z"), (layer.grad_W(), "W"),
                           (layer.grad_X(), "X"), (layer.grad_Z(), "Z")):
        free, shape = layer.index_grid(quantity)
        fast = evaluate_fast(expr, free, shape, layer.base, data)
        _close(fast, evaluate_grid(expr, free, shape, layer.base, data))
        _close(fast, evaluate_fast(expr, free, shape, layer.base, data, budget=1))


# ---------------------------------------------------------------------------------------
# Brute force: expand the layer in SymPy and differentiate it.

BRUTE_LAYERS = [
    ConvLayer((3, 3, 2), (2, 2), 2),
    ConvLayer((3, 4, 2), (2, 2), 2, padding=(1, 1), flip=True, activation="relu", base=0),
    ConvLayer((5, 5, 1), (2, 2), 2, stride=(2, 2), padding=(1, 0), dilation=(2, 2),
              activation="sigmoid"),
    ConvLayer((6, 5, 1), (2, 2), 1, stride=(2, 3), padding=(1, 1), dilation=(3, 2),
              flip=True, activation="relu"),
    ConvLayer((5, 6, 2), (2, 2), 1, stride=(1, 3), padding=(2, 0), dilation=(2, 1),
              activation="sigmoid", base=0),
]


def _expanded(layer: ConvLayer) -> tuple[dict[tuple[int, ...], sp.Expr], sp.Expr]:
    """Z (by index) and J = Σ G·act(Z), written out from the definition."""
    base, (s1, s2), (p1, p2), (d1, d2) = layer.base, layer.stride, layer.padding, layer.dilation
    kk1, kk2, cin, _ = layer.weight_shape
    h, w_, _ = layer.input_shape
    weights = np.empty(layer.weight_shape, dtype=object)
    for idx in np.ndindex(*layer.weight_shape):
        weights[idx] = CL.W[tuple(v + base for v in idx)]
    if layer.flip:
        weights = weights[::-1, ::-1]
    padded = np.zeros((h + 2 * p1, w_ + 2 * p2, cin), dtype=object)
    for a, b, n in np.ndindex(*layer.input_shape):
        padded[a + p1, b + p2, n] = CL.X[a + base, b + base, n + base]
    g, z, loss = sp.IndexedBase("G"), {}, sp.Integer(0)
    act = {"identity": lambda v: v, "relu": lambda v: sp.Max(0, v), "sigmoid": sigmoid}
    for row, col, mm in np.ndindex(*layer.output_shape):
        total = sum(weights[a, b, n, mm] * padded[row * s1 + a * d1, col * s2 + b * d2, n]
                    for a in range(kk1) for b in range(kk2) for n in range(cin))
        if layer.bias:
            total += CL.bias_[mm + base]
        key = (row + base, col + base, mm + base)
        z[key] = sp.sympify(total)
        loss += g[key] * act[layer.activation](z[key])
    return z, loss


@pytest.mark.parametrize("layer", BRUTE_LAYERS, ids=range(len(BRUTE_LAYERS)))
def test_formulas_equal_brute_force_differentiation(layer: ConvLayer) -> None:
    z, loss = _expanded(layer)
    g = sp.IndexedBase("G")
    u = {key: {"identity": v, "relu": sp.Max(0, v), "sigmoid": sigmoid(v)}[layer.activation]
         for key, v in z.items()}

    def concrete(expr: sp.Expr) -> sp.Expr:
        expr = expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == CL.dJdU,
                            lambda e: g[e.indices])
        expr = expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base in (CL.Z, CL.U),
                            lambda e: (z if e.base == CL.Z else u)[tuple(map(int, e.indices))])
        return expr.replace(CL.relu_prime, sp.Heaviside)

    base = layer.base
    wrt = {"W": lambda idx: CL.W[idx], "X": lambda idx: CL.X[idx],
           "b": lambda idx: CL.bias_[idx]}
    formulas = {"W": layer.grad_W(chain=True), "X": layer.grad_X(chain=True),
                "b": layer.grad_b(chain=True)}
    checked = 0
    for quantity, formula in formulas.items():
        if quantity == "b" and not layer.bias:
            continue
        free, shape = layer.index_grid(quantity)
        for idx in np.ndindex(*shape):
            at = tuple(v + base for v in idx)
            mine = concrete(unroll(formula, dict(zip(free, at, strict=True))))
            brute = sp.diff(loss, wrt[quantity](at))
            assert sp.expand(mine - brute) == 0, (quantity, at, mine, brute)
            checked += 1
    assert checked == math.prod(layer.weight_shape) + math.prod(layer.input_shape) + (
        layer.out_channels if layer.bias else 0)


@pytest.mark.parametrize("layer", BRUTE_LAYERS[:2], ids=range(2))
def test_forward_equals_expanded_layer(layer: ConvLayer) -> None:
    z, _ = _expanded(layer)
    for key, value in z.items():
        assert sp.expand(unroll(layer.forward(), dict(zip((CL.i, CL.j, CL.m), key,
                                                           strict=True))) - value) == 0


# ---------------------------------------------------------------------------------------
# Deliberately broken formulas must fail the same comparisons.

def _shift_limit(expr: sp.Expr, var: sp.Symbol, lower: int = 0, upper: int = 0) -> sp.Expr:
    def shifted(total: sp.Sum) -> sp.Sum:
        limits = [(v, lo + lower, hi + upper) if v == var else (v, lo, hi)
                  for v, lo, hi in total.limits]
        return sp.Sum(total.function, *limits)
    return expr.replace(lambda e: isinstance(e, sp.Sum), shifted)


MUTANT_LAYER = ConvLayer((7, 6, 2), (3, 2), 3, stride=(2, 1), padding=(1, 1),
                         activation="relu")


@pytest.mark.parametrize(("quantity", "mutate", "broken"), [
    ("X", lambda e: _shift_limit(e, CL.r, upper=-1), True),   # one output row too few
    ("X", lambda e: _shift_limit(e, CL.r, upper=1), True),    # one output row too many
    ("X", lambda e: _shift_limit(e, CL.k2, lower=1), True),   # first column tap dropped
    ("W", lambda e: _shift_limit(e, CL.i, lower=-1), True),   # a padded row read as real
    ("W", lambda e: _shift_limit(e, CL.j, upper=-1), True),   # last output column dropped
    ("W", lambda e: e.xreplace({CL.n: CL.m}), True),          # channels mixed up
    ("Z", lambda e: _shift_limit(e, CL.n, upper=-1), True),   # last input channel dropped
    ("Z", lambda e: e, False),                                # unchanged: the control
], ids=["X-hi-1", "X-hi+1", "X-lo+1", "W-lo-1", "W-hi-1", "W-channel", "Z-channel",
        "control"])
def test_broken_formula_fails(quantity: str, mutate: Any, broken: bool) -> None:
    layer = MUTANT_LAYER
    data = _data(layer, 7)
    reference = {"Z": data["Z"], "W": data["ref_W"], "X": data["ref_X"]}[quantity]
    formula = {"Z": layer.forward(), "W": layer.grad_W(), "X": layer.grad_X()}[quantity]
    mutant = mutate(formula)
    assert (mutant != formula) == broken
    assert _agrees(layer, formula, quantity, data, reference)
    assert _agrees(layer, mutant, quantity, data, reference) != broken


def test_unflipped_kernel_fails_against_flipped_reference() -> None:
    flipped = ConvLayer((6, 6, 2), (3, 3), 2, flip=True)
    plain = ConvLayer((6, 6, 2), (3, 3), 2)
    data = _data(flipped, 3)
    assert _agrees(flipped, flipped.forward(), "Z", data, data["Z"])
    assert not _agrees(flipped, plain.forward(), "Z", data, data["Z"])
    assert not _agrees(flipped, plain.grad_X(), "X", data, data["ref_X"])


def test_lattice_limits_matter() -> None:
    """Stride 2, dilation 2: breaking the lattice Σ's limit or dropping its condition fails."""
    layer = ConvLayer((9, 8, 1), (3, 2), 2, stride=(2, 2), padding=(1, 1), dilation=(2, 2))
    data = _data(layer, 5)
    formula = layer.grad_X()
    assert isinstance(formula, sp.Piecewise)
    assert _agrees(layer, formula, "X", data, data["ref_X"])
    assert not _agrees(layer, _shift_limit(formula, CL.q1, upper=-1), "X", data, data["ref_X"])
    assert not _agrees(layer, formula.args[0][0], "X", data, data["ref_X"])


# ---------------------------------------------------------------------------------------
# Realistic size.

@pytest.mark.parametrize("kwargs", [{}, {"padding": (1, 1), "activation": "relu"},
                                    {"stride": (2, 2), "padding": (1, 1), "dilation": (2, 2),
                                     "flip": True, "activation": "sigmoid"}])
def test_realistic_size(kwargs: dict[str, Any]) -> None:
    layer = ConvLayer((48, 64, 10), (3, 3), 20, **kwargs)
    data = _data(layer, 0)
    _close(_evaluate(layer, layer.forward(), "Z", data), data["Z"])
    _close(_evaluate(layer, layer.grad_W(chain=True), "W", data), data["ref_W"])
    _close(_evaluate(layer, layer.grad_X(chain=True), "X", data), data["ref_X"])
    _close(_evaluate(layer, layer.grad_b(), "b", data), data["ref_b"])


# ---------------------------------------------------------------------------------------
# The page of conv_layer.sizes: every symbol named, only what is asked, in the page's language.

HW8 = {"input": [48, 64, 10], "kernel": [3, 3], "out_channels": 20, "activation": "relu"}


def _sizes_page(language: str, **given: Any) -> str:
    from helpers import page

    return page("conv_layer.sizes", language, **{**HW8, **given})


def test_sizes_name_the_output_size_apart_from_the_kernel() -> None:
    text = _sizes_page("en", report="multiplications")
    sentence, product = text.split(r"\begin{align*}")[-2:]
    for name in ("H'", "W'", "$K_1$ rows", "$K_2$ columns", "$C = 10$", "$C' = 20$", "$M$"):
        assert name in sentence                                # named before it is used
    assert r"\text{" not in sentence + product                   # no English word as subscript
    # counted as a reader counts: positions, output channels, then taps and input channels
    assert "M &= H' W' C' K_{1} K_{2} C" in product
    assert r"46 \times 62 \times 20 \times 3 \times 3 \times 10" in product


def test_sizes_show_only_what_is_asked() -> None:
    from helpers import solve

    mults = solve("conv_layer.sizes", **HW8, report="multiplications")
    assert mults.verify().passed
    page = _sizes_page("en", report="multiplications")
    assert "addition" not in page.split("not a multiplication")[-1]
    assert page.count(r"\answermark") == 1
    params = _sizes_page("en", report="parameters")
    assert "1800" not in params and "1820" in params
    assert params.count(r"\answermark") == 1
    solved = solve("conv_layer.sizes", **HW8, report="parameters")
    assert solved.answer == {"with_bias": 1820}                 # what is shown is what is given
    assert solved.derivation is not None and solved.derivation.answers()[
        "without_bias"].rhs == 1800                             # the other count, still checked


def test_sizes_state_the_shapes_in_a_concluding_sentence() -> None:
    text = _sizes_page("en", report="shapes")
    # a sentence of its own (not "so …" after a display), the shape a tuple as the stem's
    assert r"\answerhere Hence $Z$ and $U$ both have shape $(46, 62, 20)$" in text
    assert "One output channel per filter" in text
    assert "input size" not in text and "size $N$" in text        # N, not the channel n
    fr = _sizes_page("fr", report="shapes")
    assert "Donc $Z$ et $U$ ont tous deux la forme $(46, 62, 20)$" in fr
    other = _sizes_page("en", report="shapes", input=[9, 9, 2], stride=2, padding=1,
                        activation="identity")
    assert "shape $(5, 5, 20)$, and so has $U = Z$" in other


@pytest.mark.parametrize("report", ["shapes", "channels", "multiplications", "parameters"])
def test_sizes_french_page_has_no_english_word(report: str) -> None:
    text = _sizes_page("fr", report=report)
    for word in ("parameters", "without bias", "with a bias", "multiplications ="):
        assert word not in text


def test_sizes_check_method_says_what_each_report_compares() -> None:
    from helpers import check

    methods = {r: check("conv_layer.sizes", **HW8, report=r).method
               for r in ("shapes", "channels", "multiplications", "parameters")}
    words = __import__("derive.latex.environment", fromlist=["strings"]).strings("en")
    assert "gradient" not in words["checks"][methods["shapes"]]
    assert "padded" not in words["checks"][methods["multiplications"]]
    assert "gradient arrays" in words["checks"][methods["parameters"]]
    padded = check("conv_layer.sizes", **HW8, padding=1, report="multiplications").method
    assert "zero-padded" in words["checks"][padded]


# --- the page of conv_layer.grad: the given factor first, a tap kept only when it can miss --
SIGMOID = {"input": [6, 7, 2], "kernel": [3, 3], "out_channels": 3, "activation": "sigmoid"}


def _grad_page(language: str, **given: Any) -> str:
    from helpers import page

    return page("conv_layer.grad", language, **{**SIGMOID, **given})


def test_the_upstream_factor_comes_first() -> None:
    from helpers import solve

    from derive.latex.printer import tex

    solution = solve("conv_layer.grad", **SIGMOID, wrt="Z")
    assert solution.verify().passed and solution.derivation is not None
    answer = tex(solution.derivation.answers()["grad"].rhs)
    # ∂J/∂U · U(1 − U), not U ∂J/∂U (1 − U)
    assert answer.startswith(r"\frac{\partial J}{\partial U_{i,j,m}} {U}_{i,j,m}\left(1 - ")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_only_padding_keeps_some_outputs_off_a_tap(language: str) -> None:
    from derive.latex.environment import strings

    words = strings(language)["sentences"]["layer_grad_W"]
    valid = _grad_page(language, wrt="W")
    padded = _grad_page(language, wrt="W", padding=1)
    assert words["valid"].split("$")[2] in valid and words["padded"].split(";")[1] not in valid
    assert words["padded"].split(";")[1] in padded
    chained = strings(language)["sentences"]["layer_chained"]
    assert chained[0].isupper() and chained in valid          # a sentence, not "and in …"
