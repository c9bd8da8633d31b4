"""Convolution as a matrix, vec(y) = A vec(x), and transposed convolution.

Vectors are row-major: x_{a,b} is entry a·M + b of vec(x) (0-based positions). A is built
by index arithmetic from the layer's geometry, so it costs one pass over its non-zeros and
never expands the layer symbolically.

>>> A = conv_matrix(Conv2D((3, 3), (3, 3), (2, 2), (1, 1), base=0))
>>> A.shape
(4, 9)
>>> A[0, :4]
Matrix([[w[1, 1], w[1, 2], 0, w[2, 1]]])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from derive.models.conv import Conv2D, Geometry2D, output_size, w, x


def _entries(layer: Conv2D) -> dict[tuple[int, int], sp.Expr]:
    """Non-zeros of A: (output position, input position) → weight."""
    (n, m), (kr, kc) = layer.input_shape, layer.kernel_shape
    (sr, sc), (pr, pc), b = layer.stride, layer.padding, layer.base
    rows, cols = layer.output_shape
    out: dict[tuple[int, int], sp.Expr] = {}
    for r in range(rows):
        for c in range(cols):
            for k in range(kr):
                for q in range(kc):
                    a, d = sr * r + k - pr, sc * c + q - pc
                    if 0 <= a < n and 0 <= d < m:
                        out[(r * cols + c, a * m + d)] = w[k + b, q + b]
    return out


def conv_matrix(layer: Conv2D) -> sp.SparseMatrix:
    """A with vec(y) = A vec(x), shape (I·J) × (N·M)."""
    rows, cols = layer.output_shape
    n, m = layer.input_shape
    return sp.SparseMatrix(rows * cols, n * m, _entries(layer))


def vec(shape: tuple[int, int], base: int = 1, name: sp.IndexedBase = x) -> sp.Matrix:
    """The row-major vector of the entries of an array of `shape`."""
    return sp.Matrix([name[a + base, d + base] for a in range(shape[0]) for d in range(shape[1])])


@dataclass(frozen=True)
class TransposedConv2D(Geometry2D):
    """The transposed convolution of `Conv2D`: each input pixel scatters a weighted kernel.

    Output size (n − 1)·s + k − 2p per axis; its matrix is Aᵀ, where A is the matrix of the
    convolution (same kernel, stride, padding) from the output size back to the input size.
    """

    @property
    def output_shape(self) -> tuple[int, int]:
        rows, cols = (
            output_size_transposed(n, k, s, p)
            for n, k, s, p in zip(self.input_shape, self.kernel_shape, self.stride,
                                  self.padding, strict=True)
        )
        return rows, cols

    def forward_conv(self) -> Conv2D:
        """The convolution whose adjoint this is."""
        layer = Conv2D(self.output_shape, self.kernel_shape, self.stride, self.padding,
                       self.base)
        if layer.output_shape != self.input_shape:
            raise ValueError(
                f"no convolution maps {self.output_shape} back to {self.input_shape} exactly")
        return layer

    def matrix(self) -> sp.SparseMatrix:
        """M with vec(y) = M vec(x), built by scattering each input pixel through the kernel
        (so that M = Aᵀ, A the matrix of `forward_conv`, is a fact to check, not a definition)."""
        return scatter_matrix(self)

    def output(self) -> sp.Matrix:
        """The output array, entry by entry, in terms of x and w."""
        rows, cols = self.output_shape
        flat = self.matrix() * vec(self.input_shape, self.base)
        return sp.Matrix(rows, cols, list(flat))


def scatter_matrix(layer: TransposedConv2D) -> sp.SparseMatrix:
    """The matrix of a transposed convolution, input pixel by input pixel: x_{r,c} times tap
    (k, l) lands on output (s·r + k − p, s·c + l − p) when that pixel is kept. Deliberately
    a second walk beside `_entries` (gather): the check M = Aᵀ compares the two."""
    (n, m), (kr, kc) = layer.input_shape, layer.kernel_shape
    (sr, sc), (pr, pc), b = layer.stride, layer.padding, layer.base
    rows, cols = layer.output_shape
    out: dict[tuple[int, int], sp.Expr] = {}
    for r in range(n):
        for c in range(m):
            for k in range(kr):
                for q in range(kc):
                    a, d = sr * r + k - pr, sc * c + q - pc
                    if 0 <= a < rows and 0 <= d < cols:
                        out[(a * cols + d, r * m + c)] = w[k + b, q + b]
    return sp.SparseMatrix(rows * cols, n * m, out)


def output_size_transposed(n: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """(n − 1)·s + k − 2p, the length a convolution with these settings maps back to n."""
    size = (n - 1) * stride + kernel - 2 * padding
    if size <= 0 or output_size(size, kernel, stride, padding) != n:
        raise ValueError(f"no transposed convolution of length {n} with kernel {kernel}, "
                         f"stride {stride}, padding {padding}")
    return size


# --- printing matrices of the page ------------------------------------------------------------
# Widths in points of typeset pieces at 11 pt (measured), and what a display may take.
_PRODUCT, _INDEXED, _NUMBER, _PLUS, _COLUMN_GAP, _DISPLAY = 37.0, 19.0, 6.0, 13.0, 16.0, 380.0
_DOTS = 12.0
MAX_ROWS = 36           # rows of a matrix written out whole
TOP_ROWS = 10           # rows written before the dots when it has more


def entry_width(entry: sp.Expr) -> float:
    """Estimated printed width of one entry: products, array entries and numbers, summed."""
    terms = sp.Add.make_args(entry)
    pieces = [_PRODUCT if isinstance(t, sp.Mul) else
              _INDEXED if isinstance(t, sp.Indexed) else _NUMBER for t in terms]
    return sum(pieces) + _PLUS * (len(terms) - 1)


def fits(matrix: sp.MatrixBase) -> bool:
    """Whether the matrix, written out whole, fits on a line of the page (and not too tall)."""
    if matrix.rows > MAX_ROWS or matrix.cols * (_NUMBER + _COLUMN_GAP) > _DISPLAY:
        return False
    columns = [max(entry_width(matrix[r, c]) for r in range(matrix.rows))
               for c in range(matrix.cols)]
    return sum(columns) + _COLUMN_GAP * (len(columns) - 1) <= _DISPLAY


def _halves(entry: sp.Expr) -> tuple[tuple[sp.Expr, ...], tuple[sp.Expr, ...]]:
    terms = sp.Add.make_args(entry)
    cut = (len(terms) + 1) // 2
    return terms[:cut], terms[cut:]


def folds(matrix: sp.MatrixBase) -> bool:
    """Whether the matrix fits a line of the page once each entry of several terms is written
    on two lines (`Folded`)."""
    if matrix.rows > MAX_ROWS // 2:
        return False
    columns = [max(max(entry_width(sp.Add(*half)) for half in _halves(matrix[r, c]) if half)
                   for r in range(matrix.rows)) for c in range(matrix.cols)]
    return sum(columns) + _COLUMN_GAP * (len(columns) - 1) <= _DISPLAY


def _fold(latex: str) -> str:
    """A sum printed on two lines, cut at the top-level + or − nearest its middle."""
    depth, cuts = 0, []
    for n, ch in enumerate(latex):
        depth += {"{": 1, "}": -1, "(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and n > 0 and latex[n - 1:n + 2] in (" + ", " - "):
            cuts.append(n)
    if not cuts:
        return latex
    at = min(cuts, key=lambda n: abs(2 * n - len(latex)))
    return (r"\begin{array}{@{}l@{}}" + latex[:at].rstrip() + r" \\ {}" + latex[at:].lstrip()
            + r"\end{array}")


class Folded(sp.ImmutableDenseMatrix):
    """A matrix whose entries are long sums, each written on two lines so that the whole
    matrix fits the page (see `folds`); its entries are those of the matrix.

    >>> a, b, c, d = sp.symbols("a b c d")
    >>> print(sp.latex(Folded([[a + b + c + d]])).replace(r"\\begin{array}{@{}l@{}}", "<"))
    \\left[\\begin{matrix}<a + b \\\\ {}+ c + d\\end{array}\\end{matrix}\\right]
    """

    def _latex(self, printer: Any) -> str:
        body = r" \\[1ex] ".join(" & ".join(_fold(printer._print(self[r, c]))
                                           for c in range(self.cols)) for r in range(self.rows))
        return r"\left[\begin{matrix}" + body + r"\end{matrix}\right]"


class Parenthesized(sp.ImmutableDenseMatrix):
    """A matrix written between parentheses, as an assignment that writes its arrays with
    pmatrix does.

    >>> print(sp.latex(Parenthesized([[1, 2]])))
    \\left(\\begin{matrix}1 & 2\\end{matrix}\\right)
    """

    def _latex(self, printer: Any) -> str:
        body = r"\\".join(" & ".join(printer._print(self[r, c]) for c in range(self.cols))
                           for r in range(self.rows))
        return r"\left(\begin{matrix}" + body + r"\end{matrix}\right)"


class Abbreviated(sp.ImmutableDenseMatrix):
    """A matrix (every entry kept, for checks and answers) that prints whole when it fits a
    line of the page, and otherwise its first rows and columns, its last row and column,
    and dots in between.

    >>> Abbreviated(sp.eye(40)).shape
    (40, 40)
    >>> r"\\cdots" in sp.latex(Abbreviated(sp.eye(40)))
    True
    """

    def _shown(self) -> tuple[list[int | None], list[int | None]]:
        """The rows and columns written (None: the dots), whole when the matrix fits."""
        if fits(self):
            return list(range(self.rows)), list(range(self.cols))
        rows: list[int | None] = list(range(self.rows))
        if self.rows > MAX_ROWS:
            rows = [*range(TOP_ROWS), None, self.rows - 1]
        real = [r for r in rows if r is not None]
        width = [max(entry_width(self[r, c]) for r in real) for c in range(self.cols)]
        budget = _DISPLAY - width[-1] - _DOTS - 2 * _COLUMN_GAP
        cols: list[int | None] = []
        for c in range(self.cols - 1):
            budget -= width[c] + (_COLUMN_GAP if cols else 0)
            if budget < 0:
                return rows, [*cols, None, self.cols - 1]
            cols.append(c)
        return rows, [*cols, self.cols - 1]

    def _latex(self, printer: Any) -> str:
        rows, cols = self._shown()

        def cell(r: int | None, c: int | None) -> str:
            if r is None:
                return "" if c is None else r"\vdots"
            return r"\cdots" if c is None else printer._print(self[r, c])

        body = r"\\".join(" & ".join(cell(r, c) for c in cols) for r in rows)
        return r"\left[\begin{matrix}" + body + r"\end{matrix}\right]"


class Stacked(sp.Function):
    """(v₁, …, vₙ)ᵀ: a column written as a transposed row, its middle left out when long."""

    def _latex(self, printer: Any) -> str:
        cells = [printer._print(a) for a in self.args]
        if len(cells) > 12:
            cells = [*cells[:8], r"\cdots", *cells[-2:]]
        return r"\left[\begin{matrix}" + " & ".join(cells) + r"\end{matrix}\right]^{\top}"
