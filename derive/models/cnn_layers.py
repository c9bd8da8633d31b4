"""The layers of a CNN as small frozen dataclasses, with their labels and validation.

Sizes are an int or a (rows, cols) pair; `Row` is one line of a network's table (see
`derive.models.architecture`, which walks a network through them).

>>> Conv(3, 64, padding=1).label
'conv 3×3, 64 filters, padding 1'
"""

from __future__ import annotations

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
        """As the literature writes it: relu → ReLU, tanh stays tanh."""
        return ACTIVATION_NAMES.get(self.name.lower(), self.name)


# Activation names written as the literature writes them (others are kept as given).
ACTIVATION_NAMES = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "leakyrelu": "leaky ReLU",
                    "elu": "ELU", "gelu": "GELU", "selu": "SELU", "silu": "SiLU",
                    "sigmoid": "sigmoid", "softmax": "softmax", "tanh": "tanh"}


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
