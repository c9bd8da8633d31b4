"""Convolution on the spec's arrays, as a checked derivation (the convolution as a linear
map is `derive.questions.conv_linear`).

`conv2d.arrays`: the sum Z[i,j] on given arrays X and W: its limits, its values, their
extremes and zeros with every location. The arrays are given, so the steps are compared on
them (through functions that read the given numbers); only the limits, which hold whatever X
is, are compared at random X and W.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import sympy as sp
from numpy.typing import NDArray
from pydantic import Field, model_validator

from derive.derivation import Derivation, Domain
from derive.derivation.indices import in_base
from derive.latex.printer import tex
from derive.models import conv as C
from derive.models.conv import Conv2D
from derive.models.conv_matrix import Parenthesized
from derive.questions.base import PADDED, IndexBase, NonNegInt, PosInt, padded_input
from derive.questions.declare import Derived, kind
from derive.verify import reference as ref

Grid = list[list[float]]
# Relative to the size of the terms summed (see ArraysGiven.scale): what rounding may reach.
TOLERANCE = 1e-9
PER_LINE = 6

# Every kind registers itself in derive.questions.declare.REGISTRY.


# --- SymPy objects of the arrays kind ----------------------------------------------------------
X, W, Z = sp.IndexedBase("X"), sp.IndexedBase("W"), sp.IndexedBase("Z")
X_padded = sp.IndexedBase(r"\tilde{X}")
k1, k2 = sp.symbols("k_1 k_2", integer=True)


class GivenArray(sp.Function):
    """An array of the spec as a function of its indices (from 0). Its numpy meaning reads
    the given numbers, and a read outside the array is NaN: a step that reads there fails.
    Like an array entry, it is one of its own free symbols: a Σ of it is not a closed number
    to SymPy, and numpy evaluates it term by term."""

    is_number = False

    @property
    def free_symbols(self) -> set[sp.Basic]:
        return super().free_symbols | {self}

    @staticmethod
    def of(name: str, grid: Any) -> type[GivenArray]:
        """The given array `grid` (nested lists, any number of axes)."""
        values = np.array(grid, dtype=float)

        def read(*indices: Any) -> NDArray[np.float64]:
            idx = np.broadcast_arrays(*(np.rint(np.asarray(v, dtype=float)).astype(np.int64)
                                        for v in indices))
            inside = np.logical_and.reduce([(a >= 0) & (a < n)
                                            for a, n in zip(idx, values.shape, strict=True)])
            clipped = tuple(np.clip(a, 0, n - 1) for a, n in zip(idx, values.shape, strict=True))
            return np.where(inside, values[clipped], np.nan)

        return type(f"given_{name}", (GivenArray,), {"_imp_": staticmethod(read)})


class Position(sp.Indexed):
    """(a, b): a position of the output, printed as a pair (and shifted like any index)."""

    def _latex(self, printer: Any) -> str:
        return "(" + ",".join(printer._print(v) for v in self.indices) + ")"


class Positions(sp.IndexedBase):
    def __getitem__(self, indices: Any, **kw_args: Any) -> Position:
        indices = indices if isinstance(indices, tuple) else (indices,)
        return Position(self, *indices)


LOC = Positions("P")


def _indicator(i: Any, j: Any) -> NDArray[np.float64]:
    return np.zeros(np.broadcast(np.asarray(i), np.asarray(j)).shape)


class Places(sp.Function):
    """{(a, b), …}, a set of positions (arguments i, j, then the positions); numerically the
    indicator of those positions on the grid of (i, j)."""

    arity: ClassVar[int] = 2             # the index arguments before the positions

    @staticmethod
    def _imp_(i: Any, j: Any, *marks: Any) -> NDArray[np.float64]:
        return _indicator(i, j) + sum(marks)

    def _latex(self, printer: Any) -> str:
        cells = [printer._print(p) for p in self.args[self.arity:]]
        if not cells:
            return r"\varnothing"
        lines = [r",\ ".join(cells[k:k + PER_LINE]) for k in range(0, len(cells), PER_LINE)]
        if len(lines) == 1:
            return r"\left\{" + lines[0] + r"\right\}"
        return (r"\left\{\begin{aligned}&" + r",\\&".join(lines)
                + r"\end{aligned}\right\}")


class Where(sp.Function):
    """{(i, j) : z = v} (arguments i, j, z, v, tolerance); numerically the indicator of
    |z − v| ≤ tolerance on the grid of (i, j), NaN where z cannot be read."""

    @staticmethod
    def _imp_(i: Any, j: Any, z: Any, v: Any, tol: Any) -> NDArray[np.float64]:
        z = np.asarray(z, dtype=float)
        return _indicator(i, j) + np.where(np.isnan(z), np.nan, np.abs(z - v) <= tol)

    def _latex(self, printer: Any) -> str:
        i, j, z, v = (printer._print(a) for a in self.args[:4])
        return rf"\left\{{({i},{j}) : {z} = {v}\right\}}"


class Largest(sp.Function):
    """max_{i,j} Z_{i,j}, its arguments every entry Z_{r,c}: evaluated once, on all of them
    (never on a sample of positions)."""

    _imp_ = staticmethod(lambda *entries: np.max(np.stack(np.broadcast_arrays(*entries))))
    word = r"\max"

    def _latex(self, printer: Any) -> str:
        i, j = sp.symbols("i j", integer=True)
        return self.word + r"_{i,j} " + printer._print(sp.IndexedBase("Z")[i, j])


class Smallest(Largest):
    """min_{i,j} Z_{i,j}, its arguments every entry Z_{r,c}."""

    _imp_ = staticmethod(lambda *entries: np.min(np.stack(np.broadcast_arrays(*entries))))
    word = r"\min"


def _rectangular(name: str, grid: Grid) -> None:
    if not grid or any(len(row) != len(grid[0]) for row in grid) or not grid[0]:
        raise ValueError(f"{name} must be a non-empty rectangular array (rows of equal length)")


def _number(v: float) -> sp.Expr:
    return sp.Integer(int(v)) if float(v).is_integer() else sp.nsimplify(v)


def _plain(v: sp.Expr) -> int | float:
    return int(v) if v.is_Integer else float(v)


def _fitted(sizes: list[int], kernel: list[int], padding: int) -> None:
    """A kernel no larger than the padded input, along each axis."""
    for axis, n, k in zip(("rows", "columns"), sizes, kernel, strict=True):
        if k > n + 2 * padding:
            raise ValueError(f"kernel {axis} ({k}) exceed the padded input {axis} "
                             f"({n} + 2·{padding})")


# --- conv2d.arrays ---------------------------------------------------------------------------
class _PerReport:
    """The check method in the words of what the report compares (`conv_arrays_<report>`;
    the limits, walked over a padded input, `conv_arrays_limits_padded`)."""

    def __get__(self, given: Any, cls: type | None = None) -> str:
        if given is None:
            return "conv_arrays_output"
        padded = "_padded" if given.report == "limits" and given.padding else ""
        return f"conv_arrays_{given.report}{padded}"


@kind("conv2d.arrays",
      "On given arrays: summation limits, the output, its extremes or its zeros.",
      {"x": [[0, 1, 2], [3, 4, 5], [6, 7, 8]], "w": [[1, -1]], "report": "max"})
class ArraysGiven(Derived):
    x: Grid = Field(description="The input array, row by row.")
    w: Grid = Field(description="The kernel, row by row.")
    stride: PosInt = 1
    padding: NonNegInt = 0
    index_base: IndexBase = 1
    report: Literal["limits", "output", "max", "min", "zeros"] = "output"
    show_arrays: bool = Field(False, description="Display X and W again before the output "
                              "(for an assignment whose text does not show them).")
    delimiters: Literal["brackets", "parentheses"] = Field(
        "brackets", description="How matrices are written: [ ] or ( ), as the assignment "
        "writes its arrays.")
    method: ClassVar[str] = _PerReport()        # type: ignore[assignment]
    tolerance: ClassVar[float] = TOLERANCE
    limits: ClassVar[dict[str, int]] = PADDED

    def measures(self) -> dict[str, int]:
        return padded_input(len(self.x), len(self.x[0]) if self.x else 0, self.padding)

    @model_validator(mode="after")
    def _shapes(self) -> ArraysGiven:
        _rectangular("x", self.x)
        _rectangular("w", self.w)
        _fitted([len(self.x), len(self.x[0])], [len(self.w), len(self.w[0])], self.padding)
        return self

    def layer(self) -> Conv2D:
        """The layer with indices from 0 (pages print them from `index_base`)."""
        return Conv2D((len(self.x), len(self.x[0])), (len(self.w), len(self.w[0])),
                      (self.stride,) * 2, (self.padding,) * 2, 0)

    def sums(self) -> tuple[sp.Sum, sp.Sum]:
        """Z[i,j] over the whole kernel on the padded input, and over the taps that meet X."""
        layer = self.layer()
        names = {C.x: X, C.w: W, C.x_padded: X_padded, C.k: k1, C.l: k2}
        return layer.forward_padded().xreplace(names), layer.forward().xreplace(names)

    def scale(self) -> float:
        """The rounding allowed in a value of Z (the sums are at most Σ|x| · max|w|)."""
        bound = np.abs(np.array(self.x, dtype=float)).sum() * np.abs(np.array(self.w)).max()
        return TOLERANCE * max(1.0, float(bound))

    def derive(self) -> Derivation:
        layer = self.layer()
        rows, cols = layer.output_shape
        padded, tight = self.sums()
        definitions: dict[Any, Any] = {
            X_padded: lambda a, b: layer.padded_input(a, b).xreplace({C.x: X}),
            Z: lambda a, b: tight.xreplace({C.i: a, C.j: b}),
            LOC: lambda a, b: sp.KroneckerDelta(C.i, a) * sp.KroneckerDelta(C.j, b)}
        free = {C.i: (0, rows - 1), C.j: (0, cols - 1)}
        if self.report == "limits":        # they hold whatever X is: random X and W
            d = Derivation({X: Domain((len(self.x), len(self.x[0]))),
                            W: Domain((len(self.w), len(self.w[0])))}, free, definitions)
            (_, lo1, hi1), (_, lo2, hi2) = in_base(tight, self.index_base, [C.i, C.j]).limits
            d.say("arrays_limits", case="padded" if self.padding else "valid", p=self.padding,
                  lo1=tex(lo1), hi1=tex(hi1), lo2=tex(lo2), hi2=tex(hi2))
            return self._sum(d, padded, tight).answer("Z")
        given_x, given_w = GivenArray.of("X", self.x), GivenArray.of("W", self.w)
        definitions |= {X: lambda a, b: given_x(a, b), W: lambda a, b: given_w(a, b)}
        d = Derivation({}, free, definitions)
        if self.report == "output" or self.padding:
            # else the sum is the assignment's own and only its values are read: they alone
            # are shown (a later part points to them once, not to the sum and to the values)
            d.say("arrays_sum", case="padded" if self.padding else "valid")
            self._sum(d, padded, tight)
        shape = Parenthesized if self.delimiters == "parentheses" else sp.ImmutableMatrix
        out = shape([[self._value(tight, r, c) for c in range(cols)] for r in range(rows)])
        whole = sp.MatrixSymbol("Z", rows, cols)
        d.definitions[whole] = sp.ImmutableMatrix(rows, cols, lambda r, c: Z[r, c])
        d.say("arrays_values", r=rows, c=cols, b=self.index_base,
              case="named" if not self.show_arrays else "side"
              if len(self.x[0]) + len(self.w[0]) <= 10 else "stacked",
              x=shape([[_number(v) for v in row] for row in self.x]),
              w=shape([[_number(v) for v in row] for row in self.w]))
        d.chain(whole, whole, "definition").then(out, "evaluate")
        if self.report == "output":
            return d.answer("Z")
        entries = [v for v in out if v.is_finite] or [sp.Integer(0)]
        target = (max(entries) if self.report == "max" else min(entries)
                  if self.report == "min" else sp.Integer(0))
        places = [LOC[r, c] for r in range(rows) for c in range(cols) if out[r, c] == target]
        n = len(places)
        if self.report == "zeros":
            d.say("arrays_zeros", n=n, case="none" if n == 0 else "one" if n == 1 else "other",
                  entry=sp.IndexedBase("Z")[sp.symbols("i j", integer=True)])
        else:
            d.say("arrays_extreme", value=target, n=n,
                  case=f"{self.report}_{'one' if n == 1 else 'other'}")
            extreme = (Largest if self.report == "max" else Smallest)(
                *(Z[r, c] for r in range(rows) for c in range(cols)))
            d.chain(extreme, extreme, "definition").then(target, "read_off").answer("value")
        where = Where(C.i, C.j, Z[C.i, C.j], target, sp.Float(self.scale()))
        d.chain(where, where, "definition")
        return d.then(Places(C.i, C.j, *places), "read_off").answer("locations")

    def _value(self, tight: sp.Sum, r: int, c: int) -> sp.Expr:
        """Z[r,c] in exact arithmetic: the sum at (r, c), term by term, with the given numbers
        (nan if a term reads outside the arrays)."""
        (v1, lo1, hi1), (v2, lo2, hi2) = tight.xreplace({C.i: r, C.j: c}).limits
        body = tight.function.xreplace({C.i: r, C.j: c})
        total = sp.Integer(0)
        for a in range(int(lo1), int(hi1) + 1):
            for b in range(int(lo2), int(hi2) + 1):
                term = sp.Integer(1)
                for entry in sp.Mul.make_args(body.xreplace({v1: a, v2: b})):
                    grid = self.x if entry.base == X else self.w
                    p, q = (int(v) for v in entry.indices)
                    inside = 0 <= p < len(grid) and 0 <= q < len(grid[0])
                    term *= _number(grid[p][q]) if inside else sp.nan
                total += term
        return total

    def _sum(self, d: Derivation, padded: sp.Sum, tight: sp.Sum) -> Derivation:
        if self.padding:
            return d.chain(Z[C.i, C.j], padded, "definition").then(tight, "tighten_sum_limits")
        return d.chain(Z[C.i, C.j], tight, "definition")

    def value(self, answers: dict[str, Any]) -> Any:
        """Plain data: the limits (numbers, or formulas as text), the output row by row, the
        extreme value and its locations, or the locations of the zeros."""
        if self.report == "limits":
            limits = answers["Z"].limits
            fixed = all(v.is_Integer for _, *ends in limits for v in ends)
            return {name: [int(lo) if fixed else str(lo), int(hi) if fixed else str(hi)]
                    for name, (_, lo, hi) in zip(("k1", "k2"), limits, strict=True)}
        if self.report == "output":
            return [[_plain(v) for v in row] for row in answers["Z"].tolist()]
        locations = [[int(v) for v in p.indices] for p in answers["locations"].args[2:]]
        if self.report == "zeros":
            return locations
        return {"value": float(answers["value"]), "locations": locations}

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """numpy: a window walked over the padded input, summing the taps that meet X (the
        limits, on random arrays), or a convolution of the given arrays, its extremes and
        zeros found up to rounding."""
        s, p = self.stride, self.padding
        if self.report == "limits":
            x, w = data["X"], data["W"]
            (kh, kw), real, xp = w.shape, np.pad(np.ones(x.shape, dtype=bool), p), np.pad(x, p)
            walked = [[np.sum(w[real[a:a + kh, b:b + kw]] * xp[a:a + kh, b:b + kw][
                real[a:a + kh, b:b + kw]]) for b in range(0, xp.shape[1] - kw + 1, s)]
                for a in range(0, xp.shape[0] - kh + 1, s)]
            return {"Z": np.array(walked)}
        z = ref.conv2d(np.array(self.x, dtype=float), np.array(self.w, dtype=float), (s, s),
                       (p, p))
        if self.report == "output":
            return {"Z": z}
        value = {"max": z.max(), "min": z.min(), "zeros": 0.0}[self.report]
        return {"value": value, "locations": (np.abs(z - value) <= self.scale()).astype(float)}
