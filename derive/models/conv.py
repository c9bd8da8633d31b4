"""2-D convolution (cross-correlation, no kernel flip) of one channel, in index form.

Every formula is a SymPy `Sum` over explicit limits, so nothing is expanded and no
`Piecewise` or `KroneckerDelta` is left inside a Σ. Indices start at `base` (0 or 1, as
the assignment writes them).

>>> layer = Conv2D((5, 5), (3, 3))
>>> layer.output_shape
(3, 3)
>>> layer.forward()
Sum(w[k, l]*x[i + k - 1, j + l - 1], (k, 1, 3), (l, 1, 3))
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.models.symbols import Upstream, ceildiv, floordiv, relu_prime

i, j, k, l = sp.symbols("i j k l", integer=True)
r, c = sp.symbols("r c", integer=True)
x, w, y = sp.IndexedBase("x"), sp.IndexedBase("w"), sp.IndexedBase("y")
z, L = sp.IndexedBase("z"), sp.Symbol("L")
x_padded = sp.IndexedBase(r"\tilde{x}")      # the input with its zero padding
w_extended = sp.IndexedBase(r"\tilde{w}")    # the kernel, 0 outside its taps
k_, l_ = sp.symbols("k' l'", integer=True)   # kernel indices inside a sum over outputs
dLdz, dLdy = Upstream.of("L", "z"), Upstream.of("L", "y")


def output_size(n: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1, the number of valid kernel positions."""
    span = dilation * (kernel - 1) + 1
    if n + 2 * padding < span:
        raise ValueError(f"kernel span {span} is larger than the padded input {n + 2 * padding}")
    return (n + 2 * padding - span) // stride + 1


def output_size_formula() -> tuple[sp.Expr, dict[str, sp.Symbol]]:
    """The output-size formula ⌊(N + 2p − K)/s⌋ + 1 with its symbols."""
    n, kk, p, s = sp.symbols("N K p s", integer=True, positive=True)
    return sp.floor((n + 2 * p - kk) / s) + 1, {"N": n, "K": kk, "p": p, "s": s}


@dataclass(frozen=True)
class Axis:
    """One spatial axis: input length n, kernel length k, stride s, padding p, first index b."""

    n: int
    k: int
    s: int = 1
    p: int = 0
    b: int = 1

    @property
    def out(self) -> int:
        return output_size(self.n, self.k, self.s, self.p)

    def input_index(self, out: sp.Expr, ker: sp.Expr) -> sp.Expr:
        """The input index that kernel index `ker` meets at output index `out`."""
        return self.s * (out - self.b) + ker - self.p

    def kernel_range(self, out: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        """Kernel indices meeting a real (not padded) input pixel at output index `out`."""
        n, kk, s, p, b = self.n, self.k, self.s, self.p, self.b
        if p == 0:
            return sp.Integer(b), sp.Integer(b + kk - 1)
        return b + sp.Max(0, p - s * (out - b)), b + sp.Min(kk - 1, n - 1 + p - s * (out - b))

    def kernel_range_for_input(self, a: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        """Stride 1: kernel indices whose output index a − ker + p + b exists."""
        b = self.b
        return sp.Max(b, a + self.p - self.out + 1), sp.Min(b + self.k - 1, a + self.p)

    def output_range_for_input(self, a: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        """Any stride: output indices whose kernel index a − s(out − b) + p exists."""
        b, s = self.b, self.s
        lo = b + sp.Max(0, ceildiv(a + self.p - b - self.k + 1, s))
        hi = b + sp.Min(self.out - 1, floordiv(a + self.p - b, s))
        return lo, hi

    def output_range_for_kernel(self, ker: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        """Output indices at which kernel index `ker` meets a real input pixel."""
        b, s = self.b, self.s
        if self.p == 0:
            return sp.Integer(b), sp.Integer(b + self.out - 1)
        lo = b + sp.Max(0, ceildiv(self.p + b - ker, s))
        hi = b + sp.Min(self.out - 1, floordiv(self.n - 1 + self.p + b - ker, s))
        return lo, hi


@dataclass(frozen=True)
class Geometry2D:
    """Input and kernel sizes, stride and zero padding (rows, columns), first index."""

    input_shape: tuple[int, int]
    kernel_shape: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    base: int = 1


@dataclass(frozen=True)
class Conv2D(Geometry2D):
    """y = w ⋆ x on an N×M input with a K×L kernel, given stride and zero padding."""

    @property
    def axes(self) -> tuple[Axis, Axis]:
        rows, cols = (
            Axis(n, kk, s, p, self.base)
            for n, kk, s, p in zip(self.input_shape, self.kernel_shape, self.stride,
                                   self.padding, strict=True)
        )
        return rows, cols

    @property
    def output_shape(self) -> tuple[int, int]:
        rows, cols = self.axes
        return rows.out, cols.out

    def forward(self) -> sp.Sum:
        """y_{i,j} as a double sum over the kernel indices k, l."""
        rows, cols = self.axes
        return sp.Sum(w[k, l] * x[rows.input_index(i, k), cols.input_index(j, l)],
                      (k, *rows.kernel_range(i)), (l, *cols.kernel_range(j)))

    def forward_at(self, row: int, col: int) -> sp.Expr:
        """y_{row,col} written out for concrete indices."""
        return self.forward().subs({i: row, j: col}).doit()

    def operation_counts(self, bias: bool = False) -> dict[str, int]:
        """Multiplications and additions of a dense implementation (padded zeros included)."""
        per = self.kernel_shape[0] * self.kernel_shape[1]
        outputs = self.output_shape[0] * self.output_shape[1]
        adds = per - 1 + int(bias)
        return {"mult_per_output": per, "add_per_output": adds, "outputs": outputs,
                "mult": per * outputs, "add": adds * outputs}

    @staticmethod
    def upstream(activation: str = "relu") -> sp.Expr:
        """∂L/∂y_{i,j} from ∂L/∂z_{i,j} through z = act(y)."""
        if activation == "relu":
            return dLdz[i, j] * relu_prime(y[i, j])
        if activation == "identity":
            return dLdz[i, j]
        raise ValueError(f"unknown activation {activation!r}")

    def grad_input(self) -> sp.Sum:
        """∂L/∂x_{i,j} in terms of ∂L/∂y and w, with real summation limits."""
        rows, cols = self.axes
        if self.stride == (1, 1):
            b = self.base
            return sp.Sum(w[k, l] * dLdy[i - k + rows.p + b, j - l + cols.p + b],
                          (k, *rows.kernel_range_for_input(i)),
                          (l, *cols.kernel_range_for_input(j)))
        return sp.Sum(
            dLdy[r, c] * w[i - rows.s * (r - rows.b) + rows.p, j - cols.s * (c - cols.b) + cols.p],
            (r, *rows.output_range_for_input(i)), (c, *cols.output_range_for_input(j)))

    def grad_weights(self) -> sp.Sum:
        """∂L/∂w_{k,l} in terms of ∂L/∂y and x, with real summation limits."""
        rows, cols = self.axes
        return sp.Sum(dLdy[i, j] * x[rows.input_index(i, k), cols.input_index(j, l)],
                      (i, *rows.output_range_for_kernel(k)), (j, *cols.output_range_for_kernel(l)))

    # The forms before the limits are tightened: whole ranges, a guard for what exists.
    def padded_input(self, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        """x̃_{a,b}: the input, or 0 on the zero padding around it."""
        (n, m), lo = self.input_shape, self.base
        inside = sp.And(a >= lo, a <= lo + n - 1, b >= lo, b <= lo + m - 1)
        return sp.Piecewise((x[a, b], inside), (0, True))

    def extended_kernel(self, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        """w̃_{a,b}: the kernel, or 0 where no tap is."""
        (kr, kc), lo = self.kernel_shape, self.base
        inside = sp.And(a >= lo, a <= lo + kr - 1, b >= lo, b <= lo + kc - 1)
        return sp.Piecewise((w[a, b], inside), (0, True))

    def forward_padded(self) -> sp.Sum:
        """y_{i,j} = Σ over the whole kernel of w_{k,l} x̃ (x̃: the zero-padded input)."""
        rows, cols = self.axes
        b, (kr, kc) = self.base, self.kernel_shape
        return sp.Sum(w[k, l] * x_padded[rows.input_index(i, k), cols.input_index(j, l)],
                      (k, b, b + kr - 1), (l, b, b + kc - 1))

    def forward_at_output(self, row: sp.Expr, col: sp.Expr) -> sp.Expr:
        """y at output (row, col), its kernel indices renamed k′, l′ so that it can sit
        in a formula where k, l are free."""
        return self.forward().xreplace({i: row, j: col, k: k_, l: l_})

    def grad_input_guarded(self) -> sp.Sum:
        """∂L/∂x_{i,j} = Σ over every output (r, c) of ∂L/∂y_{r,c} w̃_{tap}: the kernel tap
        that lands on x_{i,j} in output (r, c), 0 when none does."""
        rows, cols = self.axes
        b, (out_r, out_c) = self.base, self.output_shape
        tap_r = i - rows.s * (r - b) + rows.p
        tap_c = j - cols.s * (c - b) + cols.p
        return sp.Sum(dLdy[r, c] * w_extended[tap_r, tap_c],
                      (r, b, b + out_r - 1), (c, b, b + out_c - 1))

    def grad_weights_padded(self) -> sp.Sum:
        """∂L/∂w_{k,l} = Σ over every output of ∂L/∂y_{i,j} x̃ (padded input)."""
        rows, cols = self.axes
        b, (out_r, out_c) = self.base, self.output_shape
        return sp.Sum(dLdy[i, j] * x_padded[rows.input_index(i, k), cols.input_index(j, l)],
                      (i, b, b + out_r - 1), (j, b, b + out_c - 1))
