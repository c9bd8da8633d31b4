"""Hessian-vector products: the R-operator pass of an MLP against the explicit Hessian, and the
kind `hvp.finite_difference` (its error orders measured, its checks, a broken formula)."""

from __future__ import annotations

import json
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from helpers import marked
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from derive.build import build, load_all
from derive.models.hvp import MLP
from derive.questions import hvp as K
from derive.questions import hvp_line, hvp_numbers
from derive.questions.declare import verify_derivation
from derive.verify import hvp_reference as R

ACTIVATIONS = ("tanh", "sigmoid", "relu")


def _problem(widths: tuple[int, ...], activation: str, batch: int, seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    net = MLP(widths, activation)  # type: ignore[arg-type]
    params, v = net.init(rng, scale=1.5), net.init(rng)
    X, y = rng.normal(size=(batch, widths[0])), rng.integers(0, widths[-1], batch)
    return net, params, v, X, y


def _pre_activations(params: list, X: np.ndarray, activation: str) -> list[np.ndarray]:
    """The hidden pre-activations, written here again (to keep ReLU's kinks away)."""
    out, z = [], X
    for w, b in params[:-1]:
        a = z @ w + b
        out.append(a)
        z = {"tanh": np.tanh, "relu": lambda t: np.maximum(t, 0),
             "sigmoid": lambda t: 1 / (1 + np.exp(-t))}[activation](a)
    return out


def _explicit(net: MLP, params: list, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The Hessian by the loss-only double loop of `derive.verify.hvp_reference`."""
    return R.hessian(lambda w: R.mlp_loss(w, net.widths, net.activation, X, y),
                     net.flat(params))


# --- the R-operator pass ------------------------------------------------------------------

@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(widths=st.lists(st.integers(1, 3), min_size=2, max_size=4).map(tuple),
       activation=st.sampled_from(ACTIVATIONS), batch=st.integers(1, 3),
       seed=st.integers(0, 10_000))
def test_r_pass_equals_the_explicit_hessian_times_v(widths: tuple[int, ...], activation: str,
                                                    batch: int, seed: int) -> None:
    assume(widths[-1] >= 2 or len(widths) == 2)
    net, params, v, X, y = _problem(widths, activation, batch, seed)
    if activation == "relu":          # central differences straddling a kink measure nothing
        assume(all(np.min(np.abs(a)) > 1e-2 for a in _pre_activations(params, X, "relu")))
    H = _explicit(net, params, X, y)
    assert np.allclose(H, H.T, atol=1e-5)
    hv = net.flat(net.hvp(params, v, X, y))
    # the four-point Hessian has error O(h²) + O(ε/h²), h = 1e-4: about 1e-8 each entry
    assert np.allclose(hv, H @ net.flat(v), atol=1e-5 * (1 + np.abs(H).max()))


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_and_hv_against_finite_differences(activation: str) -> None:
    net, params, v, X, y = _problem((4, 5, 3, 3), activation, 6, 7)
    w = net.flat(params)
    loss = lambda u: R.mlp_loss(u, net.widths, activation, X, y)   # noqa: E731
    assert net.loss(params, X, y) == pytest.approx(loss(w), rel=1e-12)
    assert np.allclose(net.flat(net.gradient(params, X, y)), R.gradient(loss, w), atol=1e-8)
    r = 1e-5                          # central differences of the gradient: error O(r²)
    fd = (net.flat(net.gradient(net.add(params, v, r), X, y))
          - net.flat(net.gradient(net.add(params, v, -r), X, y))) / (2 * r)
    assert np.allclose(net.flat(net.hvp(params, v, X, y)), fd, atol=1e-8)


@pytest.mark.parametrize("activation", ("tanh", "sigmoid"))
def test_dropping_the_second_derivative_term_is_caught(activation: str) -> None:
    """R{δ} without ∂ℒ/∂z ⊙ h″(a) ⊙ R{a}: the comparison with the explicit Hessian fails."""
    net, params, v, X, y = _problem((3, 4, 3), activation, 4, 3)
    H = _explicit(net, params, X, y)
    right = net.flat(net.hvp(params, v, X, y))
    broken = MLP(net.widths, activation, second_derivative=False)  # type: ignore[arg-type]
    wrong = broken.flat(broken.hvp(params, v, X, y))
    assert np.allclose(right, H @ net.flat(v), atol=1e-5)
    assert np.max(np.abs(wrong - H @ net.flat(v))) > 1e-3


def test_size_of_the_seed_network() -> None:
    assert MLP((32, 512, 512, 10)).size == 284_682


# --- the kind: error orders measured --------------------------------------------------------

LINES = {
    "logistic": hvp_line.Line(hvp_line.logistic_loss([[1, 2], [-1, 0.5], [0.5, -1.5]],
                                                     [1, 0, 1]),
                              hvp_line.logistic_names(2), [0.5, -0.5, 0.25], [1, -1, 0.5]),
    "exp-sin": hvp_line.Line(sp.exp(sp.Symbol("x", real=True)) * sp.sin(sp.Symbol("y", real=True)),
                             ["x", "y"], [0.3, 1.1], [1, 0.5]),
}


@pytest.mark.parametrize("name", sorted(LINES))
def test_measured_slopes_are_the_orders(name: str) -> None:
    """Fitted on the computed float64 errors where truncation dominates, the slopes are 1 and
    2. Tolerance 0.12, justified: the error is c r^p (1 + ρ(r)), ρ the next term of the
    expansion over the leading one (r φ‴/3φ″ forward, r² φ⁽⁵⁾/20φ‴ central, in norm); its local
    log-log slope is p + qρ/(1 + ρ), q = 1 (forward) or 2 (central), so within 0.1 of p where
    ρ < 0.05 — asserted first on the fitted range, from the exact coefficients; rounding is at
    most 1 % of the error there (the regime's definition), moving the slope by about 0.01."""
    line = LINES[name]
    meas = hvp_numbers.measure(line)
    norm = [float(np.linalg.norm(hvp_numbers.floats(line.along(k)))) for k in range(6)]
    for scheme, rho in ((meas.forward, lambda r: r * norm[3] / 3 / norm[2]),
                        (meas.central, lambda r: r * r * norm[5] / 20 / norm[3])):
        assert scheme.slope is not None and len(scheme.fitted) >= 4
        assert rho(meas.rs[scheme.fitted[0]]) < 0.05
        assert abs(scheme.slope - scheme.order) < 0.12, (name, scheme.order, scheme.slope)
        # and round-off takes over below: the smallest r has a far larger error than the best
        assert scheme.errors[-1] > 10 * scheme.errors[scheme.best]
    assert meas.rs[meas.forward.best] < meas.rs[meas.central.best]


def test_reference_on_a_function_with_known_derivatives() -> None:
    """f(x) = e^x: Hv = e^w v, ½D³f[v,v] = e^w v²/2, ⅙D⁴f[v,v,v] = e^w v³/6."""
    out = R.line_errors(lambda x: mp.exp(x), ["0.3"], ["2"])
    e = float(np.exp(0.3))
    assert out["hvp"][0] == pytest.approx(2 * e, rel=1e-12)
    assert out["forward_leading"][0] == pytest.approx(4 * e / 2, rel=1e-10)
    assert out["central_leading"][0] == pytest.approx(8 * e / 6, rel=1e-8)


def test_line_route_equals_tensor_route() -> None:
    line = LINES["exp-sin"]
    assert sp.simplify(line.hv() - line.along(1)) == sp.zeros(2, 1)
    for k in (2, 3):
        assert sp.simplify(line.contracted(k) - line.along(k)) == sp.zeros(2, 1)


# --- the kind: builds, checks, a broken formula -------------------------------------------------

def _spec(tmp: Path, given_: dict, language: str = "en") -> Path:
    spec = {"meta": {"course": "T", "title": "Hv", "language": language, "layout": "homework"},
            "problems": [{"id": 1, "title": "Hv", "parts": [
                {"id": "1", "prompt": "Estimate $H\\mathbf{v}$.", "kind": "hvp.finite_difference",
                 "given": given_}]}]}
    path = tmp / f"hvp-{language}.yaml"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


@pytest.mark.parametrize("language", ("en", "fr"))
def test_kind_builds_and_reports_typed_values(tmp_path: Path, language: str) -> None:
    (loaded,) = load_all([_spec(tmp_path, {}, language)])
    built = build(loaded, tmp_path / "out", pdf=False)
    part = json.loads((built.out / "answers.json").read_text())["parts"][0]
    assert part["check"]["passed"]
    value = part["answer"]["value"]
    line = LINES["logistic"]
    f = sp.lambdify(line.xs, line.f, modules="numpy")
    w0 = np.array([0.5, -0.5, 0.25])
    H = R.hessian(lambda w: float(f(*w)), w0)
    assert np.allclose(value["hvp"], H @ np.array([1, -1, 0.5]), atol=1e-6)
    assert len(value["r"]) == 23 and value["r"][0] == pytest.approx(0.1)
    assert abs(value["forward"]["slope"] - 1) < 0.1 and abs(value["central"]["slope"] - 2) < 0.1
    best = value["forward"]["best_r"]
    assert value["forward"]["best_error"] == min(value["forward"]["errors"])
    tex = (built.out / "solutions.tex").read_text()
    assert r"\begin{loglogaxis}" in tex and tex.count(r"\addplot") == 4
    assert f"{best:.6e}" in tex                                 # the plot's data: computed


def test_estimate_report_has_no_plot(tmp_path: Path) -> None:
    (loaded,) = load_all([_spec(tmp_path, {"report": "estimate"})])
    built = build(loaded, tmp_path / "out", pdf=False)
    part = json.loads((built.out / "answers.json").read_text())["parts"][0]
    assert part["check"]["passed"] and set(part["answer"]["value"]) == {"hvp"}
    assert "loglogaxis" not in (built.out / "solutions.tex").read_text()


def test_user_function(tmp_path: Path) -> None:
    given_ = {"expression": "x**2*y + exp(x*y)", "point": [0.5, 1], "direction": [1, -1]}
    (loaded,) = load_all([_spec(tmp_path, given_)])
    built = build(loaded, tmp_path / "out", pdf=False)
    value = json.loads((built.out / "answers.json").read_text())["parts"][0]["answer"]["value"]
    x, y = 0.5, 1.0       # H = [[2y + y²e^{xy}, 2x + (1 + xy)e^{xy}], [·, x²e^{xy}]]
    e = np.exp(x * y)
    H = np.array([[2 * y + y * y * e, 2 * x + (1 + x * y) * e],
                  [2 * x + (1 + x * y) * e, x * x * e]])
    assert np.allclose(value["hvp"], H @ np.array([1.0, -1.0]), rtol=1e-12)


def test_a_wrong_third_derivative_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """D³f[v,v,·] off by a factor: the chain-rule step comparing it with φ″(0) fails, and so
    does the leading forward term against the actual difference quotients."""
    original = hvp_line.Line.contracted

    def wrong(self: hvp_line.Line, k: int) -> sp.ImmutableMatrix:
        value = original(self, k)
        return value * 2 if k == 2 else value

    monkeypatch.setattr(hvp_line.Line, "contracted", wrong)
    hvp_line._LINES.clear()
    given_ = K.HvpFiniteDifference(point=[0.5, -0.5, 0.3], direction=[1, -1, 0.25])
    check = verify_derivation(given_.derive(), given_)
    assert not check.passed
    assert "step" in check.detail and "forward_leading" in check.detail


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="direction"):
        K.HvpFiniteDifference(direction=[0, 0, 0])
    with pytest.raises(ValueError, match="not a finite real"):
        K.HvpFiniteDifference(expression="log(x)", point=[0.5], direction=[1])
    with pytest.raises(ValueError, match="not differentiable"):
        K.HvpFiniteDifference(expression="Abs(x)*y", point=[1, 1], direction=[1, 1])
    with pytest.raises(ValueError, match="labels"):
        K.HvpFiniteDifference(labels=[1, 0])


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_variable_of_f_its_dimension_and_the_point_are_named(language: str) -> None:
    from helpers import page

    from derive.latex.environment import strings

    text = page("hvp.finite_difference", language, report="error")
    n = len(K.HvpFiniteDifference().names())                # weights and the bias: 3
    assert rf"\mathbf{{w}} = \left(w_{{1}}, w_{{2}}, b\right) \in \mathbb{{R}}^{{{n}}}" in text
    assert rf"{n} \times {n}" in text and r"\mathbf{w} \in \mathbb{R}^{2}" not in text
    assert r"\mathbf{w}_0 = \left(" in text                  # w₀, before it is used
    assert text.index(r"\mathbf{w}_0 = ") < text.index(r"\mathbf{w}_0 \pm")
    said = strings(language)["sentences"]["hvp_measured"]
    assert ("epsilon" in said) and "rounding unit" not in text and "unité d'arrondi" not in text
    assert r"\varepsilon &= 2^{-52}" in text


def _blocks(language: str, **given: object) -> list[dict]:  # type: ignore[type-arg]
    from derive.derivation.page import blocks
    from derive.latex.environment import strings

    g = K.HvpFiniteDifference(**given)  # type: ignore[arg-type]
    d = g.derive()
    assert verify_derivation(d, g).passed
    return blocks(d, strings(language), 0)


def _marks(shown: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return marked(shown)

def test_the_estimate_asked_is_marked_not_the_numbers() -> None:
    assert _marks(_blocks("fr", report="estimate")) == [r"\mathbf{D}^{+}_{r}"]


def test_the_orders_and_the_best_r_are_marked_not_the_coefficients() -> None:
    marks = _marks(_blocks("en", report="error"))
    assert marks == [r"\mathbf{e}^{+}(r)", r"\mathbf{e}^{\pm}(r)", r"r^{+}_{\min}",
                     r"r^{\pm}_{\min}"]


def test_hv_is_shown_in_the_error_part_exactly_as_in_the_estimate_part() -> None:
    """So that a page with both parts shows it once (derive.shared drops the repeat), and the
    sentences around it do not announce it."""
    def hv_block(report: str) -> dict:  # type: ignore[type-arg]
        shown = _blocks("fr", report=report)
        (block,) = [b for b in shown if any(line["lhs"] == r"H\mathbf{v}" for line in b["lines"])]
        return block

    estimate, error = hv_block("estimate"), hv_block("error")
    assert estimate == error and len(error["lines"]) == 1
    shown = _blocks("fr", report="error")
    leading = next(b for b in shown if any("D^{3}" in line["lhs"] for line in b["lines"]))
    assert "H\\mathbf{v}" not in leading["sentence"].split("Pour")[-1]
    assert leading["sentence"].endswith("significatifs :")


def test_tuples_of_a_sentence_are_written_alike() -> None:
    from derive.latex.typography import localize

    shown = _blocks("fr", report="estimate")
    examples = localize(shown[0]["sentence"], ",")
    assert r"\mathbf{x}_{1} = \left(1; 2\right)" in examples
    assert r"\mathbf{x}_{2} = \left(-1; \num{0.5}\right)" in examples
    point = localize(next(b["sentence"] for b in shown if b["key"] == "hvp_values"), ",")
    other = _blocks("fr", report="estimate", direction=[1, -1, 1])
    both = localize(next(b["sentence"] for b in other if b["key"] == "hvp_values"), ",")
    assert r"\mathbf{v} = \left(1; -1; \num{0.5}\right)" in point
    assert r"\mathbf{v} = \left(1; -1; 1\right)" in both          # beside w₀'s decimals


def test_no_article_before_the_size_of_h() -> None:
    shown = _blocks("en", report="estimate")
    estimate = next(b["sentence"] for b in shown if b["key"] == "hvp_estimate")
    assert r"of size $3 \times 3$" in estimate and "an $3" not in estimate


def test_the_guides_of_the_figure_start_inside_the_axes() -> None:
    g = K.HvpFiniteDifference(report="error")
    plot = g.page(g.derive())["plot"]
    ymin = float(plot["ymin"])
    for key in ("forward_line", "central_line"):
        first = plot[key].split(" ")[0].strip("()").split(",")
        assert float(first[1]) >= ymin * (1 - 1e-3)
    assert float(plot["central_line"].split(" ")[0].strip("()").split(",")[0]) > 1e-11
