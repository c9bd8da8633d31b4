"""`conv_layer.arrays`: a multi-channel convolution Z[i,j,m] of given arrays X, W (and b),
as a checked derivation: the sum (over the whole kernel on the padded input, then over the
taps that meet X), its values channel by channel, their extremes and zeros with every
location. The arrays are given, so the steps are compared on them (through functions that
read the given numbers, `conv_arrays.GivenArray`); the answers with a numpy convolution.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import sympy as sp
from numpy.typing import NDArray
from pydantic import Field, model_validator

from derive.derivation import Derivation
from derive.models import conv_layer as CL
from derive.models.conv_layer import ConvLayer, unroll
from derive.questions.base import PADDED, IndexBase, NonNegInt, PosInt, padded_input
from derive.questions.conv_arrays import (
    TOLERANCE,
    GivenArray,
    Largest,
    Places,
    Positions,
    Smallest,
    X_padded,
    _indicator,
    _number,
)
from derive.questions.declare import Derived, kind
from derive.verify import reference_nd as ref

Tensor3 = list[list[list[float]]]
Tensor4 = list[list[list[list[float]]]]
LOC = Positions("P")


class LayerPlaces(Places):
    """{(a, b, c), …} (arguments i, j, m, then the positions); numerically the indicator of
    those positions on the grid of (i, j, m)."""

    arity: ClassVar[int] = 3

    @staticmethod
    def _imp_(i: Any, j: Any, m: Any, *marks: Any) -> NDArray[np.float64]:
        return _indicator(i, _indicator(j, m)) + sum(marks)


class LayerWhere(sp.Function):
    """{(i, j, m) : z = v} (arguments i, j, m, z, v, tolerance)."""

    @staticmethod
    def _imp_(i: Any, j: Any, m: Any, z: Any, v: Any, tol: Any) -> NDArray[np.float64]:
        z = np.asarray(z, dtype=float)
        return (_indicator(i, _indicator(j, m))
                + np.where(np.isnan(z), np.nan, np.abs(z - v) <= tol))

    def _latex(self, printer: Any) -> str:
        i, j, m, z, v = (printer._print(a) for a in self.args[:5])
        return rf"\left\{{({i},{j},{m}) : {z} = {v}\right\}}"


class LayerLargest(Largest):
    """max_{i,j,m} Z_{i,j,m}, its arguments every entry."""

    def _latex(self, printer: Any) -> str:
        return self.word + r"_{i,j,m} Z_{i,j,m}"


class LayerSmallest(Smallest):
    """min_{i,j,m} Z_{i,j,m}, its arguments every entry."""

    def _latex(self, printer: Any) -> str:
        return self.word + r"_{i,j,m} Z_{i,j,m}"


@kind("conv_layer.arrays",
      "Multi-channel convolution of given arrays: the output per channel, its extremes "
      "with all their locations, or its zeros.",
      {"x": [[[1, 0], [2, 1], [0, 1]], [[0, 1], [1, 1], [2, 0]], [[1, 1], [0, 2], [1, 0]]],
       "w": [[[[1], [-1]], [[0], [1]]], [[[1], [0]], [[-1], [1]]]], "b": [0.5],
       "report": "max"})
class LayerArraysGiven(Derived):
    x: Tensor3 = Field(description="Input X[i][j][n]: rows, columns, channels.")
    w: Tensor4 = Field(description="Kernel W[k1][k2][n][m].")
    b: list[float] | None = Field(None, description="Bias b[m], one per output channel.")
    stride: PosInt = 1
    padding: NonNegInt = 0
    index_base: IndexBase = 1
    report: Literal["output", "max", "min", "zeros"] = "output"
    method: ClassVar[str] = "layer_arrays"
    tolerance: ClassVar[float] = TOLERANCE
    limits: ClassVar[dict[str, int]] = PADDED

    def measures(self) -> dict[str, int]:
        return padded_input(len(self.x), len(self.x[0]) if self.x else 0, self.padding)

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
        """The layer with indices from 0 (pages print them from `index_base`)."""
        h, w_, c = np.shape(self.x)
        k1, k2, _, m = np.shape(self.w)
        return ConvLayer((h, w_, c), (k1, k2), m, (self.stride,) * 2, (self.padding,) * 2,
                         bias=self.b is not None, base=0)

    def padded(self, layer: ConvLayer) -> sp.Expr:
        """Z[i,j,m] over the whole kernel on the zero-padded input X̃ (the definition)."""
        rows, cols = layer.axes
        (k1, k2), c = layer.kernel_shape, layer.input_shape[2]
        body = (CL.W[CL.k1, CL.k2, CL.n, CL.m]
                * X_padded[rows.input_index(CL.i, CL.k1), cols.input_index(CL.j, CL.k2), CL.n])
        z = sp.Sum(body, (CL.k1, 0, k1 - 1), (CL.k2, 0, k2 - 1), (CL.n, 0, c - 1))
        return z + CL.bias_[CL.m] if layer.bias else z

    def scale(self) -> float:
        """The rounding allowed in a value of Z: relative to the terms summed."""
        return TOLERANCE * max(1.0, float(self._convolved(abs_values=True).max()))

    def _convolved(self, abs_values: bool = False) -> NDArray[np.float64]:
        f = np.abs if abs_values else np.asarray
        return ref.conv2d_nd(f(np.array(self.x, dtype=float)), f(np.array(self.w, dtype=float)),
                             None if self.b is None else f(np.array(self.b, dtype=float)),
                             (self.stride,) * 2, (self.padding,) * 2)

    def derive(self) -> Derivation:
        layer = self.layer()
        rows, cols, channels = layer.output_shape
        tight = layer.forward()
        given_x, given_w = GivenArray.of("X", self.x), GivenArray.of("W", self.w)
        definitions: dict[Any, Any] = {
            CL.X: lambda a, b, c: given_x(a, b, c),
            CL.W: lambda a, b, c, e: given_w(a, b, c, e),
            X_padded: lambda a, b, c: sp.Piecewise(
                (CL.X[a, b, c], sp.And(a >= 0, a <= layer.input_shape[0] - 1, b >= 0,
                                       b <= layer.input_shape[1] - 1)), (0, True)),
            CL.Z: lambda a, b, c: tight.xreplace({CL.i: a, CL.j: b, CL.m: c}),
            LOC: lambda a, b, c: (sp.KroneckerDelta(CL.i, a) * sp.KroneckerDelta(CL.j, b)
                                  * sp.KroneckerDelta(CL.m, c))}
        if self.b is not None:
            given_b = GivenArray.of("b", self.b)
            definitions[CL.bias_] = lambda a: given_b(a)
        free = {CL.i: (0, rows - 1), CL.j: (0, cols - 1), CL.m: (0, channels - 1)}
        d = Derivation({}, free, definitions)
        d.say("layer_arrays_sum", case=("padded" if self.padding else "valid")
              + ("_bias" if self.b is not None else ""))
        z = CL.Z[CL.i, CL.j, CL.m]
        if self.padding:
            d.chain(z, self.padded(layer), "definition").then(tight, "tighten_sum_limits")
        else:
            d.chain(z, tight, "definition")
        values = self._values(layer)
        base = self.index_base
        d.say("layer_arrays_values", r=rows, c=cols, n=channels, b=base)
        for c in range(channels):
            out = sp.ImmutableMatrix(rows, cols, lambda r, q, c=c: values[r, q, c])
            whole = sp.MatrixSymbol(rf"Z_{{\cdot,\cdot,{c + base}}}", rows, cols)
            d.definitions[whole] = sp.ImmutableMatrix(rows, cols,
                                                      lambda r, q, c=c: CL.Z[r, q, c])
            d.chain(whole, whole, "definition").then(out, "evaluate")
            if self.report == "output":
                d.answer(f"Z{c}")
        if self.report == "output":
            return d
        entries = [v for v in values.flat if v.is_finite] or [sp.Integer(0)]
        target = (max(entries) if self.report == "max" else min(entries)
                  if self.report == "min" else sp.Integer(0))
        places = [LOC[idx] for idx in np.ndindex(*values.shape) if values[idx] == target]
        n = len(places)
        if self.report == "zeros":
            d.say("layer_arrays_zeros", n=n,
                  case="none" if n == 0 else "one" if n == 1 else "other",
                  entry=sp.IndexedBase("Z")[sp.symbols("i j m", integer=True)])
        else:
            d.say("layer_arrays_extreme", value=target, n=n,
                  case=f"{self.report}_{'one' if n == 1 else 'other'}")
            extreme = (LayerLargest if self.report == "max" else LayerSmallest)(
                *(CL.Z[idx] for idx in np.ndindex(*values.shape)))
            d.chain(extreme, extreme, "definition").then(target, "read_off").answer("value")
        where = LayerWhere(CL.i, CL.j, CL.m, z, target, sp.Float(self.scale()))
        d.chain(where, where, "definition")
        return d.then(LayerPlaces(CL.i, CL.j, CL.m, *places), "read_off").answer("locations")

    def _values(self, layer: ConvLayer) -> NDArray[Any]:
        """Z in exact arithmetic, entry by entry: the sum written out with the given numbers
        (nan where a term reads outside the arrays)."""
        exact: dict[sp.Basic, sp.Expr] = {}
        for base, grid in ((CL.X, self.x), (CL.W, self.w), (CL.bias_, self.b or [])):
            array = np.array(grid, dtype=float)
            exact |= {base[idx]: _number(float(array[idx])) for idx in np.ndindex(array.shape)}
        forward = layer.forward()
        out = np.empty(layer.output_shape, dtype=object)
        for idx in np.ndindex(*out.shape):
            at = dict(zip((CL.i, CL.j, CL.m), idx, strict=True))
            value = unroll(forward, at).xreplace(exact)
            out[idx] = value.replace(lambda e: isinstance(e, sp.Indexed), lambda e: sp.nan)
        return out

    def value(self, answers: dict[str, Any]) -> Any:
        """Plain data: the output Z[i][j][m], or the extreme value and its locations, or the
        locations of the zeros, as {value, locations} (value 0)."""
        if self.report == "output":
            channels = [answers[f"Z{c}"] for c in range(len(answers))]
            return [[[float(z[r, q]) for z in channels] for q in range(channels[0].cols)]
                    for r in range(channels[0].rows)]
        locations = [[int(v) for v in p.indices] for p in answers["locations"].args[3:]]
        value = 0.0 if self.report == "zeros" else float(answers["value"])
        return {"value": value, "locations": locations}

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """numpy: a convolution of the given arrays (`conv2d_nd`), its extremes and zeros
        found up to rounding (relative to the terms summed)."""
        z = self._convolved()
        if self.report == "output":
            return {f"Z{c}": z[:, :, c] for c in range(z.shape[2])}
        value = {"max": z.max(), "min": z.min(), "zeros": 0.0}[self.report]
        return {"value": value, "locations": (np.abs(z - value) <= self.scale()).astype(float)}
