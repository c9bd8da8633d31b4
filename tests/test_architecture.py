"""CNN architecture calculator: assignment tables worked by hand, then checked by running.

Every expected number below is derived in the comments from
    n_out = ⌊(n_in + 2p − d(k − 1) − 1)/s⌋ + 1,   r_out = r_in + (k − 1)·d·j_in,   j_out = j_in·s,
and cross-checked against `derive.verify.architecture_reference`, which builds the network
with numpy weights, runs it and finds receptive fields by switching on one pixel at a time.
"""

from __future__ import annotations

import doctest
import inspect
import itertools
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from helpers import check, page, solve
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.latex.environment import strings
from derive.latex.printer import tex
from derive.models import architecture
from derive.models.architecture import (
    Activation,
    AvgPool,
    Conv,
    Dense,
    Flatten,
    GlobalAvgPool,
    Layer,
    MaxPool,
    Row,
    accepts_variable_input,
    analyse,
    minimum_input_size,
    totals,
)
from derive.questions.architecture import Architecture, as_data
from derive.verify import architecture_reference
from derive.verify.architecture_reference import (
    Network,
    depends_on,
    fields_and_jumps,
    max_receptive_fields,
    measure,
    receptive_windows,
    runs_on,
    smallest_length,
)


def _agrees_with_reference(input_shape: tuple[int, int, int], layers: Sequence[Layer],
                           rows: list[Row]) -> None:
    """Shapes, parameter counts and multiplications equal those of a real forward pass."""
    measured = measure(input_shape, as_data(layers))
    assert [r.output_shape for r in rows] == [m.output_shape for m in measured]
    assert [r.params for r in rows] == [m.params for m in measured]
    assert [r.params_with_bias for r in rows] == [m.params_with_bias for m in measured]
    assert [r.mults for r in rows] == [m.mults for m in measured]


def _paddings(layer: Layer) -> tuple[int, int]:
    if isinstance(layer, Conv | MaxPool | AvgPool):
        return layer.paddings
    return 0, 0


def _check_windows(input_shape: tuple[int, int, int], layers: Sequence[Layer],
                   rows: list[Row]) -> int:
    """Compare every output position's brute-force dependency window with the model's r, j.

    Output position i along an axis sees input pixels [a + i·j, a + i·j + r − 1], where the
    offset a starts at 0 and drops by p·j_in at each padded layer. When that interval lies
    inside the input along both axes, the brute-force first and last pixels must be exactly
    its ends; otherwise the pixels found must lie inside its part within the input (or be
    none at all). Returns the number of positions checked exactly.
    """
    windows = receptive_windows(input_shape, as_data(layers))
    offset, jump_in, exact = [0, 0], (1, 1), 0
    for layer, row, win in zip(layers, rows, windows, strict=True):
        if row.receptive_field is None or row.jump is None:
            assert win is None
            continue
        assert win is not None
        pad = _paddings(layer)
        offset = [offset[a] - pad[a] * jump_in[a] for a in (0, 1)]
        jump_in = row.jump
        for idx in np.ndindex(*win.shape[:2]):
            lo = [offset[a] + idx[a] * row.jump[a] for a in (0, 1)]
            hi = [lo[a] + row.receptive_field[a] - 1 for a in (0, 1)]
            found = [(int(win[idx][a][0]), int(win[idx][a][1])) for a in (0, 1)]
            if all(lo[a] >= 0 and hi[a] <= input_shape[a] - 1 for a in (0, 1)):
                assert found == list(zip(lo, hi, strict=True)), (row.label, idx)
                exact += 1
                continue
            for a in (0, 1):  # a window partly or wholly in the padding
                first, last = found[a]
                if first == -1:
                    assert last == -1
                else:
                    assert max(lo[a], 0) <= first <= last <= min(hi[a], input_shape[a] - 1)
    return exact


def test_docstring_examples() -> None:
    for module in (architecture, architecture_reference):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0


# --------------------------------------------------------------------------- (a)
NET_A: list[Layer] = [Conv(2, 2), Conv(3, 4, stride=2), MaxPool(2, stride=1)]


def test_assignment_a_table() -> None:
    # 8×8×3 → conv 2@2×2, s 1: (8 − 2)/1 + 1 = 7 → 7×7×2; weights 2·2·3·2 = 24, +2 biases = 26
    #   mults 7·7·2 · 2·2·3 = 98·12 = 1176;  r = 1 + 1·1 = 2, j = 1
    # → conv 4@3×3, s 2: ⌊(7 − 3)/2⌋ + 1 = 3 → 3×3×4; weights 3·3·2·4 = 72, +4 = 76
    #   mults 3·3·4 · 3·3·2 = 36·18 = 648;  r = 2 + 2·1 = 4, j = 1·2 = 2
    # → max pool 2×2, s 1: (3 − 2)/1 + 1 = 2 → 2×2×4; no weights; r = 4 + 1·2 = 6, j = 2
    rows = analyse((8, 8, 3), NET_A)
    assert [r.output_shape for r in rows] == [(7, 7, 2), (3, 3, 4), (2, 2, 4)]
    assert [r.params for r in rows] == [24, 72, 0]
    assert [r.params_with_bias for r in rows] == [26, 76, 0]
    assert [r.mults for r in rows] == [1176, 648, 0]
    assert [r.receptive_field for r in rows] == [(2, 2), (4, 4), (6, 6)]
    assert [r.jump for r in rows] == [(1, 1), (2, 2), (2, 2)]
    assert totals(rows) == architecture.Totals(96, 102, 1824)
    _agrees_with_reference((8, 8, 3), NET_A, rows)
    assert max_receptive_fields((8, 8, 3), as_data(NET_A)) == [(2, 2), (4, 4), (6, 6)]
    assert _check_windows((8, 8, 3), NET_A, rows) > 0


# --------------------------------------------------------------------------- (b)
NET_B: list[Layer] = [Conv(3, 64), MaxPool(3, stride=3), Conv(3, 256), Conv(1, 512),
                      MaxPool(3, stride=3), Dense(2048), Dense(1000)]


def test_assignment_b_table() -> None:
    # 386×386×3, stride-1 convs, no padding, biases not counted:
    # conv3-64:  386 − 3 + 1 = 384 → 384×384×64; 3·3·3·64 = 1728 weights
    #            mults 384²·64·27 = 147456·1728 = 254 803 968; r = 3, j = 1
    # pool 3/3:  ⌊(384 − 3)/3⌋ + 1 = 127 + 1 = 128 → 128×128×64; r = 3 + 2·1 = 5, j = 3
    # conv3-256: 128 − 2 = 126 → 126×126×256; 3·3·64·256 = 147 456 weights
    #            mults 126²·147456 = 15876·147456 = 2 341 011 456; r = 5 + 2·3 = 11, j = 3
    # conv1-512: 126×126×512; 1·1·256·512 = 131 072 weights
    #            mults 15876·131072 = 2 080 899 072; r = 11 + 0 = 11, j = 3
    # pool 3/3:  ⌊(126 − 3)/3⌋ + 1 = 41 + 1 = 42 → 42×42×512; r = 11 + 2·3 = 17, j = 9
    # FC-2048:   42·42·512 = 903 168 inputs; 903168·2048 = 1 849 688 064 weights
    # FC-1000:   2048·1000 = 2 048 000 weights
    # total 1728 + 147456 + 131072 + 1849688064 + 2048000 = 1 852 016 320
    # biases 64 + 256 + 512 + 2048 + 1000 = 3880 → 1 852 020 200
    rows = analyse((386, 386, 3), NET_B)
    assert [r.output_shape for r in rows] == [
        (384, 384, 64), (128, 128, 64), (126, 126, 256), (126, 126, 512), (42, 42, 512),
        (2048,), (1000,)]
    assert [r.params for r in rows] == [1728, 0, 147456, 131072, 0, 1849688064, 2048000]
    assert 42 * 42 * 512 * 2048 == 1849688064
    assert [r.mults for r in rows] == [254803968, 0, 2341011456, 2080899072, 0,
                                       1849688064, 2048000]
    assert [r.receptive_field_text for r in rows] == ["3", "5", "11", "11", "17", "all", "all"]
    assert [r.jump for r in rows] == [(1, 1), (3, 3), (3, 3), (3, 3), (9, 9), None, None]
    total = totals(rows)
    assert total.params == 1852016320
    assert total.params_with_bias == 1852016320 + 3880
    _agrees_with_reference((386, 386, 3), NET_B, rows)


def test_assignment_b_receptive_field_on_a_narrow_copy() -> None:
    # Same kernels and strides with 2 filters on a 26×26×1 input: 26 → 24 → 8 → 6 → 6 → 2;
    # receptive fields 3, 5, 11, 11, 17 do not depend on the filter counts or the input size.
    narrow: list[Layer] = [Conv(3, 2), MaxPool(3), Conv(3, 2), Conv(1, 2), MaxPool(3)]
    rows = analyse((26, 26, 1), narrow)
    assert [r.shape_text for r in rows] == ["24×24×2", "8×8×2", "6×6×2", "6×6×2", "2×2×2"]
    assert max_receptive_fields((26, 26, 1), as_data(narrow)) == [
        (3, 3), (5, 5), (11, 11), (11, 11), (17, 17)]
    assert _check_windows((26, 26, 1), narrow, rows) == sum(
        r.output_shape[0] * r.output_shape[1] for r in rows)  # no padding: all exact


# --------------------------------------------------------------------------- (c)
NET_C: list[Layer] = [Conv(3, 16), Activation("relu"), Conv(3, 16), MaxPool(2, stride=2),
                      Conv(3, 32), Activation("relu")]


def test_assignment_c_shapes() -> None:
    # 32 → conv3: 30 → relu: 30 → conv3: 28 → max pool 2/2: 14 → conv3: 12 → relu: 12
    # r: 3, 3, 5, 5 + 1·1 = 6 (j → 2), 6 + 2·2 = 10, 10
    # weights (3 input channels): 3·3·3·16 = 432, 3·3·16·16 = 2304, 3·3·16·32 = 4608
    rows = analyse((32, 32, 3), NET_C)
    assert [r.output_shape for r in rows] == [
        (30, 30, 16), (30, 30, 16), (28, 28, 16), (14, 14, 16), (12, 12, 32), (12, 12, 32)]
    assert [r.params for r in rows] == [432, 0, 2304, 0, 4608, 0]
    assert totals(rows).params_with_bias == 432 + 2304 + 4608 + 16 + 16 + 32
    assert [r.receptive_field for r in rows] == [(3, 3), (3, 3), (5, 5), (6, 6), (10, 10),
                                                 (10, 10)]
    assert [r.jump for r in rows] == [(1, 1), (1, 1), (1, 1), (2, 2), (2, 2), (2, 2)]
    _agrees_with_reference((32, 32, 3), NET_C, rows)
    narrow: list[Layer] = [Conv(3, 2), Activation("relu"), Conv(3, 2), MaxPool(2), Conv(3, 2),
                           Activation("relu")]
    assert max_receptive_fields((32, 32, 1), as_data(narrow))[-1] == (10, 10)
    assert minimum_input_size(NET_C) == (10, 10)  # 1 ← 3 ← (3 − 1)·2 + 2 = 6 ← 8 ← 10


# --------------------------------------------------------------------------- (d)
NET_D: list[Layer] = [Conv(3, 2, padding=1) for _ in range(4)]


def test_assignment_d_same_padding() -> None:
    # (32 + 2·1 − 3)/1 + 1 = 32 at every layer; r = 1 + 2 + 2 + 2 + 2 = 9, j = 1
    rows = analyse((32, 32, 1), NET_D)
    assert [r.output_shape for r in rows] == [(32, 32, 2)] * 4
    assert [r.receptive_field for r in rows] == [(3, 3), (5, 5), (7, 7), (9, 9)]
    assert rows[-1].receptive_field_text == "9"
    _agrees_with_reference((32, 32, 1), NET_D, rows)
    windows = receptive_windows((32, 32, 1), as_data(NET_D))[-1]
    assert windows is not None
    # centre pixel: rows 16 − 4 … 16 + 4; corner pixel: padding cuts the field to 0 … 4
    assert windows[16, 16].tolist() == [[12, 20], [12, 20]]
    assert windows[0, 0].tolist() == [[0, 4], [0, 4]]
    assert max_receptive_fields((32, 32, 1), as_data(NET_D))[-1] == (9, 9)
    assert minimum_input_size(NET_D) == (1, 1)


# --------------------------------------------------------------------------- (e)
NET_E: list[Layer] = [Conv(5, 8), Conv(5, 8), GlobalAvgPool(), Dense(128), Dense(1)]
MLP: list[Layer] = [Flatten(), Dense(64), Dense(10)]


def test_assignment_e_variable_input() -> None:
    # two 5×5 convs need 1 + 4 + 4 = 9 pixels; global average pooling gives 8 features at
    # any size, so FC-128 has 8·128 weights whatever the input
    ok, why = accepts_variable_input(NET_E)
    assert ok and "global avg pool" in why and "9×9" in why
    assert minimum_input_size(NET_E) == (9, 9)
    for size in [(9, 9, 3), (32, 32, 3), (50, 17, 3)]:
        rows = analyse(size, NET_E)
        assert rows[3].params == 8 * 128 and rows[-1].output_shape == (1,)
    sizes = [(64, 64, 3), (9, 9, 3), (40, 12, 3), (8, 8, 3)]
    assert runs_on(as_data(NET_E), (32, 32, 3), sizes) == [True, True, True, False]
    ok, why = accepts_variable_input(MLP)
    assert not ok and "flatten" in why and "FC-64" in why
    assert runs_on(as_data(MLP), (28, 28, 1), [(28, 28, 1), (32, 32, 1)]) == [True, False]


def test_variable_input_other_cases() -> None:
    assert accepts_variable_input([Conv(3, 4), MaxPool(2), Conv(3, 4)])[0]
    assert accepts_variable_input([Conv(3, 4), Flatten()])[0]
    ok, why = accepts_variable_input([Conv(3, 4), Dense(10)])
    assert not ok and "FC-10" in why
    assert not accepts_variable_input([Conv(3, 4), Flatten(), Activation("relu"), Dense(3)])[0]
    assert runs_on(as_data([Conv(3, 4), Dense(10)]), (8, 8, 1), [(9, 9, 1)]) == [False]
    assert runs_on(as_data([Conv(3, 4), Flatten()]), (8, 8, 1), [(9, 9, 1)]) == [True]
    assert accepts_variable_input([])[0]


# --------------------------------------------------------------------------- other exact cases
def test_dilation_stride_padding_rectangular() -> None:
    # 11×9×2 → conv 3×2, 5 filters, stride (2, 1), padding (1, 0), dilation 2:
    # spans 2·2 + 1 = 5 and 2·1 + 1 = 3; rows ⌊(11 + 2 − 5)/2⌋ + 1 = 5, cols (9 − 3) + 1 = 7
    # weights 3·2·2·5 = 60; r = (5, 3), j = (2, 1)
    # → avg pool 2×3, stride 1 padding (1, 1): rows 5 + 2 − 2 + 1 = 6, cols 7 + 2 − 3 + 1 = 7
    #   r = (5 + 1·2, 3 + 2·1) = (7, 5), j = (2, 1)
    layers: list[Layer] = [Conv((3, 2), 5, stride=(2, 1), padding=(1, 0), dilation=2),
                           AvgPool((2, 3), stride=1, padding=1)]
    rows = analyse((11, 9, 2), layers)
    assert [r.output_shape for r in rows] == [(5, 7, 5), (6, 7, 5)]
    assert rows[0].params == 60 and rows[0].mults == 5 * 7 * 5 * 3 * 2 * 2
    assert [r.receptive_field for r in rows] == [(5, 3), (7, 5)]
    assert rows[1].receptive_field_text == "7×5"
    assert [r.jump for r in rows] == [(2, 1), (2, 1)]
    _agrees_with_reference((11, 9, 2), layers, rows)
    assert _check_windows((11, 9, 2), layers, rows) > 0


def test_labels() -> None:
    assert [r.label for r in analyse((8, 8, 1), [
        Conv(3, 1, stride=2, padding=1, dilation=2), MaxPool(2, stride=1), AvgPool(2),
        GlobalAvgPool(), Dense(4), Activation("softmax")])] == [
        "conv 3×3, 1 filter, stride 2, padding 1, dilation 2", "max pool 2×2, stride 1",
        "avg pool 2×2, stride 2", "global avg pool", "FC-4", "softmax"]


def test_flatten_then_dense_counts() -> None:
    # 6×6×1 → conv 3, 4 filters → 4×4×4 = 64 features → FC-10: 640 weights, 10 biases
    rows = analyse((6, 6, 1), [Conv(3, 4), Flatten(), Dense(10), Activation("relu")])
    assert [r.output_shape for r in rows] == [(4, 4, 4), (64,), (10,), (10,)]
    assert [r.params_with_bias for r in rows] == [40, 0, 650, 0]
    assert [r.receptive_field for r in rows] == [(3, 3), None, None, None]


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("build", "match"), [
    (lambda: Conv(3, 4, stride=0), "stride must be a positive integer, got 0"),
    (lambda: Conv(0, 4), "kernel size"),
    (lambda: Conv(3, 0), "filter count"),
    (lambda: Conv(3, 4, padding=-1), "padding must be an integer ≥ 0"),
    (lambda: Conv(3, 4, dilation=0), "dilation"),
    (lambda: Conv((3, 3, 3), 4), "pair"),  # type: ignore[arg-type]
    (lambda: Conv(True, 4), "kernel size"),
    (lambda: MaxPool(2, stride=0), "max pool stride"),
    (lambda: AvgPool(3, padding=2), "more than half the window"),
    (lambda: Dense(0), "unit count"),
    (lambda: Activation(""), "needs a name"),
])
def test_bad_layers(build: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build()


@pytest.mark.parametrize(("shape", "layers", "match"), [
    ((4, 4, 1), [Conv(5, 1)], "window 5 is larger than the padded input 4"),
    ((4, 4, 1), [Conv(5, 1, padding=1)], None),
    ((4, 9, 1), [Conv(3, 1, dilation=2)], r"window span 5 .* along the rows"),
    ((9, 4, 1), [Conv((1, 3), 1, dilation=2)], "along the columns"),
    ((8, 8, 1), [MaxPool(3), MaxPool(3)], r"layer 2 \(max pool 3×3, stride 3\)"),
    ((8, 8, 1), [Flatten(), Conv(3, 1)], "needs an H×W×C input but gets a vector of 64"),
    ((8, 8, 1), [GlobalAvgPool(), GlobalAvgPool()], "gets a vector of 1 features"),
])
def test_impossible_configurations(shape: tuple[int, int, int], layers: list[Layer],
                                   match: str | None) -> None:
    if match is None:  # padding makes it fit: 4 + 2 = 6 ≥ 5 → 2×2
        assert analyse(shape, layers)[0].output_shape == (2, 2, 1)
        return
    with pytest.raises(ValueError, match=match):
        analyse(shape, layers)
    with pytest.raises(ValueError):
        measure(shape, as_data(layers))


@pytest.mark.parametrize("shape", [(8, 8), (0, 8, 1), (8, 8, -1)])
def test_bad_input_shape(shape: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError, match="input"):
        analyse(shape, [Conv(3, 1)])


def test_minimum_size_rejects_layers_after_a_vector() -> None:
    with pytest.raises(ValueError, match="whose output is a vector"):
        minimum_input_size([Conv(3, 1), GlobalAvgPool(), Conv(1, 1)])
    with pytest.raises(ValueError, match="whose output is a vector"):
        accepts_variable_input([Dense(3), MaxPool(2)])


def test_fast_and_loop_references_agree() -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 13, 11, 3))
    layers: list[Layer] = [Conv((3, 2), 4, stride=(2, 1), padding=(2, 1), dilation=(1, 2)),
                           MaxPool(2, stride=1, padding=1), AvgPool(3, stride=2)]
    slow, fast = Network(as_data(layers), 3, fast=False), Network(as_data(layers), 3, fast=True)
    for a, b in zip(slow(x), fast(x), strict=True):
        assert a.shape == b.shape and np.allclose(a, b)
    assert slow.mults == fast.mults


# --------------------------------------------------------------------------- properties
def _int_or_pair(lo: int, hi: int) -> st.SearchStrategy[int | tuple[int, int]]:
    return st.one_of(st.integers(lo, hi), st.tuples(st.integers(lo, hi), st.integers(lo, hi)))


convs = st.builds(Conv, kernel=_int_or_pair(1, 4), filters=st.integers(1, 3),
                  stride=_int_or_pair(1, 3), padding=_int_or_pair(0, 2),
                  dilation=_int_or_pair(1, 2))


@st.composite
def pools(draw: st.DrawFn) -> Layer:
    is_max = draw(st.booleans())
    window = draw(st.integers(1, 3))
    stride = draw(st.none() | st.integers(1, 3))
    padding = draw(st.integers(0, window // 2))
    return MaxPool(window, stride, padding) if is_max else AvgPool(window, stride, padding)


activations = st.builds(Activation, st.sampled_from(
    ["relu", "tanh", "sigmoid", "leaky_relu", "identity"]))
trunks = st.lists(st.one_of(convs, convs, pools(), activations), min_size=1, max_size=4)
heads = st.sampled_from([
    [], [GlobalAvgPool()], [GlobalAvgPool(), Dense(3)], [Flatten()],
    [Flatten(), Dense(2), Activation("relu"), Dense(1)], [Dense(2)]])
shapes = st.tuples(st.integers(3, 13), st.integers(3, 13), st.integers(1, 3))


@settings(max_examples=30, deadline=None)
@given(shape=shapes, trunk=trunks, head=heads)
def test_analyse_matches_running_the_network(shape: tuple[int, int, int], trunk: list[Layer],
                                             head: list[Layer]) -> None:
    layers = trunk + head
    try:
        rows = analyse(shape, layers)
    except ValueError:
        with pytest.raises(ValueError):
            measure(shape, as_data(layers))
        return
    _agrees_with_reference(shape, layers, rows)
    _check_windows(shape, layers, rows)


@settings(max_examples=30, deadline=None)
@given(shape=shapes, trunk=st.lists(
    st.builds(Conv, kernel=_int_or_pair(1, 3), filters=st.just(1), stride=_int_or_pair(1, 2),
              dilation=_int_or_pair(1, 2))
    | st.builds(MaxPool, st.integers(1, 3), st.none() | st.integers(1, 3))
    | st.builds(AvgPool, st.integers(1, 3), st.none() | st.integers(1, 3)),
    min_size=1, max_size=3))
def test_without_padding_every_window_is_exact(shape: tuple[int, int, int],
                                               trunk: list[Layer]) -> None:
    try:
        rows = analyse(shape, trunk)
    except ValueError:
        return
    positions = sum(r.output_shape[0] * r.output_shape[1] for r in rows)
    assert _check_windows(shape, trunk, rows) == positions


@settings(max_examples=30, deadline=None)
@given(trunk=trunks)
def test_minimum_input_size_is_the_smallest_that_works(trunk: list[Layer]) -> None:
    h, w = minimum_input_size(trunk)
    analyse((h, w, 1), trunk)
    for smaller in [(h - 1, w), (h, w - 1)]:
        if min(smaller) >= 1:
            with pytest.raises(ValueError):
                analyse((*smaller, 1), trunk)
    assert accepts_variable_input(trunk)[0]


# --------------------------------------------------------------------------- the kind, on the core
# Every number of the page is a layer's numbers put in one formula of FORMULAS (a checked
# step); the answers are compared with a numpy run of the network.
SPEC_A = {"input": [8, 8, 3], "layers": [{"conv": 2, "filters": 2},
                                         {"conv": 3, "filters": 4, "stride": 2},
                                         {"maxpool": 2, "stride": 1}]}
SPEC_B = {"input": [386, 386, 3], "layers": [
    {"conv": 3, "filters": 64}, {"maxpool": 3, "stride": 3}, {"conv": 3, "filters": 256},
    {"conv": 1, "filters": 512}, {"maxpool": 3, "stride": 3}, {"dense": 2048},
    {"dense": 1000}]}
SAME = {"input": [32, 32, 1], "layers": [{"conv": 3, "filters": 16, "padding": 1}] * 3
        + [{"conv": 3, "filters": 1, "padding": 1}]}
DILATED = [{"conv": 3, "filters": 2, "padding": 2, "dilation": 2}] * 3
RECT = {"input": [11, 9, 2], "report": "table", "layers": [
    {"conv": [3, 2], "filters": 5, "stride": [2, 1], "padding": [1, 0], "dilation": 2},
    {"avgpool": [2, 3], "stride": 1, "padding": 1}]}
VARIABLE = {"input": [32, 32, 3], "report": "variable_input",
            "layers": [{"conv": 5, "filters": 4}, {"conv": 5, "filters": 4}, "global_avg_pool",
                       {"dense": 8}, {"dense": 1}]}


def test_answers_of_the_assignments() -> None:
    assert solve("architecture", **SPEC_A, report="parameters").answer == {
        "without_bias": 96, "with_bias": 102}
    assert solve("architecture", **SPEC_A, report="output_shape").answer == [2, 2, 4]
    table = solve("architecture", **SPEC_B, report="table").answer
    assert [row["params"] for row in table] == [1728, 0, 147456, 131072, 0, 1849688064,
                                                2048000]
    assert [row["mults"] for row in table] == [254803968, 0, 2341011456, 2080899072, 0,
                                               1849688064, 2048000]
    assert [row["receptive_field"] for row in table] == ["3", "5", "11", "11", "17", "all",
                                                         "all"]
    assert solve("architecture", **SAME, report="output_shape").answer == [32, 32, 1]
    assert solve("architecture", **SAME, report="same_size").answer == {
        "same_size": True, "output": [32, 32, 1]}
    assert solve("architecture", **SAME, report="receptive_field").answer == [9, 9]
    assert solve("architecture", **{**SAME, "input": [7, 7, 1]}, report="corner_reach"
                 ).answer == {"receptive_field": 9, "needed": 13, "possible": False}
    variable = solve("architecture", **VARIABLE).answer
    assert variable["accepts_variable_input"] is True and "9×9" in variable["reason"]


def test_every_number_is_a_checked_step() -> None:
    solution = solve("architecture", **RECT)
    d = solution.derivation
    assert d is not None and solution.verify().passed
    answers = {key: step.rhs for key, step in d.answers().items()}
    # ⌊(11 + 2 − 2·2 − 1)/2⌋ + 1 = 5 rows, (9 − 1·1 − 1)/1 + 1 = 7 columns; 3·2·2·5 = 60
    assert (answers["rows_1"], answers["cols_1"], answers["weights_1"]) == (5, 7, 60)
    assert (answers["field_rows_2"], answers["field_cols_2"]) == (7, 5)
    assert (answers["jump_rows_2"], answers["jump_cols_2"]) == (2, 1)
    for step in d.answers().values():            # each number: formula, numbers put, value
        assert step.rule in ("evaluate", "arch_total") and step.check is not None
        assert step.check.passed
    hidden = [s for s in d.steps if not s.shown]
    assert hidden and all(s.check is not None for s in hidden if s.rule == "evaluate")


@pytest.mark.parametrize(("key", "latex"), [
    ("size", r"\left\lfloor{\frac{n + 2 p - k}{s}}\right\rfloor + 1"),
    ("size_dilated",
     r"\left\lfloor{\frac{n + 2 p - d \left(k - 1\right) - 1}{s}}\right\rfloor + 1"),
    ("conv_weights", r"k_{1} k_{2} C_\text{in} C_\text{out}"),
    ("conv_params", r"k_{1} k_{2} C_\text{in} C_\text{out} + C_\text{out}"),
    ("dense_params", r"n_\text{in} n_\text{out} + n_\text{out}"),
    ("jump", "J s"),
    ("features", r"n^{(H)} n^{(W)} C"),
    ("conv_mults", r"n'^{(H)} n'^{(W)} C_\text{out} k_{1} k_{2} C_\text{in}"),
])
def test_formulas_print_as_in_a_textbook(key: str, latex: str) -> None:
    assert tex(architecture.FORMULAS[key]) == latex


def test_a_table_is_read_from_the_steps() -> None:
    text = page("architecture", "en", **SPEC_A, report="table")
    assert r"& 7×7×2 & $24$ & $26$ & $1176$ & 2 & 1 \\" in text
    # each general formula once
    assert text.count(r"\left\lfloor{\frac{n + 2 p - k}{s}}\right\rfloor + 1") == 1


def test_a_deep_network_keeps_a_short_page() -> None:
    deep = {"input": [16, 16, 1], "layers": [{"conv": 3, "filters": 2, "padding": 1}] * 30}
    text = page("architecture", "en", **deep, report="receptive_field")
    assert text.count("R_{") <= 4 and "R_{30} &=" in text and "R_{15}" not in text
    assert strings("en")["sentences"]["arch_last"]["table"].split(",")[0] in text
    assert solve("architecture", **deep, report="receptive_field").answer == [61, 61]


# Broken formulas: each must make the kind's verification fail.
BROKEN = [
    ("size_dilated", lambda f: f.xreplace({architecture.D: 1}), RECT),
    ("size", lambda f: f.xreplace({architecture.P: 0}),
     {"input": [8, 8, 1], "report": "output_shape", "layers": [{"conv": 3, "filters": 1,
                                                                "padding": 1}]}),
    ("conv_params", lambda f: f - architecture.C_OUT + 1, {**SPEC_A, "report": "parameters"}),
    ("field", lambda f: f.xreplace({architecture.J: 1}), {**SPEC_B, "report": "table"}),
    ("field_dilated", lambda f: f.xreplace({architecture.D: 1}),
     {"input": [7, 7, 1], "layers": DILATED, "report": "corner_reach"}),
    ("jump", lambda f: f + 1, {**SPEC_A, "report": "table"}),
    ("min_size", lambda f: f + 1, VARIABLE),
    ("dense_weights", lambda f: f * 2, {**SPEC_B, "report": "parameters"}),
]


@pytest.mark.parametrize(("key", "broken", "given"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_formula_fails_the_check(monkeypatch: pytest.MonkeyPatch, key: str,
                                          broken: Callable[[Any], Any],
                                          given: dict[str, Any]) -> None:
    assert check("architecture", **given).passed
    monkeypatch.setitem(architecture.FORMULAS, key, broken(architecture.FORMULAS[key]))
    assert not check("architecture", **given).passed


def test_corner_reach_honours_dilation() -> None:
    # three 3×3 convs of dilation 2 ('same' padding 2): field 1 + 3·4 = 13 = 2·7 − 1
    solution = solve("architecture", input=[7, 7, 1], layers=DILATED, report="corner_reach")
    assert solution.answer == {"receptive_field": 13, "needed": 13, "possible": True}
    assert solution.verify().passed
    # the network without its dilation does not reach
    data = [{"type": "conv", "kernel": 3, "filters": 1, "padding": 2}] * 3
    assert not depends_on((7, 7, 1), data, (6, 6), (0, 0))
    undilated = solve("architecture", input=[7, 7, 1], report="corner_reach",
                      layers=[{"conv": 3, "filters": 2, "padding": 1}] * 3)
    assert undilated.answer["possible"] is False and undilated.verify().passed


def test_corner_reach_sees_the_holes_of_a_dilated_kernel() -> None:
    # taps at −3, 0, 3: a field of 7 ≥ 2·3 − 1 that skips row 2 of a 3×3 image
    solution = solve("architecture", input=[3, 3, 1], report="corner_reach",
                     layers=[{"conv": 3, "filters": 1, "padding": 3, "dilation": 3}])
    assert solution.answer == {"receptive_field": 7, "needed": 5, "possible": False}
    assert solution.verify().passed


def test_corner_reach_refuses_a_wrong_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("derive.questions.architecture.windows_back",
                        lambda layers, sizes, axis: (set(range(sizes[0])), -9, 9))
    assert not check("architecture", input=[7, 7, 1], report="corner_reach",
                     layers=[{"conv": 3, "filters": 2, "padding": 1}] * 3).passed


def test_variable_input_checks_pass() -> None:
    assert check("architecture", **VARIABLE).passed
    for layers in (["flatten", {"dense": 4}], [{"conv": 3, "filters": 2}, {"dense": 3}],
                   [{"conv": 3, "filters": 2, "dilation": 2}, {"maxpool": 2}, "flatten"]):
        assert check("architecture", **{**VARIABLE, "layers": layers}).passed


def test_variable_input_refuses_a_wrong_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(architecture, "accepts_variable_input",
                        lambda layers, lowest=None: (False, "no"))
    assert not check("architecture", **VARIABLE).passed
    monkeypatch.setattr(architecture, "accepts_variable_input",
                        lambda layers, lowest=None: (True, "yes"))
    assert not check("architecture", **{**VARIABLE, "layers": ["flatten", {"dense": 4}]}).passed


def test_the_reference_imports_no_model_and_finds_fields_with_holes() -> None:
    assert "derive.models" not in inspect.getsource(architecture_reference)
    layers = [{"type": "conv", "kernel": (3, 2), "filters": 5, "stride": (2, 1),
               "padding": (1, 0), "dilation": 2}]
    assert fields_and_jumps(layers, 0) == [(5, 2)] and fields_and_jumps(layers, 1) == [(3, 1)]
    assert smallest_length([{"type": "conv", "kernel": 3, "filters": 1}] * 2, 0, 20) == 5
    g = Architecture.model_validate(VARIABLE)
    assert g.data() == as_data(g.network())


@pytest.mark.parametrize("language", ["en", "fr"])
def test_sentences_follow_the_network(language: str) -> None:
    S = strings(language)["sentences"]
    strided = page("architecture", language, input=[32, 32, 3], report="same_size",
                   layers=[{"conv": 5, "filters": 4, "stride": 2, "padding": 2}])
    assert r"$32 \times 32 \times 3$" in strided and r"$16 \times 16 \times 4$" in strided
    assert S["arch_result_same"]["changed"][:20] in strided and "d(k-1)" not in strided
    same = page("architecture", language, input=[8, 8, 1], report="same_size",
                layers=[{"conv": 3, "filters": 2, "padding": 2, "dilation": 2}])
    assert S["arch_result_same"]["each_dilated"][:20] in same and "d(k-1)" in same
    plain = page("architecture", language, input=[8, 8, 1], report="same_size",
                 layers=[{"conv": 3, "filters": 2, "padding": 1}])
    # the dilation is named only where a layer is dilated
    assert "(k-1)/2" in plain and "d(k-1)" not in plain and "$d$" not in plain
    corner = page("architecture", language, input=[7, 7, 1], layers=DILATED,
                  report="corner_reach")
    assert S["arch_result_corner"]["reach"][:30] in corner
    holes = page("architecture", language, input=[3, 3, 1], report="corner_reach",
                 layers=[{"conv": 3, "filters": 1, "padding": 3, "dilation": 3}])
    assert r"\{0\}" in holes and S["arch_result_corner"]["reach"][:30] not in holes
    conv_dense = page("architecture", language, **{**VARIABLE, "layers": [
        {"conv": 3, "filters": 4}, "flatten", {"dense": 10}]})
    assert r"$30 \times 30 \times 4$" in conv_dense and "3600" in conv_dense
    assert S["arch_variable"]["flatten_dense"].split("{from}")[0] in conv_dense
    mlp = page("architecture", language, **{**VARIABLE, "layers": ["flatten", {"dense": 4}]})
    named = "MLP" if language == "en" else "perceptron"
    assert named in S["arch_variable"]["flatten_dense_mlp"] and named in mlp
    assert "perceptron" not in conv_dense
    pooled = page("architecture", language, **{**VARIABLE, "layers": [
        {"conv": 3, "filters": 4}, "global_avg_pool"]})
    assert S["arch_variable"]["global_pool"][:60] in pooled
    assert r"$3 \times 3$ pixels" in pooled
    field = page("architecture", language, input=[16, 16, 3], report="receptive_field",
                 layers=[{"conv": [3, 5], "filters": 4}])
    assert r"$3 \times 5$ window" in field or r"fenêtre $3 \times 5$" in field
    skipped = page("architecture", language, input=[8, 8, 1], report="receptive_field",
                   layers=[{"conv": 1, "filters": 2, "stride": 2}, "flatten", {"dense": 3}])
    assert S["arch_result_field"]["part"].split("{rows}")[0] in skipped
    nothing = page("architecture", language, input=[16, 16, 3], report="parameters",
                   layers=[{"maxpool": 2}])
    assert S["arch_result_params"]["none"] in nothing


# --------------------------------------------------------------------------- flat inputs
FLAT_MLP = {"input": [32], "layers": [{"dense": 512}, {"activation": "relu"}, {"dense": 512},
                                 {"activation": "relu"}, {"dense": 10}]}


def _numpy_count(widths: list[int]) -> int:
    """Parameters of a fully connected network counted as the sizes of numpy arrays."""
    return sum(np.zeros((a, b)).size + np.zeros(b).size for a, b in itertools.pairwise(widths))


def test_mlp_parameters_and_hessian() -> None:
    count = _numpy_count([32, 512, 512, 10])
    assert count == 284682
    solution = solve("architecture", **FLAT_MLP, report="hessian")
    assert solution.verify().passed
    assert solution.answer == {
        "parameters": count, "hessian_shape": [count, count], "entries": count**2,
        "bytes_32": 4 * count**2, "bytes_64": 8 * count**2,
        "distinct": count * (count + 1) // 2}
    assert solve("architecture", **FLAT_MLP, report="parameters").answer == {
        "without_bias": 32 * 512 + 512 * 512 + 512 * 10, "with_bias": count}


def test_flat_table_has_no_receptive_field_columns() -> None:
    text = page("architecture", "en", **FLAT_MLP, report="table")
    assert r"\begin{tabular}{@{}rlrrrr@{}}" in text and "Receptive field" not in text
    assert r"5 & FC{-}10 & 10 & $5120$ & $5130$ & $5120$ \\" in text   # as displays
    fr = page("architecture", "fr", **FLAT_MLP, report="hessian")
    assert r"\qty{324}{Go}" in fr and r"\qty{648}{Go}" in fr


@pytest.mark.parametrize(("given", "match"), [
    ({**FLAT_MLP, "report": "receptive_field"}, "vector of features"),
    ({**FLAT_MLP, "input": [32, 32]}, r"\[n\]"),
    ({"input": [8], "layers": [{"conv": 3, "filters": 1}]}, "needs an H×W×C input"),
])
def test_flat_inputs_refuse_image_questions(given: dict[str, Any], match: str) -> None:
    from pydantic import ValidationError
    with pytest.raises(ValidationError, match=match):
        Architecture.model_validate(given)


BROKEN_HESSIAN = [
    ("dense_params", lambda f: f - architecture.N_UNITS),            # biases dropped
    ("hessian_entries", lambda f: f.xreplace({architecture.P_ALL: architecture.P_ALL - 1})),
    ("hessian_bytes", lambda f: f / architecture.BYTES * 4),          # always 4 bytes
    ("hessian_distinct", lambda f: architecture.P_ALL**2 / 2),
]


@pytest.mark.parametrize(("key", "broken"), BROKEN_HESSIAN, ids=[b[0] for b in BROKEN_HESSIAN])
def test_a_broken_hessian_formula_fails(monkeypatch: pytest.MonkeyPatch, key: str,
                                        broken: Callable[[Any], Any]) -> None:
    given = {**FLAT_MLP, "report": "hessian"}
    assert check("architecture", **given).passed
    monkeypatch.setitem(architecture.FORMULAS, key, broken(architecture.FORMULAS[key]))
    assert not check("architecture", **given).passed


def test_human_bytes() -> None:
    from derive.questions.hessian_size import human_bytes
    assert human_bytes(648_350_728_992)["whole"] == "648"
    assert human_bytes(999_600) == {"case": "about_whole", "whole": "1", "frac": "",
                                    "prefix": "M"}
    assert human_bytes(1_500) == {"case": "exact_decimal", "whole": "1", "frac": "5",
                                  "prefix": "k"}


# --- the table shows what is asked ----------------------------------------------------------
_USC = {"input": [8, 8, 3], "layers": [{"conv": 2, "filters": 2},
                                        {"conv": 3, "filters": 4, "stride": 2},
                                        {"maxpool": 2, "stride": 1}]}


def _heads(tex_: str) -> list[str]:
    """The table's headings as read: a \\shortstack's lines joined by a space."""
    head = tex_.split(r"\toprule", 1)[1].split(r"\midrule", 1)[0]
    head = re.sub(r"\\shortstack\[r\]\{((?:[^{}]|\{[^{}]*\})*)\}",
                  lambda m: m.group(1).replace("\\\\", " "), head)
    head = head.rsplit(r"\\", 1)[0]
    return [cell.strip() for cell in head.split("&")][1:]


@pytest.mark.parametrize(("report", "columns", "heads"), [
    ("table", None, ["Layer", "Output", "Weights", "With biases", "Multiplications",
                     "Receptive field", "Jump"]),
    ("output_shape", None, ["Layer", "Output"]),
    ("parameters", None, ["Layer", "Output", "Weights", "With biases"]),
    ("receptive_field", None, ["Layer", "Output", "Receptive field", "Jump"]),
    ("parameters", ["params"], ["Layer", "Weights"]),
    ("table", ["jump", "output"], ["Layer", "Output", "Jump"]),     # in the table's order
])
def test_the_table_shows_the_asked_columns(report: str, columns: list[str] | None,
                                           heads: list[str]) -> None:
    given = _USC | {"report": report} | ({"columns": columns} if columns else {})
    tex_ = page("architecture", "en", **given)
    assert _heads(tex_) == heads
    rows = tex_.split(r"\midrule", 1)[1].split(r"\bottomrule")[0]
    assert all(line.count("&") == len(heads) for line in rows.split(r"\\")[:-1]
               if line.strip() and r"\midrule" not in line)
    # a formula is stated for a column shown (or the report's focus), not for one left out
    assert (r"\tag*{\footnotesize multiplications" in tex_) == ("Multiplications" in heads)
    assert (r"\tag*{\footnotesize jump" in tex_) == ("Jump" in heads)


def test_the_total_row_sums_the_columns_shown() -> None:
    tex_ = page("architecture", "en", **_USC, report="table", columns=["params"])
    assert r"Total & $96$ \\" in tex_                   # 24 + 72 weights, no biases column
    assert "Total" not in page("architecture", "en", **_USC, report="output_shape")
    # the parameters report sums the columns in a display: no Total row besides
    summed = page("architecture", "en", **_USC, report="parameters")
    assert "Total" not in summed and r"\sum_{l} N_{l}" in summed and "= 96" in summed


@pytest.mark.parametrize(("given", "match"), [
    ({"report": "variable_input", "columns": ["output"]}, "has no table"),
    ({"input": [12], "layers": [{"dense": 4}], "columns": ["rf"]}, "about an image"),
    ({"columns": ["biases"]}, "columns"),
])
def test_bad_columns_are_refused(given: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Architecture.model_validate(_USC | given)


# --- names on the page, numbers as displays print them, what the checks compare ---------------
USC = {"input": [8, 8, 3], "layers": [{"conv": 2, "filters": 2},
                                      {"conv": 3, "filters": 4, "stride": 2},
                                      {"maxpool": 2, "stride": 1}]}


def test_sizes_and_counts_have_names_of_their_own() -> None:
    text = page("architecture", "en", **USC, report="parameters")
    assert "P^{b}" not in text and "H_{1}" not in text
    assert "n_{1}" not in text and "n_l" not in text        # no size worked: none named
    assert "N_{1}" in text and "P_{1}" in text and r"\sum_{l} P_{l}" in text
    assert strings("en")["arch"]["params_bias"] == "With biases"
    shapes = page("architecture", "en", **USC, report="output_shape")
    named = strings("en")["sentences"]["arch_size_name"]["square"]
    assert shapes.index(named) < shapes.index("n_{1} &=")  # named before n_1 is used
    assert "h_" not in shapes and "w_{" not in shapes        # h, w: the assignments' own


def test_table_numbers_print_as_displays_print_them() -> None:
    net = {"input": [32, 32, 1], "layers": [{"conv": 3, "filters": 512},
                                            {"conv": 3, "filters": 10}]}
    table = solve("architecture", **net, report="parameters").context["table"]
    assert table["rows"][1]["params"] == tex(46080) and table["rows"][0]["params"] == "4608"


def test_activation_labels_are_written_as_in_the_literature() -> None:
    net = {"input": [8, 8, 1], "layers": [{"conv": 3, "filters": 1}, {"activation": "relu"}]}
    rows = solve("architecture", **net, report="table").answer
    assert rows[1]["label"] == "ReLU"


@pytest.mark.parametrize(("padding", "word"), [(1, r"Yes: $32 \times 32$"),
                                               (0, r"No: $24 \times 24$")])
def test_output_shape_says_whether_it_is_the_input_size(padding: int, word: str) -> None:
    net = {"input": [32, 32, 1], "layers": [{"conv": 3, "filters": 4, "padding": padding}] * 4}
    text = page("architecture", "en", **net, report="output_shape", compare_input=True)
    assert word in text
    assert "Oui" in page("architecture", "fr", **{**net, "layers": [{"conv": 3, "filters": 4,
                                                                      "padding": 1}]},
                         report="output_shape", compare_input=True)


def test_a_table_without_receptive_fields_does_not_compare_them() -> None:
    net = {**USC, "report": "table", "columns": ["output", "params"]}
    result = check("architecture", **net)
    assert result.passed and result.method == "arch_sizes_weights"
    words = strings("en")["checks"]
    assert "receptive" not in words[result.method] and "multiplication" not in words[result.method]
    assert check("architecture", **USC, report="table").method == "arch_sizes_weights_mults_fields"
    # a report that shows only sizes says it compared only sizes
    shapes = check("architecture", **USC, report="output_shape")
    assert shapes.passed and shapes.method == "arch_sizes"
    assert "weight" not in words["arch_sizes"] and "multiplication" not in words["arch_sizes"]


def test_storage_page_is_in_the_page_language() -> None:
    given = {"weights_size": 40, "unit": "MB", "bytes_per_number": 4}
    fr = page("storage.derivatives", "fr", **given)
    for word in ("bytes", "MB", "TB", "gradient =", "hessian", "symmetric"):
        assert word not in fr
    assert "Mo" in fr and "To" in fr and "octets" in fr
    en = page("storage.derivatives", "en", **given)
    assert "$B = 4$ bytes per number" in en and r"$S = \qty{40}{MB}$" in en
    assert r"The gradient takes $\qty{40}{MB}$" in en and r"$\approx \qty{200}{TB}$" in en
    # past the largest prefix, all of the integer digits, never Python's 8e+03
    huge = page("storage.derivatives", "en", weights_size=8, unit="GB", bytes_per_number=8)
    assert r"the Hessian $\qty{8000}{PB}$" in huge and "e+" not in huge
    assert check("storage.derivatives", **given).passed
    binary = page("storage.derivatives", "en", weights_size=1, unit="GiB", bytes_per_number=2)
    assert "2^{30}" in binary and "GiB" in binary


# --- worked numbers, names and marks ---------------------------------------------------------
ML = {"input": [386, 386, 3], "report": "table", "columns": ["output", "params"],
      "layers": [{"conv": 3, "filters": 64}, {"maxpool": 3, "stride": 3},
                 {"conv": 3, "filters": 256}, {"conv": 1, "filters": 512},
                 {"maxpool": 3, "stride": 3}, {"dense": 2048}, {"dense": 1000}]}
IFT = {"input": [32, 32, 1], "layers": [
    {"conv": 3, "filters": 1}, {"activation": "relu"}, {"conv": 3, "filters": 1},
    {"maxpool": 2, "stride": 2}, {"conv": 3, "filters": 1}, {"activation": "relu"}]}


def test_a_table_works_one_layer_of_each_type_and_the_largest_count() -> None:
    text = page("architecture", "en", **ML)
    # sizes: the first conv (386 − 3 + 1 = 384) and the first pool (⌊(384 − 3)/3⌋ + 1 = 128)
    assert "n_{1} &=" in text and "n_{2} &=" in text and "n_{3}" not in text
    assert r"\frac{384 + 2 \times 0 - 3}{3}" in text and "&= 128" in text
    # flattening 42·42·512 = 903 168, and FC-2048's 903 168 · 2048 = 1 849 688 064 weights,
    # the largest count, besides the first conv's 3·3·3·64 = 1728
    assert r"F_{6} &= 42 \times 42 \times 512" in text and r"\num{903168}" in text
    assert r"N_{6} &= \num{903168} \times 2048" in text and r"&= \num{1849688064}" in text
    assert r"N_{1} &= 3 \times 3 \times 3 \times 64" in text and "&= 1728" in text
    assert "N_{3}" not in text and "N_{7}" not in text
    # the table is the answer, marked once; the numbers worked on the way are not
    assert text.count(r"\answerhere") == 1 and r"\answermark" not in text
    words = strings("en")["arch"]["table_intro"]["others"].split("{input}")[0]
    assert r"\answerhere " + words in text and r"$386 \times 386 \times 3$ input" in text
    # n is the positions along an axis, F the flattened length: two letters for two things
    assert "n = " not in text and "n_{6}" not in text
    few = page("architecture", "fr", **USC, report="table", columns=["output"])
    assert "n_{1} &=" in few and "n_{3} &=" in few          # three layers: all worked
    assert r"\answerhere " + strings("fr")["arch"]["table_intro"]["all"].split("{")[0] in few


def test_layers_are_numbered_as_in_the_table_and_the_gaps_are_said() -> None:
    S = strings("en")["sentences"]["arch_size_name"]
    text = page("architecture", "en", **IFT, report="output_shape")
    # 32 → 30 (conv) → 30 (ReLU, no step) → 28 → 14 → 12 → 12
    assert S["square_act"] in text and "n_{2}" not in text and "n_{3} &=" in text
    assert r"The final output is $12 \times 12 \times 1$." in text
    plain = page("architecture", "en", **USC, report="output_shape")
    assert S["square"] in plain and "activation" not in plain
    rect = page("architecture", "en", input=[11, 9, 2], report="output_shape",
                layers=[{"conv": [3, 2], "filters": 5}])
    # 11 − 3 + 1 = 9 rows, 9 − 2 + 1 = 8 columns: one name per axis
    assert S["rect"] in rect and "n^{(H)}_{1} &=" in rect and "n^{(W)}_{1} &=" in rect
    assert r"$9 \times 8 \times 5$" in rect


@pytest.mark.parametrize("language", ["en", "fr"])
def test_smallest_sizes_and_corners_name_their_letters(language: str) -> None:
    S = strings(language)["sentences"]
    gap = {"input": [32, 32, 3], "report": "variable_input", "layers": [
        *IFT["layers"][:2], {"conv": 5, "filters": 4}, {"activation": "relu"},
        "global_avg_pool", {"dense": 1}]}
    # back from one output: layer 3 (5×5) needs 5, layer 1 (3×3) needs 5 + 2 = 7
    text = page("architecture", language, **gap)
    assert S["arch_min_name"]["square_act"] in text
    assert "m_{2} &=" in text and "m_{0} &=" in text and "m_{1}" not in text
    assert r"$7 \times 7$" in text
    corner = page("architecture", language, input=[7, 7, 1], report="corner_reach",
                  layers=[{"conv": 3, "filters": 1, "padding": 1}] * 4)
    # n named before R_min = 2(n − 1) + 1 = 13 uses it; only the yes/no is marked
    assert "($n = 7$)" in corner and corner.count(r"\answer") == 1


def test_the_hessian_report_defines_p_and_marks_what_is_asked() -> None:
    """IFT 3.2 asks for the number of parameters and the size of H: P is defined where the
    size uses it, and the two statements that answer are the marked ones (not n_H or bytes)."""
    layers = [{"dense": 6}, {"activation": "relu"}, {"dense": 3}]
    text = page("architecture", "en", input=[4], layers=layers, report="hessian")
    p = (4 + 1) * 6 + (6 + 1) * 3                             # 51 parameters
    assert f"all $P = {p}$ parameters" in text and f"has size ${p} \\times {p}$" in text
    assert text.count(r"\answermark") == 0
    assert text.count(r"\answerhere") == 2
