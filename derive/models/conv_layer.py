"""Multi-channel 2-D convolution layer X[i,j,n] → Z[i,j,m] → U = act(Z), in index form.

With indices starting at `base` b (0 or 1), stride s, zero padding p and dilation d per
axis, and κ(k) = k (``flip=False``, cross-correlation "without reversal") or
κ(k) = K − 1 + 2b − k (``flip=True``, the kernel rotated by 180°, i.e. a true convolution):

    Z[i,j,m] = Σ_{k1,k2,n} W[κ1(k1), κ2(k2), n, m]
               · X[s1(i−b) + d1(k1−b) − p1 + b, s2(j−b) + d2(k2−b) − p2 + b, n] + b[m]

Every result is a SymPy `Sum` with explicit integer limits (`Max`/`Min`, `ceildiv`,
`floordiv` where padding, stride or dilation need them), never expanded, and with no
`Piecewise` or `KroneckerDelta` inside a Σ. As in `derive.models.conv` (and in the
lambdify/`evaluate_grid` reading of a `Sum`), a Σ whose upper limit is below its lower
limit is *empty*; use `unroll`, not `Sum.doit` (which follows Karr's convention and
negates such sums), to write one out for concrete indices.

>>> layer = ConvLayer((5, 5, 2), (3, 3), 4)
>>> layer.output_shape, layer.parameter_count()
((3, 3, 4), 76)
>>> layer.forward()
b[m] + Sum(W[k1, k2, n, m]*X[i + k1 - 1, j + k2 - 1, n], (k1, 1, 3), (k2, 1, 3), (n, 1, 2))
>>> layer.grad_W()
Sum(X[i + k1 - 1, j + k2 - 1, n]*dJ_dZ[i, j, m], (i, 1, 3), (j, 1, 3))
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from derive.models.conv import output_size
from derive.models.symbols import Upstream, ceildiv, floordiv, relu_prime, sigmoid, sigmoid_prime

# Output position and channel, input channel, kernel taps, and the summation variables of
# ∂J/∂X (output rows/columns r, c or lattice steps q1, q2 when stride and dilation are > 1).
i, j, m, n = sp.symbols("i j m n", integer=True)
k1, k2 = sp.symbols("k1 k2", integer=True)
r, c, q1, q2 = sp.symbols("r c q1 q2", integer=True)
X, W, Z, U = (sp.IndexedBase(name) for name in ("X", "W", "Z", "U"))
bias_ = sp.IndexedBase("b")
dJdU, dJdZ = Upstream.of("J", "U"), Upstream.of("J", "Z")

ACTIVATIONS = ("identity", "relu", "sigmoid")


def _cdiv(a: sp.Expr, s: int) -> sp.Expr:
    """⌈a/s⌉, written as a itself when s = 1."""
    return a if s == 1 else ceildiv(a, s)


def _fdiv(a: sp.Expr, s: int) -> sp.Expr:
    """⌊a/s⌋, written as a itself when s = 1."""
    return a if s == 1 else floordiv(a, s)


def _between(b: int, lo: sp.Expr, hi: sp.Expr, count: int) -> tuple[sp.Expr, sp.Expr]:
    """Limits b + max(0, lo) … b + min(count − 1, hi), written Max(b, b + lo), Min(…)."""
    return sp.Max(b, b + lo), sp.Min(b + count - 1, b + hi)


@dataclass(frozen=True)
class LayerAxis:
    """One spatial axis: input length n, kernel length k, stride s, padding p, dilation d,
    first index b, and whether the kernel is read reversed.

    >>> LayerAxis(7, 3, s=2, p=1, d=2).out
    3
    """

    n: int
    k: int
    s: int = 1
    p: int = 0
    d: int = 1
    b: int = 1
    flip: bool = False

    @property
    def out(self) -> int:
        return output_size(self.n, self.k, self.s, self.p, self.d)

    def kernel_index(self, tap: sp.Expr) -> sp.Expr:
        """The kernel entry read at tap position `tap` (an involution, so also tap ← entry)."""
        return self.k - 1 + 2 * self.b - tap if self.flip else tap

    def input_index(self, out: sp.Expr, tap: sp.Expr) -> sp.Expr:
        """The input index met by tap `tap` at output index `out` (padded zeros outside)."""
        return self.s * (out - self.b) + self.d * (tap - self.b) - self.p + self.b

    def tap_range(self, out: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        """Taps meeting a real (not padded) input entry at output index `out`."""
        b, s, p, d = self.b, self.s, self.p, self.d
        if p == 0:
            return sp.Integer(b), sp.Integer(b + self.k - 1)
        return _between(b, _cdiv(p - s * (out - b), d), _fdiv(self.n - 1 + p - s * (out - b), d),
                        self.k)

    def output_range(self, tap: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        """Output indices at which tap `tap` meets a real input entry."""
        b, s, p, d = self.b, self.s, self.p, self.d
        if p == 0:
            return sp.Integer(b), sp.Integer(b + self.out - 1)
        return _between(b, _cdiv(p - d * (tap - b), s), _fdiv(self.n - 1 + p - d * (tap - b), s),
                        self.out)

    def pairs_for_input(self, a: sp.Expr, var: sp.Symbol
                        ) -> tuple[tuple[sp.Expr, sp.Expr], sp.Expr, sp.Expr, sp.Boolean]:
        """All (output, tap) pairs meeting input index `a`: s(o − b) + d(t − b) = a − b + p.

        Returns the limits of `var`, the output and tap indices as functions of `var`, and
        a condition on `a` (true when no condition is needed). Three closed forms:

        * s = 1: `var` is the tap t, o = a + p − d(t − b);
        * d = 1: `var` is the output o, t = a + p − s(o − b);
        * s, d > 1: with g = gcd(s, d), s = g·s′, d = g·d′, a pair exists only if
          g | u (u = a − b + p); then, with c = u/g and i₀ = (c·s′⁻¹ mod d′), every pair is
          o − b = i₀ + d′·q, t − b = (c − s′i₀)/d′ − s′·q for an integer q in a range
          (q counts lattice steps from 0, whatever the base).
        """
        b, s, p, d, kk, out = self.b, self.s, self.p, self.d, self.k, self.out
        u = a - b + p
        if s == 1:
            limits = _between(b, _cdiv(u - out + 1, d), _fdiv(u, d), kk)
            return limits, b + u - d * (var - b), var, sp.true
        if d == 1:
            limits = _between(b, _cdiv(u - kk + 1, s), _fdiv(u, s), out)
            return limits, var, b + u - s * (var - b), sp.true
        g = math.gcd(s, d)
        s1, d1 = s // g, d // g
        inverse = pow(s1, -1, d1)
        cc = _fdiv(u, g)
        i0 = sp.Mod(cc * inverse, d1)
        # t0 = (c − s′i₀)/d′ without a Mod times a negative number, which lambdify would
        # print wrongly (SymPy issue 30389: -3*Mod(j, 2) → -3*j % 2): since s′·s′⁻¹ ≡ 1
        # (mod d′), t0 = e·c + s′⌊c·s′⁻¹/d′⌋ with the integer e = (1 − s′·s′⁻¹)/d′.
        t0 = (1 - s1 * inverse) // d1 * cc + s1 * _fdiv(cc * inverse, d1)
        limits = (sp.Max(0, _cdiv(t0 - kk + 1, s1)), sp.Min(_fdiv(out - 1 - i0, d1), _fdiv(t0, s1)))
        condition = sp.Eq(sp.Mod(u, g), 0) if g > 1 else sp.true
        return limits, b + i0 + d1 * var, b + t0 - s1 * var, condition


@dataclass(frozen=True)
class ConvLayer:
    """A 2-D convolution with C_in input and C_out output channels, U = act(Z).

    input_shape is (H, W, C_in), kernel_shape (K1, K2); stride, padding and dilation are
    per axis; ``flip`` reads the kernel reversed; ``bias`` adds b[m]; indices start at base.

    >>> layer = ConvLayer((48, 64, 10), (3, 3), 20)
    >>> layer.output_shape, layer.channels
    ((46, 62, 20), (10, 20))
    >>> layer.operation_counts()["mult"], layer.parameter_count(), layer.parameter_count(False)
    (5133600, 1820, 1800)
    """

    input_shape: tuple[int, int, int]
    kernel_shape: tuple[int, int]
    out_channels: int
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    flip: bool = False
    bias: bool = True
    activation: str = "identity"
    base: int = 1

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, not {self.activation!r}")
        if self.base not in (0, 1):
            raise ValueError(f"base must be 0 or 1, not {self.base}")
        sizes = (*self.input_shape, *self.kernel_shape, self.out_channels, *self.stride,
                 *self.dilation)
        if len(self.input_shape) != 3 or any(v < 1 for v in sizes) or min(self.padding) < 0:
            raise ValueError("sizes, strides and dilations must be positive, paddings >= 0")
        self.output_shape  # noqa: B018 - raises if the kernel does not fit the padded input

    @property
    def axes(self) -> tuple[LayerAxis, LayerAxis]:
        rows, cols = (
            LayerAxis(size, kk, s, p, d, self.base, self.flip)
            for size, kk, s, p, d in zip(self.input_shape[:2], self.kernel_shape, self.stride,
                                         self.padding, self.dilation, strict=True)
        )
        return rows, cols

    @property
    def output_shape(self) -> tuple[int, int, int]:
        rows, cols = self.axes
        return rows.out, cols.out, self.out_channels

    @property
    def channels(self) -> tuple[int, int]:
        """(C_in, C_out)."""
        return self.input_shape[2], self.out_channels

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        return (*self.kernel_shape, self.input_shape[2], self.out_channels)

    def operation_counts(self) -> dict[str, int]:
        """Multiplications and additions of a dense implementation (padded zeros included)."""
        per = self.kernel_shape[0] * self.kernel_shape[1] * self.input_shape[2]
        rows, cols, cout = self.output_shape
        outputs = rows * cols * cout
        adds = per - 1 + int(self.bias)
        return {"mult_per_output": per, "add_per_output": adds, "outputs": outputs,
                "mult": per * outputs, "add": adds * outputs}

    def parameter_count(self, bias: bool | None = None) -> int:
        """K1·K2·C_in·C_out weights, plus C_out biases (default: as the layer has them)."""
        with_bias = self.bias if bias is None else bias
        return math.prod(self.weight_shape) + (self.out_channels if with_bias else 0)

    def index_grid(self, quantity: str) -> tuple[tuple[sp.Symbol, ...], tuple[int, ...]]:
        """Free indices and shape of "Z" or "U" (forward, grad_Z), "W", "X" or "b"."""
        grids: dict[str, tuple[tuple[sp.Symbol, ...], tuple[int, ...]]] = {
            "Z": ((i, j, m), self.output_shape), "U": ((i, j, m), self.output_shape),
            "W": ((k1, k2, n, m), self.weight_shape), "X": ((i, j, n), self.input_shape),
            "b": ((m,), (self.out_channels,)),
        }
        return grids[quantity]

    def _channel(self, var: sp.Symbol, count: int) -> tuple[sp.Symbol, int, int]:
        return var, self.base, self.base + count - 1

    def forward(self) -> sp.Expr:
        """Z[i,j,m]: a Σ over the taps k1, k2 meeting real input and the input channels n."""
        rows, cols = self.axes
        body = (W[rows.kernel_index(k1), cols.kernel_index(k2), n, m]
                * X[rows.input_index(i, k1), cols.input_index(j, k2), n])
        z = sp.Sum(body, (k1, *rows.tap_range(i)), (k2, *cols.tap_range(j)),
                   self._channel(n, self.input_shape[2]))
        return z + bias_[m] if self.bias else z

    def activate(self) -> sp.Expr:
        """U[i,j,m] as a function of Z[i,j,m]."""
        z = Z[i, j, m]
        return {"identity": z, "relu": sp.Max(0, z), "sigmoid": sigmoid(z)}[self.activation]

    def grad_Z(self) -> sp.Expr:
        """∂J/∂Z[i,j,m] from ∂J/∂U[i,j,m]: ·1, ·𝟙[Z > 0] or ·U(1 − U)."""
        upstream = dJdU[i, j, m]
        if self.activation == "relu":
            return upstream * relu_prime(Z[i, j, m])
        if self.activation == "sigmoid":
            return upstream * sigmoid_prime(U[i, j, m])
        return upstream

    def _chain(self, expr: sp.Expr, chain: bool) -> sp.Expr:
        """Write ∂J/∂Z through ∂J/∂U (and Z or U) when `chain` is set."""
        if not chain:
            return expr
        dz = self.grad_Z()
        return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == dJdZ,
                            lambda e: dz.xreplace(dict(zip((i, j, m), e.indices, strict=True))))

    def grad_W(self, chain: bool = False) -> sp.Expr:
        """∂J/∂W[k1,k2,n,m] = Σ_{i,j} ∂J/∂Z[i,j,m] X[…], over the outputs that meet real input.

        In ∂J/∂Z[i,j,m], or in ∂J/∂U[i,j,m] and the activation's derivative if `chain`.
        """
        rows, cols = self.axes
        t1, t2 = rows.kernel_index(k1), cols.kernel_index(k2)
        body = dJdZ[i, j, m] * X[rows.input_index(i, t1), cols.input_index(j, t2), n]
        return self._chain(sp.Sum(body, (i, *rows.output_range(t1)),
                                  (j, *cols.output_range(t2))), chain)

    def grad_X(self, chain: bool = False) -> sp.Expr:
        """∂J/∂X[i,j,n] = Σ_m Σ over every (output, tap) pair meeting input (i, j).

        Per axis the Σ runs over the kernel taps (stride 1), the output indices (dilation
        1) or, when both stride and dilation exceed 1, over the steps q of the lattice of
        solutions of s(o − b) + d(t − b) = a − b + p (see `LayerAxis.pairs_for_input`).
        All limits are real: every term in range is a genuine pair. If gcd(s, d) = g > 1,
        inputs with g ∤ a − b + p meet no output; that condition multiplies the Σ from
        outside as a `Piecewise` (nothing conditional is inside the Σ).
        """
        rows, cols = self.axes
        var1 = k1 if rows.s == 1 else (r if rows.d == 1 else q1)
        var2 = k2 if cols.s == 1 else (c if cols.d == 1 else q2)
        lim1, o1, t1, cond1 = rows.pairs_for_input(i, var1)
        lim2, o2, t2, cond2 = cols.pairs_for_input(j, var2)
        body = W[rows.kernel_index(t1), cols.kernel_index(t2), n, m] * dJdZ[o1, o2, m]
        total = sp.Sum(body, (var1, *lim1), (var2, *lim2), self._channel(m, self.out_channels))
        condition = sp.And(cond1, cond2)
        expr = total if condition is sp.true else sp.Piecewise((total, condition), (0, True))
        return self._chain(expr, chain)

    def grad_b(self, chain: bool = False) -> sp.Expr:
        """∂J/∂b[m] = Σ_{i,j} ∂J/∂Z[i,j,m] over every output position."""
        rows, cols = self.output_shape[:2]
        total = sp.Sum(dJdZ[i, j, m], (i, self.base, self.base + rows - 1),
                       (j, self.base, self.base + cols - 1))
        return self._chain(total, chain)


def unroll(expr: sp.Expr, at: Mapping[sp.Symbol, int] | None = None) -> sp.Expr:
    """Substitute concrete indices and write every Σ out as an Add (an empty range gives 0).

    >>> unroll(sp.Sum(W[k1], (k1, 2, i)), {i: 3})
    W[2] + W[3]
    >>> unroll(sp.Sum(W[k1], (k1, 3, i)), {i: 0})
    0
    """
    if at:
        expr = expr.xreplace({sym: sp.Integer(v) for sym, v in at.items()})
    if isinstance(expr, sp.Sum):
        return _unroll_limits(expr.function, list(expr.limits))
    if not expr.args:
        return expr
    return expr.func(*(unroll(a) for a in expr.args))


def _unroll_limits(body: sp.Expr, limits: list[tuple[sp.Expr, ...]]) -> sp.Expr:
    if not limits:
        return unroll(body)
    *inner, (var, lo, hi) = limits  # SymPy lists the innermost limit first
    lo, hi = unroll(lo), unroll(hi)
    if not (lo.is_Integer and hi.is_Integer):
        raise ValueError(f"limits {lo}, {hi} of {var} are not integers")
    terms = []
    for value in range(int(lo), int(hi) + 1):
        sub = {var: sp.Integer(value)}
        terms.append(_unroll_limits(body.xreplace(sub),
                                    [tuple(e.xreplace(sub) for e in lim) for lim in inner]))
    return sp.Add(*terms)
