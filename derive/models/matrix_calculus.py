"""L = f(h(Ax + b)): an affine map, the sigmoid entry by entry, then any f: R^m → R.

z = Ax + b ∈ R^m, w = h(z) = (σ(z_1), …, σ(z_m)), L = f(w), with f known through its
gradient ∇_w f (``df_dw``, printed ∂f/∂w_i). Indices start at 0 (numpy's reading); pages
print the spec's base. For the checks, f is the quadratic f(w) = cᵀw + ½ wᵀQw (c, Q random,
Q symmetric), so that ∇_w f = c + Qw moves with w as it must.

Matrix forms are SymPy matrix expressions over named matrices (`Named`), printed the
textbook way (Aᵀ, ⊙, diag); `definitions()` gives each name its entries, so the checker
compares a matrix form with the index form entry by entry.

>>> g = AffineSigmoid(3, 2)
>>> g.grad_x()
Sum((1 - w[k])*A[k, j]*w[k]*df_dw[k], (k, 0, 2))
>>> g.grad_x_matrix().shape
(2, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.matrices.expressions import DiagMatrix, HadamardProduct, Transpose

from derive.derivation.steps import Domain
from derive.models.symbols import Upstream, sigmoid, sigmoid_prime

i, j, k, l, q = sp.symbols("i j k l q", integer=True, nonnegative=True)
_r = sp.Symbol("r", integer=True, nonnegative=True)   # summed inside ∇_w f = c + Qw only
A, x, b = (sp.IndexedBase(n, real=True) for n in ("A", "x", "b"))
z, w = sp.IndexedBase("z", real=True), sp.IndexedBase("w", real=True)
gz = sp.IndexedBase("g", real=True)    # g_i = ∂L/∂z_i (not δ: δ_jq is Kronecker's here)
dfdw = Upstream.of("f", "w")
c, Q = sp.IndexedBase("c", real=True), sp.IndexedBase("Q", real=True)
L = sp.Symbol("L")


class Named(sp.MatrixSymbol):
    """A matrix known by its name (A, x, σ(z), ∇_w f): the name is its LaTeX."""

    def _latex(self, printer: Any) -> str:
        return str(self.name)


class T(Transpose):
    """Aᵀ, printed with \\top."""

    def _latex(self, printer: Any) -> str:
        inner = printer._print(self.arg)
        return (inner if isinstance(self.arg, sp.MatrixSymbol)
                else rf"\left({inner}\right)") + r"^\top"


def _difference(printer: Any, expr: sp.MatAdd) -> str:
    """1 − w rather than SymPy's −w + 1: the terms with a plus sign first."""
    plus = [t for t in expr.args if not t.could_extract_minus_sign()]
    minus = [-t for t in expr.args if t.could_extract_minus_sign()]
    return " - ".join([" + ".join(printer._print(t) for t in plus)]
                      + [printer._print(t) for t in minus])


class Had(HadamardProduct):
    """u ⊙ v, the entrywise product."""

    def _latex(self, printer: Any) -> str:
        return r" \odot ".join(rf"\left({_difference(printer, a)}\right)"
                                if isinstance(a, sp.MatAdd) else printer._print(a)
                                for a in self.args)


class Prod(sp.MatMul):
    """A product of matrices, sums and entrywise products in brackets; so is a factor with a
    compound name (∇_w f) when another factor follows, so that diag(u) (∇_w f) xᵀ does not
    read as diag(u) ∇_w(f xᵀ)."""

    def _latex(self, printer: Any) -> str:
        def bracketed(n: int, a: sp.MatrixExpr) -> bool:
            compound = isinstance(a, Named) and " " in str(a.name) and n < len(self.args) - 1
            return compound or isinstance(a, (HadamardProduct, sp.MatAdd))

        return " ".join(rf"\left({printer._print(a)}\right)" if bracketed(n, a)
                        else printer._print(a) for n, a in enumerate(self.args))


class Diag(DiagMatrix):
    """diag(u): the square matrix with the vector u on its diagonal."""

    def doit(self, **hints: Any) -> sp.MatrixExpr:
        vector = self.args[0].doit(**hints)
        if isinstance(vector, sp.MatrixBase):
            return sp.ImmutableMatrix(sp.diag(*vector))
        return Diag(vector)

    def _latex(self, printer: Any) -> str:
        return rf"\operatorname{{diag}}\left({printer._print(self.args[0])}\right)"


@dataclass(frozen=True)
class AffineSigmoid:
    """A ∈ R^{m×n}, x ∈ R^n, b ∈ R^m; w = σ(Ax + b) entry by entry; L = f(w)."""

    m: int
    n: int

    # index forms ------------------------------------------------------------------------
    def pre_activation(self, row: sp.Expr) -> sp.Expr:
        """z_row = Σ_q A_row,q x_q + b_row."""
        return sp.Sum(A[row, q] * x[q], (q, 0, self.n - 1)) + b[row]

    def loss(self) -> sp.Expr:
        """The f of the checks, f(w) = cᵀw + ½ wᵀQw, written out over the m outputs."""
        m = self.m
        return (sum(c[r] * w[r] for r in range(m))
                + sum(Q[r, s] * w[r] * w[s] for r in range(m) for s in range(m)) / 2)

    def definitions(self) -> dict[Any, Any]:
        return {z: self.pre_activation, w: lambda row: sigmoid(z[row]),
                dfdw: lambda row: c[row] + sp.Sum(Q[row, _r] * w[_r], (_r, 0, self.m - 1)),
                gz: self.upstream, **self.matrix_definitions()}

    def domains(self) -> dict[Any, Domain]:
        return {A: Domain((self.m, self.n)), x: Domain((self.n,)), b: Domain((self.m,)),
                c: Domain((self.m,)), Q: Domain((self.m, self.m), "symmetric")}

    def upstream(self, row: sp.Expr) -> sp.Expr:
        """g_row = ∂L/∂z_row = w_row(1 − w_row) ∂f/∂w_row, where w_row = σ(z_row)."""
        return w[row] * (1 - w[row]) * dfdw[row]

    def grad_x(self) -> sp.Expr:
        """∂L/∂x_j = Σ_k A_kj w_k(1 − w_k) ∂f/∂w_k (k, the index of the chain rule's sum)."""
        return sp.Sum(self.upstream(k) * A[k, j], (k, 0, self.m - 1))

    def grad_A(self) -> sp.Expr:
        """∂L/∂A_ij = w_i(1 − w_i) ∂f/∂w_i x_j."""
        return self.upstream(i) * x[j]

    def grad_b(self) -> sp.Expr:
        """∂L/∂b_i = w_i(1 − w_i) ∂f/∂w_i."""
        return self.upstream(i)

    # matrix forms -----------------------------------------------------------------------
    def named(self) -> dict[str, Named]:
        m, n = self.m, self.n
        return {"A": Named("A", m, n), "x": Named("x", n, 1), "s": Named("w", m, 1),
                "ds": Named(r"\sigma'(z)", m, 1), "one": Named(r"\mathbf{1}", m, 1),
                "g": Named(r"\nabla_{w} f", m, 1), "gz": Named("g", m, 1)}

    def matrix_definitions(self) -> dict[Any, Any]:
        """The entries of each named matrix."""
        m, n, N = self.m, self.n, self.named()
        column = {"s": lambda r: sigmoid(z[r]), "ds": lambda r: sigmoid_prime(sigmoid(z[r])),
                  "one": lambda r: sp.Integer(1), "g": lambda r: dfdw[r],
                  "gz": lambda r: gz[r]}
        out: dict[Any, Any] = {N[key]: sp.ImmutableMatrix(m, 1, [f(r) for r in range(m)])
                               for key, f in column.items()}
        out[N["A"]] = sp.ImmutableMatrix(m, n, lambda r, s: A[r, s])
        out[N["x"]] = sp.ImmutableMatrix(n, 1, lambda r, _: x[r])
        return out

    def upstream_vector(self, form: str = "prime") -> sp.MatrixExpr:
        """∇_z L as a vector: σ′(z) ⊙ ∇_w f (`prime`), w ⊙ (1 − w) ⊙ ∇_w f (`sigma`),
        diag(w ⊙ (1 − w)) (∇_w f) (`diag`) or g (`gz`), where w = σ(z)."""
        N = self.named()
        s_1_s = Had(N["s"], sp.MatAdd(N["one"], -N["s"]))
        return {"prime": Had(N["ds"], N["g"]), "sigma": Had(N["s"], N["one"] - N["s"], N["g"]),
                "diag": Prod(Diag(s_1_s), N["g"]), "gz": N["gz"]}[form]

    def grad_x_matrix(self, form: str = "diag") -> sp.MatrixExpr:
        """∇_x L = Aᵀ(σ′(z) ⊙ ∇_w f) = Aᵀ diag(w ⊙ (1 − w)) ∇_w f, n × 1."""
        v = self.upstream_vector(form)
        tail = v.args if isinstance(v, Prod) else (v,)
        return Prod(T(self.named()["A"]), *tail)

    def grad_A_matrix(self, form: str = "diag") -> sp.MatrixExpr:
        """∇_A L = (σ′(z) ⊙ ∇_w f) xᵀ, m × n."""
        v = self.upstream_vector(form)
        head = v.args if isinstance(v, Prod) else (v,)
        return Prod(*head, T(self.named()["x"]))

    def grad_b_matrix(self, form: str = "diag") -> sp.MatrixExpr:
        """∇_b L = σ′(z) ⊙ ∇_w f, m × 1."""
        return self.upstream_vector(form)

    def explicit(self, expr: sp.MatrixExpr) -> sp.ImmutableMatrix:
        """A matrix form written out entry by entry, on this model's sizes."""
        return sp.ImmutableMatrix(expr.xreplace(self.matrix_definitions()).doit())
