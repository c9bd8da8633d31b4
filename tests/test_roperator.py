"""The R-operator: its rules proved on generic functions, the transform R against numeric
directional derivatives, exact Hv against numpy Hessians, and broken rules caught."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.derivation import rules as rules_module
from derive.derivation.check import check_answers, check_steps, evaluate, sample
from derive.derivation.second_order_rules import _TRANSFORMS
from derive.models.roperator import PROOFS, R, by_definition, hessian_vector_product, prove
from derive.models.roperator import _c as c
from derive.models.roperator import _f as f_
from derive.models.roperator import _g as g_
from derive.models.roperator import _w as ws
from derive.models.symbols import sigmoid
from derive.questions import KINDS
from derive.verify import second_order_reference as ref
from derive.verify.function_reference import richardson

# --- the rules, proved -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PROOFS))
def test_every_rule_is_proved_on_generic_functions(name: str) -> None:
    assert prove(name) == 0


def test_every_rule_with_a_transform_has_a_proof() -> None:
    with_transform = {n for n, t in _TRANSFORMS.items() if t is not None}
    assert with_transform - {"rop_unfold", "rop_known", "rop_transform"} <= set(PROOFS)


@pytest.mark.parametrize("sides", [
    # product rule missing a term
    lambda f, g: (by_definition(f * g), by_definition(f) * g),
    # scalar multiple applied twice
    lambda f, g: (by_definition(c * f), c**2 * by_definition(f)),
    # sum rule with a sign error
    lambda f, g: (by_definition(f + g), by_definition(f) - by_definition(g)),
])
def test_a_broken_rule_is_not_proved(sides: Any) -> None:
    f, g = f_(*ws), g_(*ws)
    assert prove("", sides(f, g)) != 0


def test_wrong_sigma_prime_is_not_proved() -> None:
    a = sum(w * x for w, x in zip(ws, sp.symbols("x0:3"), strict=True))
    wrong = sigmoid(a) ** 2 * by_definition(a)             # σ′ = σ², not σ(1 − σ)
    assert prove("", (by_definition(sigmoid(a)), wrong)) != 0
    right = sigmoid(a) * (1 - sigmoid(a)) * by_definition(a)
    assert prove("", (by_definition(sigmoid(a).rewrite(sp.exp)),
                      right.rewrite(sp.exp))) == 0


# --- the transform against numbers --------------------------------------------------------
x0, x1, v0, v1 = sp.symbols("x0 x1 v0 v1", real=True)
X, V = sp.IndexedBase("X"), sp.IndexedBase("V")
k = sp.Symbol("k", integer=True)
W, U = sp.MatrixSymbol("W", 2, 2), sp.MatrixSymbol("U", 2, 2)
z = sp.MatrixSymbol("z", 2, 1)
CASES = [
    (x0**2 * sp.sin(x1) + sp.exp(x0 * x1), [x0, x1], [v0, v1]),
    (sp.log(1 + x0**2) / (2 + sp.cos(x1)), [x0, x1], [v0, v1]),
    (x0 ** x1, [x0, x1], [v0, v1]),
    (sigmoid(x0 - 3 * x1) * sp.tanh(x0), [x0, x1], [v0, v1]),
    (sp.exp(sp.Sum(X[k] ** 2, (k, 0, 2))) * X[1], X, V),
    (sp.sqrt(1 + sp.Sum(sigmoid(X[k]) * X[k], (k, 0, 2))), X, V),
]


def _values(symbols: list[sp.Symbol], rng: np.random.Generator) -> dict[sp.Symbol, float]:
    return {s: float(rng.uniform(0.3, 1.5)) for s in symbols}


@pytest.mark.parametrize(("expr", "w", "v"), CASES)
def test_R_equals_the_directional_derivative(expr: sp.Expr, w: Any, v: Any) -> None:
    rng = np.random.default_rng(3)
    derived = R(expr, w, v)
    if isinstance(w, sp.IndexedBase):
        at = {w[n]: float(rng.uniform(0.3, 1.5)) for n in range(3)}
        dv = {v[n]: float(rng.normal()) for n in range(3)}

        def moved(t: float) -> float:
            return float(expr.doit().xreplace({e: at[e] + t * dv[v[e.indices[0]]]
                                               for e in at}).evalf())
        value = float(derived.doit().xreplace({**at, **dv}).evalf())
    else:
        at, dv = _values(list(w), rng), {s: float(rng.normal()) for s in v}

        def moved(t: float) -> float:
            return float(expr.xreplace({s: at[s] + t * dv[d] for s, d in
                                        zip(w, v, strict=True)}).rewrite(sp.exp).evalf())
        value = float(derived.xreplace({**at, **dv}).rewrite(sp.exp).evalf())
    assert value == pytest.approx(richardson(moved), rel=1e-8, abs=1e-10)


def test_R_on_matrix_symbols() -> None:
    expr = (z.T * W.T * U * W * z)[0, 0]
    derived = R(z.T * W.T * U * W * z, W, sp.MatrixSymbol("V", 2, 2))
    rng = np.random.default_rng(1)
    nums = {name: rng.normal(size=shape) for name, shape in
            (("W", (2, 2)), ("U", (2, 2)), ("z", (2, 1)), ("V", (2, 2)))}
    as_matrix = {sp.MatrixSymbol(n, *a.shape): sp.Matrix(a) for n, a in nums.items()}
    value = float(derived.xreplace(as_matrix).doit()[0, 0])

    def moved(t: float) -> float:
        m = nums["W"] + t * nums["V"]
        return float((nums["z"].T @ m.T @ nums["U"] @ m @ nums["z"])[0, 0])
    assert value == pytest.approx(richardson(moved), rel=1e-9)
    assert str(expr)   # the scalar entry prints


def test_R_on_an_explicit_matrix_and_the_exact_hv() -> None:
    w = sp.symbols("w0:3", real=True)
    v = sp.symbols("v0:3", real=True)
    x = np.array([0.5, -1.0, 2.0])
    loss = sp.log(1 + sp.exp(-sum(a * b for a, b in zip(w, x, strict=True))))
    hv = hessian_vector_product(loss, w, v)
    rng = np.random.default_rng(5)
    at, dv = rng.normal(size=3), rng.normal(size=3)
    value = np.array(hv.xreplace(dict(zip(w + v, [*at, *dv], strict=True))).evalf(),
                     dtype=float).reshape(-1)
    numeric, _ = ref.logistic(x, 0.0, 1.0)
    assert np.allclose(value, ref.hessian_vector_product(numeric, None, at, dv), atol=1e-8)
    assert R(sp.Matrix([w[0] * w[1], 3]), list(w), list(v)) == sp.Matrix(
        [v[0] * w[1] + v[1] * w[0], 0])


def test_R_refuses_a_mismatched_direction() -> None:
    with pytest.raises(ValueError, match="must match"):
        R(x0, [x0, x1], [v0])
    with pytest.raises(ValueError, match="shape"):
        R(W, W, sp.MatrixSymbol("V", 3, 3))


# --- the kinds: Hv against numpy ------------------------------------------------------------
def _answers_against_numpy(given: dict[str, Any], seed: int) -> None:
    """The derived Hv at random data, evaluated, and compared with an independent numpy
    Hessian times v (and central differences of a numpy gradient)."""
    kind = KINDS["roperator.hv"].given.model_validate(given)
    d = kind.derive()
    data = sample(d, np.random.default_rng(seed))
    expected = kind.reference(data)
    for key, step in d.answers().items():
        assert np.allclose(evaluate(d, step.rhs, data), expected[key], atol=1e-7), key


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 5), seed=st.integers(0, 1000))
def test_logistic_hv_equals_numpy(n: int, seed: int) -> None:
    _answers_against_numpy({"model": "logistic", "features": n}, seed)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 3), m=st.integers(1, 3), seed=st.integers(0, 1000))
def test_sigmoid_layer_hv_equals_numpy(n: int, m: int, seed: int) -> None:
    _answers_against_numpy({"model": "sigmoid_layer", "inputs": n, "outputs": m}, seed)


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(widths=st.lists(st.integers(1, 3), min_size=3, max_size=3), seed=st.integers(0, 1000))
def test_mlp_hv_equals_numpy(widths: list[int], seed: int) -> None:
    _answers_against_numpy({"model": "mlp", "widths": widths}, seed)


def test_logistic_hv_closed_form() -> None:
    """p(1 − p)(vᵀx) x, the textbook closed form, entry by entry."""
    kind = KINDS["roperator.hv"].given.model_validate({"model": "logistic", "features": 2})
    d = kind.derive()
    data = sample(d, np.random.default_rng(0))
    p = 1 / (1 + np.exp(-(data["w"] @ data["x"] + data["b"])))
    closed = p * (1 - p) * (data["v"] @ data["x"]) * data["x"]
    assert np.allclose(evaluate(d, d.answers()["hv"].rhs, data), closed)


@pytest.mark.parametrize("given", [{"model": "generic", "dim": 3},
                                   {"model": "logistic", "features": 2},
                                   {"dim": 2, "proofs": ["sum", "scalar_multiple", "product",
                                                         "chain"]}])
def test_every_step_and_answer_checks(given: dict[str, Any]) -> None:
    name = "roperator.rules" if "proofs" in given else "roperator.hv"
    kind = KINDS[name].given.model_validate(given)
    d = kind.derive()
    rng = np.random.default_rng(0)
    check_steps(d, rng)
    assert all(s.check.passed for s in d.steps if s.check is not None)
    assert all(c.passed for c in check_answers(d, kind.reference, rng).values())


# --- broken rules are caught -----------------------------------------------------------------
def _dropped_last_term(expr: sp.Basic, **args: Any) -> sp.Basic:
    out = _TRANSFORMS["rop_product"](expr, **args)
    return out.func(*out.args[:-1]) if isinstance(out, sp.Add) and out != expr else out


def test_a_product_rule_missing_a_term_fails_its_step(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = rules_module.Rule("rop_product", _dropped_last_term)
    monkeypatch.setitem(rules_module.RULES, "rop_product", broken)
    kind = KINDS["roperator.hv"].given.model_validate({"model": "sigmoid_layer"})
    d = kind.derive()
    check_steps(d, np.random.default_rng(0))
    failed = {s.rule for s in d.steps if s.check is not None and not s.check.passed}
    assert "rop_product" in failed


def test_a_wrong_sigma_prime_fails_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """σ′ = σ² everywhere SymPy differentiates σ: the steps agree with each other (the
    checker uses the same σ′), but not with the numpy Hessian."""
    monkeypatch.setattr(sigmoid, "fdiff", lambda self, argindex=1: sigmoid(self.args[0]) ** 2)
    kind = KINDS["roperator.hv"].given.model_validate({"model": "logistic", "features": 2})
    d = kind.derive()
    results = check_answers(d, kind.reference, np.random.default_rng(0))
    assert not results["hv"].passed


def test_a_wrong_rule_in_a_proof_page_fails_its_step(monkeypatch: pytest.MonkeyPatch) -> None:
    from derive.questions import roperator as page

    def wrong_product(d: Any, m: Any, f: sp.Expr, g: sp.Expr) -> None:
        d.chain(m.of(f * g), m.definition(f * g), "rop_definition")
        d.then(m.of(f) * g, "rop_definition")           # f R{g} left out
    monkeypatch.setattr(page.ROperatorRules, "_product", staticmethod(wrong_product))
    kind = KINDS["roperator.rules"].given.model_validate({"proofs": ["product"]})
    d = kind.derive()
    check_steps(d, np.random.default_rng(0))
    assert [s.check.passed for s in d.steps if s.check is not None][-1] is False


def test_the_reference_refuses_when_its_two_routes_disagree() -> None:
    loss, grad = ref.logistic(np.array([1.0, 2.0]), 0.0, 1.0)
    with pytest.raises(ArithmeticError, match="disagree"):
        ref.hessian_vector_product(loss, lambda w: 2 * grad(w), np.zeros(2), np.ones(2))
