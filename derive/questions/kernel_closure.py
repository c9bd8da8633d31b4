"""Claims on building kernels: (f(x_1) + f(x_2))² is not a kernel in general (a
counterexample, then the exact condition on the values of f under which it is), and a
polynomial with non-negative coefficients of a p.d. kernel is p.d. (Schur product theorem,
sums, non-negative scaling; a negative coefficient can break it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp

from derive.derivation import Domain
from derive.models import kernel_symbols as S
from derive.models.function import Shown
from derive.models.kernel_search import search
from derive.models.kernels import Kernel
from derive.questions.kernel_evidence import (
    Claim,
    N,
    Q,
    Term,
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
s = sp.IndexedBase("s")                                    # s_i = f(x_i)
u, v, rho = sp.symbols("u v rho", real=True)
c0 = sp.Symbol("c", real=True)
r_, q_ = sp.symbols("r q", integer=True, nonnegative=True)
B, C = sp.IndexedBase("B"), sp.IndexedBase("C")
cm = sp.IndexedBase(S.Label("cm", "c"))
p_ = sp.Symbol("p", integer=True, positive=True)
DEGREE = 3
SUM_SQUARE, NEGATIVE = "(x + y)**2", "x*y - 1"


def _sums(*terms: sp.Expr) -> list[sp.Expr]:
    return [sp.Sum(e, (i, 1, n)) for e in terms]


def sum_square(seed: int) -> Claim:
    """Q(a) = 2(Σa)(Σa s²) + 2(Σa s)²: p.d. iff f takes one value, or two values u ≠ v with
    u² + 6uv + v² ≤ 0; three values always give Q = −2 for some a."""
    d = proof_derivation({s: Domain((N + 1,)), c0: Domain(), u: Domain(), v: Domain(),
                            rho: Domain()})
    kernel = Kernel.parse(SUM_SQUARE)
    found = search(kernel, "pd", seed).found
    assert found is not None and len(found.points) == 2
    setup(d)
    conclude(d, "kernel_sumsq_false")
    note(d, "kernel_sumsq_points", u=found.points[0], v=found.points[1])
    counterexample_steps(d, found, "pd", "sumsq", r"(f(x) + f(y))^2", gram_key="kernel_sumsq_gram",
                         letter="s")
    d.say("kernel_sumsq_expand")
    total, squares, linear = _sums(ag[i], ag[i] * s[i] ** 2, ag[i] * s[i])
    d.chain(Q, S.double_sum(ag[i] * ag[j] * (s[i] + s[j]) ** 2), "definition")
    d.then(2 * total * squares + 2 * linear**2, "expand").answer("sumsq_expansion")
    d.say("kernel_sumsq_one")
    start(d, 2 * total * sp.Sum(ag[i] * c0**2, (i, 1, n)) + 2 * sp.Sum(ag[i] * c0, (i, 1, n))**2)
    d.then(4 * c0**2 * total**2, "kernel_factor").answer("sumsq_one")
    d.say("kernel_sumsq_three")
    named = [Term(r"\textstyle\sum_{i} a_{i}"), Term(r"\textstyle\sum_{i} a_{i} s_{i}^{2}"),
             Term(r"\textstyle\sum_{i} a_{i} s_{i}")]
    d.chain(Q, 2 * named[0] * named[1] + 2 * named[2] ** 2, "expand")
    d.put(dict(zip(named, (1, -1, 0), strict=True)), suffix=" = -2",
          number=lambda w: f"({w})" if w < 0 else str(w)).answer("sumsq_three")
    d.say("kernel_sumsq_two")
    d.chain(Shown(r"\det M"), 16 * u**2 * v**2 - (u + v) ** 4, "definition")
    d.then(sp.Mul(-1, (u - v) ** 2, u**2 + 6 * u * v + v**2, evaluate=False),
           "kernel_factor").answer("sumsq_det")
    d.say("kernel_sumsq_ratio")
    start(d, (u**2 + 6 * u * v + v**2).xreplace({v: -rho * u}))
    d.then(u**2 * (rho - 3 + 2 * sp.sqrt(2)) * (rho - 3 - 2 * sp.sqrt(2)),
           "kernel_factor").answer("sumsq_ratio")
    conclude(d, "kernel_sumsq_done")
    hidden_verdict(d, "sumsq_condition")
    claim = Claim(d, [
        verdict("(f(x1) + f(x2))^2 is a valid kernel for every f", "false", "counterexample",
                kernel="(f(x) + f(y))^2", f_values=counterexample_value(found)["points"],
                **counterexample_value(found)),
        verdict("(f(x1) + f(x2))^2 is a valid kernel", "true if and only if f takes one "
                "value, or exactly two values u != v with u^2 + 6uv + v^2 <= 0", "proof",
                condition="f constant, or f(X) = {u, v} with u^2 + 6 u v + v^2 <= 0")])
    claim.references.append(counterexample_reference(kernel, found, "pd", "sumsq"))

    def reference(data: Mapping[str, Any]) -> dict[str, Any]:
        a, vals = np.asarray(data["b"])[1:], np.asarray(data["s"])[1:]
        c, uu, vv, r = (float(data[k]) for k in ("c", "u", "v", "rho"))
        gram = (vals[:, None] + vals[None, :]) ** 2
        three = vals[:3]
        coef = np.linalg.solve(np.array([np.ones(3), three**2, three]), [1.0, -1.0, 0.0])
        return {"sumsq_expansion": R.form(gram, a),
                "sumsq_one": R.form(np.full((N, N), 4 * c * c), a),
                "sumsq_three": R.form((three[:, None] + three[None, :]) ** 2, coef),
                "sumsq_det": float(np.linalg.det([[4 * uu**2, (uu + vv) ** 2],
                                                  [(uu + vv) ** 2, 4 * vv**2]])),
                "sumsq_ratio": uu**2 + 6 * uu * (-r * uu) + (r * uu) ** 2,
                "sumsq_condition": holds(_condition_matches(np.random.default_rng(seed)))}

    claim.references.append(reference)
    return claim


def _condition_matches(rng: np.random.Generator) -> bool:
    """On random multisets of one or two values, the Gram matrix of (s_i + s_j)² is p.s.d.
    exactly when the condition says so (away from its boundary)."""
    for _ in range(40):
        pair = rng.normal(size=2)
        count = int(rng.integers(1, 3))
        vals = rng.choice(pair[:count], size=6)
        if len(set(vals)) < count:
            continue
        gram = (vals[:, None] + vals[None, :]) ** 2
        q = pair[0] ** 2 + 6 * pair[0] * pair[1] + pair[1] ** 2
        if count == 2 and abs(q) < 1e-3:
            continue
        expected = count == 1 or q <= 0
        if (R.smallest(gram) >= -1e-9 * max(1.0, np.abs(gram).max())) != expected:
            return False
    return True


class K1(S.KernelAt):
    letter = "k_1"


class K2(S.KernelAt):
    letter = "k_2"


def gram1(p: sp.Expr, q: sp.Expr) -> sp.Expr:
    """(BBᵀ)_pq for an n × n matrix B: the Gram matrix of k_1 at x_1, …, x_n."""
    return sp.Sum(B[p, r_] * B[q, r_], (r_, 1, n))


def gram2(p: sp.Expr, q: sp.Expr) -> sp.Expr:
    return sp.Sum(C[p, q_] * C[q, q_], (q_, 1, n))


def polynomial(seed: int) -> Claim:
    """Schur: Σ a_i a_j k1 k2 = Σ_rq (Σ_i a_i B_ir C_iq)² with B, C of size n × n (row and
    column 0 of the arrays unused); then Σ_m c_m Σ a_i a_j k^m."""
    d = proof_derivation({B: Domain((N + 1, N + 1)), C: Domain((N + 1, N + 1)),
                            sp.IndexedBase("K1"): Domain((N + 1, N + 1), "defined"),
                            sp.IndexedBase("K2"): Domain((N + 1, N + 1), "defined"),
                            sp.IndexedBase("k"): Domain((N + 1, N + 1), "defined"),
                            cm: Domain((DEGREE + 1,), "positive")})
    d.definitions |= {sp.IndexedBase("K1"): gram1, sp.IndexedBase("K2"): gram2,
                      sp.IndexedBase("k"): gram1, p_: sp.Integer(DEGREE)}
    setup(d)
    d.say("kernel_schur")
    start(d, S.double_sum(ag[i] * ag[j] * K1(i, j) * K2(i, j)))
    d.then(S.double_sum(ag[i] * ag[j] * gram1(i, j) * gram2(i, j)), "kernel_schur")
    d.then(sp.Sum(sp.Sum(ag[i] * B[i, r_] * C[i, q_], (i, 1, n)) ** 2, (r_, 1, n),
                  (q_, 1, n)), "kernel_separable").answer("schur")
    d.say("kernel_poly_powers")
    m = S.m
    start(d, S.double_sum(ag[i] * ag[j] * sp.Sum(cm[m] * S.k(i, j) ** m, (m, 0, p_))))
    d.then(sp.Sum(cm[m] * S.double_sum(ag[i] * ag[j] * S.k(i, j) ** m), (m, 0, p_)),
           "linearity").answer("poly_form")
    conclude(d, "kernel_poly_done")
    hidden_verdict(d, "poly_on_example")
    kernel = Kernel.parse(NEGATIVE)
    found = search(kernel, "pd", seed).found
    assert found is not None
    note(d, "kernel_poly_negative")
    counterexample_steps(d, found, "pd", "negative", r"x^\top y - 1")
    claim = Claim(d, [
        verdict("a polynomial with non-negative coefficients of a valid kernel is valid",
                "true", "proof"),
        verdict("the same with a negative coefficient", "false", "counterexample",
                kernel=NEGATIVE, **counterexample_value(found))])
    claim.references.append(counterexample_reference(kernel, found, "pd", "negative"))

    def reference(data: Mapping[str, Any]) -> dict[str, Any]:
        Bm, Cm = np.asarray(data["B"])[1:, 1:], np.asarray(data["C"])[1:, 1:]
        a = np.asarray(data["b"])[1:]
        K1m, K2m = Bm @ Bm.T, Cm @ Cm.T
        coef = np.asarray(data["cm"])
        poly = sum(coef[q] * K1m**q for q in range(DEGREE + 1))
        return {"schur": R.form(K1m * K2m, a), "poly_form": R.form(poly, a),
                "poly_on_example": holds(R.smallest(poly) >= -1e-9 * np.abs(poly).max())}

    claim.references.append(reference)
    return claim


EXACT_MEANINGS = {K1: gram1, K2: gram2}
EXACT_SUBS = {p_: DEGREE}
