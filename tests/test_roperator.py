"""The R-operator: its rules proved on generic functions, the transform R against numeric
directional derivatives, exact Hv against numpy Hessians, and broken rules caught."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import sympy as sp
from helpers import marked
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from derive.derivation import rules as rules_module
from derive.derivation.check import check_answers, check_steps, evaluate, sample
from derive.derivation.second_order_rules import _TRANSFORMS
from derive.models.roperator import PROOFS, R, by_definition, hessian_vector_product, prove
from derive.models.roperator import _c as c
from derive.models.roperator import _f as f_
from derive.models.roperator import _g as g_
from derive.models.roperator import _w as ws
from derive.models.roperator_symbols import ROp
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


# --- roperator.hv on given numbers ------------------------------------------------------------
def _sig(a: Any) -> Any:
    return 1 / (1 + np.exp(-a))


def _hv_by_loss_values(loss: Any, w: np.ndarray, v: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """(Hv)_i as the mixed second difference of the loss along e_i and v: another route than
    the kind's (no gradient, no Hessian, no derivation)."""
    out = np.zeros_like(w)
    for i in range(len(w)):
        e = np.zeros_like(w)
        e[i] = h
        out[i] = (loss(w + e + h * v) - loss(w + e - h * v) - loss(w - e + h * v)
                  + loss(w - e - h * v)) / (4 * h * h)
    return out


def _solved(given: dict[str, Any]) -> tuple[Any, Any]:
    """The kind's derivation on `given`, every step and answer checked; and its value."""
    kind = KINDS["roperator.hv"].given.model_validate(given)
    d = kind.derive()
    rng = np.random.default_rng(0)
    check_steps(d, rng)
    failed = [(s.rule, s.check.detail) for s in d.steps if s.check and not s.check.passed]
    assert not failed, failed
    assert all(c.passed for c in check_answers(d, kind.reference, rng).values())
    return d, kind.value({k: s.rhs for k, s in d.answers().items()})


def _shown_values(d: Any) -> dict[str, float]:
    """Each value the numbers section shows, by the name it is the value of (R{a_0}, z_1, …)."""
    out: dict[str, float] = {}
    for chain in d.chains():
        if chain[-1].rule != "substitute":
            continue
        names, values = chain[0].lhs, chain[-1].rhs
        if isinstance(values, sp.MatrixBase) and not isinstance(names, sp.MatrixBase):
            continue                                     # Hv as a whole: see value()
        pairs = zip(names, values, strict=True) if isinstance(names, sp.MatrixBase) else [
            (names, values)]
        for name, value in pairs:
            label = f"R{{{name.shown}}}" if isinstance(name, ROp) else str(name)
            out[label] = float(sp.N(value.rewrite(sp.exp), 20))
    return out


LOGISTIC_HALF = {"model": "logistic", "x": [1, 2], "w": [1, -0.5], "b": 0, "y": 1, "v": [2, 1]}


def test_logistic_hv_at_numbers_exactly() -> None:
    """a = 1·1 − 0.5·2 + 0 = 0, so p = 1/2 and p(1 − p) = 1/4; vᵀx = 4: Hv = (1, 2)."""
    d, value = _solved(LOGISTIC_HALF)
    assert value == {"hv": [pytest.approx(1.0, abs=1e-15), pytest.approx(2.0, abs=1e-15)]}
    shown = _shown_values(d)
    assert shown["a"] == 0 and shown["p"] == 0.5 and shown["R{a}"] == 4
    assert shown[r"\frac{\partial L}{\partial a}"] == -0.5
    assert shown["R{p}"] == 1 and shown[r"R{\frac{\partial L}{\partial a}}"] == 1
    x = np.array([1.0, 2.0])

    def loss(w: np.ndarray) -> float:
        p = _sig(w @ x)
        return float(-np.log(p))
    assert np.allclose(_hv_by_loss_values(loss, np.array([1.0, -0.5]), np.array([2.0, 1.0])),
                       [1.0, 2.0], atol=1e-6)


LAYER = {"model": "sigmoid_layer", "x": [1, -2], "weights": {"w": [[0.5, -1], [0.25, 0.5]]},
         "y": [1, 0], "v": {"w": [[1, 0], [0, -1]]}}
MLP = {"model": "mlp", "x": [0.5, 1.5], "weights": {"w1": [[1, -0.5], [0.25, 1]],
                                                      "w2": [[0.5, -1], [2, 0.25]]},
       "y": [0, 1], "v": {"w1": [[0, 1], [1, 0]], "w2": [[1, -1], [0.5, 0]]}}


def test_sigmoid_layer_hv_at_numbers() -> None:
    """a = Wᵀx = (0, −2), so z_1 = 1/2; Hv against second differences of the loss."""
    d, value = _solved(LAYER)
    x, y = np.array(LAYER["x"], float), np.array(LAYER["y"], float)
    w, v = np.array(LAYER["weights"]["w"], float), np.array(LAYER["v"]["w"], float)

    def loss(flat: np.ndarray) -> float:
        return float(0.5 * np.sum((_sig(flat.reshape(2, 2).T @ x) - y) ** 2))
    expected = _hv_by_loss_values(loss, w.reshape(-1), v.reshape(-1)).reshape(2, 2)
    assert np.allclose(value["hv"], expected, atol=1e-6)
    # entry (1, 1) by hand: R{a_1} = x·V_{:,1} = 1, z_1 = 1/2, ∂L/∂z_1 = −1/2:
    # R{δ_1} = R{a_1} z(1 − z)(z(1 − z) + ∂L/∂z (1 − 2z)) = 1/16, (Hv)_{11} = x_1 R{δ_1}
    assert value["hv"][0][0] == pytest.approx(1 / 16, abs=1e-15)
    shown = _shown_values(d)
    assert shown["R{a[0]}"] == 1 and shown["z[0]"] == 0.5


def test_mlp_hv_and_r_values_at_numbers() -> None:
    """Hv against second differences of the loss; every 𝓡-value shown against central
    differences of the same numpy forward/backward pass along v."""
    d, value = _solved(MLP)
    x, y = np.array(MLP["x"], float), np.array(MLP["y"], float)
    w1, w2 = (np.array(MLP["weights"][k], float) for k in ("w1", "w2"))
    v1, v2 = (np.array(MLP["v"][k], float) for k in ("w1", "w2"))

    def passes(a1: np.ndarray, a2: np.ndarray) -> dict[str, np.ndarray]:
        a = a1.T @ x
        z = _sig(a)
        o = a2.T @ z
        do = o - y
        dz = a2 @ do
        return {"a": a, "z": z, "o": o, "dL_do": do, "dL_dz": dz, "dL_da": z * (1 - z) * dz}

    def loss(flat: np.ndarray) -> float:
        return float(0.5 * np.sum((passes(flat[:4].reshape(2, 2), flat[4:].reshape(2, 2))["o"]
                                   - y) ** 2))
    flat, dv = np.concatenate([w1.ravel(), w2.ravel()]), np.concatenate([v1.ravel(), v2.ravel()])
    hv = _hv_by_loss_values(loss, flat, dv)
    assert np.allclose(value["hv1"], hv[:4].reshape(2, 2), atol=1e-6)
    assert np.allclose(value["hv2"], hv[4:].reshape(2, 2), atol=1e-6)
    h = 1e-5
    plus, minus = passes(w1 + h * v1, w2 + h * v2), passes(w1 - h * v1, w2 - h * v2)
    shown = _shown_values(d)
    for name in plus:
        for k in range(2):
            r = (plus[name][k] - minus[name][k]) / (2 * h)
            assert shown[f"R{{{name}[{k}]}}"] == pytest.approx(r, abs=1e-7), (name, k)
            assert shown[f"{name}[{k}]"] == pytest.approx(passes(w1, w2)[name][k], abs=1e-12)


@pytest.mark.parametrize("given", [
    {"model": "logistic", "x": [2.5], "w": [-1], "b": 0, "y": 0, "v": [3]},
    {"model": "logistic", "x": [3, -3, 2, 1, 0.5, -1, 2, 2, -2, 1, 1, 3], "w": [1] * 12,
     "b": -0.7, "y": 0, "v": [0.5, -1] * 6},
    {"model": "sigmoid_layer", "x": [1, 2, -1], "weights": {"w": [[0.1], [-0.2], [0.3]]},
     "y": [0.5], "v": {"w": [[1], [1], [-2]]}},
    {"model": "mlp", "x": [1], "weights": {"w1": [[0.5, -1, 2]], "w2": [[1], [-1], [0.5]]},
     "y": [2], "v": {"w1": [[1, 0, 0]], "w2": [[0], [0], [1]]}},
    {"model": "mlp", "x": [30, -20], "weights": {"w1": [[1, -0.5], [0.25, 1]],
                                                  "w2": [[0.5, -1], [2, 0.25]]},
     "y": [0, 1], "v": {"w1": [[0, 1], [1, 0]], "w2": [[1, -1], [0.5, 0]]}},
    # a loss of some hundreds and a long v: the reference steps along v/‖v‖ and compares
    # the answer with the gradient's differences, which lose less to rounding
    {"model": "mlp", "x": [-0.1], "weights": {"w1": [[-2, 0, 2, -0.5, -2, 0]], "w2": [
        [-0.2, -0.1, 0, 0.175], [0.1, -0.2, -0.22, 0.3], [-0.2, -0.3, -0.3, -0.22],
        [0.3, -0.05, -0.22, 0.1], [0.175, 0.1, -0.05, 0.175], [-0.3, 0.025, 0.025, -0.22]]},
     "y": [20, -20, 2.5, 20], "v": {"w1": [[-30, 0, 2.5, 30, -5, 30]], "w2": [
         [1.75, 0.25, -0.5, -1], [-3, 0.25, 0, -1], [-3, -2, -3, 1], [0, 2, 3, 0],
         [2, 3, -0.5, 3], [-3, -1, 0.25, 3]]}},
    {**LOGISTIC_HALF, "v": [0, 0]},
])
def test_other_numbers_and_sizes_check(given: dict[str, Any]) -> None:
    """Other sizes (one input, a single output, twelve features) and saturated units."""
    _, value = _solved(given)
    assert all(np.all(np.isfinite(np.asarray(v, dtype=float))) for v in value.values())


def test_sizes_are_read_off_the_numbers() -> None:
    kind = KINDS["roperator.hv"].given
    assert kind.model_validate(LOGISTIC_HALF).features == 2
    assert (kind.model_validate(LAYER).inputs, kind.model_validate(LAYER).outputs) == (2, 2)
    mlp = {**MLP, "x": [1, 2, 3], "weights": {"w1": [[1, 2]] * 3, "w2": [[1, 2, 3]] * 2},
           "y": [0, 1, 2], "v": {"w1": [[0, 1]] * 3, "w2": [[1, 0, 0]] * 2}}
    assert kind.model_validate(mlp).widths == [3, 2, 3]


@pytest.mark.parametrize(("given", "message"), [
    ({**LOGISTIC_HALF, "v": [1, 2, 3]}, r"v: expected 2 numbers \(one per weight\), got 3"),
    ({**LOGISTIC_HALF, "w": [1]}, r"w: expected 2 numbers \(features\), got 1"),
    ({**LOGISTIC_HALF, "features": 3}, r"x: expected 3 numbers \(features\), got 2"),
    ({**LOGISTIC_HALF, "y": 0.5}, r"y: a label, 0 or 1, got 0.5"),
    ({k: v for k, v in LOGISTIC_HALF.items() if k != "b"}, r"missing: b"),
    ({**LOGISTIC_HALF, "x": [1, float("nan")]}, r"x: every entry must be a finite number"),
    ({**LOGISTIC_HALF, "weights": {"w": [[1]]}}, r"weights: model logistic takes x, w, b"),
    ({"model": "generic", "x": [1.0]}, r"x: numbers are for logistic, sigmoid_layer or mlp"),
    ({**LAYER, "weights": {"w": [[0.5, -1], [0.25]]}},
     r"weights.w: expected 2 rows of 2 numbers \(inputs × outputs\), got 2 rows of 1, 2"),
    ({**LAYER, "v": {"w": [[1, 0, 0], [0, -1, 0]]}}, r"v.w: expected 2 rows of 2 numbers"),
    ({**LAYER, "v": [1, 0]}, r"v: expected the matrices w \(by name, row by row\)"),
    ({**LAYER, "y": [1, 0, 0], "outputs": 2}, r"y: expected 2 numbers \(outputs\), got 3"),
    ({**MLP, "v": {"w1": [[0, 1], [1, 0]]}}, r"v: expected the matrices w1, w2"),
    ({**MLP, "weights": {"w1": [[0, 1], [1, 0]]}},
     r"weights: expected the matrices w1, w2 \(by name, row by row\), got w1"),
    ({**MLP, "widths": [2, 3, 2]}, r"weights.w1: expected 2 rows of 3 numbers \(inputs × "
     r"hidden units\)"),
])
def test_bad_numbers_are_refused_naming_the_key(given: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        KINDS["roperator.hv"].given.model_validate(given)


def test_a_broken_written_out_sum_fails_its_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """The numbers section is checked too: a Σ written out without its last term fails the
    step that writes it, and the Hv put together from it differs from numpy."""
    from derive.questions import roperator_at_numbers as at_numbers

    right = at_numbers.written_out

    def dropped(e: sp.Basic) -> sp.Basic:
        out = right(e)
        return out.func(*out.args[:-1]) if isinstance(out, sp.Add) and e.has(sp.Sum) else out
    monkeypatch.setattr(at_numbers, "written_out", dropped)
    kind = KINDS["roperator.hv"].given.model_validate(MLP)
    d = kind.derive()
    rng = np.random.default_rng(0)
    check_steps(d, rng)
    assert "expand_sum" in {s.rule for s in d.steps if s.check and not s.check.passed}
    results = check_answers(d, kind.reference, rng)
    assert not results["hv1_value"].passed or not results["hv2_value"].passed


def test_a_wrong_sigma_prime_fails_hv_at_the_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sigmoid, "fdiff", lambda self, argindex=1: sigmoid(self.args[0]) ** 2)
    kind = KINDS["roperator.hv"].given.model_validate(LAYER)
    results = check_answers(kind.derive(), kind.reference, np.random.default_rng(0))
    assert not results["hv_value"].passed


def test_the_reference_at_the_numbers_is_not_the_derivation() -> None:
    """A wrong Hv at the numbers (the derived value doubled) is refused by the reference."""
    kind = KINDS["roperator.hv"].given.model_validate(LOGISTIC_HALF)
    d = kind.derive()
    step = d.answers()["hv_value"]
    step.rhs = 2 * step.rhs
    assert not check_answers(d, kind.reference, np.random.default_rng(0))["hv_value"].passed


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_spec_with_numbers_builds_in_both_languages(language: str, tmp_path: Any) -> None:
    """A test spec (not a shipped one): the three networks on numbers, answers.json holding
    Hv as numbers, the sentences in the page's language with its decimal mark."""
    import json

    from derive.build import build, load_all

    parts = [{"id": f"1{c}", "prompt": "Hv.", "kind": "roperator.hv", "given": g}
             for c, g in zip("abc", (LOGISTIC_HALF, LAYER, MLP), strict=True)]
    spec = {"meta": {"course": "C", "title": "T", "language": language},
            "problems": [{"id": 1, "title": "R", "parts": parts}]}
    path = tmp_path / "rop.yaml"
    path.write_text(json.dumps(spec), encoding="utf-8")
    (loaded,) = load_all([path])
    built = build(loaded, tmp_path / "out", pdf=False)
    answers = json.loads((built.out / "answers.json").read_text(encoding="utf-8"))
    assert [p["check"]["passed"] for p in answers["parts"]] == [True] * 3
    assert answers["parts"][0]["answer"]["value"] == {"hv": [1.0, 2.0]}
    assert answers["parts"][1]["answer"]["value"]["hv"][0][0] == pytest.approx(0.0625)
    tex = (built.out / "solutions.tex").read_text(encoding="utf-8")
    words = {"en": (r"The forward pass of the operator $\mathcal{R}$ at these numbers",
                    r"\num{0.0625}"),
             "fr": (r"La passe avant de l'opérateur $\mathcal{R}$ avec ces valeurs",
                    r"\num{0.0625}")}[language]
    assert all(w in tex for w in words)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_product_rule_brackets_each_derivative(language: str) -> None:
    from helpers import page

    text = page("roperator.rules", language, dim=3, proofs=["product"])
    assert (r"\left(\frac{\partial}{\partial r} f\left(\mathbf{w} + r \mathbf{v}\right)\right)"
            r" g\left(\mathbf{w} + r \mathbf{v}\right)") in text
    assert "opérateur R " not in text and "R-operator is" not in text
    if language == "fr":
        assert "on dérive en $r$ le produit" in text and "on pose $r = 0$ :" in text


def _page_blocks(kind: str, language: str, **given: Any) -> list[dict[str, Any]]:
    from helpers import solve

    from derive.derivation.page import blocks
    from derive.latex.environment import strings

    solution = solve(kind, **given)
    assert solution.derivation is not None and solution.verify().passed
    return blocks(solution.derivation, strings(language), 1)


def _marked_lines(shown: list[dict[str, Any]]) -> list[str]:
    return marked(shown)

def test_the_rules_mark_what_is_asked_and_hold_in_any_dimension() -> None:
    shown = _page_blocks("roperator.rules", "fr", dim=3, proofs=["scalar_multiple", "product"])
    marked = _marked_lines(shown)
    assert len(marked) == 2 and all(r"\left\{c f" in m or r"g\left(" in m for m in marked)
    lines = " ".join(line["rhs"] for b in shown for line in b["lines"])
    assert r"\sum_{j=1}^{n}" in lines and r"\sum_{j=1}^{3}" not in lines
    assert r"\mathbb{R}^n" in shown[0]["sentence"] and "$n = 3$" in shown[0]["sentence"]
    # the product rule in r: one term a line, its rule on the second
    product = next(line for b in shown for line in b["lines"] if line["rule"].startswith(
        "règle du produit"))
    assert r"\\* &\quad +" in product["rhs"]


def test_the_checks_name_only_the_test_functions_used() -> None:
    from derive.latex.environment import strings

    words = strings("fr")["checks"]
    rules = KINDS["roperator.rules"].given
    two = rules.model_validate({"proofs": ["scalar_multiple", "product"]})
    three = rules.model_validate({"proofs": ["product", "chain"]})
    assert "$h$" not in words[two.method] and "$h$" in words[three.method]
    hv = KINDS["roperator.hv"].given
    generic, logistic = (hv.model_validate({"model": m}) for m in ("generic", "logistic"))
    assert "réseau" not in words[generic.method] and "gradient" not in words[generic.method]
    assert "réseau" not in words[logistic.method] and "gradient" in words[logistic.method]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_generic_hv_holds_in_any_dimension_and_does_not_overclaim(language: str) -> None:
    shown = _page_blocks("roperator.hv", language, model="generic", dim=3)
    first = shown[0]
    assert r"\mathbb{R}^n" in first["sentence"] and r"\sum_{j=1}^{n}" in first["lines"][0]["rhs"]
    assert "rien n'est perdu" not in first["sentence"] and "nothing is lost" not in first[
        "sentence"]
    said = {"fr": "il ne reste que l'arrondi ordinaire", "en": "only the ordinary rounding"}
    assert said[language] in first["sentence"]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_logistic_hv_says_which_loss_and_names_its_rules(language: str) -> None:
    shown = _page_blocks("roperator.hv", language, model="logistic", features=3)
    text = " ".join(b["sentence"] for b in shown)
    assert {"fr": "dans cette partie, $L$ désigne la perte de cet exemple",
            "en": "in this part, $L$ stands for the loss of that example"}[language] in text
    assert "R-forward" not in text and "R-avant" not in text and "R-arrière" not in text
    assert {"fr": "Passe avant de l'opérateur", "en": "Forward pass of the operator"}[
        language] in text
    # every R rule named in a step's tag is stated in the sentence that introduces the passes
    for rule in (r"\mathcal{R}_{\mathbf{v}}\{c\} = 0", r"\mathcal{R}_{\mathbf{v}}\{\mathbf{w}\}"
                 r" = \mathbf{v}", {"fr": "dérivation en chaîne", "en": "chain rule"}[language],
                 {"fr": "multiple scalaire", "en": "scalar multiples"}[language]):
        assert rule in text
