"""The derivation core: steps checked one against the next, answers against references."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from derive.derivation import RULES, Derivation, Domain
from derive.derivation.check import DRAWS, check_steps
from derive.derivation.indices import in_base
from derive.latex.environment import strings
from derive.models import logistic as M
from derive.models.logistic import LogisticRegression
from derive.questions import KINDS
from derive.questions.declare import REGISTRY, Derived, verify_derivation
from derive.questions.logistic import LogisticGrad

ROOT = Path(__file__).resolve().parent.parent


def test_logistic_gradients_are_the_textbook_forms() -> None:
    m = LogisticRegression(4)
    assert m.grad_w() == (M.p - M.y) * M.x[M.j]
    assert m.grad_b() == M.p - M.y
    assert sp.expand(m.sgd_update() - (M.w[M.j] - M.eta * (M.p - M.y) * M.x[M.j])) == 0


@pytest.mark.parametrize("features", [1, 2, 5])
def test_every_step_and_answer_of_the_logistic_kind_is_checked(features: int) -> None:
    given = LogisticGrad(features=features)
    d = given.derive()
    check = verify_derivation(d, given)
    assert check.passed, check.detail
    for chain in d.chains():
        assert chain[0].check is None                 # a chain starts from a definition
        assert all(s.check is not None and s.check.passed and s.check.samples >= DRAWS
                   for s in chain[1:])
    assert set(d.answers()) == {"loss", "grad_w", "grad_b", "update"}
    assert {s.rule for s in d.steps} >= {"chain_rule", "sigma_prime", "sum_collapse",
                                          "simplify", "substitute"}


def test_a_wrong_step_fails_its_own_check_and_the_next() -> None:
    given = LogisticGrad(features=3)
    d = given.derive()
    n = next(k for k, s in enumerate(d.steps) if s.rule == "sigma_prime")
    d.steps[n].rhs = d.steps[n].rhs.xreplace({1 - M.p: 1 + M.p})    # σ′ = σ(1 + σ): wrong
    check_steps(d, np.random.default_rng(0))
    assert d.steps[n].check is not None and not d.steps[n].check.passed
    assert d.steps[n - 1].check is not None and d.steps[n - 1].check.passed


def test_a_wrong_answer_fails_against_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LogisticRegression, "grad_w", lambda self: (M.y - M.p) * M.x[M.j])
    given = LogisticGrad(features=3)
    check = verify_derivation(given.derive(), given)
    assert not check.passed
    assert "answer update" in check.detail and "step" in check.detail


def test_a_step_that_cannot_be_evaluated_fails() -> None:
    u, v = sp.symbols("u v")
    d = Derivation(domains={u: Domain()})
    d.chain(sp.Symbol("f"), u**2, "definition").then((u + 1)**2 - 2 * u - 1, "simplify")
    d.then(u * u + v, "expand")               # v has no domain: cannot be evaluated
    check_steps(d, np.random.default_rng(1))
    assert d.steps[1].check is not None and d.steps[1].check.passed
    assert d.steps[2].check is not None and not d.steps[2].check.passed
    assert "no domain for v" in d.steps[2].check.detail


def test_index_formulas_are_checked_on_every_index() -> None:
    i, j = sp.symbols("i j", integer=True)
    x = sp.IndexedBase("x")
    d = Derivation(domains={x: Domain((4,))}, free={j: (0, 3)})
    d.chain(sp.Symbol("s"), sp.Sum(x[i] * sp.KroneckerDelta(i, j), (i, 0, 3)), "definition")
    d.apply("sum_collapse").then(x[3 - j], "simplify")       # wrong except at j = 1.5
    check_steps(d, np.random.default_rng(2))
    assert d.steps[1].check is not None and d.steps[1].check.passed
    assert d.steps[1].check.samples == DRAWS * 4           # every index, every draw
    assert d.steps[2].check is not None and not d.steps[2].check.passed


def test_indices_print_in_the_spec_base() -> None:
    i, j = sp.symbols("i j", integer=True)
    x = sp.IndexedBase("x")
    expr = sp.Sum(x[i + j], (i, 0, 2))
    assert in_base(expr, 0, [j]) == expr
    assert in_base(expr, 1, [j]) == sp.Sum(x[i + j - 1], (i, 1, 3))
    assert in_base(x[j], 1, [j]) == x[j]


def test_verify_never_imports_the_models() -> None:
    """References recompute from definitions: nothing under derive/verify reads a model."""
    for path in sorted((ROOT / "derive" / "verify").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert not name.startswith(("derive.models", "derive.questions",
                                            "derive.derivation")), f"{path.name} imports {name}"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_rule_and_check_method_has_its_words(language: str) -> None:
    words = strings(language)
    assert set(RULES) <= set(words["rules"])
    for name, k in REGISTRY.items():
        assert issubclass(k.given, Derived)
        method = k.given.method            # a class constant, or chosen by the givens
        if isinstance(method, property):
            method = k.given.model_validate(k.example).method
        assert method in words["checks"], name
        assert KINDS[name] is k


def test_lambdify_of_a_derived_gradient_reads_numpy_arrays() -> None:
    """The README example: a derived gradient evaluated on arrays, no name mapping."""
    grad = LogisticRegression(3).grad_w()
    f = sp.lambdify((M.x, M.p, M.y, M.j), grad)
    x = np.array([1.0, -2.0, 0.5])
    assert [f(x, 0.8, 1.0, k) for k in range(3)] == pytest.approx((0.8 - 1.0) * x)


def test_derivations_steps_and_checks_display_in_jupyter() -> None:
    given = LogisticGrad(features=2)
    d = given.derive()
    assert d._repr_latex_().startswith(r"$\displaystyle \begin{aligned}")
    assert r"\frac{\partial L}{\partial p}" in d._repr_latex_()
    assert d.steps[-1]._repr_latex_().startswith("$\\displaystyle")
    check = verify_derivation(d, given)
    assert check._repr_latex_().startswith(r"$\checkmark$ \text{logistic_fd: ")


def _sigma_prime_wrong(expr: sp.Basic, names: dict | None = None, **_: object) -> sp.Basic:
    from derive.models.symbols import sigmoid_prime

    names = dict(names or {})
    return expr.replace(lambda e: isinstance(e, sigmoid_prime),
                        lambda e: names.get(e.args[0], e.args[0]) * (1 + names.get(e.args[0],
                                                                                  e.args[0])))


def _collapse_off_by_one(expr: sp.Basic, **_: object) -> sp.Basic:
    from derive.derivation.rules import collapse_deltas

    out = collapse_deltas(expr)
    return out.replace(lambda e: isinstance(e, sp.Indexed) and str(e.base) in {"x", "w"},
                       lambda e: e.func(e.base, *(e.indices[0] + 1, *e.indices[1:])))


BROKEN_MODELS = [
    ("logistic.grad", LogisticRegression, "grad_w", lambda self: (M.y - M.p) * M.x[M.j]),
    ("dense_sigmoid.hessian_diagonal", None, "hessian_diagonal",
     lambda self: (lambda D: D.x[D.i] ** 2 * D.z[D.j] * (1 - D.z[D.j]) * (
         D.z[D.j] * (1 - D.z[D.j]) * D.d2Ldz[D.j, D.j] + (2 * D.z[D.j] - 1) * D.dLdz[D.j]))(
         __import__("derive.models.dense", fromlist=["x"]))),
    ("dense_sigmoid.hessian_cross", None, "hessian_cross",
     lambda self: (lambda D: D.x[D.i] * D.z[D.j] * (1 - D.z[D.j]) * D.z[D.j2]
                   * (1 - D.z[D.j2]) * D.d2Ldz[D.j, D.j2])(
         __import__("derive.models.dense", fromlist=["x"]))),
]


@pytest.mark.parametrize(("name", "owner", "method", "broken"), BROKEN_MODELS,
                         ids=[b[0] + "." + b[2] for b in BROKEN_MODELS])
def test_a_broken_model_formula_fails_the_check(name: str, owner: type | None, method: str,
                                                broken: object,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from derive.models.dense import DenseSigmoid

    monkeypatch.setattr(owner or DenseSigmoid, method, broken)
    k = KINDS[name]
    given = k.given.model_validate({**k.example, "inputs": 3} if "inputs" in k.example
                                   else k.example)
    assert isinstance(given, Derived)
    assert not verify_derivation(given.derive(), given).passed


@pytest.mark.parametrize(("rule", "broken"), [("sigma_prime", _sigma_prime_wrong),
                                              ("sum_collapse", _collapse_off_by_one)])
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_a_broken_rule_fails_every_kind_that_uses_it(rule: str, broken: object, name: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from derive.derivation.rules import Rule

    k = KINDS[name]
    given = k.given.model_validate({**k.example, "inputs": 3} if "inputs" in k.example
                                   else k.example)
    assert isinstance(given, Derived)
    if rule not in {s.rule for s in given.derive().steps}:
        pytest.skip(f"{name} does not use {rule}")
    before = [s.rhs for s in given.derive().steps]
    monkeypatch.setitem(RULES, rule, Rule(rule, broken))  # type: ignore[arg-type]
    d = given.derive()
    if [s.rhs for s in d.steps] == before:
        pytest.skip(f"{name} states its {rule} steps: the rule computes nothing there")
    check = verify_derivation(d, given)
    assert not check.passed
    failed = [s for s in d.steps if s.check is not None and not s.check.passed]
    assert failed and failed[0].rule == rule            # the faulty step is the one named


def _conv_mutations() -> list[tuple[str, str, object]]:
    from dataclasses import replace

    from derive.models import conv as C
    from derive.models.conv import Conv2D

    gi, gw, fw = Conv2D.grad_input, Conv2D.grad_weights, Conv2D.forward
    guarded = Conv2D.grad_input_guarded

    def limit(expr: sp.Sum, delta: int) -> sp.Sum:
        (v, lo, hi), *rest = expr.limits
        return sp.Sum(expr.function, (v, lo, hi + delta), *rest)

    return [
        ("conv2d.grad_input", "grad_input",                                 # swapped indices
         lambda self: gi(self).replace(lambda e: isinstance(e, sp.Indexed) and e.base == C.dLdy,
                                       lambda e: e.func(e.base, *reversed(e.indices)))),
        ("conv2d.grad_input", "grad_input",
         lambda self: gi(replace(self, stride=(1, 1)))),                     # stride lost
        ("conv2d.grad_input", "grad_input_guarded",
         lambda self: guarded(self).xreplace({C.w_extended: C.w})),         # guard dropped
        ("conv2d.grad_weights", "grad_weights", lambda self: limit(gw(self), -1)),
        ("conv2d.grad_weights", "grad_weights", lambda self: -gw(self)),
        ("conv2d.forward", "forward", lambda self: fw(replace(self, padding=(0, 0)))),
        ("conv2d.forward", "forward", lambda self: limit(fw(self), 1)),
    ]


@pytest.mark.parametrize(("name", "method", "broken"), _conv_mutations(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_a_broken_convolution_formula_fails_the_check(name: str, method: str, broken: object,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """With stride 2 and padding 1, every broken formula makes the build's check fail."""
    from derive.models.conv import Conv2D

    monkeypatch.setattr(Conv2D, method, broken)
    given = KINDS[name].given.model_validate({"input": [6, 5], "kernel": [3, 2], "stride": 2,
                                              "padding": 1})
    assert isinstance(given, Derived)
    try:
        d = given.derive()
    except Exception:             # a formula that cannot even be built also fails the build
        return
    assert not verify_derivation(d, given).passed


def _sentences(name: str, language: str, **given: object) -> str:
    """The sentences of a derived part, as the page shows them."""
    from derive.derivation.page import blocks

    k = KINDS[name]
    solution = k.solve(k.given.model_validate(given))
    assert solution.derivation is not None
    return " ".join(b["sentence"] for b in blocks(solution.derivation, strings(language), 1))


@pytest.mark.parametrize(("inp", "en", "fr"), [
    ([1, 1], "the output has only this one", "n'a que celui-ci"),
    ([2, 1], "the other one follows by shifting", "l'autre s'obtient en décalant"),
    ([3, 3], "the other 8 follow by shifting", "les 8 autres s'obtiennent en décalant"),
])
def test_first_pixel_sentence_counts_the_other_pixels(inp: list[int], en: str, fr: str) -> None:
    given = {"input": inp, "kernel": [1, 1]}
    assert en in _sentences("conv2d.forward", "en", **given)
    assert fr in _sentences("conv2d.forward", "fr", **given)


@pytest.mark.parametrize(("given", "en", "fr"), [
    ({"input": [3, 3], "kernel": [3, 3], "stride": 3}, "The output has a single pixel",
     "La sortie n'a qu'un pixel"),
    ({"input": [5, 5], "kernel": [3, 3]}, r"output pixels (here $3 \times 3$)",
     r"pixels de sortie (ici $3 \times 3$)"),
    ({"input": [5, 5], "kernel": [3, 3], "padding": 1}, "zeros of the padding",
     "zéros du remplissage"),
])
def test_operation_sentence_follows_the_counts(given: dict[str, object], en: str,
                                               fr: str) -> None:
    assert en in _sentences("conv2d.operations", "en", **given)
    assert fr in _sentences("conv2d.operations", "fr", **given)
    if not given.get("padding"):
        assert "padding" not in _sentences("conv2d.operations", "en", **given)


@pytest.mark.parametrize(("language", "one", "many"), [("en", "With one feature", "With 4"),
                                                      ("fr", "une seule variable", "Avec 4")])
def test_logistic_sentence_counts_features(language: str, one: str, many: str) -> None:
    assert one in _sentences("logistic.grad", language, features=1)
    assert many in _sentences("logistic.grad", language, features=4)


def test_the_checker_sums_out_kronecker_deltas_exactly() -> None:
    """Σ_k δ(i, 2r + k − 1) w_k over a range: the checker's shortcut equals SymPy's sum."""
    from derive.derivation.check import sum_out_deltas

    i, r, k = sp.symbols("i r k", integer=True)
    w = sp.IndexedBase("w")
    total = sp.Sum(sp.KroneckerDelta(i, 2 * r + k - 1) * w[k], (k, sp.Max(0, 1 - r), 2))
    short = sum_out_deltas(total)
    assert not short.has(sp.KroneckerDelta)
    for iv in range(-1, 7):
        for rv in range(0, 3):
            at = {i: iv, r: rv}
            assert short.xreplace(at).doit() == total.xreplace(at).doit(), at


def test_defined_arrays_are_computed_from_the_drawn_data() -> None:
    from derive.derivation.check import sample

    a = sp.symbols("a", integer=True)
    x, y = sp.IndexedBase("x"), sp.IndexedBase("y")
    d = Derivation(domains={x: Domain((4,)), y: Domain((3,), "defined")},
                   definitions={y: lambda q: x[q] + x[q + 1]})
    data = sample(d, np.random.default_rng(3))
    assert np.allclose(data["y"], data["x"][:-1] + data["x"][1:])
    assert a not in d.domains


@pytest.mark.parametrize("module", sorted(
    f"derive.{p.parent.name}.{p.stem}".replace(".__init__", "")
    for folder in ("derivation", "models") for p in (ROOT / "derive" / folder).glob("*.py")))
def test_each_module_imports_first(module: str) -> None:
    """Models and rules import each other's pieces: no import order may hit a cycle."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-800:]
