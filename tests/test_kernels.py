"""The kernel family: exact Gram matrices and verdicts, claims settled with their evidence,
random p.d. kernels never refuted, known non-p.d. ones always refuted, broken proofs caught."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from derive.derivation import Domain
from derive.derivation.check import check_steps
from derive.models import kernel_symbols as S
from derive.models.kernel_search import search
from derive.models.kernel_structure import cpd_proof, pd_proof
from derive.models.kernels import Kernel, projector, psd, quadratic_form, restricted
from derive.questions.declare import verify_derivation
from derive.questions.kernel import BUILDERS, KernelClaim, exact_failures
from derive.questions.kernel_check import KernelCheck
from derive.verify import kernel_reference as R

FAST = settings(max_examples=12, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


# --- exact values -----------------------------------------------------------------------

def test_neg_sq_distance_gram_and_forms() -> None:
    K = Kernel.parse("-(x - y)**2").gram([0, 1, 3])
    assert sp.Matrix([[0, -1, -9], [-1, 0, -4], [-9, -4, 0]]) == K
    assert psd(K) is False and psd(restricted(K)) is True
    assert quadratic_form(K, [1, 1, 0]) == -2
    assert quadratic_form(K, [1, -2, 1]) == 2 * (0 - 2 * 1 + 3) ** 2   # 2‖Σ a_i x_i‖²


def test_sum_square_counterexample_of_the_brief() -> None:
    """f(x1) = 1, f(x2) = 0: Gram [[4, 1], [1, 0]], determinant −1."""
    K = Kernel.parse("(x + y)**2").gram([1, 0])
    assert sp.Matrix([[4, 1], [1, 0]]) == K and K.det() == -1
    assert sorted(K.eigenvals()) == sorted([2 - sp.sqrt(5), 2 + sp.sqrt(5)])


def test_search_finds_exact_counterexamples() -> None:
    found = search(Kernel.parse("-(x - y)**2"), "pd").found
    assert found is not None
    assert (found.points, found.coefficients, found.form, found.eigenvalue) == ([0, 1], [1, 1],
                                                                              -2, -1)
    cubic = search(Kernel.parse("-Abs(x - y)**3"), "cpd").found
    assert cubic is not None and sum(cubic.coefficients) == 0 and cubic.form == -8
    P = projector(3)
    assert cubic.eigenvalue == min((P * cubic.gram * P).eigenvals(), key=lambda v: float(v))


def test_search_never_claims_a_proof() -> None:
    result = search(Kernel.parse("-(x - y)**2"), "cpd")
    assert result.found is None and result.sets > 200


def test_structure_proofs() -> None:
    assert [p.reason for p in pd_proof(Kernel.parse("(x*y + 1)**2")).walk()] == [
        "constant", "separable", "sum", "power"]
    shift = cpd_proof(Kernel.parse("-(x - y)**2 + 7"))
    assert shift is not None and shift.reason == "shift" and shift.c == 7
    assert pd_proof(Kernel.parse("x**2 + y**2")) is None
    assert pd_proof(Kernel.parse("-2*x*y")) is None


# --- the claims of the seeds ------------------------------------------------------------

VERDICTS = {
    "pd_implies_cpd": ["true", "false"], "constant": ["true if and only if c >= 0", "true"],
    "neg_sq_distance": ["false", "true"], "centred": ["true", "true"], "feature_map": ["true"],
    "exp_cpd": ["true"], "exp_converse": ["true"],
    "sum_square": ["false", "true if and only if f takes one value, or exactly two values "
                   "u != v with u^2 + 6uv + v^2 <= 0"],
    "polynomial": ["true", "false"],
}


@pytest.mark.parametrize("claim", sorted(BUILDERS))
def test_claims_are_settled_and_checked(claim: str) -> None:
    g = KernelClaim(claim=claim)
    d = g.derive()
    check = verify_derivation(d, g)
    assert check.passed, check.detail
    assert [v["verdict"] for v in g.value({})["verdicts"]] == VERDICTS[claim]


def test_sum_square_records_its_counterexample() -> None:
    g = KernelClaim(claim="sum_square")
    g.derive()
    false = g.value({})["verdicts"][0]
    assert false["gram"] == [[0, 1], [1, 4]] and false["coefficients"] == [4, -1]
    assert false["quadratic_form"] == -4
    assert false["min_eigenvalue"] == pytest.approx(2 - 5**0.5)


def test_feature_map_factor_one_half_by_eigendecomposition() -> None:
    """k = −‖x − y‖² at random points: Φ read off k̃'s Gram matrix gives ‖Φ_i − Φ_j‖² = −2k."""
    X = np.random.default_rng(3).normal(size=(6, 2))
    K = -R.squared_distances(X)
    assert np.allclose(R.feature_distances(R.centred(K)), -2 * K)
    assert not np.allclose(R.feature_distances(R.centred(K)), -K)


# --- broken proofs are caught -----------------------------------------------------------

def _centred_derivation():  # type: ignore[no-untyped-def]
    return BUILDERS["centred"](0).d


def test_a_flipped_sign_in_the_centred_expansion_fails() -> None:
    d = _centred_derivation()
    step = next(s for s in d.steps if s.answer == ("centred_form",))
    step.rhs = step.rhs.xreplace({S.k(0, 0): -S.k(0, 0)})       # + (Σa)² k(x0,x0) → −
    assert exact_failures(d)
    check_steps(d, np.random.default_rng(0))
    assert step.check is not None and not step.check.passed


def test_exact_identity_needs_the_zero_sum() -> None:
    i, j = S.i, S.j
    lhs, rhs = S.form(S.kt), S.form(S.k)
    assert S.exact_identity(lhs, rhs, zero_sum=(S.a,))
    assert not S.exact_identity(lhs, rhs)
    assert not S.exact_identity(S.double_sum(S.a[i] * S.a[j] * S.kt(i, j)),
                                S.double_sum(-S.a[i] * S.a[j] * S.k(i, j)), zero_sum=(S.a,))


# --- random p.d. kernels never refuted; known non-p.d. ones always refuted ---------------

def _rbf(width: float) -> str:
    return f"exp(-(x - y)**2/{2 * width**2!r})"


def _poly(coefs: list[int]) -> str:
    return " + ".join(f"{c}*(x*y)**{m}" for m, c in enumerate(coefs)) or "0"


PD = st.one_of(
    st.sampled_from([0.5, 1.0, 2.0, 3.5]).map(_rbf),
    st.lists(st.integers(0, 3), min_size=1, max_size=4).map(_poly),
)
PD_COMBINED = st.one_of(PD, st.tuples(PD, PD).map(lambda p: f"({p[0]}) + ({p[1]})"),
                        st.tuples(PD, PD).map(lambda p: f"({p[0]})*({p[1]})"))


@FAST
@given(PD_COMBINED)
def test_random_pd_kernels_are_never_refuted(text: str) -> None:
    k = Kernel.parse(text)
    assert search(k, "pd").found is None
    assert pd_proof(k) is not None


NOT_PD = st.one_of(
    st.integers(1, 5).map(lambda c: f"-{c}*(x - y)**2"),
    st.tuples(st.integers(1, 3), st.integers(-2, 2)).map(
        lambda ab: f"({ab[0]}*x + {ab[1]} + {ab[0]}*y + {ab[1]})**2"),   # f(x) = a x + b
    st.integers(1, 4).map(lambda c: f"x*y - {c}"),
)


@FAST
@given(NOT_PD)
def test_known_non_pd_kernels_always_get_a_counterexample(text: str) -> None:
    k = Kernel.parse(text)
    found = search(k, "pd").found
    assert found is not None and found.form < 0
    X = np.array([[float(p)] for p in found.points])
    K = R.gram(k.numpy(), X)                     # numpy, from the kernel alone
    assert R.form(K, found.coefficients) < 0 and R.smallest(K) < 0


# --- user kernels -----------------------------------------------------------------------

@pytest.mark.parametrize(("given", "verdict", "evidence"), [
    ({"kernel": "exp(-(x - y)**2)"}, "true", "proof"),
    ({"kernel": "-(x - y)**2", "property": "cpd"}, "true", "proof"),
    ({"kernel": "-(x - y)**2"}, "false", "counterexample"),
    ({"kernel": "sin(x - y)"}, "false", "not symmetric"),
    ({"kernel": "exp(-Abs(x - y))"}, "undecided", "search"),
    ({"kernel": "x*y", "points": [0, 1, 2]}, "true", "exact"),
    ({"kernel": "x*y - 1", "points": [0, 1]}, "false", "counterexample"),
    ({"kernel": "x1*y1 + x2*y2", "dim": 2}, "true", "proof"),
])
def test_user_kernels(given: dict, verdict: str, evidence: str) -> None:
    g = KernelCheck(**given)
    d = g.derive()
    check = verify_derivation(d, g)
    assert check.passed, check.detail
    value = g.value({})
    assert (value["verdict"], value["evidence"]) == (verdict, evidence)


@pytest.mark.parametrize(("given", "message"), [
    ({"kernel": "__import__('os')"}, "unknown function '__import__'"),
    ({"kernel": "x.__class__"}, "attribute access is not allowed"),
    ({"kernel": "x*z"}, "'z' is not one of the variables"),
    ({"kernel": "log(x*y)"}, "not a finite real number"),
    ({"kernel": "x*y", "points": [0, 0]}, "no repeated point"),
])
def test_bad_kernels_are_refused(given: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        KernelCheck(**given)


# --- the page: what the sentences and displays say ---------------------------------------

def _words(language: str) -> dict:
    from derive.latex.environment import strings

    return strings(language)


def test_the_three_values_display_squares_the_whole_sum() -> None:
    """Q(a) = 2(Σa)(Σa s²) + 2(Σa s)²: the last sum is squared as a whole, not s_i."""
    from derive.latex.printer import tex

    d = KernelClaim(claim="sum_square").derive()
    step = next(s for s in d.steps if "sumsq_three" in s.answer)
    named = d.steps[d.steps.index(step) - 1]
    shown = tex(named.rhs)
    assert r"\bigl(\textstyle\sum_{i} a_{i} s_{i}\bigr)^{2}" in shown
    assert r"a_{i} s_{i}^{2}\bigr)^{2}" not in shown


def test_the_schur_proof_sums_over_n_columns_from_1() -> None:
    """B and C are n × n: the sums run r, q = 1 … n (no rank fixed in advance), and SymPy
    proves the step for n = 3 with every column; one column fewer is not the same."""
    from derive.questions import kernel_closure as KC

    d = KernelClaim(claim="polynomial").derive()
    schur = next(s for s in d.steps if "schur" in s.answer)
    assert [tuple(lim[1:]) for lim in schur.rhs.limits] == [(1, S.n), (1, S.n)]
    before = d.steps[d.steps.index(schur) - 1].rhs
    short = sp.Sum(schur.rhs.function, (KC.r_, 1, S.n - 1), (KC.q_, 1, S.n))
    assert S.exact_identity(before, schur.rhs, meanings=KC.EXACT_MEANINGS)
    assert not S.exact_identity(before, short, meanings=KC.EXACT_MEANINGS)


def test_the_vanishing_terms_are_named_by_their_factor() -> None:
    """With Σ a_i = 0, the terms of the expansion with a factor Σ_i a_i vanish: there are
    two, and the sentence names them by that factor, not by a position on the page."""
    from derive.questions.kernel_evidence import ag

    d = KernelClaim(claim="centred").derive()
    general = next(s for s in d.steps if "centred_form" in s.answer).rhs
    with_sum = [t for t in general.args if t.has(sp.Sum(ag[S.i], (S.i, 1, S.n)))
                or t.has(sp.Sum(ag[S.j], (S.j, 1, S.n)))]
    assert len(with_sum) == 2
    for language, factor, wrong in (("en", "two terms with a factor", "last two"),
                                    ("fr", "deux termes qui ont le facteur", "deux derniers")):
        text = _words(language)["sentences"]["kernel_centred_if"]
        assert factor in text and wrong not in text


def test_pd_implies_cpd_marks_the_proof_not_the_counterexample() -> None:
    from derive.derivation.page import marks

    d = KernelClaim(claim="pd_implies_cpd").derive()
    marked = [s for s in d.steps if marks(d, s)]
    assert [s.note.key for s in marked if s.note] == ["kernel_pd_is_cpd"]
    assert not any(marks(d, s) for s in d.steps if any(k.startswith("converse_")
                                                        for k in s.answer))


@pytest.mark.parametrize("claim", sorted(BUILDERS))
def test_every_claim_defines_its_abbreviations_first(claim: str) -> None:
    d = KernelClaim(claim=claim).derive()
    first = next(s.note.key for s in d.steps if s.note is not None)
    assert first == "kernel_setup"
    for language, words in (("en", ("(p.d.)", "(p.s.d.)", "(c.p.d.)")),
                            ("fr", ("(d.p.)", "(c.d.p.)"))):
        text = _words(language)["sentences"]["kernel_setup"]
        assert all(w in text for w in words) and text.endswith(".")


def test_french_abbreviations_and_strict_signs() -> None:
    """French: « c.d.p. » and « d.p. » only, and « négatif » (which includes 0) is always
    « strictement négatif » where a strict sign is meant."""
    import re

    import yaml

    from derive.latex.environment import TEMPLATES

    for name in ("kernel", "graph"):
        text = (TEMPLATES / "strings" / "fr" / f"{name}.yaml").read_text(encoding="utf-8")
        body = yaml.safe_load(text)["sentences"]
        flat = yaml.safe_dump(body, allow_unicode=True, width=10**6)
        assert "c.p.d." not in flat and "p.s.d." not in flat
        assert not re.search(r"(?<!strictement )négati(f|ve|ves)\b", flat), name


def test_two_points_are_written_in_words() -> None:
    for language, two in (("en", "At the two points"), ("fr", "Aux deux points")):
        assert _words(language)["sentences"]["kernel_cx_gram"]["two"].startswith(two)
    d = KernelClaim(claim="pd_implies_cpd").derive()
    gram = next(s for s in d.steps if s.note is not None and s.note.key == "kernel_cx_gram")
    assert gram.note.values["case"] == "two"


def test_a_gram_matrix_whose_eigenvalues_need_complex_radicals_is_read_in_decimals() -> None:
    """−(x − y)² at −2, −1, 1/2: a 3 × 3 rational K whose cubic has three real roots that
    radicals write with i (casus irreducibilis). The smallest is found numerically and the
    page gives its decimal, not a complex radical or 30 digits."""
    from tests.helpers import check, page

    given = {"kernel": "-(x - y)**2", "property": "pd", "points": [-2, -1, 0.5], "seed": 0}
    text = page("kernel.check", "en", **given)
    K = np.array([[-(a - b) ** 2 for b in (-2, -1, 0.5)] for a in (-2, -1, 0.5)])
    low = f"{np.linalg.eigvalsh(K)[0]:.4f}"                 # -7.0098
    line = text.split(r"\lambda_{\min}(K)")[1].split("\n")[0]
    assert line.startswith(rf" & \approx -\num{{{low[1:]}}} \tag*")
    assert check("kernel.check", **given).passed


# --- marks, rule names and sentences true for the claim they serve ----------------------

MARKED = {"pd_implies_cpd": ["kernel_pd_is_cpd"], "constant": ["kernel_constant_done"],
          "neg_sq_distance": ["kernel_negsq_done"], "centred": ["kernel_centred_done"],
          "feature_map": ["feature_claim"], "exp_cpd": ["kernel_exp_verdict"],
          "exp_converse": ["kernel_converse_done"],
          "sum_square": ["kernel_sumsq_false", "kernel_sumsq_done"],
          "polynomial": ["kernel_poly_done"]}


@pytest.mark.parametrize("claim", sorted(BUILDERS))
def test_only_what_the_question_asks_is_marked(claim: str) -> None:
    """The verdict (or the identity asked for) carries the answer mark; the steps and the
    counterexamples that support it do not."""
    from derive.derivation.page import marks

    d = KernelClaim(claim=claim).derive()
    shown = [s for s in d.steps if marks(d, s)]
    names = [s.note.key if s.states and s.note is not None else s.answer[0] for s in shown]
    assert names == MARKED[claim]


def test_the_centred_expansion_needs_no_symmetry() -> None:
    """Σ a_i a_j k̃ = (Σa)² k(x0, x0) − 2(Σa)(Σ a_j k(x0, x_j)) + Σ a_i a_j k holds for a kernel
    that is not symmetric: its rule must not name the symmetry of k, and its (Σa)² is
    printed once in parentheses."""
    from derive.latex.printer import tex

    d = KernelClaim(claim="centred").derive()
    d.domains[sp.IndexedBase("k")] = Domain((5, 5))              # any values, not symmetric
    check_steps(d, np.random.default_rng(1))
    step = next(s for s in d.steps if "centred_form" in s.answer)
    assert step.rule == "kernel_expand" and step.check is not None and step.check.passed
    for language in ("en", "fr"):
        assert "sym" not in _words(language)["rules"]["kernel_expand"]
        assert "sym" not in _words(language)["sentences"]["kernel_centred_expand"]
    assert r"\left(\left(" not in tex(step.rhs)


def test_no_sentence_names_a_part_number() -> None:
    """A claim may sit at any number in an assignment: "by part 4" is false elsewhere."""
    import re

    import yaml

    from derive.latex.environment import TEMPLATES

    for language in ("en", "fr"):
        for name in ("kernel", "graph"):
            text = (TEMPLATES / "strings" / language / f"{name}.yaml").read_text("utf-8")
            flat = yaml.safe_dump(yaml.safe_load(text)["sentences"], allow_unicode=True)
            assert not re.search(r"\b(part|question|partie)s? \d", flat), (language, name)


def test_the_feature_map_claim_is_true_as_stated() -> None:
    """k = −‖Ψ(x) − Ψ(y)‖² with Ψ = Φ/√2: the claim holds; only Φ itself is off by ½. The
    lemma that k̃ is p.d. is stated (and checked) in the part itself."""
    g = KernelClaim(claim="feature_map")
    d = g.derive()
    (verdict,) = g.value({})["verdicts"]
    assert verdict["verdict"] == "true" and "correction" not in verdict
    notes = [s.note.key for s in d.steps if s.note is not None]
    assert notes.index("kernel_centred_lemma") < notes.index("kernel_feature_exists")
    lemma = [s for s in d.steps if not s.shown and s.rule == "kernel_centred_def"]
    assert lemma and verify_derivation(d, g).passed and all(s.check.passed for s in lemma)
    for language, wrong in (("en", "off by"), ("fr", "manque")):
        assert wrong not in _words(language)["sentences"]["kernel_feature_half"]


def test_neg_sq_distance_is_refuted_at_any_two_distinct_points() -> None:
    """Not p.d.: k(x1, x1) + 2k(x1, x2) + k(x2, x2) = −2‖x1 − x2‖² < 0 at any x1 ≠ x2 of the
    Hilbert space, shown in the part (no counterexample borrowed from another part)."""
    from derive.questions.kernel_cpd import D2

    g = KernelClaim(claim="neg_sq_distance")
    d = g.derive()
    answers = d.answers()
    assert answers["negsq_not_pd"].rhs == -2 * D2(1, 2)
    assert not any(key.startswith("negsq_gram") for key in answers)
    assert verify_derivation(d, g).passed


@pytest.mark.parametrize("claim", sorted(BUILDERS))
def test_each_claim_method_describes_what_was_done(claim: str) -> None:
    """The appendix names a feature map, expm1 or the series only for the claims that use
    them, and counterexamples only where the part has one."""
    from derive.questions.kernel import METHODS

    d = KernelClaim(claim=claim).derive()
    rules = {s.rule for s in d.steps}
    for language in ("en", "fr"):
        text = _words(language)["checks"][METHODS[claim]]
        assert ("expm1" in text) == ("kernel_limit" in rules)
        assert ("100" in text) == ("kernel_series" in rules)
        assert ("\\tilde{k}" in text) == ("kernel_feature" in rules)
        assert ("eigvalsh" in text) == ("kernel_gram" in rules)


def test_sentences_of_the_sum_square_claim() -> None:
    en, fr = _words("en")["sentences"], _words("fr")["sentences"]
    assert "at least three" in en["kernel_sumsq_three"]
    assert "au moins trois" in fr["kernel_sumsq_three"]
    for text in (en["kernel_sumsq_done"], fr["kernel_sumsq_done"]):
        assert "f(x_1)^2 + f(x_2)^2" not in text      # no answer to an unseen approach
    assert en["kernel_sumsq_ratio"].index("forces $uv < 0$") > en["kernel_sumsq_ratio"].index(
        "u^2 + 6uv + v^2 \\le 0")
    assert "x^\\top y" in en["kernel_poly_negative"] and "x^\\top y" in fr["kernel_poly_negative"]


def test_the_setup_says_pd_allows_zero_and_french_reads_naturally() -> None:
    en, fr = _words("en")["sentences"], _words("fr")["sentences"]
    assert "allows $Q(a) = 0$" in en["kernel_setup"] and "admet $Q(a) = 0$" in fr["kernel_setup"]
    flat = repr({k: fr[k] for k in fr if k.startswith("kernel_")})
    for calque in ("exactement quand", "demande moins", "est valide, ou"):
        assert calque not in flat
