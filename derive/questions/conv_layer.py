"""The given parameters of the multi-channel convolution layer kinds (conv_layer.sizes,
conv_layer.grad): X[i,j,n] → Z[i,j,m] → U = act(Z), on random data drawn from `seed`."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from derive.models.conv_layer import ConvLayer
from derive.questions.base import Given, IndexBase, NonNegInt, PosInt, Size2, padded_input
from derive.verify import reference_nd as ref


class LayerGiven(Given):
    input: Annotated[list[PosInt], Field(min_length=3, max_length=3,
                                         description="Input height, width, channels.")]
    kernel: Size2 = Field(description="Kernel height and width (or one number).")
    out_channels: PosInt
    stride: PosInt = 1
    padding: NonNegInt = 0
    dilation: PosInt = 1
    flip: bool = Field(False, description="True: flipped-kernel convolution; "
                                          "False: cross-correlation (no reversal).")
    bias: bool = True
    activation: Literal["identity", "relu", "sigmoid"] = "identity"
    index_base: IndexBase = 1
    seed: NonNegInt = 0
    limits: ClassVar[dict[str, int]] = {"padded input": 1 << 20, "input": 1 << 24,
                                        "number of weights": 1 << 24,
                                        "number of multiplications": 10**9}

    def measures(self) -> dict[str, int]:
        rows, cols, channels = self.input
        k = self.kernel[0] * self.kernel[1] * channels
        out = [(n + 2 * self.padding - self.dilation * (kk - 1) - 1) // self.stride + 1
               for n, kk in zip((rows, cols), self.kernel, strict=True)]
        return {**padded_input(rows, cols, self.padding), "input": rows * cols * channels,
                "number of weights": k * self.out_channels,
                "number of multiplications": max(out[0], 0) * max(out[1], 0) * k
                * self.out_channels}

    @model_validator(mode="after")
    def _fits(self) -> LayerGiven:
        for axis, size, k in zip(("rows", "columns"), self.input[:2], self.kernel, strict=True):
            span = self.dilation * (k - 1) + 1
            if span > size + 2 * self.padding:
                raise ValueError(f"kernel {axis} span ({span}) exceed the padded input {axis} "
                                 f"({size} + 2·{self.padding})")
        return self

    def layer(self) -> ConvLayer:
        return ConvLayer((self.input[0], self.input[1], self.input[2]),
                         (self.kernel[0], self.kernel[1]), self.out_channels,
                         (self.stride,) * 2, (self.padding,) * 2, (self.dilation,) * 2,
                         self.flip, self.bias, self.activation, self.index_base)

    def geometry(self) -> dict[str, Any]:
        return {"stride": (self.stride,) * 2, "padding": (self.padding,) * 2,
                "dilation": (self.dilation,) * 2, "flip": self.flip}


def _data(g: LayerGiven) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.random.Generator]:
    rng = np.random.default_rng(g.seed)
    x = rng.normal(size=g.input)
    w = rng.normal(size=(*g.kernel, g.input[2], g.out_channels))
    b = rng.normal(size=g.out_channels) if g.bias else None
    return x, w, b, rng


def _parameter_arrays(g: LayerGiven) -> tuple[int, int]:
    """Entries of the gradient arrays of a numpy backward pass: with a bias, then without."""
    x, w, _, rng = _data(g)
    counts = []
    for bias in (rng.normal(size=g.out_channels), None):
        z = ref.conv2d_nd(x, w, bias, **g.geometry())
        dw, _, db = ref.conv2d_nd_backward(x, w, np.ones_like(z), **g.geometry())
        counts.append(dw.size + (db.size if bias is not None else 0))
    return counts[0], counts[1]
