"""CNN architectures: layers, the formulas of their numbers, and one walk through a network.

Per spatial axis, with kernel k, stride s, padding p and dilation d (`FORMULAS`, as data):

* output size    n′ = ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1   (no "ceil mode")
* receptive field R′ = R + (k − 1)·d·J  (R = 1 at the input)
* jump            J′ = J·s              (J = 1 at the input)

and per layer: weights k₁k₂·C_in·C_out (+ C_out biases) for a convolution, n_in·n_out
(+ n_out) for a dense layer, multiplications of a dense implementation (padded zeros
included); for the whole network's P parameters, the Hessian's P² entries, its storage at
b bytes per number and its P(P + 1)/2 distinct entries. `walk` goes through the layers over
an H×W×C input (or a flat input of n features) and asks `put(quantity, key,
values)` for every number: the default evaluates FORMULAS[key] at `values` (`analyse`); the
question kind puts the numbers in the formula as a checked derivation step instead. After a
layer that mixes every position (global pooling, flatten, dense) receptive field and jump
are None: the output sees the whole input.

The first assignment network, 8×8×3 → conv 2@2×2 → conv 4@3×3 stride 2 → max pool 2×2
stride 1:

>>> rows = analyse((8, 8, 3), [Conv(2, 2), Conv(3, 4, stride=2), MaxPool(2, stride=1)])
>>> [row.output_shape for row in rows]
[(7, 7, 2), (3, 3, 4), (2, 2, 4)]
>>> [row.params for row in rows], totals(rows).params, totals(rows).params_with_bias
([24, 72, 0], 96, 102)
>>> [row.receptive_field for row in rows], [row.jump for row in rows]
([(2, 2), (4, 4), (6, 6)], [(1, 1), (2, 2), (2, 2)])

A dense layer on an H×W×C map flattens it first (H·W·C inputs, row-major):

>>> rows = analyse((4, 4, 2), [Conv(3, 5), Dense(10)])
>>> rows[-1].output_shape, rows[-1].params, rows[-1].mults, rows[-1].receptive_field_text
((10,), 200, 200, 'all')

A fully connected network on a flat input (32 features, two hidden layers of 512, 10
outputs):

>>> rows = analyse((32,), [Dense(512), Activation("relu"), Dense(512), Activation("relu"),
...                        Dense(10)])
>>> [row.shape_text for row in rows], totals(rows).params_with_bias
(['512', '512', '512', '512', '10'], 284682)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from derive.models.cnn_layers import (
    _SPATIAL,
    Activation,
    AvgPool,
    Conv,
    Dense,
    Flatten,
    GlobalAvgPool,
    Layer,
    MaxPool,
    Pair,
    Row,
    _positive_int,
)

__all__ = ["FORMULAS", "Activation", "AvgPool", "Conv", "Dense", "Flatten", "GlobalAvgPool",
           "Layer", "MaxPool", "Pair", "Quantity", "Row", "Totals", "accepts_variable_input",
           "analyse", "minimum_input_size", "totals", "walk"]


@dataclass(frozen=True)
class Totals:
    params: int
    params_with_bias: int
    mults: int


def totals(rows: Sequence[Row]) -> Totals:
    """Sums over the table.

    >>> totals(analyse((5, 5, 1), [Conv(3, 2), Flatten(), Dense(4)]))
    Totals(params=90, params_with_bias=96, mults=234)
    """
    return Totals(sum(r.params for r in rows), sum(r.params_with_bias for r in rows),
                  sum(r.mults for r in rows))


def _in_order(*args: sp.Expr) -> sp.Expr:
    return sp.Mul(*args, evaluate=False)


def _plus(*args: sp.Expr) -> sp.Expr:
    return sp.Add(*args, evaluate=False)


# Symbols of the formulas: one axis (n, k, s, p, d; m′ the outputs a layer must give), a conv layer
# (k₁, k₂, C_in, C_out; n′⁽ᴴ⁾ × n′⁽ᵂ⁾ its output size), a dense layer (n_in, n_out), a
# flattened map (n⁽ᴴ⁾ × n⁽ᵂ⁾ positions, C channels), receptive field R and jump J. Rows and
# columns are told apart by a superscript, not by letters of their own (h, w, r, j are the
# assignments' own: a weight w, a step size r, an index j).
N, K, S, P, D = sp.symbols("n k s p d", integer=True, positive=True)
M_OUT = sp.Symbol("m'", integer=True, positive=True)
K1, K2 = sp.symbols("k_1 k_2", integer=True, positive=True)
C_IN, C_OUT = sp.symbols(r"C_\text{in} C_\text{out}", integer=True, positive=True)
H_OUT, W_OUT = sp.symbols("n'^{(H)} n'^{(W)}", integer=True, positive=True)
N_IN, N_UNITS = sp.symbols(r"n_\text{in} n_\text{out}", integer=True, positive=True)
H, W, C = sp.symbols("n^{(H)} n^{(W)} C", integer=True, positive=True)
R, J = sp.symbols("R J", integer=True, positive=True)
# The whole network: its P parameters, and the bytes b of one stored number.
P_ALL, BYTES = sp.symbols("P B", integer=True, positive=True)

# The formulas, as data: a test breaks each one and expects the kind's check to fail.
FORMULAS: dict[str, sp.Expr] = {
    "size": sp.floor(_plus(N, _in_order(2, P), -K) / S) + 1,
    "size_dilated": sp.floor(_plus(N, _in_order(2, P), -_in_order(D, _plus(K, -1)), -1) / S) + 1,
    "features": _in_order(H, W, C),
    "conv_weights": _in_order(K1, K2, C_IN, C_OUT),
    "conv_params": _plus(_in_order(K1, K2, C_IN, C_OUT), C_OUT),
    "dense_weights": _in_order(N_IN, N_UNITS),
    "dense_params": _plus(_in_order(N_IN, N_UNITS), N_UNITS),
    "conv_mults": _in_order(H_OUT, W_OUT, C_OUT, K1, K2, C_IN),
    "dense_mults": _in_order(N_IN, N_UNITS),
    "field": _plus(R, _in_order(_plus(K, -1), J)),
    "field_dilated": _plus(R, _in_order(_plus(K, -1), D, J)),
    "jump": _in_order(J, S),
    "min_size": sp.Max(1, _plus(_in_order(_plus(M_OUT, -1), S), K, -_in_order(2, P))),
    "min_size_dilated": sp.Max(1, _plus(_in_order(_plus(M_OUT, -1), S),
                                        _in_order(D, _plus(K, -1)), 1, -_in_order(2, P))),
    "corner_need": _plus(_in_order(2, _plus(N, -1)), 1),
    "hessian_entries": P_ALL**2,
    "hessian_bytes": _in_order(BYTES, P_ALL**2),
    "hessian_distinct": _in_order(P_ALL, _plus(P_ALL, 1)) / 2,
}


@dataclass(frozen=True)
class Quantity:
    """What a number of the walk is: `what` ∈ size, features, weights, params (weights and
    biases), mults, field, jump, min_size; of layer `layer` (from 1); along `axis` 0 (rows)
    or 1 (columns), or None when both axes have the same numbers or there is no axis."""

    what: str
    layer: int
    axis: int | None = None


# put(quantity, formula key, values): the value of FORMULAS[key] at values.
Put = Callable[[Quantity, str, dict[sp.Symbol, int]], int]


def evaluate(_quantity: Quantity, key: str, values: dict[sp.Symbol, int]) -> int:
    return int(FORMULAS[key].xreplace(values))


def dilated(layers: Sequence[Layer]) -> bool:
    """Whether any layer is dilated (then the formulas with d are used throughout)."""
    return any(isinstance(layer, Conv) and layer.dilations != (1, 1) for layer in layers)


def _per_axis(put: Put, what: str, layer: int, key: str,
              values: tuple[dict[sp.Symbol, int], dict[sp.Symbol, int]]) -> Pair:
    """One number per axis, or one for both when both axes put the same numbers."""
    if values[0] == values[1]:
        same = put(Quantity(what, layer), key, values[0])
        return same, same
    return put(Quantity(what, layer, 0), key, values[0]), put(Quantity(what, layer, 1), key,
                                                               values[1])


def _check_window(n: int, k: int, p: int, d: int, where: str, axis: str) -> None:
    span = d * (k - 1) + 1
    if span > n + 2 * p:
        what = f"window span {span} (= {d}·({k} − 1) + 1)" if d > 1 else f"window {k}"
        raise ValueError(
            f"{where}: the {what} is larger than the padded input {n + 2 * p} "
            f"(= {n} + 2·{p}) along the {axis}, so the output size would be ≤ 0")


def _where(index: int, layer: Layer) -> str:
    return f"layer {index + 1} ({layer.label})"


def _check_input(input_shape: tuple[int, ...]) -> tuple[int, ...]:
    """(H, W, C) for an image, (n,) for a flat input of n features."""
    if not isinstance(input_shape, tuple) or len(input_shape) not in (1, 3):
        raise ValueError(f"the input shape must be (H, W, C) or (n,), got {input_shape!r}")
    return tuple(_positive_int(v, "every input dimension") for v in input_shape)


def _spatial_params(layer: Conv | MaxPool | AvgPool) -> tuple[Pair, Pair, Pair, Pair]:
    """Kernel, stride, padding, dilation of a conv or pooling layer."""
    if isinstance(layer, Conv):
        return layer.kernel_size, layer.strides, layer.paddings, layer.dilations
    return layer.window_size, layer.strides, layer.paddings, (1, 1)


def walk(input_shape: tuple[int, ...], layers: Sequence[Layer],
         put: Put = evaluate) -> list[Row]:
    """One `Row` per layer for an (H, W, C) or a flat (n,) input, every number asked of
    `put`; ValueError if a layer cannot be applied."""
    shape: tuple[int, ...] = _check_input(input_shape)
    with_d = dilated(layers)
    size_key, field_key = ("size_dilated", "field_dilated") if with_d else ("size", "field")
    flat = len(shape) == 1           # a vector: every output sees all of it
    rf: Pair | None = None if flat else (1, 1)
    jump: Pair | None = None if flat else (1, 1)
    rows: list[Row] = []
    for index, layer in enumerate(layers):
        where, number = _where(index, layer), index + 1
        params = with_bias = mults = 0
        if isinstance(layer, _SPATIAL):
            if len(shape) != 3 or rf is None or jump is None:
                raise ValueError(f"{where} needs an H×W×C input but gets a vector of "
                                 f"{shape[0]} features")
            c_in = shape[2]
            k, s, p, d = _spatial_params(layer)
            for a, axis in ((0, "rows"), (1, "columns")):
                _check_window(shape[a], k[a], p[a], d[a], where, axis)
            dil = ({D: d[0]}, {D: d[1]}) if with_d else ({}, {})
            size = _per_axis(put, "size", number, size_key, (
                {N: shape[0], K: k[0], S: s[0], P: p[0], **dil[0]},
                {N: shape[1], K: k[1], S: s[1], P: p[1], **dil[1]}))
            c_out = layer.filters if isinstance(layer, Conv) else c_in
            if isinstance(layer, Conv):
                v = {K1: k[0], K2: k[1], C_IN: c_in, C_OUT: c_out}
                params = put(Quantity("weights", number), "conv_weights", v)
                with_bias = put(Quantity("params", number), "conv_params", v)
                mults = put(Quantity("mults", number), "conv_mults",
                            {**v, H_OUT: size[0], W_OUT: size[1]})
            rf = _per_axis(put, "field", number, field_key,
                           ({R: rf[0], K: k[0], J: jump[0], **dil[0]},
                            {R: rf[1], K: k[1], J: jump[1], **dil[1]}))
            jump = _per_axis(put, "jump", number, "jump", ({J: jump[0], S: s[0]},
                                                             {J: jump[1], S: s[1]}))
            shape = (size[0], size[1], c_out)
        elif isinstance(layer, GlobalAvgPool):
            if len(shape) != 3:
                raise ValueError(f"{where} needs an H×W×C input but gets a vector of "
                                 f"{shape[0]} features")
            shape, rf, jump = (shape[2],), None, None
        elif isinstance(layer, Flatten | Dense):
            features = shape[0] if len(shape) == 1 else put(
                Quantity("features", number), "features", {H: shape[0], W: shape[1], C: shape[2]})
            shape, rf, jump = (features,), None, None
            if isinstance(layer, Dense):
                v = {N_IN: features, N_UNITS: layer.units}
                params = put(Quantity("weights", number), "dense_weights", v)
                with_bias = put(Quantity("params", number), "dense_params", v)
                mults = put(Quantity("mults", number), "dense_mults", v)
                shape = (layer.units,)
        elif not isinstance(layer, Activation):
            raise TypeError(f"layer {number}: unknown layer {layer!r}")
        rows.append(Row(layer.label, shape, params, with_bias, mults, rf, jump))
    return rows


def analyse(input_shape: tuple[int, ...], layers: Sequence[Layer]) -> list[Row]:
    """`walk` with every formula evaluated.

    The second assignment network (VGG-like, stride-1 convs, no padding):

    >>> rows = analyse((386, 386, 3), [Conv(3, 64), MaxPool(3), Conv(3, 256), Conv(1, 512),
    ...                                MaxPool(3), Dense(2048), Dense(1000)])
    >>> [row.shape_text for row in rows]
    ['384×384×64', '128×128×64', '126×126×256', '126×126×512', '42×42×512', '2048', '1000']
    >>> [row.params for row in rows]
    [1728, 0, 147456, 131072, 0, 1849688064, 2048000]
    >>> [row.receptive_field_text for row in rows]
    ['3', '5', '11', '11', '17', 'all', 'all']
    >>> analyse((4, 4, 1), [Conv(5, 1)])
    Traceback (most recent call last):
    ...
    ValueError: layer 1 (conv 5×5, 1 filter): the window 5 is larger than the padded input 4 \
(= 4 + 2·0) along the rows, so the output size would be ≤ 0
    """
    return walk(input_shape, layers)


def _trunk(layers: Sequence[Layer]) -> list[tuple[int, Conv | MaxPool | AvgPool]]:
    """The conv/pool layers (with their index) before the first layer that mixes all
    positions. A conv or pooling layer after that point can never be applied: ValueError."""
    trunk: list[tuple[int, Conv | MaxPool | AvgPool]] = []
    mixed: int | None = None
    for index, layer in enumerate(layers):
        if isinstance(layer, _SPATIAL):
            if mixed is not None:
                raise ValueError(f"{_where(index, layer)} comes after "
                                 f"{_where(mixed, layers[mixed])}, whose output is a vector")
            trunk.append((index, layer))
        elif isinstance(layer, GlobalAvgPool | Flatten | Dense) and mixed is None:
            mixed = index
    return trunk


def minimum_input_size(layers: Sequence[Layer], put: Put = evaluate) -> Pair:
    """The smallest (H, W) every conv and pooling layer accepts (each output ≥ 1), walking
    backwards: a layer with n′ outputs needs n = max(1, (n′ − 1)s + d(k − 1) + 1 − 2p)
    inputs. Output sizes grow with the input, so every larger input works too.

    >>> minimum_input_size([Conv(3, 8), Conv(3, 8), MaxPool(2), Conv(3, 8)])
    (10, 10)
    >>> minimum_input_size([Conv(3, 8, padding=1)] * 4)
    (1, 1)
    """
    key = "min_size_dilated" if dilated(layers) else "min_size"
    need = (1, 1)
    for index, layer in reversed(_trunk(layers)):
        k, s, p, d = _spatial_params(layer)
        values = [{M_OUT: need[a], K: k[a], S: s[a], P: p[a]} for a in (0, 1)]
        if key == "min_size_dilated":
            values = [{**v, D: d[a]} for a, v in enumerate(values)]
        need = _per_axis(put, "min_size", index + 1, key, (values[0], values[1]))
    return need


def accepts_variable_input(layers: Sequence[Layer], lowest: Pair | None = None
                           ) -> tuple[bool, str]:
    """Whether the same weights work for inputs of different H×W, and why (`lowest`: the
    smallest input size, as derived; evaluated here when not given).

    >>> accepts_variable_input([Conv(5, 16), Conv(5, 16), GlobalAvgPool(), Dense(128),
    ...                         Dense(1)])[0]
    True
    >>> ok, why = accepts_variable_input([Flatten(), Dense(100), Dense(10)])
    >>> ok, why.split(": ")[1]
    (False, 'layer 1 (flatten) turns the H×W×C input into H·W·C features')
    """
    _trunk(layers)
    min_h, min_w = minimum_input_size(layers) if lowest is None else lowest
    at_least = f"any input of at least {min_h}×{min_w} pixels works"
    flatten: int | None = None
    for index, layer in enumerate(layers):
        if isinstance(layer, GlobalAvgPool):
            return True, (
                f"yes: {_where(index, layer)} averages an H×W×C map of any size to C "
                "features, so no later weight depends on H or W; " + at_least)
        if isinstance(layer, Flatten) and flatten is None:
            flatten = index
        if isinstance(layer, Dense):
            if flatten is None:
                return False, (
                    f"no: {_where(index, layer)} is applied to the H×W×C map, so it has "
                    "H·W·C·units weights: its weight matrix fits a single input size")
            return False, (
                f"no: {_where(flatten, layers[flatten])} turns the H×W×C input into H·W·C "
                f"features: the weight matrix of {_where(index, layer)} has H·W·C rows, so "
                "it fits a single input size")
    if flatten is not None:
        return True, (
            "yes: the flattened output grows with the input, but no weight depends on H or "
            "W; " + at_least)
    return True, (
        "yes: only convolution, pooling and activation layers, whose weights depend on the "
        "kernel sizes and channels but not on H or W (the output map grows with the input); "
        + at_least)
