r"""Newton's step as the minimiser of the second-order Taylor model, with named matrices.

At w⁽ᵗ⁾, with g_t = ∇f(w⁽ᵗ⁾) and H the Hessian there, the model is

    m(w) = f(w⁽ᵗ⁾) + (w − w⁽ᵗ⁾)ᵀ g_t + ½ (w − w⁽ᵗ⁾)ᵀ H (w − w⁽ᵗ⁾).

Expressions are SymPy matrix expressions over named matrices (`Named`), built unevaluated in
the order a textbook writes them and printed by `show` (SymPy's own printer reorders sums
and distributes ½). For the checks, each name has its entries (`definitions`), and
`Grad(e, w)` is ∇_w of a 1 × 1 expression, carried out by SymPy once the entries are in, so
that a step "∇m(w) = g + H(w − w⁽ᵗ⁾)" is compared with the gradient of the model itself.
H is drawn symmetric positive definite (H = MMᵀ + I, M random); A, in the lemma about
∇(uᵀAu), is any square matrix.

>>> N = NewtonModel(2)
>>> print(show(N.model(N.w)).replace(r"\left(w - w^{(t)}\right)", "(w - w^{(t)})"))
f(w^{(t)}) + (w - w^{(t)})^\top g_{t} + \tfrac{1}{2} (w - w^{(t)})^\top H (w - w^{(t)})
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.matrices.expressions import Identity, Inverse, MatAdd, MatMul, Transpose, ZeroMatrix

from derive.derivation.steps import Domain
from derive.latex.printer import tex
from derive.models.matrix_calculus import Named, T

_q = sp.Symbol("q", integer=True, nonnegative=True)


class Grad(sp.MatrixExpr):
    """∇_v e of a 1 × 1 matrix expression e, a column as tall as v. Carried out (`doit`)
    once v is an explicit column of symbols."""

    def __new__(cls, expr: sp.Basic, wrt: sp.Basic) -> Grad:
        return sp.Basic.__new__(cls, expr, wrt)

    @property
    def shape(self) -> tuple[Any, Any]:
        return (self.args[1].shape[0], sp.Integer(1))

    def doit(self, **hints: Any) -> sp.Basic:
        expr, wrt = (a.doit(**hints) if isinstance(a, sp.Basic) else a for a in self.args)
        if isinstance(wrt, sp.MatrixBase):
            matrix = isinstance(expr, sp.MatrixBase | sp.MatrixExpr)
            scalar = sp.ImmutableMatrix(expr)[0, 0] if matrix else expr
            return sp.ImmutableMatrix(wrt.rows, 1, [sp.diff(scalar, v) for v in wrt])
        return Grad(expr, wrt)

    def _latex(self, printer: Any) -> str:
        return show(self)


class Inv(Inverse):
    """A⁻¹; on an explicit matrix, adj(A)/det(A) (Berkowitz, no zero testing: SymPy's
    default inverse tests pivots numerically and is slow on symbolic entries)."""

    def doit(self, **hints: Any) -> sp.Basic:
        arg = self.arg.doit(**hints) if isinstance(self.arg, sp.Basic) else self.arg
        if isinstance(arg, sp.MatrixExpr) and not arg.atoms(sp.MatrixSymbol):
            arg = sp.ImmutableMatrix(arg.as_explicit())          # λI, say
        if isinstance(arg, sp.MatrixBase):
            return sp.ImmutableMatrix(arg.adjugate(method="berkowitz")
                                      / arg.det(method="berkowitz"))
        return Inv(arg)


def add(*terms: sp.Basic) -> sp.MatrixExpr:
    return MatAdd(*terms, evaluate=False)


def mul(*factors: sp.Basic) -> sp.MatrixExpr:
    return MatMul(*factors, evaluate=False)


HALF = sp.Rational(1, 2)


def _factor(e: sp.Basic) -> str:
    text = show(e)
    return rf"\left({text}\right)" if isinstance(e, MatAdd | MatMul) else text


def show(e: sp.Basic) -> str:
    """LaTeX of a matrix expression as built: sums in order, ½ as \\tfrac12, uᵀ, H⁻¹."""
    if isinstance(e, Named):
        return str(e.name)
    if isinstance(e, Transpose):
        return _factor(e.arg) + r"^\top"
    if isinstance(e, Inverse):
        return _factor(e.arg) + "^{-1}"
    if isinstance(e, Grad):
        return rf"\nabla_{{{show(e.args[1])}}}\left[{show(e.args[0])}\right]"
    if isinstance(e, ZeroMatrix) or (isinstance(e, sp.MatrixBase) and e.is_zero_matrix):
        return r"\mathbf{0}"
    if isinstance(e, Identity):
        return "I"
    if isinstance(e, MatAdd):
        out = ""
        for n, term in enumerate(e.args):
            text = show(term)
            if n and text.startswith("-"):
                out += " - " + text[1:].lstrip()
            else:
                out += (" + " if n else "") + text
        return out
    if isinstance(e, sp.MatrixBase):
        rows = [" & ".join(tex(x) for x in e.row(i)) for i in range(e.rows)]
        return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"
    if isinstance(e, MatMul):
        scalars = [a for a in e.args if not isinstance(a, sp.MatrixExpr)]
        matrices = [a for a in e.args if isinstance(a, sp.MatrixExpr)]
        c = sp.Mul(*scalars)
        lead = ("" if c == 1 else "-" if c == -1 else
                rf"\tfrac{{{sp.numer(c)}}}{{{sp.denom(c)}}}" if c.is_Rational and c > 0 else
                rf"-\tfrac{{{-sp.numer(c)}}}{{{sp.denom(c)}}}" if c.is_Rational else
                tex(c))
        body = " ".join(_factor(m) for m in matrices)
        return (lead + " " + body).strip() if lead not in ("", "-") else lead + body
    return tex(e)


@dataclass(frozen=True)
class NewtonModel:
    """The names and their entries, in dimension n (for the checks; the page is the same in
    any dimension)."""

    n: int = 3

    # entries ----------------------------------------------------------------------------
    @property
    def entries(self) -> dict[str, sp.IndexedBase]:
        return {k: sp.IndexedBase(k, real=True) for k in ("w", "wt", "g", "M", "A", "a",
                                                           "H", "u")}

    @property
    def f_t(self) -> sp.Symbol:
        return sp.Symbol("f_t", real=True)

    @property
    def lam(self) -> sp.Symbol:
        return sp.Symbol(r"\lambda", positive=True)

    # names ------------------------------------------------------------------------------
    @property
    def w(self) -> Named:
        return Named("w", self.n, 1)

    @property
    def wt(self) -> Named:
        return Named("w^{(t)}", self.n, 1)

    @property
    def g(self) -> Named:
        """g_t = ∇f(w⁽ᵗ⁾), a vector (g alone is the gradient function in later questions)."""
        return Named("g_{t}", self.n, 1)

    @property
    def H(self) -> Named:
        return Named("H", self.n, self.n)

    @property
    def A(self) -> Named:
        return Named("A", self.n, self.n)

    @property
    def a(self) -> Named:
        return Named("a", self.n, 1)

    @property
    def f0(self) -> Named:
        return Named("f(w^{(t)})", 1, 1)

    @property
    def w_star(self) -> Named:
        return Named("w^{*}", self.n, 1)

    @property
    def u(self) -> Named:
        """Any vector (a direction away from w*)."""
        return Named("u", self.n, 1)

    def step(self, v: sp.Basic) -> sp.MatrixExpr:
        """v − w⁽ᵗ⁾, kept whole."""
        return add(v, mul(-1, self.wt))

    def model(self, v: sp.Basic) -> sp.MatrixExpr:
        """m(v) = f(w⁽ᵗ⁾) + (v − w⁽ᵗ⁾)ᵀ g + ½ (v − w⁽ᵗ⁾)ᵀ H (v − w⁽ᵗ⁾)."""
        s = self.step(v)
        return add(self.f0, mul(T(s), self.g), mul(HALF, T(s), self.H, s))

    def newton_point(self) -> sp.MatrixExpr:
        """w⁽ᵗ⁾ − H⁻¹ g."""
        return add(self.wt, mul(-1, Inv(self.H), self.g))

    def definitions(self) -> dict[Any, Any]:
        n, e = self.n, self.entries

        def column(base: sp.IndexedBase) -> sp.ImmutableMatrix:
            return sp.ImmutableMatrix(n, 1, lambda r, _: base[r])

        return {
            self.w: column(e["w"]), self.wt: column(e["wt"]), self.g: column(e["g"]),
            self.a: column(e["a"]), self.u: column(e["u"]),
            self.H: sp.ImmutableMatrix(n, n, lambda r, c: e["H"][r, c]),
            self.A: sp.ImmutableMatrix(n, n, lambda r, c: e["A"][r, c]),
            self.f0: sp.ImmutableMatrix([[self.f_t]]),
            self.w_star: self.newton_point(),
            # H = M Mᵀ + I: symmetric positive definite at every draw
            e["H"]: lambda r, c: (sp.Sum(e["M"][r, _q] * e["M"][c, _q], (_q, 0, n - 1))
                                  + sp.KroneckerDelta(r, c)),
        }

    def domains(self) -> dict[Any, Domain]:
        n, e = self.n, self.entries
        return {e["w"]: Domain((n,)), e["wt"]: Domain((n,)), e["g"]: Domain((n,)),
                e["a"]: Domain((n,)), e["u"]: Domain((n,)), e["M"]: Domain((n, n)),
                e["A"]: Domain((n, n)), e["H"]: Domain((n, n), "defined"),
                self.f_t: Domain(), self.lam: Domain(kind="positive")}
