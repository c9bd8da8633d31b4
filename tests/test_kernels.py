"""The kernel family: exact Gram matrices and verdicts, claims settled with their evidence,
random p.d. kernels never refuted, known non-p.d. ones always refuted, broken proofs caught."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

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
