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
        """vec(y) = Aᵀ vec(x)."""
        return conv_matrix(self.forward_conv()).T

    def output(self) -> sp.Matrix:
        """The output array, entry by entry, in terms of x and w."""
        rows, cols = self.output_shape
        flat = self.matrix() * vec(self.input_shape, self.base)
        return sp.Matrix(rows, cols, list(flat))


def output_size_transposed(n: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """(n − 1)·s + k − 2p, the length a convolution with these settings maps back to n."""
    size = (n - 1) * stride + kernel - 2 * padding
    if size <= 0 or output_size(size, kernel, stride, padding) != n:
        raise ValueError(f"no transposed convolution of length {n} with kernel {kernel}, "
                         f"stride {stride}, padding {padding}")
    return size
