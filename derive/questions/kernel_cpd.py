"""Claims on c.p.d. kernels: p.d. implies c.p.d. (not conversely), constant kernels,
−‖x − y‖², and k c.p.d. ⇔ k̃ p.d. Each proof is a chain of steps checked at random
values of any symmetric kernel (and SymPy-proved for n = 3 by `kernel_symbols`), each
counterexample found by `kernel_search` and checked by numpy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp

from derive.derivation import Domain
from derive.models import kernel_symbols as S
from derive.models.kernel_search import search
from derive.models.kernels import Kernel
from derive.questions.kernel_evidence import (
    DIM,
    Claim,
    N,
    Q,
    ag,
    conclude,
    counterexample_reference,
    counterexample_steps,
    counterexample_value,
    hidden_verdict,
    holds,
    note,
    proof_derivation,
    setup,
    start,
    verdict,
)
from derive.verify import kernel_reference as R

i, j, n = S.i, S.j, S.n
r_ = sp.Symbol("r", integer=True, nonnegative=True)
x = sp.IndexedBase("x")
c0 = sp.Symbol("c", real=True)
NEG_SQ = "-(x - y)**2"


def _a(data: Mapping[str, Any]) -> np.ndarray:
    return R.zero_sum(np.asarray(data["b"])[1:])


def pd_implies_cpd(seed: int) -> Claim:
    """The c.p.d. condition is the p.d. one on fewer coefficient vectors; −(x − y)² shows
    the converse fails."""
    d = proof_derivation()
    setup(d)
    conclude(d, "kernel_pd_is_cpd")                    # what the part asks
    kernel = Kernel.parse(NEG_SQ)
    found = search(kernel, "pd", seed).found
    assert found is not None
    note(d, "kernel_converse_fails")
    counterexample_steps(d, found, "pd", "converse", r"-(x - y)^2")
    hidden_verdict(d, "pd_cpd_on_example")
    claim = Claim(d, [
        verdict("a p.d. kernel is c.p.d.", "true", "proof"),
        verdict("a c.p.d. kernel is p.d.", "false", "counterexample", kernel=NEG_SQ,
                **counterexample_value(found))])
    claim.references.append(counterexample_reference(kernel, found, "pd", "converse"))

    def example(data: Mapping[str, Any]) -> dict[str, Any]:
        B = np.asarray(data["k"])          # a p.d. Gram matrix: B Bᵀ
        K = B @ B.T
        return {"pd_cpd_on_example": holds(R.smallest(K, zero_sum=True) >= -1e-9)}

    claim.references.append(example)
    return claim


def constant(seed: int) -> Claim:
    """Σ a_i a_j c = c(Σ a_i)²: p.d. exactly when c ≥ 0, c.p.d. for every c."""
    d = proof_derivation({c0: Domain()})
    setup(d)
    d.say("kernel_constant")
    d.chain(Q, S.double_sum(ag[i] * ag[j] * c0), "definition")
    d.then(c0 * sp.Sum(ag[i], (i, 1, n)) ** 2, "kernel_factor").answer("constant_form")
    note(d, "kernel_constant_pd")
    d.say("kernel_constant_cpd")
    d.chain(Q, S.double_sum(S.a[i] * S.a[j] * c0), "definition").steps[-1].shown = False
    d.then(c0 * sp.Sum(S.a[i], (i, 1, n)) ** 2, "kernel_factor")
    d.then(sp.Integer(0), "kernel_zero_sum").answer("constant_cpd")
    conclude(d, "kernel_constant_done")
    claim = Claim(d, [
        verdict("the constant kernel c is p.d.", "true if and only if c >= 0", "proof",
                condition="c >= 0", counterexample={"c": "any c < 0", "points": 1,
                                                    "coefficients": [1], "quadratic_form": "c"}),
        verdict("the constant kernel c is c.p.d.", "true", "proof")])

    def reference(data: Mapping[str, Any]) -> dict[str, Any]:
        b, c = np.asarray(data["b"])[1:], float(data["c"])
        a = R.zero_sum(b)
        return {"constant_form": R.form(np.full((N, N), c), b),
                "constant_cpd": R.form(np.full((N, N), c), a)}

    claim.references.append(reference)
    return claim


def neg_sq_distance(seed: int) -> Claim:
    """−‖x − y‖²: not p.d. (any two distinct points, a = (1, 1), give −2‖x_1 − x_2‖²),
    c.p.d. (2‖Σ a_i x_i‖² when Σ a_i = 0)."""
    d = proof_derivation({x: Domain((N + 1, DIM)), **{sp.IndexedBase(name): Domain(
        (N + 1, N + 1), "defined") for name in ("D2", "G", "NegSq")}})
    d.definitions |= {
        sp.IndexedBase("D2"): _squared_distance,
        sp.IndexedBase("G"): lambda p, q: sp.Sum(x[p, r_] * x[q, r_], (r_, 0, DIM - 1)),
        sp.IndexedBase("NegSq"): lambda p, q: -_squared_distance(p, q)}
    setup(d)
    d.say("kernel_negsq_not_pd")
    d.chain(Q, sp.Add(*(NegSq(p, q) for p in (1, 2) for q in (1, 2))), "definition")
    d.then(-2 * D2(1, 2), "definition").answer("negsq_not_pd")
    d.say("kernel_negsq_cpd")
    d.chain(Q, S.double_sum(-S.a[i] * S.a[j] * D2(i, j)), "definition")
    d.then(S.double_sum(S.a[i] * S.a[j] * (2 * G(i, j) - G(i, i) - G(j, j))),
           "kernel_norm_expand")
    d.then(2 * S.double_sum(S.a[i] * S.a[j] * G(i, j))
           - 2 * sp.Sum(S.a[j], (j, 1, n)) * sp.Sum(S.a[i] * G(i, i), (i, 1, n)),
           "kernel_expand")
    d.then(2 * S.double_sum(S.a[i] * S.a[j] * G(i, j)), "kernel_zero_sum")
    d.then(2 * sp.Sum(sp.Sum(S.a[i] * x[i, r_], (i, 1, n)) ** 2, (r_, 0, DIM - 1)),
           "kernel_bilinear",
           display=r"2 \Bigl\lVert \sum_{i=1}^{n} a_{i} x_{i} \Bigr\rVert^{2}").answer("negsq_cpd")
    conclude(d, "kernel_negsq_done")
    claim = Claim(d, [
        verdict("-||x - y||^2 is p.d.", "false", "counterexample", kernel=NEG_SQ,
                points="any two distinct points x1, x2", coefficients=[1, 1],
                quadratic_form="-2 ||x1 - x2||^2 < 0"),
        verdict("-||x - y||^2 is c.p.d.", "true", "proof")])

    def reference(data: Mapping[str, Any]) -> dict[str, Any]:
        points = np.asarray(data["x"])
        return {"negsq_not_pd": R.form(-R.squared_distances(points[1:3]), [1.0, 1.0]),
                "negsq_cpd": R.form(-R.squared_distances(points[1:]), _a(data))}

    claim.references.append(reference)
    return claim


def _squared_distance(p: sp.Expr, q: sp.Expr) -> sp.Expr:
    return sp.Sum((x[p, r_] - x[q, r_]) ** 2, (r_, 0, DIM - 1))


def centred(seed: int) -> Claim:
    """Σ a_i a_j k̃ expanded; with Σ a_i = 0 it is Σ a_i a_j k; with c_0 = −Σ c_i it is the
    c.p.d. form of k at x_0, …, x_n."""
    d = proof_derivation()
    total = sp.Sum(ag[i], (i, 1, n))
    setup(d)
    d.say("kernel_centred_expand")
    start(d, S.double_sum(ag[i] * ag[j] * S.kt(i, j)))
    d.then(sp.Add(*(sign * S.double_sum(ag[i] * ag[j] * value) for sign, value in (
        (1, S.k(i, j)), (-1, S.k(0, i)), (-1, S.k(0, j)), (1, S.k(0, 0))))),
        "kernel_centred_def")
    d.then(S.double_sum(ag[i] * ag[j] * S.k(i, j))
           + sp.Mul(-2, total, sp.Sum(ag[j] * S.k(0, j), (j, 1, n)), evaluate=False)
           + sp.Mul(S.k(0, 0), total ** 2, evaluate=False),
           "kernel_expand").answer("centred_form")
    d.say("kernel_centred_if")
    start(d, S.form(S.kt)).then(S.form(S.k), "kernel_zero_sum").answer("centred_if")
    note(d, "kernel_centred_if_done")
    d.say("kernel_centred_only_if")
    c = S.c
    start(d, S.form(S.k, c, 0))
    d.then(S.double_sum(c[i] * c[j] * S.k(i, j))
           + 2 * c[0] * sp.Sum(c[j] * S.k(0, j), (j, 1, n)) + c[0] ** 2 * S.k(0, 0),
           "kernel_split_zero")
    total_c = sp.Sum(c[i], (i, 1, n))
    d.then(S.double_sum(c[i] * c[j] * S.k(i, j))
           + sp.Mul(-2, total_c, sp.Sum(c[j] * S.k(0, j), (j, 1, n)), evaluate=False)
           + sp.Mul(S.k(0, 0), total_c ** 2, evaluate=False), "kernel_first_coefficient")
    d.then(S.double_sum(c[i] * c[j] * S.kt(i, j)), "kernel_centred_def").answer("centred_only_if")
    note(d, "kernel_centred_only_if_done")
    conclude(d, "kernel_centred_done")
    claim = Claim(d, [
        verdict("if k~ is p.d. then k is c.p.d.", "true", "proof"),
        verdict("if k is c.p.d. then k~ is p.d.", "true", "proof")])

    def reference(data: Mapping[str, Any]) -> dict[str, Any]:
        K, b = np.asarray(data["k"]), np.asarray(data["b"])
        Kt = R.centred(K)
        ext = np.concatenate([[-b[1:].sum()], b[1:]])
        return {"centred_form": R.form(Kt[1:, 1:], b[1:]),
                "centred_if": R.form(Kt[1:, 1:], _a(data)),
                "centred_only_if": R.form(Kt[1:, 1:], ext[1:])}

    claim.references.append(reference)
    return claim


class D2(S.KernelAt):
    """‖x_i − x_j‖², read from the array "D2" of the points' squared distances."""

    def _latex(self, printer: Any, exp: Any = None) -> str:
        p, q = (printer._print(v) for v in self.args)
        return rf"\lVert x_{{{p}}} - x_{{{q}}} \rVert^{{2}}"


class NegSq(S.KernelAt):
    """The kernel −‖x − y‖² at x_i, x_j, printed k(x_i, x_j), read from the array "NegSq"."""


class G(S.KernelAt):
    """⟨x_i, x_j⟩ (‖x_i‖² when i = j), read from the array "G" of inner products."""

    def _latex(self, printer: Any, exp: Any = None) -> str:
        p, q = (printer._print(v) for v in self.args)
        if self.args[0] == self.args[1]:
            return rf"\lVert x_{{{p}}} \rVert^{{2}}"
        return rf"\langle x_{{{p}}}, x_{{{q}}} \rangle"


EXACT_MEANINGS = {
    D2: lambda p, q: sum(((x[p, r] - x[q, r]) ** 2 for r in range(DIM)), sp.Integer(0)),
    NegSq: lambda p, q: -sum(((x[p, r] - x[q, r]) ** 2 for r in range(DIM)), sp.Integer(0)),
    G: lambda p, q: sum((x[p, r] * x[q, r] for r in range(DIM)), sp.Integer(0)),
}
