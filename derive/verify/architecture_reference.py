"""Independent check of the architecture calculator: run the network instead of counting.

Layers are plain data, one dict per layer, built by the question code from the spec (this
module imports no model):

    {"type": "conv", "kernel": (kh, kw), "filters": n, "stride": (sh, sw),
     "padding": (ph, pw), "dilation": (dh, dw)}
    {"type": "maxpool" or "avgpool", "window": (kh, kw), "stride": (sh, sw), "padding": (ph, pw)}
    {"type": "global_avg_pool"}, {"type": "flatten"}, {"type": "dense", "units": n},
    {"type": "activation", "name": "relu"}

(an int may stand for a square pair). `Network` creates random numpy weights the first time
each layer sees data (as Keras builds a layer), so every weight shape comes from the array
that actually arrives. Shapes, parameter counts and multiplications are then read off the
arrays: the output arrays, the `.size` of the weight arrays, and the multiplications the
loops really perform. No output size, parameter or receptive-field formula is used.

Layers are written from their definitions, one output position at a time. Layers with many
positions use a numpy sliding-window view instead (same arithmetic, vectorised), and a dense
layer too big for memory (the 903 168 × 2048 one of the VGG-like assignment net) gets a
weight matrix whose rows are one broadcast vector: `.size` is still the real count.

Receptive fields are found by brute force: with positive weights, zero biases and a zero
input every activation is exactly 0; switching on one input pixel makes an output position
non-zero exactly when it depends on that pixel (a sum of non-negative terms, one of them
positive, is positive; a max pool passes it on; a pointwise activation f is applied as
f(x) − f(0), which is positive for x > 0 for the increasing activations supported here).
All pixels are switched on one at a time in one batch.

>>> net = [{"type": "conv", "kernel": 2, "filters": 2},
...        {"type": "conv", "kernel": 3, "filters": 4, "stride": 2},
...        {"type": "maxpool", "window": 2, "stride": 1}]
>>> [m.output_shape for m in measure((8, 8, 3), net)]
[(7, 7, 2), (3, 3, 4), (2, 2, 4)]
>>> thin = [{"type": "conv", "kernel": 3, "filters": 1},
...         {"type": "conv", "kernel": 3, "filters": 1, "stride": 2},
...         {"type": "maxpool", "window": 2}]
>>> max_receptive_fields((8, 8, 1), thin)
[(3, 3), (5, 5), (7, 7)]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

Layer = Mapping[str, Any]
Array = NDArray[np.float64]

#: Above this many output positions a conv/pool layer uses the sliding-window version.
FAST_POSITIONS = 4096
#: Above this many weights a dense matrix is one broadcast row (read-only, no memory).
HUGE_DENSE = 1 << 26
#: Layers whose output is a vector whatever their input (the image ends there).
VECTOR_LAYERS = ("dense", "flatten", "global_avg_pool")

_ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "relu": lambda v: np.maximum(v, 0.0),
    "leaky_relu": lambda v: np.where(v > 0, v, 0.01 * v),
    "sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)),
    "tanh": np.tanh,
    "identity": lambda v: v,
    "linear": lambda v: v,
}


def _two(value: Any) -> tuple[int, int]:
    """A hyper-parameter given as an int or a (rows, cols) pair."""
    if isinstance(value, tuple | list):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def _fits(length: int, span: int, stride: int) -> int:
    """How many windows of `span` starting at 0, stride, 2·stride, … lie inside `length`."""
    count = 0
    while count * stride + span <= length:
        count += 1
    return count


@dataclass(frozen=True)
class Measured:
    """What one layer did to a real input."""

    output_shape: tuple[int, ...]
    params: int
    params_with_bias: int
    mults: int
    inputs: int = 0          # how many values enter the layer (a dense layer's fan-in)


class Network:
    """The layers with weights created lazily from the first input that reaches them.

    `positive=True` draws weights from [0.5, 1] and zero biases (the receptive-field mode);
    otherwise weights are N(0, 1/fan_in) and biases N(0, 1). `fast` forces (True) or forbids
    (False) the sliding-window layers; None chooses by size. `one_filter=True` is for runs
    whose values are never read, only the shapes and sizes of the arrays: every channel and
    every filter of a layer meets the same windows, so a conv or pool layer computes its
    first input channel through its first filter only and broadcasts the result to all
    its filters (channels); the weight arrays are still drawn whole, and the
    multiplications counted over the windows taken across every input channel, for every
    filter (as a huge dense layer's broadcast rows keep its real `.size`).
    """

    def __init__(self, layers: Sequence[Layer], seed: int = 0, *, positive: bool = False,
                 fast: bool | None = None, one_filter: bool = False):
        self.layers = list(layers)
        self.rng = np.random.default_rng(seed)
        self.positive = positive
        self.fast = fast
        self.one_filter = one_filter
        self.kernels: list[Array | None] = [None] * len(self.layers)
        self.biases: list[Array | None] = [None] * len(self.layers)
        self.mults: list[int] = [0] * len(self.layers)

    # ----------------------------------------------------------------- weights
    def _draw(self, shape: tuple[int, ...], fan_in: int) -> Array:
        if self.positive:
            return self.rng.uniform(0.5, 1.0, shape)
        return self.rng.standard_normal(shape) / np.sqrt(fan_in)

    def _bias(self, n: int) -> Array:
        return np.zeros(n) if self.positive else self.rng.standard_normal(n)

    def _conv_weights(self, index: int, kh: int, kw: int, c_in: int, filters: int) -> Array:
        if self.kernels[index] is None:
            self.kernels[index] = self._draw((kh, kw, c_in, filters), kh * kw * c_in)
            self.biases[index] = self._bias(filters)
        kernel = self.kernels[index]
        assert kernel is not None
        if kernel.shape[2] != c_in:
            raise ValueError(f"layer {index + 1} was built for {kernel.shape[2]} channels, "
                             f"got {c_in}")
        return kernel

    def _dense_weights(self, index: int, n_in: int, units: int) -> Array:
        if self.kernels[index] is None:
            if n_in * units > HUGE_DENSE:
                row = self._draw((units,), n_in)
                self.kernels[index] = np.broadcast_to(row, (n_in, units))
            else:
                self.kernels[index] = self._draw((n_in, units), n_in)
            self.biases[index] = self._bias(units)
        kernel = self.kernels[index]
        assert kernel is not None
        if kernel.shape[0] != n_in:
            raise ValueError(f"layer {index + 1} was built for {kernel.shape[0]} inputs, "
                             f"got {n_in}")
        return kernel

    # ----------------------------------------------------------------- layers
    def _use_fast(self, positions: int) -> bool:
        return positions > FAST_POSITIONS if self.fast is None else self.fast

    def _conv(self, index: int, layer: Layer, x: Array) -> Array:
        (kh, kw), (sh, sw) = _two(layer["kernel"]), _two(layer.get("stride", 1))
        (ph, pw), (dh, dw) = _two(layer.get("padding", 0)), _two(layer.get("dilation", 1))
        kernel = self._conv_weights(index, kh, kw, x.shape[3], int(layer["filters"]))
        bias = self.biases[index]
        assert bias is not None
        channels, filters = kernel.shape[2], kernel.shape[3]
        if self.one_filter:        # values unread: input channel 0 and filter 0 stand for all
            x, kernel, bias = x[..., :1], kernel[:, :, :1, :1], bias[:1]
        xp = _padded(x, ph, pw, 0.0)
        every = np.broadcast_to(xp, (*xp.shape[:3], channels))  # all channels (a view)
        span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
        rows, cols = _fits(xp.shape[1], span_h, sh), _fits(xp.shape[2], span_w, sw)
        if rows == 0 or cols == 0:
            raise ValueError(f"layer {index + 1}: no {span_h}×{span_w} window fits in "
                             f"{xp.shape[1]}×{xp.shape[2]}")
        if self._use_fast(rows * cols):
            view = sliding_window_view(every, (span_h, span_w), axis=(1, 2))
            taken = view[:, : rows * sh: sh, : cols * sw: sw, :, ::dh, ::dw]  # (B,r,c,C,kh,kw)
            self.mults[index] = taken[0].size * filters
            if kernel.shape[2] == kernel.shape[3] == 1:
                # one channel in and out (receptive-field and one-filter runs): each tap's
                # weight times the input it meets, summed over the taps
                out = np.zeros((x.shape[0], rows, cols, 1)) + bias
                for h in range(kh):
                    for w in range(kw):
                        out += kernel[h, w, 0, 0] * xp[:, h * dh: h * dh + rows * sh: sh,
                                                       w * dw: w * dw + cols * sw: sw, :]
                return self._all_filters(out, filters)
            out = np.einsum("brcxhw,hwxf->brcf", taken, kernel, optimize=True) + bias
            return np.asarray(out, dtype=np.float64)
        out = np.empty((x.shape[0], rows, cols, kernel.shape[3]))
        mults = 0
        for r in range(rows):
            for c in range(cols):
                patch = every[:, r * sh: r * sh + span_h: dh, c * sw: c * sw + span_w: dw, :]
                out[:, r, c, :] = np.tensordot(patch[..., : kernel.shape[2]], kernel,
                                               axes=3) + bias
                mults += patch[0].size * filters
        self.mults[index] = mults
        return self._all_filters(out, filters)

    @staticmethod
    def _all_filters(out: Array, filters: int) -> Array:
        """`out` as computed, or (one-filter runs) its one filter standing for all."""
        if out.shape[3] == filters:
            return out
        return np.broadcast_to(out, (*out.shape[:3], filters))

    def _pool(self, index: int, layer: Layer, x: Array) -> Array:
        (kh, kw), (ph, pw) = _two(layer["window"]), _two(layer.get("padding", 0))
        sh, sw = _two(layer.get("stride") or layer["window"])  # pooling strides by its window
        is_max = layer["type"] == "maxpool"
        fill = -np.inf if is_max else 0.0
        channels = x.shape[3]
        if self.one_filter:        # values unread: each channel is pooled alike, one stands
            x = x[..., :1]          # for all
        xp = _padded(x, ph, pw, fill)
        rows, cols = _fits(xp.shape[1], kh, sh), _fits(xp.shape[2], kw, sw)
        if rows == 0 or cols == 0:
            raise ValueError(f"layer {index + 1}: no {kh}×{kw} window fits in "
                             f"{xp.shape[1]}×{xp.shape[2]}")
        reduce = np.max if is_max else np.mean
        if self._use_fast(rows * cols):
            view = sliding_window_view(xp, (kh, kw), axis=(1, 2))
            win = view[:, : rows * sh: sh, : cols * sw: sw]
            return self._all_filters(np.asarray(reduce(win, axis=(4, 5)), dtype=np.float64),
                                     channels)
        out = np.empty((x.shape[0], rows, cols, x.shape[3]))
        for r in range(rows):
            for c in range(cols):
                out[:, r, c, :] = reduce(xp[:, r * sh: r * sh + kh, c * sw: c * sw + kw, :],
                                         axis=(1, 2))
        return self._all_filters(out, channels)

    def _dense(self, index: int, layer: Layer, x: Array) -> Array:
        flat = x.reshape(x.shape[0], -1)
        kernel = self._dense_weights(index, flat.shape[1], int(layer["units"]))
        bias = self.biases[index]
        assert bias is not None
        self.mults[index] = kernel.size
        if kernel.strides[0] == 0:  # every row is the same vector: Σ_i x_i w_i,o = (Σ_i x_i) w_o
            return np.asarray(flat.sum(axis=1, keepdims=True) * kernel[0] + bias)
        return np.asarray(flat @ kernel + bias)

    def _activation(self, layer: Layer, x: Array) -> Array:
        name = str(layer["name"]).lower()
        if name == "softmax":
            if self.positive:
                raise ValueError("softmax is not pointwise: no receptive-field mode for it")
            e = np.exp(x - x.max(axis=-1, keepdims=True))
            return np.asarray(e / e.sum(axis=-1, keepdims=True))
        if name not in _ACTIVATIONS:
            raise ValueError(f"the reference does not know the activation {name!r}")
        f = _ACTIVATIONS[name]
        if self.positive:  # keeps 0 at 0 and x > 0 positive
            return np.asarray(f(x) - f(np.zeros(1)))
        return np.asarray(f(x))

    def __call__(self, x: Array) -> list[Array]:
        """The output of every layer for a batch x of shape (B, H, W, C)."""
        outputs = []
        for index, layer in enumerate(self.layers):
            kind = layer["type"]
            if kind in ("conv", "maxpool", "avgpool", "global_avg_pool") and x.ndim != 4:
                raise ValueError(f"layer {index + 1} needs an image, got shape {x.shape[1:]}")
            if kind == "conv":
                x = self._conv(index, layer, x)
            elif kind in ("maxpool", "avgpool"):
                x = self._pool(index, layer, x)
            elif kind == "global_avg_pool":
                x = x.mean(axis=(1, 2))
            elif kind == "flatten":
                x = x.reshape(x.shape[0], -1)
            elif kind == "dense":
                x = self._dense(index, layer, x)
            elif kind == "activation":
                x = self._activation(layer, x)
            else:
                raise TypeError(f"unknown layer {layer!r}")
            outputs.append(x)
        return outputs

    def counts(self, index: int) -> tuple[int, int]:
        """(weights, weights + biases) of a layer, from the arrays it holds."""
        kernel, bias = self.kernels[index], self.biases[index]
        weights = 0 if kernel is None else kernel.size
        return weights, weights + (0 if bias is None else bias.size)


def _padded(x: Array, ph: int, pw: int, fill: float) -> Array:
    """x with `ph` rows and `pw` columns of `fill` on each side (x itself when none)."""
    if ph == pw == 0:
        return x
    return np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)), constant_values=fill)


def measure(input_shape: tuple[int, ...], layers: Sequence[Layer], seed: int = 0, *,
            fast: bool | None = None) -> list[Measured]:
    """Run one random (H, W, C) input, or a vector of n features, through a freshly built
    network; one row per layer. Only the shapes and sizes of the arrays are read, so the
    network runs with one filter per layer (see `Network`) and, unless `fast` is False,
    the sliding-window layers.

    >>> mlp = [{"type": "dense", "units": 512}, {"type": "activation", "name": "relu"},
    ...        {"type": "dense", "units": 512}, {"type": "dense", "units": 10}]
    >>> sum(m.params_with_bias for m in measure((32,), mlp))
    284682
    """
    # only shapes and sizes are read: one filter computed, windows taken by numpy's view
    # (the loops count the same multiplications: see the tests)
    net = Network(layers, seed, fast=True if fast is None else fast, one_filter=True)
    x = np.random.default_rng(seed + 1).standard_normal((1, *input_shape))
    outputs = net(x)
    entering = [x, *outputs[:-1]]
    return [Measured(tuple(int(n) for n in out.shape[1:]), *net.counts(index),
                     net.mults[index], int(entering[index][0].size))
            for index, out in enumerate(outputs)]


def runs_on(layers: Sequence[Layer], built_for: tuple[int, ...],
            others: Sequence[tuple[int, int, int]], seed: int = 0) -> list[bool]:
    """Build the network on one input shape, then try the same weights on other shapes."""
    net = Network(layers, seed)
    rng = np.random.default_rng(seed + 1)
    net(rng.standard_normal((1, *built_for)))
    ran = []
    for shape in others:
        try:
            net(rng.standard_normal((1, *shape)))
        except ValueError:
            ran.append(False)
        else:
            ran.append(True)
    return ran


def try_sizes(layers: Sequence[Layer], built_for: tuple[int, ...],
              sizes: Sequence[tuple[int, int, int]], seed: int = 0) -> list[tuple[bool, bool]]:
    """For each input shape: does a network built afresh for it run, and does the network
    built for `built_for` run on it with its weights unchanged (same weight shapes)?"""
    fresh = []
    for shape in sizes:
        try:
            Network(layers, seed)(np.zeros((1, *shape)))
        except ValueError:
            fresh.append(False)
        else:
            fresh.append(True)
    return list(zip(fresh, runs_on(layers, built_for, sizes, seed), strict=True))


def depends_on(input_shape: tuple[int, ...], layers: Sequence[Layer],
               pixel: tuple[int, int], position: tuple[int, int], seed: int = 0) -> bool:
    """Whether output `position` (row, column) of the last layer changes when input `pixel`
    is switched on in every channel: one pixel, brute force, on the network as given."""
    x = np.zeros((2, *input_shape))
    x[1, pixel[0], pixel[1], :] = 1.0
    out = Network(layers, seed, positive=True)(x)[-1]
    if out.ndim != 4:
        raise ValueError("the last layer has no spatial output")
    return bool((out[1, position[0], position[1]] != out[0, position[0], position[1]]).any())


def receptive_windows(input_shape: tuple[int, int, int], layers: Sequence[Layer],
                      seed: int = 0) -> list[NDArray[np.int64] | None]:
    """For each layer with an image output, an (H_out, W_out, 2, 2) array: entry
    [i, j, axis, 0] is the first and [i, j, axis, 1] the last input row (axis 0) or column
    (axis 1) that output position (i, j) depends on (−1 if none); None for a vector output.

    Batch element 0 is the all-zero input, element 1 + r·W + c has pixel (r, c) switched on
    in every channel; an output depends on pixel (r, c) iff it changes.
    """
    h, w, c = input_shape
    x = np.zeros((1 + h * w, h, w, c))
    for r in range(h):
        for col in range(w):
            x[1 + r * w + col, r, col, :] = 1.0
    outputs = Network(layers, seed, positive=True)(x)
    windows: list[NDArray[np.int64] | None] = []
    for out in outputs:
        if out.ndim != 4:
            windows.append(None)
            continue
        changed = (out[1:] != out[:1]).any(axis=3)  # (H·W, H_out, W_out)
        dep = changed.reshape(h, w, *out.shape[1:3])
        result = np.full((*out.shape[1:3], 2, 2), -1, dtype=np.int64)
        for axis, n in ((0, h), (1, w)):
            hit = dep.any(axis=1 - axis)  # (n, H_out, W_out): which rows (columns) matter
            some = hit.any(axis=0)
            result[..., axis, 0] = np.where(some, np.argmax(hit, axis=0), -1)
            result[..., axis, 1] = np.where(some, n - 1 - np.argmax(hit[::-1], axis=0), -1)
        windows.append(result)
    return windows


def max_receptive_fields(input_shape: tuple[int, int, int],
                         layers: Sequence[Layer]) -> list[tuple[int, int] | None]:
    """Per layer, the largest row and column extent over all output positions (None for a
    vector output). Without padding every position has the same extent."""
    fields: list[tuple[int, int] | None] = []
    for win in receptive_windows(input_shape, layers):
        if win is None:
            fields.append(None)
            continue
        span = win[..., 1] - win[..., 0] + 1  # (H_out, W_out, 2)
        fields.append((int(span[..., 0].max()), int(span[..., 1].max())))
    return fields


def _along(layer: Layer, axis: int) -> Layer:
    """A one-channel copy of a layer that acts along `axis` only: along the other axis its
    window is 1, its stride 1, its padding 0 (a 2-D window acts on each axis separately)."""
    kind = layer["type"]
    if kind not in ("conv", "maxpool", "avgpool"):
        return layer

    def keep(value: Any, neutral: int) -> tuple[int, int]:
        pair = _two(value)
        return (pair[0], neutral) if axis == 0 else (neutral, pair[1])

    size = "kernel" if kind == "conv" else "window"
    copy = {"type": kind, size: keep(layer[size], 1),
            "stride": keep(layer.get("stride") or (1 if kind == "conv" else layer[size]), 1),
            "padding": keep(layer.get("padding", 0), 0)}
    if kind == "conv":
        copy |= {"filters": 1, "dilation": keep(layer.get("dilation", 1), 1)}
    return copy


def _dependence(layers: Sequence[Layer], axis: int, length: int) -> list[NDArray[np.bool_] | None]:
    """Per layer, a (length, n_out) array: does output position o (along `axis`) of the
    one-axis copy change when input position i is switched on? None for a vector output."""
    thin = [_along(layer, axis) for layer in layers]
    # from the first layer whose output is a vector on, there is no field: not run
    image = next((n for n, layer in enumerate(thin) if layer["type"] in VECTOR_LAYERS),
                 len(thin))
    x = np.zeros((1 + length, length, 1, 1) if axis == 0 else (1 + length, 1, length, 1))
    for i in range(length):
        x[(1 + i, i, 0, 0) if axis == 0 else (1 + i, 0, i, 0)] = 1.0
    out: list[NDArray[np.bool_] | None] = []
    for y in Network(thin[:image], positive=True, fast=True)(x):
        changed = (y[1:] != y[:1]).reshape(length, *y.shape[1:])
        out.append(None if y.ndim != 4 else
                   changed[:, :, 0, 0] if axis == 0 else changed[:, 0, :, 0])
    return out + [None] * (len(thin) - image)


def fields_and_jumps(layers: Sequence[Layer], axis: int, limit: int = 1 << 13
                     ) -> list[tuple[int, int] | None]:
    """Per layer, (receptive field, jump) along `axis` by brute force: in a one-axis copy of
    the network, switch on one input position at a time and see which outputs change. The
    field is the largest span from the first to the last input an output depends on (a
    window cut by the border loses its outermost input, so it spans less), the jump the
    distance between the first inputs of two neighbouring outputs of that span. The input
    is doubled until the answer no longer changes; None from the first vector output on."""
    length, before = 8, None
    while length <= limit:
        try:
            found = _fields(_dependence(layers, axis, length), length)
        except ValueError:          # some window does not fit yet
            found = None
        if found is not None and found == before:
            return found
        length, before = 2 * length, found
    raise ValueError(f"no input up to {limit} positions shows every receptive field whole")


def _fields(deps: list[NDArray[np.bool_] | None], length: int
            ) -> list[tuple[int, int] | None] | None:
    found: list[tuple[int, int] | None] = []
    for dep in deps:
        if dep is None:
            found.append(None)
            continue
        first = np.argmax(dep, axis=0)
        last = length - 1 - np.argmax(dep[::-1], axis=0)
        span = np.where(dep.any(axis=0), last - first + 1, 0)
        whole = np.flatnonzero((span == span.max()) & (first > 0) & (last < length - 1))
        pairs = whole[:-1][np.diff(whole) == 1]
        if not pairs.size:
            return None
        o = int(pairs[0])
        found.append((int(span[o]), int(first[o + 1] - first[o])))
    return found


def positions_seen(layers: Sequence[Layer], axis: int, length: int) -> int:
    """How many of the `length` input positions along `axis` the last layer's output depends
    on (any output value changes when the position is switched on), by brute force."""
    thin = [_along(layer, axis) for layer in layers]
    x = np.zeros((1 + length, length, 1, 1) if axis == 0 else (1 + length, 1, length, 1))
    for i in range(length):
        x[(1 + i, i, 0, 0) if axis == 0 else (1 + i, 0, i, 0)] = 1.0
    y = Network(thin, positive=True, fast=True)(x)[-1]
    return int((y[1:] != y[:1]).reshape(length, -1).any(axis=1).sum())


def smallest_length(layers: Sequence[Layer], axis: int, limit: int) -> int:
    """The smallest input length along `axis` on which a fresh one-axis copy of the network
    runs, tried one length at a time from 1 (`limit`: a length known to run)."""
    thin = [_along(layer, axis) for layer in layers]
    for length in range(1, limit + 1):
        try:
            Network(thin)(np.zeros((1, length, 1, 1) if axis == 0 else (1, 1, length, 1)))
        except ValueError:
            continue
        return length
    return limit
