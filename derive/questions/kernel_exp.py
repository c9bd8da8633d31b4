"""Claims on c.p.d. kernels: a c.p.d. kernel with k(x, x) = 0 is
−‖Ψ(x) − Ψ(y)‖² (Ψ = Φ/√2, Φ a feature map of k̃: the factor ½ is derived, not assumed);
k c.p.d. ⇒ e^{tk} p.d. for t ≥ 0; and the converse, through (e^{tk} − 1)/t → k."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp

from derive.derivation import Derivation, Domain
from derive.models import kernel_symbols as S
from derive.questions.kernel_evidence import (
    DIM,
    Claim,
    N,
    ag,
    conclude,
    hidden_verdict,
    holds,
    note,
    proof_derivation,
    setup,
    start,
    verdict,
)
from derive.verify import kernel_reference as R

i, j, m, n, t = S.i, S.j, S.m, S.n, S.t
r_ = sp.Symbol("r", integer=True, nonnegative=True)
x = sp.IndexedBase("x")
TERMS = 100          # the exponential series is checked on its first TERMS terms
LIMIT_STEP = 1e-7    # (e^{τK} − 1)/τ at this τ, by expm1, for the limit t → 0⁺


class Factorial(sp.factorial):
    """m!, valued by numpy (as a float) where the checker evaluates the series."""

    @staticmethod
    def _imp_(m: Any) -> Any:
        return np.vectorize(lambda v: float(math.factorial(int(v))), otypes=[float])(m)


class PhiDist(S.KernelAt):
    """‖Φ(x_i) − Φ(x_j)‖², read from the array "PhiDist"."""

    letter = r"\Phi"

    def _latex(self, printer: Any, exp: Any = None) -> str:
        p, q = (printer._print(v) for v in self.args)
        return rf"\lVert {self.letter}(x_{{{p}}}) - {self.letter}(x_{{{q}}}) \rVert^{{2}}"


class PsiDist(PhiDist):
    letter = r"\Psi"


def _points_kernel(d_extra: dict[Any, Domain]) -> dict[Any, Domain]:
    return {sp.IndexedBase("k"): Domain((N + 1, N + 1), "defined"),
            x: Domain((N + 1, DIM)), **d_extra}


def _neg_sq(p: sp.Expr, q: sp.Expr) -> sp.Expr:
    return -sp.Sum((x[p, r_] - x[q, r_]) ** 2, (r_, 0, DIM - 1))


def centred_lemma(d: Derivation) -> None:
    """k̃ is p.d. when k is c.p.d.: with c_0 = −Σ c_i, Σ_{i,j≥1} c_i c_j k̃ = Σ_{i,j≥0} c_i c_j k
    (said in words, checked here without being shown)."""
    note(d, "kernel_centred_lemma")
    start(d, S.form(S.kt, S.c)).steps[-1].shown = False
    d.then(S.form(S.k, S.c, 0), "kernel_centred_def").steps[-1].shown = False


def feature_map(seed: int) -> Claim:
    """‖Φ(x) − Φ(y)‖² = k̃(x, x) + k̃(y, y) − 2k̃(x, y) = −2k(x, y) when k(x, x) = 0."""
    d = proof_derivation(_points_kernel({
        sp.IndexedBase("PhiDist"): Domain((N + 1, N + 1), "defined"),
        sp.IndexedBase("PsiDist"): Domain((N + 1, N + 1), "defined")}))
    d.definitions |= {
        sp.IndexedBase("k"): _neg_sq,
        sp.IndexedBase("PhiDist"): lambda p, q: S.kt(p, p) + S.kt(q, q) - 2 * S.kt(p, q),
        sp.IndexedBase("PsiDist"): lambda p, q: PhiDist(p, q) / 2}
    d.free = {i: (0, N), j: (0, N)}
    setup(d)
    centred_lemma(d)
    d.say("kernel_feature_exists")
    d.chain(PhiDist(i, j), S.kt(i, i) + S.kt(j, j) - 2 * S.kt(i, j), "kernel_feature")
    d.then(sp.Add(S.centred(i, i), S.centred(j, j), sp.Mul(-2, S.centred(i, j),
                                                          evaluate=False), evaluate=False),
           "kernel_centred_def")
    d.then(S.k(i, i) + S.k(j, j) - 2 * S.k(i, j), "simplify")
    d.then(-2 * S.k(i, j), "kernel_diagonal_zero").answer("feature_distance")
    d.say("kernel_feature_half")
    start(d, S.k(i, j)).then(-PsiDist(i, j), "kernel_scaling").answer("feature_claim")
    d.marked = frozenset({"feature_claim"})            # the identity the part asks for
    claim = Claim(d, [verdict(
        "k c.p.d. with k(x, x) = 0 is -||Phi(x) - Phi(y)||^2", "true", "proof",
        remark="with Phi a feature map of k~, k(x, y) = -1/2 ||Phi(x) - Phi(y)||^2, so "
               "Psi = Phi / sqrt(2) gives the claim")])

    def reference(data: Mapping[str, Any]) -> dict[str, Any]:
        points = np.asarray(data["x"])
        K = -R.squared_distances(points)
        dist = R.feature_distances(R.centred(K))
        return {"feature_distance": dist, "feature_claim": -dist / 2}

    claim.references.append(reference)
    return claim


def exp_cpd(seed: int) -> Claim:
    """e^{tk} = e^{−tk(x0,x0)} · e^{tk(x0,x)} e^{tk(x0,y)} · e^{tk̃}, each factor p.d."""
    d = proof_derivation()
    d.free = {i: (0, N), j: (0, N)}
    setup(d)
    centred_lemma(d)
    d.say("kernel_exp_split")
    start(d, sp.exp(t * S.k(i, j)))
    d.then(sp.exp(t * (S.kt(i, j) + S.k(0, i) + S.k(0, j) - S.k(0, 0))), "kernel_centred_def")
    d.then(sp.Mul(sp.exp(-t * S.k(0, 0)), sp.exp(t * S.k(0, i)), sp.exp(t * S.k(0, j)),
                  sp.exp(t * S.kt(i, j)), evaluate=False), "kernel_exp_sum").answer("exp_factors")
    d.say("kernel_exp_separable")
    start(d, S.double_sum(ag[i] * ag[j] * sp.exp(t * S.k(0, i)) * sp.exp(t * S.k(0, j))))
    d.then(sp.Sum(ag[i] * sp.exp(t * S.k(0, i)), (i, 1, n)) ** 2,
           "kernel_separable").answer("exp_separable")
    d.say("kernel_exp_series")
    series = sp.Sum(t**m / Factorial(m) * S.double_sum(ag[i] * ag[j] * S.kt(i, j) ** m),
                    (m, 0, TERMS))
    shown = (r"\sum_{m=0}^{\infty} \frac{t^{m}}{m!} \sum_{i=1}^{n} \sum_{j=1}^{n} "
             r"a_{i} a_{j} \tilde{k}(x_{i}, x_{j})^{m}")
    start(d, S.double_sum(ag[i] * ag[j] * sp.exp(t * S.kt(i, j))))
    d.then(series, "kernel_series", display=shown).answer("exp_series")
    note(d, "kernel_exp_done")
    conclude(d, "kernel_exp_verdict")
    hidden_verdict(d, "exp_on_example")
    claim = Claim(d, [verdict("k c.p.d. implies exp(t k) p.d. for all t >= 0", "true",
                              "proof")])

    def reference(data: Mapping[str, Any]) -> dict[str, Any]:
        K, b, tau = np.asarray(data["k"]), np.asarray(data["b"])[1:], float(data["t"])
        E = np.exp(tau * R.centred(K))[1:, 1:]
        f = np.exp(tau * K[0, 1:])
        example = -R.squared_distances(np.asarray(data["k"])[:, :DIM])   # a c.p.d. kernel
        return {"exp_factors": np.exp(tau * K), "exp_separable": R.form(np.outer(f, f), b),
                "exp_series": R.form(E, b),
                "exp_on_example": holds(R.smallest(np.exp(tau * example)) >= -1e-9)}

    claim.references.append(reference)
    return claim


def exp_converse(seed: int) -> Claim:
    """Σ a_i a_j (e^{tk} − 1)/t ≥ 0 for Σ a_i = 0, and its limit as t → 0⁺ is Σ a_i a_j k."""
    d = proof_derivation()
    setup(d)
    d.say("kernel_converse_setup")
    quotient = S.double_sum(S.a[i] * S.a[j] * (sp.exp(t * S.k(i, j)) - 1) / t)
    start(d, S.double_sum(S.a[i] * S.a[j] * sp.exp(t * S.k(i, j))) / t)
    d.then(quotient, "kernel_zero_sum").answer("converse_quotient")
    d.say("kernel_converse_limit")
    d.chain(sp.Limit(quotient, t, 0, "+"), S.form(), "kernel_limit").answer("converse_limit")
    conclude(d, "kernel_converse_done")
    hidden_verdict(d, "converse_on_example")
    claim = Claim(d, [verdict("exp(t k) p.d. for all t >= 0 implies k c.p.d.", "true",
                              "proof")])

    def reference(data: Mapping[str, Any]) -> dict[str, Any]:
        K, tau = np.asarray(data["k"])[1:, 1:], float(data["t"])
        a = R.zero_sum(np.asarray(data["b"])[1:])
        limit = R.form(np.expm1(LIMIT_STEP * K) / LIMIT_STEP, a)
        # the Gaussian kernel: e^{t k} with k = −‖x − y‖² is p.d., and k is c.p.d.
        points = np.asarray(data["k"])[:, :DIM]
        G = -R.squared_distances(points)
        ok = R.smallest(np.exp(tau * G)) >= -1e-9 and R.smallest(G, zero_sum=True) >= -1e-9
        return {"converse_quotient": R.form(np.expm1(tau * K) / tau, a),
                "converse_limit": limit, "converse_on_example": holds(ok)}

    claim.references.append(reference)
    return claim
