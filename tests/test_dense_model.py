"""The sigmoid layer: textbook forms, and agreement with full SymPy differentiation."""

from __future__ import annotations

import itertools

import pytest
import sympy as sp
from helpers import page

from derive.models import dense as D
from derive.models.dense import DenseSigmoid
from derive.questions import KINDS

Z = D.z


def test_textbook_forms() -> None:
    layer = DenseSigmoid(2, 2)
    s = Z[D.j] * (1 - Z[D.j])
    assert layer.grad_weight() == D.x[D.i] * D.dLdz[D.j] * s
    assert sp.expand(layer.hessian_diagonal() - D.x[D.i] ** 2 * (
        s**2 * D.d2Ldz[D.j, D.j] + (1 - 2 * Z[D.j]) * s * D.dLdz[D.j])) == 0
    assert layer.hessian_cross() == (D.x[D.i] * D.x[D.i2] * s * Z[D.j2] * (1 - Z[D.j2])
                                     * D.d2Ldz[D.j, D.j2])
    assert layer.grad_input() == sp.Sum(D.w[D.i, D.j] * D.dLdz[D.j] * s, (D.j, 0, 1))
    for expr in (layer.grad_weight(), layer.hessian_diagonal(), layer.hessian_cross()):
        assert not expr.has(sp.Subs, sp.Derivative)


@pytest.mark.parametrize(("n", "m"), [(2, 2), (3, 2), (1, 3)])
def test_agrees_with_full_differentiation_of_a_concrete_loss(n: int, m: int) -> None:
    """Expand z = σ(Wᵀx) with exp, pick L(z) = Σ c_j z_j + Σ_{j<k} z_j z_k + Σ z_j³, diff all."""
    xs = sp.symbols(f"x1:{n + 1}")
    ws = [[sp.Symbol(f"w{a}{b}") for b in range(1, m + 1)] for a in range(1, n + 1)]
    cs = [sp.Rational(a + 2, 3) for a in range(m)]
    zs = [1 / (1 + sp.exp(-sum(ws[a][b] * xs[a] for a in range(n)))) for b in range(m)]
    zsym = sp.symbols(f"z1:{m + 1}")

    def loss(v: list[sp.Expr]) -> sp.Expr:
        return (sum(c * t for c, t in zip(cs, v, strict=True)) + sum(t**3 for t in v)
                + sum(v[a] * v[b] for a, b in itertools.combinations(range(m), 2)))

    lz = loss(list(zsym))
    full = loss(zs)
    variables = [*xs, *(v for row in ws for v in row)]
    point = {s: sp.Rational(k + 1, 7) * (-1) ** k for k, s in enumerate(variables)}
    zval = [z.subs(point) for z in zs]
    grad = {b: sp.diff(lz, zsym[b]).subs(dict(zip(zsym, zval, strict=True)))
            for b in range(m)}
    hess = {(a, b): sp.diff(lz, zsym[a], zsym[b]).subs(dict(zip(zsym, zval, strict=True)))
            for a in range(m) for b in range(m)}

    def value(expr: sp.Expr, subs: dict[sp.Symbol, int]) -> float:
        e = expr.subs(subs).doit()
        e = e.subs({D.dLdz[b]: grad[b] for b in range(m)})
        e = e.subs({D.d2Ldz[p, q]: hess[(p, q)] for p in range(m) for q in range(m)})
        e = e.subs({Z[b]: zval[b] for b in range(m)})
        e = e.subs({D.x[a]: point[xs[a]] for a in range(n)})
        e = e.subs({D.w[a, b]: point[ws[a][b]] for a in range(n) for b in range(m)})
        return float(e)

    layer = DenseSigmoid(n, m)
    for a in range(n):
        assert value(layer.grad_input(), {D.i: a}) == pytest.approx(
            float(sp.diff(full, xs[a]).subs(point)), rel=1e-12)
    for a, b in itertools.product(range(n), range(m)):
        ij = {D.i: a, D.j: b}
        assert value(layer.grad_weight(), ij) == pytest.approx(
            float(sp.diff(full, ws[a][b]).subs(point)), rel=1e-12)
        assert value(layer.hessian_diagonal(), ij) == pytest.approx(
            float(sp.diff(full, ws[a][b], 2).subs(point)), rel=1e-12)
        for a2, b2 in itertools.product(range(n), range(m)):
            if a2 != a and b2 != b:
                got = value(layer.hessian_cross(), {**ij, D.i2: a2, D.j2: b2})
                want = float(sp.diff(full, ws[a][b], ws[a2][b2]).subs(point))
                assert got == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize(("inputs", "outputs", "base"), [(2, 2, 1), (3, 4, 1), (2, 3, 0)])
def test_the_pages_keep_sigma_prime_whole_and_the_terms_in_order(inputs: int, outputs: int,
                                                                  base: int) -> None:
    """ALM 4(a)–(d): w_ij z_j(1 − z_j) ∂L/∂z_j, never z_j w_ij ∂L/∂z_j (1 − z_j); the chain
    rule's two terms in the product rule's order; no n, m the page never uses again."""
    sizes = {"inputs": inputs, "outputs": outputs, "index_base": base}
    s = r"{z}_{j} \left(1 - {z}_{j}\right)"
    dz, d2z = r"\frac{\partial L}{\partial z_{j}}", r"\frac{\partial^2 L}{\partial z_{j}^2}"
    for name, last in (("dense_sigmoid.grad_input", rf"{{w}}_{{i,j}} {s} {dz}"),
                       ("dense_sigmoid.grad_weight", rf"{{x}}_{{i}} {s} {dz}"),
                       ("dense_sigmoid.hessian_diagonal",
                        rf"{{x}}_{{i}}^{{2}} {s} \left({s} {d2z} + \left(1 - 2 {{z}}_{{j}}"
                        rf"\right) {dz}\right)")):
        given = KINDS[name].given.model_validate(sizes)
        assert KINDS[name].solve(given).verify().passed
        text = page(name, "en", **sizes)
        answer = next(line for line in text.splitlines() if "answermark" in line)
        assert last in answer, (name, answer)
        assert "$n = " not in text and "δ" not in text and r"\delta" not in text
    text = page("dense_sigmoid.hessian_diagonal", "en", **sizes)
    product = next(line for line in text.splitlines() if "product rule" in line)
    chain = next(line for line in text.splitlines() if "chain rule" in line)
    assert product.index(r"\frac{\partial}{\partial {w}_{i,j}} \frac{\partial L}") < \
        product.index(r"\frac{\partial}{\partial {w}_{i,j}} \left(")
    assert chain.index(d2z) < chain.index(dz)               # the same order, term by term
