"""CNN architecture calculator: output shapes, parameters, multiplications, receptive fields.

Layers are small frozen dataclasses; `analyse` walks them over an H×W×C input and returns
one `Row` per layer. Everything is a plain Python `int` and every size uses floor division
(no "ceil mode"). Per spatial axis, with kernel k, stride s, padding p and dilation d:

* output size  n_out = ⌊(n_in + 2p − d(k − 1) − 1) / s⌋ + 1
* receptive field r_out = r_in + (k − 1)·d·j_in  (r = 1 at the input)
* jump          j_out = j_in·s                    (j = 1 at the input)

Receptive field and jump are given as (rows, cols) pairs; after a layer that mixes every
position (global average pooling, flatten, dense) they are `None`: the output sees the whole
input. Multiplications are those of a dense implementation (padded zeros included):
conv H_out·W_out·C_out·K₁·K₂·C_in, dense in·out, pooling and activations 0.

The first assignment network, 8×8×3 → conv 2@2×2 → conv 4@3×3 stride 2 → max pool 2×2
stride 1:

>>> rows = analyse((8, 8, 3), [Conv(2, 2), Conv(3, 4, stride=2), MaxPool(2, stride=1)])
>>> [row.output_shape for row in rows]
[(7, 7, 2), (3, 3, 4), (2, 2, 4)]
>>> [row.params for row in rows], totals(rows).params, totals(rows).params_with_bias
([24, 72, 0], 96, 102)
>>> [row.receptive_field for row in rows]
[(2, 2), (4, 4), (6, 6)]
>>> [row.jump for row in rows]
[(1, 1), (2, 2), (2, 2)]

A dense layer on an H×W×C map flattens it first (H·W·C inputs, row-major):

>>> rows = analyse((4, 4, 2), [Conv(3, 5), Dense(10)])
>>> rows[-1].output_shape, rows[-1].params, rows[-1].mults, rows[-1].receptive_field_text
((10,), 200, 200, 'all')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Pair = tuple[int, int]
IntOrPair = int | tuple[int, int]


def _positive_int(value: object, what: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        bound = "a positive integer" if minimum == 1 else f"an integer ≥ {minimum}"
        raise ValueError(f"{what} must be {bound}, got {value!r}")
    return value


def _pair(value: IntOrPair, what: str, minimum: int = 1) -> Pair:
    """An int or an (int, int) pair as a checked (rows, cols) pair."""
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ValueError(f"{what} must be an int or a pair of ints, got {value!r}")
        return (_positive_int(value[0], what, minimum), _positive_int(value[1], what, minimum))
    v = _positive_int(value, what, minimum)
    return v, v


def _fmt(pair: Pair) -> str:
    return f"{pair[0]}×{pair[1]}"


def _fmt_short(pair: Pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else _fmt(pair)


@dataclass(frozen=True)
class Conv:
    """A 2-D convolution with `filters` output channels (K₁·K₂·C_in·filters weights + filters
    biases). `kernel`, `stride`, `padding` and `dilation` are an int or a (rows, cols) pair.

    >>> Conv(3, 64, padding=1).label
    'conv 3×3, 64 filters, padding 1'
    >>> Conv(3, 8, stride=0)
    Traceback (most recent call last):
    ...
    ValueError: conv stride must be a positive integer, got 0
    """

    kernel: IntOrPair
    filters: int
    stride: IntOrPair = 1
    padding: IntOrPair = 0
    dilation: IntOrPair = 1

    def __post_init__(self) -> None:
        _pair(self.kernel, "conv kernel size")
        _positive_int(self.filters, "conv filter count")
        _pair(self.stride, "conv stride")
        _pair(self.padding, "conv padding", minimum=0)
        _pair(self.dilation, "conv dilation")

    @property
    def kernel_size(self) -> Pair:
        return _pair(self.kernel, "conv kernel size")

    @property
    def strides(self) -> Pair:
        return _pair(self.stride, "conv stride")

    @property
    def paddings(self) -> Pair:
        return _pair(self.padding, "conv padding", minimum=0)

    @property
    def dilations(self) -> Pair:
        return _pair(self.dilation, "conv dilation")

    @property
    def label(self) -> str:
        plural = "" if self.filters == 1 else "s"
        text = f"conv {_fmt(self.kernel_size)}, {self.filters} filter{plural}"
        if self.strides != (1, 1):
            text += f", stride {_fmt_short(self.strides)}"
        if self.paddings != (0, 0):
            text += f", padding {_fmt_short(self.paddings)}"
        if self.dilations != (1, 1):
            text += f", dilation {_fmt_short(self.dilations)}"
        return text


@dataclass(frozen=True)
class _Pool:
    """Shared by max and average pooling: a window, a stride (None: the window) and padding.

    Padding may be at most half the window (as in PyTorch), so no window lies entirely in
    the padding.
    """

    window: IntOrPair
    stride: IntOrPair | None = None
    padding: IntOrPair = 0

    kind = "pool"

    def __post_init__(self) -> None:
        window = _pair(self.window, f"{self.kind} window")
        _pair(self.window if self.stride is None else self.stride, f"{self.kind} stride")
        padding = _pair(self.padding, f"{self.kind} padding", minimum=0)
        for p, k in zip(padding, window, strict=True):
            if 2 * p > k:
                raise ValueError(f"{self.kind} padding {p} is more than half the window {k}: "
                                 "some windows would lie entirely in the padding")

    @property
    def window_size(self) -> Pair:
        return _pair(self.window, f"{self.kind} window")

    @property
    def strides(self) -> Pair:
        return _pair(self.window if self.stride is None else self.stride, f"{self.kind} stride")

    @property
    def paddings(self) -> Pair:
        return _pair(self.padding, f"{self.kind} padding", minimum=0)

    @property
    def label(self) -> str:
        text = f"{self.kind} {_fmt(self.window_size)}, stride {_fmt_short(self.strides)}"
        if self.paddings != (0, 0):
            text += f", padding {_fmt_short(self.paddings)}"
        return text


@dataclass(frozen=True)
class MaxPool(_Pool):
    """Max pooling per channel; `stride` defaults to the window.

    >>> MaxPool(3).label
    'max pool 3×3, stride 3'
    """

    kind = "max pool"


@dataclass(frozen=True)
class AvgPool(_Pool):
    """Average pooling per channel (padded zeros counted); `stride` defaults to the window."""

    kind = "avg pool"


@dataclass(frozen=True)
class GlobalAvgPool:
    """The mean of each channel over all positions: H×W×C → (C,) whatever H and W are."""

    label = "global avg pool"


@dataclass(frozen=True)
class Flatten:
    """H×W×C → (H·W·C,), row-major; on a vector it changes nothing."""

    label = "flatten"


@dataclass(frozen=True)
class Dense:
    """Fully connected: in·units weights + units biases. On an H×W×C input it flattens first."""

    units: int

    def __post_init__(self) -> None:
        _positive_int(self.units, "dense unit count")

    @property
    def label(self) -> str:
        return f"FC-{self.units}"


@dataclass(frozen=True)
class Activation:
    """A pointwise function (relu, sigmoid, tanh, …): no parameters, shape unchanged."""

    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"an activation needs a name, got {self.name!r}")

    @property
    def label(self) -> str:
        return self.name


Layer = Conv | MaxPool | AvgPool | GlobalAvgPool | Flatten | Dense | Activation
_SPATIAL = (Conv, MaxPool, AvgPool)


@dataclass(frozen=True)
class Row:
    """One layer of the table.

    `params` excludes the biases, `params_with_bias` includes them; `receptive_field` and
    `jump` are (rows, cols) in input pixels, or None once every input pixel is mixed in.
    """

    label: str
    output_shape: tuple[int, ...]
    params: int
    params_with_bias: int
    mults: int
    receptive_field: Pair | None
    jump: Pair | None

    @property
    def shape_text(self) -> str:
        """'7×7×2' or '2048'."""
        return "×".join(str(n) for n in self.output_shape)

    @property
    def receptive_field_text(self) -> str:
        """'9' for a square field, '3×5' otherwise, 'all' for the whole input."""
        return "all" if self.receptive_field is None else _fmt_short(self.receptive_field)


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


def _axis_out(n: int, k: int, s: int, p: int, d: int, where: str, axis: str) -> int:
    span = d * (k - 1) + 1
    if span > n + 2 * p:
        what = f"window span {span} (= {d}·({k} − 1) + 1)" if d > 1 else f"window {k}"
        raise ValueError(
            f"{where}: the {what} is larger than the padded input {n + 2 * p} "
            f"(= {n} + 2·{p}) along the {axis}, so the output size would be ≤ 0")
    return (n + 2 * p - span) // s + 1


def _where(index: int, layer: Layer) -> str:
    return f"layer {index + 1} ({layer.label})"


def _check_input(input_shape: tuple[int, int, int]) -> tuple[int, int, int]:
    if not isinstance(input_shape, tuple) or len(input_shape) != 3:
        raise ValueError(f"the input shape must be (H, W, C), got {input_shape!r}")
    h, w, c = (_positive_int(v, "every input dimension") for v in input_shape)
    return h, w, c


def _spatial_params(layer: Conv | MaxPool | AvgPool) -> tuple[Pair, Pair, Pair, Pair]:
    """Kernel, stride, padding, dilation of a conv or pooling layer."""
    if isinstance(layer, Conv):
        return layer.kernel_size, layer.strides, layer.paddings, layer.dilations
    return layer.window_size, layer.strides, layer.paddings, (1, 1)


def analyse(input_shape: tuple[int, int, int], layers: Sequence[Layer]) -> list[Row]:
    """One `Row` per layer for an (H, W, C) input; ValueError if a layer cannot be applied.

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
    h, w, c = _check_input(input_shape)
    shape: tuple[int, ...] = (h, w, c)
    rf: Pair | None = (1, 1)
    jump: Pair | None = (1, 1)
    rows: list[Row] = []
    for index, layer in enumerate(layers):
        where = _where(index, layer)
        params = bias = mults = 0
        if isinstance(layer, _SPATIAL):
            if len(shape) != 3 or rf is None or jump is None:
                raise ValueError(f"{where} needs an H×W×C input but gets a vector of "
                                 f"{shape[0]} features")
            h_in, w_in, c_in = shape
            k, s, p, d = _spatial_params(layer)
            h_out = _axis_out(h_in, k[0], s[0], p[0], d[0], where, "rows")
            w_out = _axis_out(w_in, k[1], s[1], p[1], d[1], where, "columns")
            c_out = layer.filters if isinstance(layer, Conv) else c_in
            if isinstance(layer, Conv):
                params = k[0] * k[1] * c_in * c_out
                bias = c_out
                mults = h_out * w_out * params
            rf = (rf[0] + (k[0] - 1) * d[0] * jump[0], rf[1] + (k[1] - 1) * d[1] * jump[1])
            jump = (jump[0] * s[0], jump[1] * s[1])
            shape = (h_out, w_out, c_out)
        elif isinstance(layer, GlobalAvgPool):
            if len(shape) != 3:
                raise ValueError(f"{where} needs an H×W×C input but gets a vector of "
                                 f"{shape[0]} features")
            shape, rf, jump = (shape[2],), None, None
        elif isinstance(layer, Flatten | Dense):
            features = 1
            for n in shape:
                features *= n
            shape, rf, jump = (features,), None, None
            if isinstance(layer, Dense):
                params, bias = features * layer.units, layer.units
                mults = params
                shape = (layer.units,)
        elif isinstance(layer, Activation):
            pass
        else:
            raise TypeError(f"layer {index + 1}: unknown layer {layer!r}")
        rows.append(Row(layer.label, shape, params, params + bias, mults, rf, jump))
    return rows


def _trunk(layers: Sequence[Layer]) -> list[Conv | MaxPool | AvgPool]:
    """The conv/pool layers before the first layer that mixes all positions.

    A conv or pooling layer after that point can never be applied: ValueError.
    """
    trunk: list[Conv | MaxPool | AvgPool] = []
    mixed: int | None = None
    for index, layer in enumerate(layers):
        if isinstance(layer, _SPATIAL):
            if mixed is not None:
                raise ValueError(f"{_where(index, layer)} comes after "
                                 f"{_where(mixed, layers[mixed])}, whose output is a vector")
            trunk.append(layer)
        elif isinstance(layer, GlobalAvgPool | Flatten | Dense) and mixed is None:
            mixed = index
    return trunk


def minimum_input_size(layers: Sequence[Layer]) -> Pair:
    """The smallest (H, W) every conv and pooling layer accepts (each output ≥ 1).

    Walks backwards: a layer with m outputs needs n ≥ (m − 1)·s + d(k − 1) + 1 − 2p inputs
    (and n ≥ 1). Output size grows with the input, so every larger input works too, as far
    as the conv/pool layers go; a dense layer after a flatten still fixes one size (see
    `accepts_variable_input`).

    >>> minimum_input_size([Conv(3, 8), Conv(3, 8), MaxPool(2), Conv(3, 8)])
    (10, 10)
    >>> minimum_input_size([Conv(3, 8, padding=1)] * 4)
    (1, 1)
    """
    need = [1, 1]
    for layer in reversed(_trunk(layers)):
        k, s, p, d = _spatial_params(layer)
        for axis in (0, 1):
            span = d[axis] * (k[axis] - 1) + 1
            need[axis] = max(1, (need[axis] - 1) * s[axis] + span - 2 * p[axis])
    return need[0], need[1]


def accepts_variable_input(layers: Sequence[Layer]) -> tuple[bool, str]:
    """Whether the same weights work for inputs of different H×W, and why.

    >>> accepts_variable_input([Conv(5, 16), Conv(5, 16), GlobalAvgPool(), Dense(128),
    ...                         Dense(1)])[0]
    True
    >>> ok, why = accepts_variable_input([Flatten(), Dense(100), Dense(10)])
    >>> ok, why.split(": ")[1]
    (False, 'layer 1 (flatten) turns the H×W×C input into H·W·C features')
    """
    _trunk(layers)
    min_h, min_w = minimum_input_size(layers)
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
