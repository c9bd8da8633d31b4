"""Question kinds on concrete arrays and on convolution as a linear map."""

from __future__ import annotations

from typing import Literal

import numpy as np
import sympy as sp
from pydantic import Field, model_validator

from derive.latex.printer import tex
from derive.models import conv as C
from derive.models.conv import Conv2D
from derive.models.conv_layer import unroll
from derive.models.conv_matrix import TransposedConv2D, conv_matrix, vec
from derive.questions.base import Check, Given, IndexBase, Kind, NonNegInt, PosInt, Size2, Solution
from derive.verify import reference as ref

Grid = list[list[float]]
MATRIX_LIMIT = 1024


def _rectangular(name: str, grid: Grid) -> None:
    if not grid or any(len(row) != len(grid[0]) for row in grid) or not grid[0]:
        raise ValueError(f"{name} must be a non-empty rectangular array (rows of equal length)")


def _number(v: float) -> sp.Expr:
    return sp.Integer(int(v)) if float(v).is_integer() else sp.nsimplify(v)


class ArraysGiven(Given):
    x: Grid = Field(description="The input array, row by row.")
    w: Grid = Field(description="The kernel, row by row.")
    stride: PosInt = 1
    padding: NonNegInt = 0
    index_base: IndexBase = 1
    report: Literal["limits", "output", "max", "min", "zeros"] = "output"

    @model_validator(mode="after")
    def _shapes(self) -> ArraysGiven:
        _rectangular("x", self.x)
        _rectangular("w", self.w)
        for axis, n, k in (("rows", len(self.x), len(self.w)),
                           ("columns", len(self.x[0]), len(self.w[0]))):
            if k > n + 2 * self.padding:
                raise ValueError(f"kernel {axis} ({k}) exceed the padded input {axis} "
                                 f"({n} + 2·{self.padding})")
        return self

    def layer(self) -> Conv2D:
        return Conv2D((len(self.x), len(self.x[0])), (len(self.w), len(self.w[0])),
                      (self.stride, self.stride), (self.padding, self.padding), self.index_base)


def _exact_output(g: ArraysGiven) -> sp.Matrix:
    """Every output pixel from the index formula, in exact arithmetic."""
    layer, b = g.layer(), g.index_base
    values = {C.x[a + b, d + b]: _number(v) for a, row in enumerate(g.x) for d, v in enumerate(row)}
    values |= {C.w[a + b, d + b]: _number(v) for a, row in enumerate(g.w)
               for d, v in enumerate(row)}
    rows, cols = layer.output_shape
    forward = layer.forward()
    # unroll reads a Σ whose range is empty (a window wholly in the padding) as 0
    return sp.Matrix(rows, cols, lambda r, c: unroll(forward, {C.i: r + b, C.j: c + b})
                     .xreplace(values))


def _locations(out: sp.Matrix, target: sp.Expr, b: int) -> list[tuple[int, int]]:
    return [(r + b, c + b) for r in range(out.rows) for c in range(out.cols) if out[r, c] == target]


def _locations_tex(locs: list[tuple[int, int]]) -> str:
    return ",\\ ".join(f"({r},{c})" for r, c in locs)


PER_LINE = 8


def locations_display(cells: list[str]) -> str:
    """Locations for a display, PER_LINE to a line (the lines of a gather*)."""
    return ",\\\\\n".join(",\\ ".join(cells[k:k + PER_LINE])
                          for k in range(0, len(cells), PER_LINE))


# Relative to the size of the terms summed: what float rounding of the reference may reach.
TOLERANCE = 1e-9


def _term_scale(g: ArraysGiven) -> float:
    """The largest Σ|x||w| over a window: rounding errors of the reference are below it."""
    magnitude = ref.conv2d(np.abs(np.array(g.x, dtype=float)), np.abs(np.array(g.w, dtype=float)),
                           (g.stride,) * 2, (g.padding,) * 2)
    return float(magnitude.max())


def _limits(g: ArraysGiven, layer: Conv2D) -> Solution:
    """The limits of k1 and k2, which depend on the position when the window meets padding."""
    b = g.index_base
    (_, lo1, hi1), (_, lo2, hi2) = layer.forward().limits
    fixed = all(v.is_Integer for v in (lo1, hi1, lo2, hi2))
    answer = ({"k1": [int(lo1), int(hi1)], "k2": [int(lo2), int(hi2)]} if fixed else
              {"k1": [str(lo1), str(hi1)], "k2": [str(lo2), str(hi2)]})
    limits = {"k1": [tex(lo1), tex(hi1)], "k2": [tex(lo2), tex(hi2)]}
    kh, kw = len(g.w), len(g.w[0])

    def verify() -> Check:
        # taps that meet X (not the padding) in the reference's window, position by position
        p, s = g.padding, g.stride
        real = np.pad(np.ones((len(g.x), len(g.x[0])), dtype=bool), p)
        rows, cols = layer.output_shape
        wrong = 0
        for r in range(rows):
            for c in range(cols):
                window = real[r * s: r * s + kh, c * s: c * s + kw]
                read = {(k + b, q + b) for k, q in zip(*np.nonzero(window), strict=True)}
                at = {C.i: r + b, C.j: c + b}
                k_lo, k_hi, q_lo, q_hi = (int(v.subs(at)) for v in (lo1, hi1, lo2, hi2))
                span = {(k, q) for k in range(k_lo, k_hi + 1) for q in range(q_lo, q_hi + 1)}
                wrong += span != read
        return Check("kernel offsets read by the numpy reference window", wrong == 0,
                     float(wrong), rows * cols)

    latex = (rf"{limits['k1'][0]} \le k_1 \le {limits['k1'][1]},\quad "
             rf"{limits['k2'][0]} \le k_2 \le {limits['k2'][1]}")
    context = {"given": g, "sum": tex(layer.forward()), "b": b, "limits": limits,
               "fixed": fixed, "kernel": (kh, kw)}
    return Solution(answer, latex, context, verify)


def solve_arrays(g: ArraysGiven) -> Solution:
    layer, b = g.layer(), g.index_base
    if g.report == "limits":
        return _limits(g, layer)
    out = _exact_output(g)
    ref_out = ref.conv2d(np.array(g.x), np.array(g.w), (g.stride,) * 2, (g.padding,) * 2)
    context = {"given": g, "sum": tex(layer.forward()), "out": tex(out), "b": b,
               "x": tex(sp.Matrix(g.x).applyfunc(_number)),
               "w": tex(sp.Matrix(g.w).applyfunc(_number)), "shape": layer.output_shape,
               "one_line": len(g.x[0]) + len(g.w[0]) + out.cols <= 12}

    def compare(derived: object, reference: object) -> Check:
        return Check.compare("exact SymPy evaluation of the index formula against a numpy "
                             "reference convolution", derived, reference,
                             samples=out.rows * out.cols)

    if g.report == "output":
        answer_out = [[int(v) if v.is_Integer else float(v) for v in out.row(r)]
                      for r in range(out.rows)]
        return Solution(answer_out, rf"Z = {tex(out)}", context,
                        lambda: compare(np.array(out.tolist(), dtype=float), ref_out))

    def near(value: float) -> list[tuple[int, int]]:
        """Reference positions equal to `value` up to rounding."""
        close = np.abs(ref_out - value) <= TOLERANCE * _term_scale(g)
        return [(int(r) + b, int(c) + b) for r, c in np.argwhere(close)]

    if g.report in ("max", "min"):
        target = max(out) if g.report == "max" else min(out)
        locs = _locations(out, target, b)
        context |= {"value": tex(target), "count": len(locs),
                    "locations": locations_display([f"({r},{c})" for r, c in locs])}

        def verify_extreme() -> Check:
            value = float(ref_out.max() if g.report == "max" else ref_out.min())
            error = abs(float(target) - value)
            ok = near(value) == locs and error <= TOLERANCE * _term_scale(g)
            return Check("value and all locations from a numpy reference convolution", ok,
                         error, ref_out.size)

        return Solution({"value": float(target), "locations": [list(p) for p in locs]},
                        rf"{tex(target)} \text{{ at }} {_locations_tex(locs)}", context,
                        verify_extreme)
    locs = _locations(out, sp.Integer(0), b)
    context |= {"locations": locations_display([f"({r},{c})" for r, c in locs]),
                "count": len(locs)}

    def verify_zeros() -> Check:
        ok = near(0.0) == locs
        return Check("all zero locations of a numpy reference convolution", ok,
                     0.0 if ok else float("inf"), ref_out.size)

    return Solution([list(p) for p in locs], _locations_tex(locs) or r"\varnothing", context,
                    verify_zeros)


class MatrixGiven(Given):
    input: Size2 = Field(description="Input rows and columns (or one number).")
    kernel: Size2 = Field(description="Kernel rows and columns (or one number).")
    stride: PosInt = 1
    padding: NonNegInt = 0
    index_base: IndexBase = 1
    seed: NonNegInt = 0

    @model_validator(mode="after")
    def _fits(self) -> MatrixGiven:
        if self.input[0] * self.input[1] > MATRIX_LIMIT:
            raise ValueError(f"the matrix is written out entry by entry: at most {MATRIX_LIMIT} "
                             f"input pixels, got {self.input[0]}×{self.input[1]}")
        for axis, n, k in zip(("rows", "columns"), self.input, self.kernel, strict=True):
            if k > n + 2 * self.padding:
                raise ValueError(f"kernel {axis} ({k}) exceed the padded input {axis} "
                                 f"({n} + 2·{self.padding})")
        return self


class TransposedGiven(MatrixGiven):
    """The transposed convolution (its input may be smaller than the kernel)."""

    @model_validator(mode="after")
    def _fits(self) -> TransposedGiven:
        sizes = [(n - 1) * self.stride + k - 2 * self.padding
                 for n, k in zip(self.input, self.kernel, strict=True)]
        for axis, size in zip(("rows", "columns"), sizes, strict=True):
            if size <= 0:
                raise ValueError(f"padding {self.padding} removes every output {axis}")
        if sizes[0] * sizes[1] > MATRIX_LIMIT:
            raise ValueError(f"the matrix is written out entry by entry: at most {MATRIX_LIMIT} "
                             f"output pixels, got {sizes[0]}×{sizes[1]}")
        return self


# Widths in points of typeset pieces at 11 pt (measured), and what a display may take.
_PRODUCT, _INDEXED, _NUMBER, _PLUS, _COLUMN_GAP, _DISPLAY = 37.0, 19.0, 6.0, 13.0, 16.0, 380.0


def _fits(matrix: sp.MatrixBase) -> bool:
    """Whether the matrix, written out, fits on a line of the page (estimated width)."""
    def width(entry: sp.Expr) -> float:
        terms = sp.Add.make_args(entry)
        pieces = [_PRODUCT if isinstance(t, sp.Mul) else
                  _INDEXED if isinstance(t, sp.Indexed) else _NUMBER for t in terms]
        return sum(pieces) + _PLUS * (len(terms) - 1)

    if matrix.cols * (_NUMBER + _COLUMN_GAP) > _DISPLAY:
        return False
    columns = [max(width(matrix[r, c]) for r in range(matrix.rows)) for c in range(matrix.cols)]
    return sum(columns) + _COLUMN_GAP * (len(columns) - 1) <= _DISPLAY


def _sparsity(matrix: sp.SparseMatrix, width: float = 11.0) -> dict[str, object]:
    """Cells of a TikZ sparsity figure, scaled to fit `width` cm (and 7 cm high)."""
    cell = min(0.5, width / matrix.cols, 7.0 / matrix.rows)
    return {"rows": matrix.rows, "cols": matrix.cols, "cell": f"{cell:.3f}",
            "nonzeros": [(r, c) for (r, c), _ in matrix.todok().items()]}


def _as_numbers(matrix: sp.SparseMatrix, w: np.ndarray, b: int) -> np.ndarray:
    dense = np.zeros(matrix.shape)
    for (r, c), entry in matrix.todok().items():
        k, q = (int(i) - b for i in entry.indices)
        dense[r, c] = w[k, q]
    return dense


def solve_matrix(g: MatrixGiven) -> Solution:
    layer = Conv2D(tuple(g.input), tuple(g.kernel), (g.stride,) * 2,  # type: ignore[arg-type]
                   (g.padding,) * 2, g.index_base)
    a = conv_matrix(layer)
    rows, cols = layer.output_shape
    out = sp.Matrix(rows, cols, list(a * vec(layer.input_shape, g.index_base)))

    def verify() -> Check:
        rng = np.random.default_rng(g.seed)
        x, w = rng.normal(size=g.input), rng.normal(size=g.kernel)
        derived = _as_numbers(a, w, g.index_base) @ x.reshape(-1)
        reference = ref.conv2d(x, w, (g.stride,) * 2, (g.padding,) * 2).reshape(-1)
        return Check.compare(r"$A \operatorname{vec}(x)$ against a numpy reference convolution "
                             "(random $x$, $w$)", derived, reference, samples=derived.size)

    return Solution(
        answer=a, answer_latex=rf"\operatorname{{vec}}(Y) = {tex(a)}\operatorname{{vec}}(X)",
        context={"given": g, "out": tex(out) if _fits(out) else None,
                 "A": tex(a) if _fits(a) else None,
                 "shape": (rows, cols), "figure": _sparsity(a), "dims": a.shape,
                 "x": tex(vec(layer.input_shape, g.index_base).T)},
        verify=verify)


def _adjoint_check(g: TransposedGiven, forward: np.ndarray, transposed: np.ndarray,
                   w: np.ndarray, rng: np.random.Generator) -> Check:
    """<A u, x> = <u, Aᵀ x>, each side with one derived matrix and one numpy reference.

    `forward` is the derived convolution matrix A and `transposed` the derived matrix of
    the transposed convolution, both as numbers: A is tested against the numpy scatter-add
    and Aᵀ against the numpy convolution, on random u (output size) and x (input size).
    """
    x = rng.normal(size=g.input)
    stride, padding = (g.stride,) * 2, (g.padding,) * 2
    scattered = ref.conv2d_transposed(x, w, stride, padding)
    u = rng.normal(size=scattered.shape)
    pairs = [
        (float((forward @ u.reshape(-1)) @ x.reshape(-1)), float(np.sum(u * scattered))),
        (float(np.sum(ref.conv2d(u, w, stride, padding) * x)),
         float(u.reshape(-1) @ (transposed @ x.reshape(-1)))),
    ]
    return Check.compare("adjoint", [p[0] for p in pairs], [p[1] for p in pairs], samples=2)


def solve_transposed(g: TransposedGiven) -> Solution:
    layer = TransposedConv2D(tuple(g.input), tuple(g.kernel),  # type: ignore[arg-type]
                             (g.stride,) * 2, (g.padding,) * 2, g.index_base)
    mat = layer.matrix()
    forward = conv_matrix(layer.forward_conv())
    out = layer.output()

    def verify() -> Check:
        rng = np.random.default_rng(g.seed)
        x, w = rng.normal(size=g.input), rng.normal(size=g.kernel)
        reference = ref.conv2d_transposed(x, w, (g.stride,) * 2, (g.padding,) * 2)
        numbers = _as_numbers(mat, w, g.index_base)
        derived = (numbers @ x.reshape(-1)).reshape(reference.shape)
        direct = Check.compare("scatter", derived, reference, samples=derived.size)
        adjoint = _adjoint_check(g, _as_numbers(forward, w, g.index_base), numbers, w, rng)
        failed = [name for name, c in (("scatter-add", direct), ("adjoint", adjoint))
                  if not c.passed]
        return Check(r"$A^\top \operatorname{vec}(x)$ against a numpy scatter-add transposed "
                     r"convolution; adjoint identities $\langle A u, x\rangle = \langle u, "
                     r"A^\top x\rangle$ of the derived matrices with the numpy convolution and "
                     "scatter-add", not failed,
                     max(direct.max_abs_error, adjoint.max_abs_error),
                     direct.samples + adjoint.samples,
                     "failed: " + ", ".join(failed) if failed else "")

    return Solution(
        answer=mat, answer_latex=rf"\operatorname{{vec}}(Y) = {tex(mat)}\operatorname{{vec}}(X)",
        context={"given": g, "out": tex(out) if _fits(out) else None,
                 "A": tex(mat) if mat.rows <= 36 and _fits(mat) else None,
                 "shape": layer.output_shape, "figure": _sparsity(mat, 7.0), "dims": mat.shape,
                 "forward_figure": _sparsity(forward, 7.0),
                 "x": tex(vec(layer.input_shape, g.index_base).T)},
        verify=verify)


KINDS = {
    k.name: k
    for k in [
        Kind("conv2d.arrays", ArraysGiven, solve_arrays,
             "On given arrays: summation limits, the output, its extremes or its zeros.",
             {"x": [[0, 1, 2], [3, 4, 5], [6, 7, 8]], "w": [[1, -1]], "report": "max"}),
        Kind("conv2d.matrix", MatrixGiven, solve_matrix,
             "Convolution as a matrix, vec(y) = A vec(x), row-major.",
             {"input": [3, 3], "kernel": [3, 3], "stride": 2, "padding": 1}),
        Kind("conv2d.transposed", TransposedGiven, solve_transposed,
             "Transposed convolution: output, and its matrix Aᵀ.",
             {"input": [2, 2], "kernel": [2, 2], "stride": 2}),
    ]
}
