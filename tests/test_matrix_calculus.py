"""L = f(h(Ax + b)): index forms, matrix forms, their equality on explicit sizes, checks."""

from __future__ import annotations

import pytest
import sympy as sp
from pydantic import ValidationError

from derive.derivation.indices import in_base
from derive.latex.printer import tex
from derive.models import matrix_calculus as MC
from derive.models.matrix_calculus import AffineSigmoid, Had, T
from derive.models.symbols import sigmoid
from derive.questions.declare import verify_derivation
from derive.questions.matrix_calculus import AffineSigmoidGrad
from tests.test_derivation import _sentences

REPORTS = ["grad_x", "grad_A", "grad_b"]


@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.parametrize(("m", "n"), [(3, 2), (1, 1), (2, 3)])
def test_every_step_and_answer_is_checked(report: str, m: int, n: int) -> None:
    given = AffineSigmoidGrad(m=m, n=n, report=report)
    d = given.derive()
    check = verify_derivation(d, given)
    assert check.passed, check.detail
    assert set(d.answers()) == {report, report + "_matrix"}
    assert all(s.check is not None and s.check.passed for c in d.chains() for s in c[1:])
    assert {"chain_rule", "elementwise", "differentiate", "sigma_prime", "to_matrix_form",
            "expand_matrix"} <= {s.rule for s in d.steps}


def test_index_forms_are_the_textbook_ones() -> None:
    g = AffineSigmoid(3, 2)
    i, j, k, w, A, x, g_ = MC.i, MC.j, MC.k, MC.w, MC.A, MC.x, MC.dfdw
    assert g.grad_x() == sp.Sum(A[k, j] * w[k] * (1 - w[k]) * g_[k], (k, 0, 2))
    assert g.grad_A() == w[i] * (1 - w[i]) * g_[i] * x[j]
    assert g.grad_b() == w[i] * (1 - w[i]) * g_[i]
    for report in REPORTS:           # what the derivation ends with is the model's formula
        d = AffineSigmoidGrad(m=3, n=2, report=report).derive()
        assert d.answers()[report].rhs == getattr(g, report)()


def test_matrix_forms_print_the_textbook_way() -> None:
    g = AffineSigmoid(3, 2)
    assert tex(g.grad_x_matrix("prime")) == r"A^\top \left(\sigma'(z) \odot \nabla_{w} f\right)"
    assert tex(g.grad_x_matrix()) == (
        r"A^\top \operatorname{diag}\left(w \odot \left(\mathbf{1} - w\right)\right) "
        r"\nabla_{w} f")
    assert tex(g.grad_A_matrix("prime")) == (
        r"\left(\sigma'(z) \odot \nabla_{w} f\right) x^\top")
    assert tex(g.grad_b_matrix("prime")) == r"\sigma'(z) \odot \nabla_{w} f"
    assert tex(in_base(g.grad_x(), 1)) == (
        r"\sum_{k=1}^{3} {w}_{k} {A}_{k,j} \frac{\partial f}{\partial w_{k}} "
        r"\left(1 - {w}_{k}\right)")


@pytest.mark.parametrize(("m", "n"), [(1, 1), (2, 3), (3, 2), (4, 4)])
def test_matrix_form_equals_the_index_form_exactly(m: int, n: int) -> None:
    """Entry by entry, SymPy: Aᵀ diag(w ⊙ (1 − w)) ∇_w f against Σ_i A_ij w_i(1 − w_i) ∂f/∂w_i,
    and (w ⊙ (1 − w) ⊙ ∇_w f) xᵀ against w_i(1 − w_i) ∂f/∂w_i x_j."""
    g = AffineSigmoid(m, n)
    named = {sigmoid(MC.z[r]): MC.w[r] for r in range(m)}
    gx = g.explicit(g.grad_x_matrix()).xreplace(named)
    gA = g.explicit(g.grad_A_matrix()).xreplace(named)
    gb = g.explicit(g.grad_b_matrix()).xreplace(named)
    assert gx.shape == (n, 1) and gA.shape == (m, n) and gb.shape == (m, 1)
    for r in range(n):
        assert sp.expand(gx[r, 0] - g.grad_x().xreplace({MC.j: r}).doit()) == 0
    for r in range(m):
        assert sp.expand(gb[r, 0] - g.grad_b().xreplace({MC.i: r})) == 0
        for s in range(n):
            assert sp.expand(gA[r, s] - g.grad_A().xreplace({MC.i: r, MC.j: s})) == 0


def test_a_transposed_a_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    def wrong(self: AffineSigmoid, form: str = "diag") -> sp.MatrixExpr:
        v = self.upstream_vector(form)
        return sp.MatMul(self.named()["A"], *(v.args if isinstance(v, sp.MatMul) else (v,)))

    monkeypatch.setattr(AffineSigmoid, "grad_x_matrix", wrong)
    given = AffineSigmoidGrad(m=3, n=3, report="grad_x")       # square: A v has the shape
    assert not verify_derivation(given.derive(), given).passed
    with pytest.raises(sp.ShapeError):                          # 3 × 2: it cannot be built
        AffineSigmoidGrad(m=3, n=2, report="grad_x").derive()


@pytest.mark.parametrize("report", REPORTS)
def test_dropping_sigma_prime_fails_the_check(report: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    real = AffineSigmoid.upstream_vector

    def without(self: AffineSigmoid, form: str = "prime") -> sp.MatrixExpr:
        N = self.named()
        return Had(N["one"], N["g"]) if form == "prime" else real(self, form)

    monkeypatch.setattr(AffineSigmoid, "upstream_vector", without)
    given = AffineSigmoidGrad(m=2, n=2, report=report)
    d = given.derive()
    assert not verify_derivation(d, given).passed
    failed = [s.rule for s in d.steps if s.check is not None and not s.check.passed]
    assert failed[0] == "to_matrix_form"


def test_a_wrong_outer_product_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AffineSigmoid, "grad_A_matrix", lambda self, form="diag": sp.MatMul(
        self.upstream_vector("gz"), T(self.named()["x"])) if form == "gz" else sp.MatMul(
        Had(self.named()["s"], self.named()["g"]), T(self.named()["x"])))
    given = AffineSigmoidGrad(m=3, n=2, report="grad_A")
    assert not verify_derivation(given.derive(), given).passed


@pytest.mark.parametrize("bad", [{"m": 0}, {"n": -1}, {"report": "grad_w"}, {"m": 2.5},
                                 {"mm": 3}])
def test_bad_givens_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AffineSigmoidGrad.model_validate({"m": 3, "n": 2, **bad})


@pytest.mark.parametrize(("m", "n", "en", "fr"), [
    (3, 2, "The matrix $A$ has $m = 3$ rows and $n = 2$ columns",
     "La matrice $A$ a $m = 3$ lignes et $n = 2$ colonnes"),
    (2, 2, "Here $m = n = 2$", "Ici $m = n = 2$"),
])
def test_no_typo_of_the_assignment_and_no_tool_is_named(m: int, n: int, en: str,
                                                       fr: str) -> None:
    """The kind does not read the assignment's wording: it names no slip of it, and the
    sentences speak of the mathematics, not of SymPy."""
    english = _sentences("matrix_calculus.grad", "en", m=m, n=n)
    french = _sentences("matrix_calculus.grad", "fr", m=m, n=n)
    assert en in english and fr in french
    for text in (english, french):
        assert "slip" not in text and "coquille" not in text and "SymPy" not in text
    assert f"For $m = {m}$, $n = {n}$, written out entry by entry, this is the index form" in (
        english)
    assert "given sizes" not in english and "tailles données" not in french
    assert "double somme, sur $k$ et sur $l$" in french


@pytest.mark.parametrize("report", REPORTS)
def test_the_named_gradient_is_not_the_kronecker_delta(report: str) -> None:
    """δ_jq is Kronecker's in the index form; ∇_z L is written g."""
    d = AffineSigmoidGrad(m=3, n=2, report=report).derive()
    printed = " ".join(tex(in_base(s.rhs, 1)) for s in d.steps)
    renamed = next(s for s in d.steps if s.rule == "rename")
    assert r"\delta" not in tex(renamed.rhs) and "g" in tex(renamed.rhs)
    assert r"\delta" not in tex(d.steps[-1].rhs) and "{g}_{1}" in tex(in_base(d.steps[-1].rhs,
                                                                             1))
    if report != "grad_b":
        assert r"\delta_{j q}" in printed or r"\delta_{jq}" in printed
    text = _sentences("matrix_calculus.grad", "en", m=3, n=2, report=report)
    assert r"Write $g = w \odot" in text and r"\delta =" not in text


@pytest.mark.parametrize(("m", "n"), [(3, 2), (2, 4)])
def test_the_summation_index_of_grad_x_stays_k(m: int, n: int) -> None:
    """The chain rule sums over k; the index does not turn into i on the next line."""
    d = AffineSigmoidGrad(m=m, n=n).derive()
    chain = next(c for c in d.chains() if any(s.rule == "chain_rule" for s in c))
    sums = [s.rhs.atoms(sp.Sum) for s in chain[1:]]
    outer = [max(found, key=lambda e: e.count(sp.Sum)).limits[0][0] for found in sums]
    assert outer == [MC.k] * len(outer)
    assert all(MC.i not in s.rhs.free_symbols for s in chain)


@pytest.mark.parametrize(("report", "rule", "collapsed", "label"), [
    ("grad_x", "delta_sum_A", MC.A[MC.k, MC.q] * sp.KroneckerDelta(MC.j, MC.q),
     r"$\sum_q A_{k,q}\, \delta_{jq} = A_{k,j}$"),
    ("grad_A", "delta_sum_x", MC.x[MC.q] * sp.KroneckerDelta(MC.j, MC.q),
     r"$\sum_q x_q\, \delta_{jq} = x_j$"),
])
def test_the_kronecker_sum_is_labelled_with_its_own_indices(report: str, rule: str,
                                                           collapsed: sp.Expr,
                                                           label: str) -> None:
    """The rule names the sum it collapses (Σ_q A_kq δ_jq), not the shared Σ_i δ_ij f_i = f_j,
    whose f is L's outer function here and whose i is a live index."""
    from derive.latex.environment import strings

    d = AffineSigmoidGrad(m=3, n=2, report=report).derive()
    (at,) = [n for n, s in enumerate(d.steps) if s.rule == rule]
    before = d.steps[at - 1].rhs
    assert any(e.function == collapsed for e in before.atoms(sp.Sum))
    assert "sum_collapse" not in {s.rule for s in d.steps}
    for language in ("en", "fr"):
        assert strings(language)["rules"][rule] == label


def test_the_gradient_of_f_is_bracketed_in_an_outer_product() -> None:
    """diag(u) ∇_w f xᵀ would read as ∇_w(f xᵀ)."""
    g = AffineSigmoid(3, 2)
    assert tex(g.grad_A_matrix()) == (
        r"\operatorname{diag}\left(w \odot \left(\mathbf{1} - w\right)\right) "
        r"\left(\nabla_{w} f\right) x^\top")


@pytest.mark.parametrize("report", REPORTS)
def test_the_stacked_partials_print_in_display_style(report: str) -> None:
    d = AffineSigmoidGrad(m=3, n=2, report=report).derive()
    stacked = next(s for s in d.steps if isinstance(s.lhs, MC.Named) and s.rule == "definition")
    assert tex(stacked.rhs).count(r"\displaystyle") == stacked.rhs.rows * stacked.rhs.cols


def test_shapes_are_stated_from_the_matrices() -> None:
    assert r"here $2 \times 1$" in _sentences("matrix_calculus.grad", "en", m=3, n=2)
    assert r"here $3 \times 2$" in _sentences("matrix_calculus.grad", "en", m=3, n=2,
                                              report="grad_A")
    assert r"ici $4 \times 1$" in _sentences("matrix_calculus.grad", "fr", m=4, n=1,
                                             report="grad_b")
