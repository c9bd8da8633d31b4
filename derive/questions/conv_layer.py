"""Question kinds on a multi-channel convolution layer X[i,j,n] → Z[i,j,m] → U = act(Z)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
import sympy as sp
from pydantic import Field, model_validator

from derive.latex.printer import tex
from derive.models.conv_layer import ConvLayer, W, X, bias_, unroll
from derive.questions.base import Check, Given, IndexBase, Kind, NonNegInt, PosInt, Size2, Solution
from derive.questions.conv_arrays import locations_display
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


Tensor3 = list[list[list[float]]]
Tensor4 = list[list[list[list[float]]]]


class LayerArraysGiven(Given):
    x: Tensor3 = Field(description="Input X[i][j][n]: rows, columns, channels.")
    w: Tensor4 = Field(description="Kernel W[k1][k2][n][m].")
    b: list[float] | None = Field(None, description="Bias b[m], one per output channel.")
    stride: PosInt = 1
    padding: NonNegInt = 0
    index_base: IndexBase = 1
    report: Literal["output", "max", "min", "zeros"] = "output"

    @model_validator(mode="after")
    def _shapes(self) -> LayerArraysGiven:
        xs, ws = np.array(self.x, dtype=object), np.array(self.w, dtype=object)
        if xs.ndim != 3 or any(isinstance(v, list) for v in xs.flat):
            raise ValueError("x must be a rectangular H×W×C array (every row and pixel alike)")
        if ws.ndim != 4 or any(isinstance(v, list) for v in ws.flat):
            raise ValueError("w must be a rectangular K1×K2×C×M array")
        if xs.shape[2] != ws.shape[2]:
            raise ValueError(f"channel mismatch: x has {xs.shape[2]} channels but w expects "
                             f"{ws.shape[2]} input channels (its third axis)")
        if self.b is not None and len(self.b) != ws.shape[3]:
            raise ValueError(f"b has {len(self.b)} entries but w has {ws.shape[3]} output "
                             "channels (its fourth axis)")
        for axis, size, k in zip(("rows", "columns"), xs.shape[:2], ws.shape[:2], strict=True):
            if k > size + 2 * self.padding:
                raise ValueError(f"kernel {axis} ({k}) exceed the padded input {axis} "
                                 f"({size} + 2·{self.padding})")
        return self

    def layer(self) -> ConvLayer:
        h, w_, c = np.shape(self.x)
        k1, k2, _, m = np.shape(self.w)
        return ConvLayer((h, w_, c), (k1, k2), m, (self.stride,) * 2, (self.padding,) * 2,
                         bias=self.b is not None, base=self.index_base)


def solve_layer_arrays(g: LayerArraysGiven) -> Solution:

    layer, base = g.layer(), g.index_base
    exact = {X[idx]: sp.nsimplify(v) for idx, v in _indexed(g.x, base)}
    exact |= {W[idx]: sp.nsimplify(v) for idx, v in _indexed(g.w, base)}
    exact |= {bias_[idx]: sp.nsimplify(v) for idx, v in _indexed(g.b or [], base)}
    forward = layer.forward()
    free, shape = layer.index_grid("Z")
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        at = dict(zip(free, (v + base for v in idx), strict=True))
        out[idx] = unroll(forward, at).xreplace(exact)
    values = np.array(out, dtype=float)
    if g.report == "output":
        target = None
        locations: list[tuple[int, ...]] = []
    else:
        target = {"max": values.max(), "min": values.min(), "zeros": 0.0}[g.report]
        locations = [tuple(int(v) + base for v in p) for p in np.argwhere(values == target)]

    def verify() -> Check:
        ref_z = ref.conv2d_nd(np.array(g.x, dtype=float), np.array(g.w, dtype=float),
                              None if g.b is None else np.array(g.b, dtype=float),
                              (g.stride,) * 2, (g.padding,) * 2)
        if g.report == "output":
            return Check.compare("exact evaluation of the index formula against a numpy "
                                 "reference convolution", values, ref_z, samples=values.size)
        wanted = {"max": ref_z.max(), "min": ref_z.min(), "zeros": 0.0}[g.report]
        # rounding of the reference is relative to the terms summed, not to the result
        scale = ref.conv2d_nd(np.abs(np.array(g.x, dtype=float)),
                              np.abs(np.array(g.w, dtype=float)), None if g.b is None else
                              np.abs(np.array(g.b, dtype=float)), (g.stride,) * 2,
                              (g.padding,) * 2).max()
        tol = 1e-9 * float(scale)
        ref_locs = [tuple(int(v) + base for v in p)
                    for p in np.argwhere(np.abs(ref_z - wanted) <= tol)]
        error = abs(float(target or 0.0) - float(wanted))
        ok = ref_locs == locations and error <= tol
        return Check("value and all locations from a numpy reference convolution", ok,
                     error, values.size)

    channels = [tex(sp.Matrix(out[:, :, mm].tolist())) for mm in range(shape[2])]
    where = ",\\ ".join(f"({', '.join(map(str, p))})" for p in locations)
    answer: Any = (values.tolist() if g.report == "output" else
                   {"value": float(target or 0.0), "locations": [list(p) for p in locations]})
    return Solution(
        answer=answer,
        answer_latex=(where or r"\varnothing") if g.report != "output" else "",
        context={"given": g, "forward": tex(forward), "channels": channels, "b": base,
                 "value": tex(sp.nsimplify(target)) if target is not None else "",
                 "locations": locations_display([f"({', '.join(map(str, p))})"
                                                 for p in locations]),
                 "count": len(locations), "shape": shape},
        verify=verify)


def _indexed(nested: Any, base: int) -> list[tuple[tuple[int, ...], float]]:
    array = np.array(nested, dtype=float)
    return [(tuple(v + base for v in idx), float(array[idx])) for idx in np.ndindex(array.shape)]


EXAMPLE = {"input": [6, 7, 3], "kernel": [3, 3], "out_channels": 4, "activation": "sigmoid"}

KINDS = {
    k.name: k
    for k in [
        Kind("conv_layer.arrays", LayerArraysGiven, solve_layer_arrays,
             "Multi-channel convolution of given arrays: the output per channel, its extremes "
             "with all their locations, or its zeros.",
             {"x": [[[1, 0], [2, 1], [0, 1]], [[0, 1], [1, 1], [2, 0]], [[1, 1], [0, 2], [1, 0]]],
              "w": [[[[1], [-1]], [[0], [1]]], [[[1], [0]], [[-1], [1]]]], "b": [0.5],
              "report": "max"}),
    ]
}
