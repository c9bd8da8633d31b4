"""The convolution as a linear map, as checked derivations.

`conv2d.matrix`, `conv2d.transposed`: vec(Y) = A vec(X) (row-major) at random x and w, the
transposed convolution's matrix checked against the transpose of the convolution's, with a
TikZ sparsity figure after the steps (`parts/conv2d.matrix.tex.j2`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import sympy as sp
from pydantic import Field, model_validator

from derive.derivation import Derivation, Domain
from derive.derivation.steps import apply_rule
from derive.models import conv as C
from derive.models.conv import Conv2D
from derive.models.conv_matrix import (
    Abbreviated,
    Folded,
    Stacked,
    TransposedConv2D,
    conv_matrix,
    fits,
    folds,
    vec,
)
from derive.questions.base import PADDED, IndexBase, NonNegInt, PosInt, Size2, padded_input
from derive.questions.conv_arrays import TOLERANCE, _fitted
from derive.questions.declare import Derived, kind
from derive.verify import reference as ref

MATRIX_LIMIT = 1024      # input (or output) pixels of a matrix written out entry by entry
MAX_PIXELS = 16          # an output too wide for one matrix is written pixel by pixel up to this


def _sparsity(matrix: sp.SparseMatrix, width: float = 11.0) -> dict[str, object]:
    """Cells of a TikZ sparsity figure, scaled to fit `width` cm (and 7 cm high)."""
    cell = min(0.5, width / matrix.cols, 7.0 / matrix.rows)
    return {"rows": matrix.rows, "cols": matrix.cols, "cell": f"{cell:.3f}",
            "nonzeros": [(r, c) for (r, c), _ in matrix.todok().items()]}


class LinearMap(Derived):
    """What conv2d.matrix and conv2d.transposed share: sizes, random x and w, the output
    written out when it fits, vec(Y) = matrix · vec(X) and the figure under the steps."""

    input: Size2 = Field(description="Input rows and columns (or one number).")
    kernel: Size2 = Field(description="Kernel rows and columns (or one number).")
    stride: PosInt = 1
    padding: NonNegInt = 0
    index_base: IndexBase = 1
    seed: NonNegInt = 0
    tolerance: ClassVar[float] = TOLERANCE
    figure_caption: ClassVar[str] = ""          # a key of `sentences:`
    limits: ClassVar[dict[str, int]] = PADDED

    def measures(self) -> dict[str, int]:
        return padded_input(self.input[0], self.input[1], self.padding)

    def derivation(self, out: tuple[int, int]) -> Derivation:
        return Derivation({C.x: Domain((self.input[0], self.input[1])),
                           C.w: Domain((self.kernel[0], self.kernel[1]))},
                          {C.i: (0, out[0] - 1), C.j: (0, out[1] - 1)})

    def written_out(self, d: Derivation, formula: sp.Expr, out: tuple[int, int],
                    key: str, answer: bool = False) -> None:
        """Y entry by entry, when it fits on the page (compared with its definition): as one
        matrix (its long entries on two lines each when that makes it fit), or one line per
        output pixel (up to MAX_PIXELS of them). `answer`: Y is asked for (the answer
        `output`, or `y_<r>_<c>` pixel by pixel, compared with the numpy convolution)."""
        rows, cols = out
        values = apply_rule("expand_sum", sp.ImmutableMatrix(
            rows, cols, lambda r, c: formula.xreplace({C.i: r, C.j: c})))
        room = fits(sp.zeros(rows, cols))
        whole_fits = room and fits(values)
        if whole_fits or (room and folds(values)):
            whole = sp.MatrixSymbol("Y", rows, cols)
            d.definitions[whole] = sp.ImmutableMatrix(rows, cols, lambda r, c: C.y[r, c])
            d.say(key, case="padded" if self.padding else "valid", r=rows, c=cols)
            d.chain(whole, whole, "definition").then(
                values if whole_fits else Folded(values.tolist()), "expand_sum")
            if answer:
                d.answer("output")
            return
        if not answer or rows * cols > MAX_PIXELS:
            return
        # one display of every pixel, the sentence that introduces them marked once (the
        # pixels are each an answer, compared, but not each marked: see `derive`)
        d.say(key, case="padded" if self.padding else "valid", r=rows, c=cols)
        d.chain(sp.Symbol("Y"), sp.Symbol("Y"), "definition")
        d.steps[-1].shown, d.steps[-1].states = False, True
        for r in range(rows):
            for c in range(cols):
                d.chain(C.y[r, c], C.y[r, c], "definition").then(values[r, c], "expand_sum")
                d.answer(f"y_{r}_{c}")

    def linear_map(self, d: Derivation, matrix: sp.SparseMatrix, out: tuple[int, int],
                   key: str) -> Derivation:
        """vec(Y) = matrix · vec(X): the product's meaning is the product itself, compared
        with the definition of every output."""
        n, m = self.input
        column = vec((n, m), 0)
        vec_x = sp.MatrixSymbol(r"\operatorname{vec}(X)", n * m, 1)
        vec_y = sp.MatrixSymbol(r"\operatorname{vec}(Y)", out[0] * out[1], 1)
        d.definitions[vec_y] = sp.ImmutableMatrix(
            [C.y[r, c] for r in range(out[0]) for c in range(out[1])])
        product = sp.MatMul(Abbreviated(matrix), vec_x)
        d.definitions[product] = sp.ImmutableMatrix(matrix * column)
        if key:                                  # the sentence, unless said before
            d.say(key, vecx=Stacked(*column), r=matrix.rows, c=matrix.cols)
        return d.chain(vec_y, vec_y, "definition").then(product, "linear_map")

    def value(self, answers: dict[str, Any]) -> Any:
        """The matrix, entry by entry (a SymPy sparse matrix, as before the core)."""
        return sp.SparseMatrix(answers["linear_map"].args[0])

    def figures(self) -> list[dict[str, object]]:
        raise NotImplementedError


@kind("conv2d.matrix", "Convolution as a matrix, vec(y) = A vec(x), row-major.",
      {"input": [3, 3], "kernel": [3, 3], "stride": 2, "padding": 1},
      template="parts/conv2d.matrix.tex.j2")
class MatrixGiven(LinearMap):
    method: ClassVar[str] = "conv_matrix"
    figure_caption: ClassVar[str] = "conv_matrix_figure"

    @model_validator(mode="after")
    def _fits(self) -> MatrixGiven:
        if self.input[0] * self.input[1] > MATRIX_LIMIT:
            raise ValueError(f"the matrix is written out entry by entry: at most {MATRIX_LIMIT} "
                             f"input pixels, got {self.input[0]}×{self.input[1]}")
        _fitted(self.input, self.kernel, self.padding)
        return self

    def layer(self) -> Conv2D:
        return Conv2D((self.input[0], self.input[1]), (self.kernel[0], self.kernel[1]),
                      (self.stride,) * 2, (self.padding,) * 2, 0)

    def derive(self) -> Derivation:
        layer = self.layer()
        d = self.derivation(layer.output_shape)
        d.definitions |= {C.x_padded: layer.padded_input, C.y: layer.forward_at_output}
        d.say("conv_forward", case="padded" if self.padding else "valid")
        if self.padding:
            d.chain(C.y[C.i, C.j], layer.forward_padded(), "definition")
            d.then(layer.forward(), "tighten_sum_limits")
        else:
            d.chain(C.y[C.i, C.j], layer.forward(), "definition")
        self.written_out(d, layer.forward(), layer.output_shape, "conv_matrix_written",
                         answer=True)
        self.linear_map(d, conv_matrix(layer), layer.output_shape,
                        "conv_matrix_linear").answer("linear_map")
        d.marked = frozenset({"output", "linear_map"})    # the pixels: marked as one, above
        return d

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """A vec(x) is the numpy convolution of x, row-major; Y is that convolution."""
        s, p = (self.stride,) * 2, (self.padding,) * 2
        y = ref.conv2d(data["x"], data["w"], s, p)
        pixels = {f"y_{r}_{c}": y[r, c] for r in range(y.shape[0]) for c in range(y.shape[1])}
        return {"linear_map": y.reshape(-1, 1), "output": y, **pixels}

    def figures(self) -> list[dict[str, object]]:
        return [_sparsity(conv_matrix(self.layer()))]


@kind("conv2d.transposed", "Transposed convolution: output, and its matrix Aᵀ.",
      {"input": [2, 2], "kernel": [2, 2], "stride": 2}, template="parts/conv2d.matrix.tex.j2")
class TransposedGiven(LinearMap):
    """The transposed convolution (its input may be smaller than the kernel)."""

    method: ClassVar[str] = "conv_transposed"
    figure_caption: ClassVar[str] = "transposed_figure"

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

    def layer(self) -> TransposedConv2D:
        return TransposedConv2D((self.input[0], self.input[1]), (self.kernel[0], self.kernel[1]),
                                (self.stride,) * 2, (self.padding,) * 2, 0)

    def derive(self) -> Derivation:
        layer = self.layer()
        conv = layer.forward_conv()       # maps the output size back to the input size
        out, (n, m) = layer.output_shape, self.input

        def scatter(e: sp.Expr) -> sp.Expr:     # the convolution's ∂L/∂x, with x upstream
            return e.replace(lambda v: isinstance(v, sp.Indexed) and v.base == C.dLdy,
                             lambda v: C.x[v.indices])

        guarded, tight = scatter(conv.grad_input_guarded()), scatter(conv.grad_input())
        d = self.derivation(out)
        d.definitions |= {C.w_extended: conv.extended_kernel,
                          C.y: lambda a, b: tight.xreplace({C.i: a, C.j: b})}
        d.say("transposed_scatter", r=out[0], c=out[1])
        d.chain(C.y[C.i, C.j], guarded, "definition").then(tight, "tighten_sum_limits")
        self.written_out(d, tight, out, "transposed_written")
        # asked whether the output is still linear in the input: yes, stated and marked
        # (the reference tests it on random inputs), then its matrix M
        d.say("transposed_linear", vecx=Stacked(*vec((n, m), 0)), r=out[0] * out[1],
              c=n * m)
        d.chain(sp.Symbol(r"\text{linear}"), sp.Integer(1), "definition").answer("linear")
        d.steps[-1].shown, d.steps[-1].states = False, True
        matrix = layer.matrix()
        self.linear_map(d, matrix, out, "").answer("linear_map")
        named, transposed = (sp.MatrixSymbol(s, out[0] * out[1], n * m) for s in
                             ("M", r"C^{\top}"))
        d.definitions |= {named: sp.ImmutableMatrix(matrix),
                          transposed: sp.ImmutableMatrix(conv_matrix(conv).T)}
        d.say("transposed_adjoint", r=out[0], c=out[1], n=n, m=m)
        d.chain(named, named, "definition").then(transposed, "transpose").answer("adjoint")
        d.marked = frozenset({"linear", "linear_map"})     # what is asked; M = Cᵀ is a remark
        return d

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """M vec(x): a numpy scatter-add of x; Cᵀ: numpy convolutions of unit images of the
        output size, one column of C each; linear: whether the scatter-add of a random
        combination a·x + b·x′ is that combination of theirs."""
        x, w = data["x"], data["w"]
        s, p = (self.stride,) * 2, (self.padding,) * 2
        scattered = ref.conv2d_transposed(x, w, s, p)
        units = np.eye(scattered.size).reshape(scattered.size, *scattered.shape)
        forward = np.stack([ref.conv2d_windows(u, w, s, p).reshape(-1) for u in units], axis=1)
        rng = np.random.default_rng(self.seed)
        other, (a, b) = rng.normal(size=x.shape), rng.normal(size=2)
        mixed = ref.conv2d_transposed(a * x + b * other, w, s, p)
        linear = np.allclose(mixed, a * scattered + b * ref.conv2d_transposed(other, w, s, p))
        return {"linear_map": scattered.reshape(-1, 1), "adjoint": forward.T,
                "linear": float(linear)}

    def figures(self) -> list[dict[str, object]]:
        layer = self.layer()
        return [_sparsity(conv_matrix(layer.forward_conv()), 7.0),
                _sparsity(layer.matrix(), 7.0)]
