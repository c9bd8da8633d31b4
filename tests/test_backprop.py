"""Softmax, cross-entropy and backpropagation in an MLP: exact forms, checks, broken rules,
given numbers (against numpy and torch), validation errors and sentences."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import sympy as sp
from helpers import check, page, solve
from pydantic import ValidationError

from derive.derivation import RULES
from derive.derivation.backprop_rules import one_hot, softmax_jacobian
from derive.derivation.indices import in_base
from derive.derivation.rules import Rule
from derive.latex.printer import tex
from derive.models import mlp as M
from derive.models import softmax as S
from derive.models.mlp import MLP
from derive.models.softmax import Softmax, log_softmax
from derive.models.symbols import PartialOf
from derive.questions import KINDS
from derive.verify import backprop_reference as ref

SEED = {"widths": [2, 3, 2], "activation": "tanh", "output": "softmax_ce"}
NUMBERS = {"x": [1.0, -0.5], "eta": 0.1,
           "weights": {"v": [[0.1, 0.2, -0.3], [0.4, -0.1, 0.2]],
                       "w": [[0.3, -0.2], [0.5, 0.1], [-0.4, 0.2]]}}


def _answer(solution: Any, key: str) -> Any:
    d = solution.derivation
    return d.answers()[key].rhs


# --- exact forms ----------------------------------------------------------------------------
def test_softmax_model_is_exact() -> None:
    s = Softmax(3)
    assert s.jacobian_entry() == s.p[S.j] * (sp.KroneckerDelta(S.j, S.k) - s.p[S.k])
    assert s.grad_scores() == s.p[S.k] - s.y[S.k]
    assert s.jacobian_matrix()[1, 1] == s.p[1] * (1 - s.p[1])
    assert s.jacobian_matrix()[0, 1] == -s.p[0] * s.p[1]
    assert s.grad_vector(1) == sp.Matrix([s.p[0], s.p[1] - 1, s.p[2]])
    assert np.allclose(np.exp(log_softmax(np.array([800.0, 0.0, -5.0]))).sum(), 1.0)


def test_rules_on_single_factors() -> None:
    p, o, y = sp.IndexedBase("p"), sp.IndexedBase("o"), sp.IndexedBase("y")
    assert softmax_jacobian(PartialOf(p[0], o[0], p[0]), probs=p, scores=o) == p[0] * (1 - p[0])
    assert softmax_jacobian(PartialOf(p[0], o[1], p[0]), probs=p, scores=o) == -p[0] * p[1]
    m = sp.Symbol("m", integer=True)
    assert one_hot(sp.Sum(y[m] * sp.log(p[m]), (m, 0, 2)), label=y, target=1) == sp.log(p[1])
    assert one_hot(y[0] + 2 * y[1], label=y, target=1) == 2


def test_mlp_gradient_is_the_textbook_form() -> None:
    net = MLP((2, 3, 2))
    path = net.path(net.weight("v")[0, 1])
    h, w = net.post(1), net.weight("w")
    assert net.path_count(path) == 4
    assert net.gradient(path, explicit=True, target=0) == (
        (1 - h[1] ** 2) * ((M.yhat[0] - 1) * w[1, 0] + M.yhat[1] * w[1, 1]) * M.x[0])
    out = net.path(w[2, 0])
    assert net.path_count(out) == 2
    assert net.gradient(out, target=0) == (M.yhat[0] - 1) * h[2]
    assert MLP((2, 3, 1), output="squared_error").path_count(path) == 1


def test_the_gradient_of_a_hidden_bias_is_exact() -> None:
    """∂L/∂b^v_2 for the [2, 3, 2] tanh network, one-hot on class 1: the weight's gradient
    without its input, ŷ₂(w₂₂ − w₂₁)(1 − h₂²) in the page's indices (from 1), since
    ŷ₁ − 1 = −ŷ₂."""
    solution = solve("mlp.backprop", **SEED, bias=True, weight="b^v_2", report="gradient",
                     target=1)
    assert solution.verify().passed
    h, w, yhat = MLP((2, 3, 2)).post(1), MLP((2, 3, 2)).weight("w"), M.yhat
    expected = yhat[1] * (w[1, 1] - w[1, 0]) * (1 - h[1] ** 2)
    assert sp.simplify(_answer(solution, "gradient") - expected) == 0
    assert tex(in_base(_answer(solution, "gradient"), 1)) == (
        r"\left({w}_{2,2} - {w}_{2,1}\right) {\hat{y}}_{2} \left(1 - {h}_{2}^{2}\right)")
    steps = solution.derivation.steps
    bias_steps = [n for n, step in enumerate(steps) if step.rule == "bias_term"]
    assert len(bias_steps) == 1 and steps[bias_steps[0]].rhs == 1
    out = solve("mlp.backprop", **SEED, bias=True, weight="b^w_1", report="gradient", target=2)
    assert _answer(out, "gradient") == yhat[0]          # ŷ₁ − y₁ with y = e₂


def test_cross_entropy_gradient_prints_as_p_minus_y() -> None:
    soft = solve("softmax.cross_entropy_grad", classes=3)
    assert tex(in_base(_answer(soft, "grad"), 1)) == "{p}_{k} - {y}_{k}"
    hot = solve("softmax.cross_entropy_grad", classes=3, target=2, score="x", prob="f",
                label="H", loss="g")
    assert tex(in_base(_answer(hot, "grad"), 1)) == r"{f}_{k} - \delta_{c k}"
    f = Softmax(3, "x", "f", "H").p
    assert _answer(hot, "vector") == sp.Matrix([f[0], f[1] - 1, f[2]])


def test_softmax_factors_print_as_the_textbook_entries() -> None:
    solution = solve("mlp.backprop", **SEED, weight="v_12", report="factors", target=1)
    jacobian = _answer(solution, "factor1")
    assert tex(in_base(jacobian[0, 0], 1)) == r"{\hat{y}}_{1} \left(1 - {\hat{y}}_{1}\right)"
    assert tex(in_base(jacobian[0, 1], 1)) == r"- {\hat{y}}_{1} {\hat{y}}_{2}"
    assert _answer(solution, "factor0") == sp.Matrix([-1 / M.yhat[0], 0])
    assert _answer(solution, "factor3") == 1 - MLP((2, 3, 2)).post(1)[1] ** 2


# --- every step and answer checked ---------------------------------------------------------
@pytest.mark.parametrize("given", [
    {"classes": 2}, {"classes": 4, "target": 4}, {"classes": 7, "target": 1},
])
def test_cross_entropy_kind_checks(given: dict[str, Any]) -> None:
    result = check("softmax.cross_entropy_grad", **given)
    assert result.passed, result.detail


@pytest.mark.parametrize("report", ["jacobian", "shift", "log_softmax"])
def test_jacobian_kind_checks(report: str) -> None:
    result = check("softmax.jacobian", classes=3, report=report)
    assert result.passed, result.detail


@pytest.mark.parametrize("given", [
    {**SEED, "weight": "v_12", "report": "chain"},
    {**SEED, "weight": "v_23", "report": "factors", "target": 1},
    {**SEED, "weight": "w_21", "report": "update", "target": 2},
    {**SEED, "weight": "v_12", "report": "gradient", "activation": "sigmoid", "bias": True},
    {**SEED, "weight": "v_22", "report": "update", "activation": "relu"},
    {**SEED, "weight": "v_22", "report": "update", "activation": "identity",
     "output": "squared_error"},
    {"widths": [3, 2, 2, 2], "weight": "u_12", "report": "gradient", "target": 2},
    {"widths": [4, 5, 6], "weight": "v_23", "report": "update", "target": 3},
    {**SEED, "bias": True, "weight": "b^v_2", "report": "chain"},
    {**SEED, "bias": True, "weight": "b^{v}_{3}", "report": "factors", "target": 1},
    {**SEED, "bias": True, "weight": "b^w_1", "report": "update", "target": 2},
    {**SEED, "bias": True, "weight": "b^v_2", "report": "update", "activation": "relu"},
    {**SEED, "bias": True, "weight": "b^v_1", "report": "update", "activation": "sigmoid",
     "output": "squared_error"},
    {"widths": [3, 2, 2, 2], "bias": True, "weight": "b^u_2", "report": "gradient",
     "target": 2},
    {"widths": [3, 2], "bias": True, "weight": "b_2", "report": "update", "target": 1},
])
def test_mlp_kind_checks(given: dict[str, Any]) -> None:
    result = check("mlp.backprop", **given)
    assert result.passed, result.detail


# --- broken rules fail the check -----------------------------------------------------------
def _diagonal_only(expr: sp.Basic, probs: sp.IndexedBase, scores: sp.IndexedBase,
                   **_: Any) -> sp.Basic:
    return expr.replace(
        lambda e: isinstance(e, PartialOf) and getattr(e.args[0], "base", None) == probs,
        lambda e: probs[e.args[0].indices[0]] * (1 - probs[e.args[0].indices[0]])
        * sp.KroneckerDelta(e.args[0].indices[0], e.args[1].indices[0]))


def _tanh_wrong_sign(expr: sp.Basic, **_: Any) -> sp.Basic:
    return expr.replace(lambda e: isinstance(e, sp.Pow) and e.base.func == sp.cosh,
                        lambda e: 1 + sp.tanh(e.base.args[0]) ** 2)


def _wrong_class(expr: sp.Basic, label: sp.IndexedBase, target: Any, **kw: Any) -> sp.Basic:
    wrong = (1 - target) if isinstance(target, int) else target + 1
    return one_hot(expr, label=label, target=wrong, **kw)


@pytest.mark.parametrize(("rule", "broken", "kind", "given"), [
    ("softmax_jacobian", _diagonal_only, "mlp.backprop",
     {**SEED, "weight": "v_12", "report": "gradient", "target": 1}),
    ("softmax_jacobian", _diagonal_only, "softmax.cross_entropy_grad", {"classes": 3}),
    ("tanh_prime", _tanh_wrong_sign, "mlp.backprop",
     {**SEED, "weight": "v_23", "report": "update", "target": 1}),
    ("one_hot", _wrong_class, "mlp.backprop",
     {**SEED, "weight": "v_12", "report": "chain", "target": 1}),
    ("one_hot", _wrong_class, "softmax.cross_entropy_grad", {"classes": 3, "target": 2}),
])
def test_a_broken_rule_fails_the_check(monkeypatch: pytest.MonkeyPatch, rule: str,
                                       broken: Any, kind: str, given: dict[str, Any]) -> None:
    monkeypatch.setitem(RULES, rule, Rule(rule, broken))
    solution = solve(kind, **given)
    result = solution.verify()
    assert not result.passed
    assert solution.derivation is not None
    failed = [s for s in solution.derivation.steps if s.check is not None and not s.check.passed]
    assert any(s.rule == rule for s in failed), [s.rule for s in failed]


def _bias_twice(expr: sp.Basic, **_: Any) -> sp.Basic:
    return expr.replace(lambda e: isinstance(e, PartialOf), lambda e: sp.Integer(2))


def test_a_wrong_bias_derivative_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """∂a_j/∂b_j = 2: the step itself fails its check."""
    monkeypatch.setitem(RULES, "bias_term", Rule("bias_term", _bias_twice))
    given = {**SEED, "bias": True, "weight": "b^v_2", "report": "gradient", "target": 1}
    solution = solve("mlp.backprop", **given)
    assert not solution.verify().passed
    assert solution.derivation is not None
    failed = [s for s in solution.derivation.steps if s.check is not None and not s.check.passed]
    assert any(s.rule == "bias_term" for s in failed), [s.rule for s in failed]


def test_a_bias_gradient_with_a_dropped_factor_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """A gradient that keeps the weight's tail (the input x_j) for a bias: the answer no
    longer matches the finite differences of the loss."""
    original = MLP.gradient

    def with_input(self: MLP, path: Any, explicit: bool = False, target: Any = None) -> Any:
        return original(self, path, explicit, target) * M.x[0]

    monkeypatch.setattr(MLP, "gradient", with_input)
    result = check("mlp.backprop", **SEED, bias=True, weight="b^v_2", report="gradient")
    assert not result.passed


def test_a_wrong_gradient_formula_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MLP, "upstream", lambda self, score, target=None:
                        M.y[score] - M.yhat[score])            # sign flipped
    result = check("mlp.backprop", **SEED, weight="v_12", report="gradient")
    assert not result.passed


# --- given numbers -------------------------------------------------------------------------
THREE = {"widths": [2, 3, 3, 2], "x": [0.5, -1.0], "eta": 0.5, "bias": True,
         "weights": {"u": [[0.2, -0.4, 0.1], [0.3, 0.5, -0.2]],
                     "v": [[0.6, -0.1, 0.2], [-0.3, 0.4, 0.1], [0.2, 0.2, -0.5]],
                     "w": [[0.7, -0.2], [0.1, 0.3], [-0.4, 0.6]]},
         "biases": {"u": [0.1, -0.1, 0.05], "v": [0.0, 0.2, -0.1], "w": [0.1, -0.3]}}


@pytest.mark.parametrize(("weight", "report"), [("u_12", "update"), ("b^u_3", "gradient"),
                                                ("w_21", "update")])
def test_three_weight_layers_with_numbers(weight: str, report: str) -> None:
    """A chain too long to write path by path keeps its Σ; the numbers still go in (its sums
    written out as checked steps) and the value is the numpy loss's central difference."""
    given = {**THREE, "weight": weight, "report": report, "target": 2}
    solution = solve("mlp.backprop", **given)
    assert solution.verify().passed
    weights = [np.array(THREE["weights"][k]) for k in "uvw"]
    biases = [np.array(THREE["biases"][k]) for k in "uvw"]
    y = np.array([0.0, 1.0])
    if weight.startswith("b"):
        g = ref.bias_gradient(np.array(THREE["x"]), weights, biases, y, "tanh", "softmax_ce",
                              0, 2)
    else:
        layer, i, j = "uvw".index(weight[0]), int(weight[2]) - 1, int(weight[3]) - 1
        g = ref.weight_gradient(np.array(THREE["x"]), weights, biases, y, "tanh",
                                "softmax_ce", layer, i, j)
    assert solution.answer["gradient"] == pytest.approx(g, abs=1e-8)
    if report == "update":
        start = THREE["weights"][weight[0]][int(weight[2]) - 1][int(weight[3]) - 1]
        assert solution.answer["update"] == pytest.approx(start - 0.5 * g, abs=1e-8)
    text = page("mlp.backprop", "en", **given)
    assert r"\sum" in text and "&= \\approx" not in text and "=\\approx" not in text


def _numpy_gradient(given: dict[str, Any], layer: int, i: int, j: int) -> float:
    weights = [np.array(given["weights"][k], dtype=float) for k in ("v", "w")]
    y = np.eye(2)[given["target"] - 1] if "target" in given else np.array(given["y"])
    return ref.weight_gradient(np.array(given["x"]), weights, None, y,
                               given.get("activation", "tanh"), "softmax_ce", layer, i, j)


def test_numbers_are_put_in_and_checked() -> None:
    given = {**SEED, "weight": "v_12", "report": "update", "target": 1, **NUMBERS}
    solution = solve("mlp.backprop", **given)
    assert solution.verify().passed
    value = solution.answer
    g = _numpy_gradient(given, 0, 0, 1)
    assert set(value) == {"loss", "gradient", "update"}
    assert value["gradient"] == pytest.approx(g, abs=1e-8)
    assert value["update"] == pytest.approx(0.2 - 0.1 * g, abs=1e-8)
    assert all(isinstance(v, float) for v in value.values())


@pytest.mark.parametrize(("weight", "target"), [("v_12", 1), ("w_11", 1), ("w_12", 1),
                                              ("w_11", 2), ("v_23", 2)])
def test_the_update_sentence_follows_the_sign(weight: str, target: int) -> None:
    """The sentence after the update says what the computed gradient does, in both
    languages: numpy's gradient decides which word must appear."""
    given = {**SEED, "weight": weight, "report": "update", "target": target, **NUMBERS}
    letter, i, j = weight[0], int(weight[2]) - 1, int(weight[3]) - 1
    g = _numpy_gradient(given, "vw".index(letter), i, j)
    words = {"en": ("lowers", "raises"), "fr": ("diminuer", "augmenter")}
    for language, (down, up) in words.items():
        text = next(line for line in page("mlp.backprop", language, **given).splitlines()
                    if line.startswith(("Here $", "Ici $")))
        said, unsaid = (down, up) if g > 0 else (up, down)
        assert f"the step {said}" in text or f"fait {said}" in text
        assert f"the step {unsaid}" not in text and f"fait {unsaid}" not in text


BIASES = {"v": [0.05, -0.1, 0.2], "w": [0.1, -0.3]}


@pytest.mark.parametrize(("weight", "layer", "j"), [("b^v_2", 0, 1), ("b^w_1", 1, 0)])
def test_bias_numbers_are_put_in_and_checked(weight: str, layer: int, j: int) -> None:
    given = {**SEED, "bias": True, "weight": weight, "report": "update", "target": 1,
             **NUMBERS, "biases": BIASES}
    solution = solve("mlp.backprop", **given)
    assert solution.verify().passed
    weights = [np.array(NUMBERS["weights"][k], dtype=float) for k in ("v", "w")]
    biases = [np.array(BIASES[k]) for k in ("v", "w")]
    g = ref.bias_gradient(np.array(NUMBERS["x"]), weights, biases, np.array([1.0, 0.0]),
                          "tanh", "softmax_ce", layer, j)
    old = biases[layer][j]
    assert solution.answer["gradient"] == pytest.approx(g, abs=1e-8)
    assert solution.answer["update"] == pytest.approx(old - 0.1 * g, abs=1e-8)
    for language in ("en", "fr"):
        text = page("mlp.backprop", language, **given)
        assert "{b'}^{" in text and "{input}" not in text


def test_the_bias_gradient_matches_torch_autograd() -> None:
    torch = pytest.importorskip("torch")
    given = {**SEED, "bias": True, "weight": "b^v_3", "report": "gradient", "target": 2,
             "activation": "sigmoid", **NUMBERS, "biases": BIASES}
    solution = solve("mlp.backprop", **given)
    f64 = torch.float64
    x = torch.tensor(given["x"], dtype=f64)
    v, w = (torch.tensor(NUMBERS["weights"][k], dtype=f64) for k in ("v", "w"))
    bv = torch.tensor(BIASES["v"], dtype=f64, requires_grad=True)
    bw = torch.tensor(BIASES["w"], dtype=f64)
    scores = torch.sigmoid(x @ v + bv) @ w + bw
    torch.nn.functional.cross_entropy(scores[None], torch.tensor([1])).backward()
    assert bv.grad is not None
    assert solution.answer["gradient"] == pytest.approx(float(bv.grad[2]), abs=1e-10)


def test_the_gradient_matches_torch_autograd() -> None:
    torch = pytest.importorskip("torch")
    given = {**SEED, "weight": "v_23", "report": "gradient", "target": 1,
             "activation": "sigmoid", **NUMBERS}
    solution = solve("mlp.backprop", **given)
    x = torch.tensor(given["x"], dtype=torch.float64)
    v = torch.tensor(given["weights"]["v"], dtype=torch.float64, requires_grad=True)
    w = torch.tensor(given["weights"]["w"], dtype=torch.float64)
    scores = torch.sigmoid(x @ v) @ w
    loss = torch.nn.functional.cross_entropy(scores[None], torch.tensor([0]))
    loss.backward()
    assert v.grad is not None
    assert solution.answer["gradient"] == pytest.approx(float(v.grad[1, 2]), abs=1e-10)
    assert solution.answer["loss"] == pytest.approx(float(loss.detach()), abs=1e-10)


# --- validation ----------------------------------------------------------------------------
@pytest.mark.parametrize(("given", "message"), [
    ({**SEED, "weight": "v_42"}, "does not exist: v is 2 × 3"),
    ({**SEED, "weight": "z_12"}, "no weight matrix 'z'"),
    ({**SEED, "weight": "v12x"}, "expected a letter and two indices"),
    ({**SEED, "weight": "v_12", "activation": "softplus"}, "activation"),
    ({**SEED, "weight": "v_12", "output": "hinge"}, "output"),
    ({**SEED, "weight": "v_12", "target": 3}, "class 3 does not exist"),
    ({**SEED, "weight": "v_12", "target": 1, "output": "squared_error"}, "softmax_ce"),
    ({**SEED, "weight": "v_12", "target": 1, **NUMBERS, "x": [1.0]}, "x: expected 2 inputs"),
    ({**SEED, "weight": "v_12", "target": 1, **NUMBERS, "weights": {"v": [[1, 2, 3]],
                                                                    "w": [[1, 2]] * 3}},
     "weights.v: expected 2 rows of 3 numbers"),
    ({**SEED, "weight": "v_12", "target": 1, **NUMBERS, "weights": {"v": [[1, 2, 3]] * 2}},
     "weights: expected the matrices v, w"),
    ({**SEED, "weight": "v_12", **NUMBERS}, "y: the label is needed"),
    ({**SEED, "weight": "v_12", **NUMBERS, "y": [0.5, 0.6]}, "summing to 1"),
    ({**SEED, "weight": "v_12", "target": 2, **NUMBERS, "y": [1.0, 0.0]}, "not the one-hot"),
    ({**SEED, "weight": "v_12", "report": "update", "target": 1,
      **{k: v for k, v in NUMBERS.items() if k != "eta"}}, "eta: the learning rate"),
    ({**SEED, "weight": "v_12", "eta": 0.1}, "numbers need x and weights"),
    ({"widths": [2], "weight": "v_12"}, "widths"),
    ({**SEED, "weight": "b^v_2"}, "no biases \\(bias: false\\)"),
    ({**SEED, "bias": True, "weight": "b^v_4"}, "does not exist: b\\^v has 3 entries"),
    ({**SEED, "bias": True, "weight": "b^z_1"}, "no bias vector b\\^z"),
    ({**SEED, "bias": True, "weight": "b_2"}, "say which layer's bias"),
])
def test_bad_givens_are_rejected_with_a_clear_message(given: dict[str, Any],
                                                      message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        KINDS["mlp.backprop"].given.model_validate(given)


@pytest.mark.parametrize(("given", "message"), [
    ({"classes": 3, "target": 4}, "class 4 does not exist"),
    ({"classes": 3, "score": "p"}, "distinct letters"),
    ({"classes": 1}, "greater than or equal to 2"),
])
def test_bad_softmax_givens(given: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        KINDS["softmax.cross_entropy_grad"].given.model_validate(given)


# --- sentences ------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["en", "fr"])
def test_path_counts_and_pages_in_both_languages(language: str) -> None:
    text = page("mlp.backprop", language, **SEED, weight="v_12", report="chain")
    assert ("4 paths" if language == "en" else "4 chemins") in text
    out = page("mlp.backprop", language, widths=[3, 1], output="squared_error",
               weight="w_21", report="chain")
    assert "{" + "n}" not in out and "paths lead" not in out


def test_the_dropped_factors_are_named() -> None:
    text = page("mlp.backprop", "en", **SEED, weight="v_23", report="factors", target=1)
    assert "drop out of the chain" in text
    assert r"{\hat{y}}_{2}}{\partial {o}_{2}}" in text


def test_the_one_hot_gradient_uses_that_the_probabilities_sum_to_one() -> None:
    """USC 4.5: with ŷ₁ + ŷ₂ = 1 the gradient is x₁(1 − h₂²)ŷ₂(w₂₂ − w₂₁), a checked step;
    the SGD sentence names the factors of known sign and when the step is zero, from them."""
    solution = solve("mlp.backprop", widths=[2, 3, 2], weight="v_12", report="update",
                     target=1)
    assert solution.verify().passed
    d = solution.derivation
    h, w, x, yhat = MLP((2, 3, 2)).post(1), MLP((2, 3, 2)).weight("w"), M.x, M.yhat
    assert d.answers()["gradient"].rule == "probabilities_sum_to_one"
    assert sp.expand(_answer(solution, "gradient")
                     - x[0] * (1 - h[1] ** 2) * yhat[1] * (w[1, 1] - w[1, 0])) == 0
    effect = next(s.note for s in d.steps if s.note and s.note.key == "mlp_sgd_effect")
    assert effect.values["case"] == "zero2"
    assert set(effect.values["known"].items) == {
        r"$\eta > 0$", r"${\hat{y}}_{2} > 0$", r"$1 - {h}_{2}^{2} > 0$"}
    assert {effect.values["z1"], effect.values["z2"]} == {"${x}_{1} = 0$",
                                                          "${w}_{2,2} = {w}_{2,1}$"}


def test_asked_partials_are_stated_and_only_they_are_marked() -> None:
    """USC 4.4: ∂ŷ₁/∂o₁ and ∂o₁/∂v₁₂ = x₁w₂₁(1 − h₂²) are stated, checked and marked; the
    factors of the chain are not."""
    solution = solve("mlp.backprop", widths=[2, 3, 2], weight="v_12", report="factors",
                     target=1, partials=["yhat_1/o_1", "o_1/v_12"])
    assert solution.verify().passed
    d = solution.derivation
    assert d.marked == frozenset({"asked0", "asked1"})
    h, w, x, yhat = MLP((2, 3, 2)).post(1), MLP((2, 3, 2)).weight("w"), M.x, M.yhat
    assert sp.expand(_answer(solution, "asked0") - yhat[0] * (1 - yhat[0])) == 0
    assert sp.expand(_answer(solution, "asked1") - x[0] * w[1, 0] * (1 - h[1] ** 2)) == 0
    whole = solve("mlp.backprop", widths=[2, 3, 2], weight="v_12", report="factors",
                  partials=["L/yhat"])
    assert whole.verify().passed
    assert whole.derivation.marked == frozenset({"asked0"})
    assert set(whole.answer) == {"L/yhat"}
    one_based = sp.Matrix([-M.y[1] / M.yhat[1], -M.y[2] / M.yhat[2]])
    assert whole.answer["L/yhat"] == one_based


def test_the_updated_weight_prints_its_prime_and_index_together() -> None:
    from derive.models.logistic import Updated

    assert tex(Updated("v'")[0, 1]) == "v'_{0,1}"


def test_the_softmax_gradient_marks_only_the_gradient_and_names_the_given_letters() -> None:
    """ML exercises 2.1: ∂f_j/∂x_k is a step, not the answer; the sentence says H_m, g."""
    solution = solve("softmax.cross_entropy_grad", classes=3, target=2, score="x", prob="f",
                     label="H", loss="g")
    d = solution.derivation
    assert d.marked == frozenset({"grad", "vector"})
    setup = next(s.note for s in d.steps if s.note and s.note.key == "softmax_ce_setup")
    assert str(setup.values["ym"].base) == "H" and str(setup.values["L"]) == "g"


# --- what each part asks, and the words around it -------------------------------------------
def test_an_asked_entry_of_the_loss_link_is_stated_and_the_chain_takes_its_value() -> None:
    """USC 4.3: ∂L/∂ŷ₂ = −y₂/ŷ₂ = 0 is stated and marked, and the chain keeps the paths
    through ŷ₁ with ∂L/∂ŷ₁ = −1/ŷ₁ put in (part 7: "with the result of part 2")."""
    solution = solve("mlp.backprop", **SEED, weight="v_12", report="chain", target=1,
                     partials=["L/yhat_2"])
    assert solution.verify().passed
    d = solution.derivation
    assert d.marked == frozenset({"asked0", "chain"})
    assert _answer(solution, "asked0") == 0
    chain = _answer(solution, "chain")
    assert not any(p.args[0] == M.L for p in chain.atoms(PartialOf))    # ∂L/∂ŷ₁ put in
    assert chain.has(1 / M.yhat[0])
    assert set(solution.answer) == {"L/yhat_2", "chain"}
    three = solve("mlp.backprop", widths=[2, 3, 3], weight="v_12", report="chain", target=3,
                  partials=["L/yhat_3", "L/yhat_1"])
    assert three.verify().passed
    assert _answer(three, "asked0") == -1 / M.yhat[2] and _answer(three, "asked1") == 0


def test_partials_narrow_the_factors_shown() -> None:
    """USC 4.2 and 4.4: a part that names its partials shows those, not every factor."""
    narrow = solve("mlp.backprop", **SEED, weight="v_12", report="factors",
                   partials=["L/yhat"])
    assert [k for k in narrow.derivation.answers() if k.startswith("factor")] == ["factor0"]
    text = page("mlp.backprop", "en", **SEED, weight="v_12", report="factors", target=1,
                partials=["yhat_1/o_1", "o_1/v_12"])
    assert "derivative of tanh" in text                   # a link of ∂o₁/∂v₁₂, by its rule
    assert r"\begin{bmatrix}" not in text        # no whole link (∂ŷ/∂o, ∂o/∂h₂) was asked
    assert "Their product is the partial derivative asked for:" in text


def test_every_factor_shown_has_a_sentence_that_names_it() -> None:
    """A factor display never follows another part's reference without a lead-in: each has
    its own sentence, which derive.shared turns into "…, as in question 4.4" when dropped."""
    from derive.derivation.page import blocks
    from derive.latex.environment import strings

    for given in ({**SEED, "weight": "v_12", "report": "update", "target": 1},
                  {**SEED, "weight": "v_23", "report": "factors", "target": 1},
                  {**SEED, "weight": "w_21", "report": "gradient"}):
        d = solve("mlp.backprop", **given).derivation
        for language in ("en", "fr"):
            for block in blocks(d, strings(language), 1):
                if block["lines"] and r"\begin{bmatrix}" in block["lines"][0]["lhs"]:
                    assert block["sentence"], (given, block["lines"][0]["lhs"])
                if block["lines"] and "partial {h}" in block["lines"][0]["lhs"]:
                    assert block["sentence"], (given, block["lines"][0]["lhs"])


def test_the_dropped_entries_are_named_right_before_the_matrix_that_holds_them() -> None:
    from derive.derivation.page import blocks
    from derive.latex.environment import strings

    d = solve("mlp.backprop", **SEED, weight="v_23", report="factors", target=1).derivation
    for language, words in (("en", "drop out of the chain"), ("fr", "disparaissent")):
        shown = blocks(d, strings(language), 1)
        (at,) = [n for n, b in enumerate(shown) if words in b["sentence"]]
        assert r"\partial {\hat{y}}_{2} / \partial {o}_{1}" in shown[at]["sentence"]
        assert r"{\hat{y}}_{2}}{\partial {o}_{1}}" in shown[at]["lines"][0]["lhs"]


def test_tanh_prime_is_named_for_what_it_is() -> None:
    text = page("mlp.backprop", "en", **SEED, weight="v_12", report="factors")
    assert r"\tag*{\footnotesize derivative of tanh}" in text
    assert "derivative of each factor" not in text
    fr = page("mlp.backprop", "fr", **SEED, weight="v_12", report="factors")
    assert "dérivée de tanh" in fr


def test_one_index_letter_per_layer() -> None:
    """Inputs i, hidden units j, outputs k as the assignment writes o_k = Σ_j w_jk h_j; the
    softmax's sum over l; no index m left; the softmax as a slash, legible inline."""
    text = page("mlp.backprop", "en", **SEED, weight="v_12", report="chain")
    assert r"{a}_{j} = \sum_{i=1}^{2} {v}_{i,j} {x}_{i}" in text
    assert r"{o}_{k} = \sum_{j=1}^{3} {w}_{j,k} {h}_{j}" in text
    assert r"{\hat{y}}_{k} = e^{{o}_{k}} / \sum_{l=1}^{2} e^{{o}_{l}}" in text
    assert r"L &= - \sum_{k=1}^{2} {y}_{k} \log" in text
    assert "_{m}" not in text and r"\frac{e^" not in text


@pytest.mark.parametrize(("widths", "weight", "target", "activation"), [
    ([2, 3, 2], "v_12", 1, "tanh"), ([2, 3, 2], "v_23", 2, "sigmoid"),
    ([3, 4, 4], "v_31", 2, "tanh"), ([2, 3, 3], "v_22", 3, "identity"),
])
def test_what_the_step_does_to_the_hidden_unit_holds_numerically(
        widths: list[int], weight: str, target: int, activation: str) -> None:
    """USC 4.5: the sentence says a_j rises exactly when w_jc − Σ_l ŷ_l w_jl > 0 (two classes:
    w_jc > w_jl), whatever x_i, and that the step raises ŷ_c. Checked against a numpy SGD
    step of random networks (gradient by finite differences), not the kind's formulas."""
    given = {"widths": widths, "weight": weight, "report": "update", "target": target,
             "activation": activation}
    solution = solve("mlp.backprop", **given)
    assert solution.verify().passed
    d = solution.derivation
    (stated,) = [s for s in d.steps if s.states]
    assert stated.note is not None and stated.note.key == "mlp_sgd_meaning_hidden"
    i, j, c = int(weight[2]) - 1, int(weight[3]) - 1, target - 1
    if widths[-1] == 2:                              # "raises a_j when w_jc > w_jl"
        assert stated.note.values["up"].lhs == MLP(tuple(widths)).weight("w")[j, c]
    rng = np.random.default_rng(7)
    for _ in range(20):
        x = rng.normal(size=widths[0])
        weights = [rng.normal(size=(widths[0], widths[1])),
                   rng.normal(size=(widths[1], widths[2]))]
        y = np.eye(widths[-1])[c]
        _, _, o = ref.forward(x, weights, None, activation)
        p = ref.softmax(o)
        s = weights[1][j, c] - p @ weights[1][j]
        g = ref.weight_gradient(x, weights, None, y, activation, "softmax_ce", 0, i, j)
        after = [np.copy(w) for w in weights]
        after[0][i, j] -= 1e-4 * g
        pres_before, _, _ = ref.forward(x, weights, None, activation)
        pres_after, _, o_after = ref.forward(x, after, None, activation)
        rise = pres_after[0][j] - pres_before[0][j]
        assert np.sign(rise) == np.sign(s)
        assert ref.softmax(o_after)[c] > p[c]


@pytest.mark.parametrize(("weight", "target", "case"), [
    ("w_21", 1, "true_class"), ("w_21", 2, "other_class"), ("w_32", 1, "other_class"),
])
def test_what_the_step_does_to_an_output_score(weight: str, target: int, case: str) -> None:
    solution = solve("mlp.backprop", **SEED, weight=weight, report="update", target=target)
    assert solution.verify().passed
    (stated,) = [s for s in solution.derivation.steps if s.states]
    assert stated.note is not None and stated.note.values["case"] == case
    text = page("mlp.backprop", "en", **SEED, weight=weight, report="update", target=target)
    assert ("the step raises" if case == "true_class" else "the step lowers") in text


def test_the_check_names_given_numbers_only_when_there_are_some() -> None:
    from derive.latex.environment import strings

    given = KINDS["mlp.backprop"].given
    assert given.model_validate({**SEED, "weight": "v_12"}).method == "mlp_fd"
    assert given.model_validate({**SEED, "weight": "v_12", "target": 1, **NUMBERS}
                                ).method == "mlp_fd_numbers"
    assert "given numbers" not in strings("en")["checks"]["mlp_fd"]
    assert "réponses à numpy" not in strings("fr")["checks"]["mlp_fd"]
