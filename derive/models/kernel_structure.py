"""Proofs that a kernel is p.d. or c.p.d. by its form: a tree of the closure rules.

p.d. kernels are closed under sums, products (Schur product theorem), non-negative scaling,
positive integer powers and exp (a series of powers with non-negative coefficients, and a
pointwise limit of p.d. kernels is p.d.); the seeds of the tree are the constants c ≥ 0 and
the products f(x)f(y) (Σ a_i a_j f(x_i) f(x_j) = (Σ a_i f(x_i))² ≥ 0). A kernel written
P(x, y) + g(x) + g(y) + c with P p.d. is c.p.d. for any g and any constant c, since those
terms add 2(Σ a_i)(Σ a_i g(x_i)) + c(Σ a_i)² = 0 to the form when Σ a_i = 0.

Only what is recognised is proved; a kernel not recognised is not thereby refuted.

>>> from derive.models.kernels import Kernel
>>> k = Kernel.parse("exp(-(x - y)**2)")
>>> tree = pd_proof(k)
>>> tree.reason, [p.reason for p in tree.parts]
('exp', ['separable', 'exp_series'])
>>> cpd_proof(Kernel.parse("-(x - y)**2")).reason
'shift'
>>> pd_proof(Kernel.parse("-(x - y)**2")) is None
True
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import sympy as sp

from derive.models.kernels import Kernel

MAX_DEPTH = 12


@dataclass
class Piece:
    """`expr` is p.d. (c.p.d. for `shift`) by `reason`, given that its `parts` are.

    reasons: constant (c ≥ 0), separable (f(x) f(y), `f`), sum, product (Schur), power,
    exp (e^{c} e^{g(x)} e^{g(y)} e^{M}: `parts` the separable factor and e^{M}), exp_series
    (e^{M} with M p.d.), rewrite (an equal form, `parts[0]`), shift (P + g(x) + g(y) + c:
    `f` = g, `c`, `parts` [P] or none), pd (a p.d. kernel is c.p.d.).
    """

    expr: sp.Expr
    reason: str
    parts: list[Piece] = field(default_factory=list)
    f: sp.Expr | None = None
    c: sp.Expr = sp.S.Zero
    fy: sp.Expr = sp.S.Zero          # shift: g(y)

    def walk(self) -> Iterator[Piece]:
        """Every node, children before their parent (the order a proof reads in)."""
        for p in self.parts:
            yield from p.walk()
        yield self


class _Reader:
    def __init__(self, kernel: Kernel):
        self.k = kernel
        self.xs, self.ys = set(kernel.x), set(kernel.y)
        self.to_y = dict(zip(kernel.x, kernel.y, strict=True))

    def side(self, e: sp.Expr) -> str:
        free = e.free_symbols
        has_x, has_y = bool(free & self.xs), bool(free & self.ys)
        return "both" if has_x and has_y else "x" if has_x else "y" if has_y else "none"

    def same(self, gx: sp.Expr, gy: sp.Expr) -> bool:
        return sp.expand(gy - gx.xreplace(self.to_y)) == 0

    def split(self, e: sp.Expr) -> tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr]:
        """The terms of expanded `e`: constant, in x only, in y only, in both."""
        out = {"none": sp.Integer(0), "x": sp.Integer(0), "y": sp.Integer(0),
               "both": sp.Integer(0)}
        for term in sp.Add.make_args(sp.expand(e)):
            out[self.side(term)] += term
        return out["none"], out["x"], out["y"], out["both"]

    def separable(self, e: sp.Expr) -> sp.Expr | None:
        """f with e = f(x) f(y), if e is such a product with a non-negative constant."""
        coeff, factors = e.as_coeff_mul()
        u, v, c = sp.Integer(1), sp.Integer(1), coeff
        for factor in factors:
            where = self.side(factor)
            if where == "both":
                return None
            if where == "x":
                u *= factor
            elif where == "y":
                v *= factor
            else:
                c *= factor
        if u == 1 or not (c.is_nonnegative and self.same(u, v)):
            return None
        return sp.sqrt(c) * u

    def pd(self, e: sp.Expr, depth: int = 0) -> Piece | None:
        if depth > MAX_DEPTH:
            return None
        if self.side(e) == "none":
            return Piece(e, "constant") if e.is_nonnegative else None
        f = self.separable(e)
        if f is not None:
            return Piece(e, "separable", f=f)
        found = self.composite(e, depth)
        if found is not None or depth > 0:
            return found
        for alt in (sp.expand(e), sp.expand(sp.expand_trig(e))):
            if alt != e:
                inner = self.pd(alt, depth + 1)
                if inner is not None:
                    return Piece(e, "rewrite", [inner])
        return None

    def composite(self, e: sp.Expr, depth: int) -> Piece | None:
        if isinstance(e, sp.Add):
            parts = [self.pd(t, depth + 1) for t in e.args]
            return Piece(e, "sum", parts) if all(parts) else None     # type: ignore[arg-type]
        if isinstance(e, sp.Mul):
            return self.product(e, depth)
        if isinstance(e, sp.Pow) and e.exp.is_Integer and e.exp > 0:
            base = self.pd(e.base, depth + 1)
            return Piece(e, "power", [base]) if base else None
        if isinstance(e, sp.exp):
            return self.exponential(e, depth)
        return None

    def product(self, e: sp.Mul, depth: int) -> Piece | None:
        """c u(x) u(y) (c ≥ 0) times factors in both x and y, each p.d."""
        mixed = [t for t in e.args if self.side(t) == "both"]
        rest = sp.Mul(*(t for t in e.args if self.side(t) != "both"))
        parts: list[Piece] = []
        if rest != 1:
            first = self.pd(rest, depth + 1)
            if first is None:
                return None
            parts.append(first)
        for t in mixed:
            inner = self.pd(t, depth + 1)
            if inner is None:
                return None
            parts.append(inner)
        return Piece(e, "product", parts) if len(parts) > 1 else None

    def exponential(self, e: sp.exp, depth: int) -> Piece | None:
        """e^{A} with A = c + g(x) + g(y) + M, M p.d. (or 0)."""
        c, gx, gy, mixed = self.split(e.args[0])
        if not self.same(gx, gy):
            return None
        parts: list[Piece] = []
        if gx != 0:
            parts.append(Piece(sp.exp(gx) * sp.exp(gy), "separable", f=sp.exp(gx)))
        if mixed != 0:
            inner = self.pd(mixed, depth + 1)
            if inner is None:
                return None
            parts.append(Piece(sp.exp(mixed), "exp_series", [inner]))
        if not parts:
            return None
        return Piece(e, "exp", parts, f=gx, c=c)

    def cpd(self) -> Piece | None:
        e = self.k.expr
        proof = self.pd(e)
        if proof is not None:
            return Piece(e, "pd", [proof])
        for form in (e, sp.expand_trig(e)):
            c, gx, gy, mixed = self.split(form)
            if not self.same(gx, gy) or (gx == 0 and c == 0):
                continue
            inner = self.pd(mixed) if mixed != 0 else None
            if mixed != 0 and inner is None:
                continue
            return Piece(e, "shift", [inner] if inner else [], f=gx, c=c, fy=gy)
        return None


def pd_proof(kernel: Kernel) -> Piece | None:
    """A proof tree that `kernel` is p.d., or None when its form is not recognised."""
    return _Reader(kernel).pd(kernel.expr)


def cpd_proof(kernel: Kernel) -> Piece | None:
    """A proof tree that `kernel` is c.p.d. (via p.d. or a shift), or None."""
    return _Reader(kernel).cpd()


def decomposition(piece: Piece) -> sp.Expr:
    """The kernel written as its proof reads it: exp split into its factors, a shift into
    its terms (unevaluated, so the page shows the pieces)."""
    if piece.reason == "exp":
        factors = [sp.exp(piece.c)] if piece.c != 0 else []
        factors += [p.expr for p in piece.parts]
        return sp.Mul(*factors, evaluate=False)
    if piece.reason == "shift":
        assert piece.f is not None
        terms = [p.expr for p in piece.parts] + [piece.f, piece.fy, piece.c]
        return sp.Add(*(t for t in terms if t != 0), evaluate=False)
    if piece.reason in ("rewrite", "pd"):
        return decomposition(piece.parts[0])
    return piece.expr

