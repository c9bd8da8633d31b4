"""Any scalar function (function.derivatives): safe parsing, exact derivatives, textbook
forms, finite-difference errors of the expected orders, broken formulas caught, located
errors for bad expressions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp

from derive.__main__ import main
from derive.build import load_all
from derive.derivation import RULES, Rule
from derive.errors import SpecError
from derive.latex.decimals import significant
from derive.latex.printer import tex
from derive.models import function as F
from derive.models.symbols import sigmoid
from derive.questions.declare import verify_derivation
from derive.questions.function import FunctionDerivatives
from derive.verify import function_reference as R
from tests.helpers import check, page, solve

KIND = "function.derivatives"
x, y = sp.symbols("x y", real=True)
F_XY = "x**2*y + exp(x*y)"


# parsing ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("x**2*y + exp(x*y)", x**2 * y + sp.exp(x * y)),
    ("log(1 + exp(-x - 2*y))", sp.log(1 + sp.exp(-x - 2 * y))),
    ("sigmoid(x) * -y", -sigmoid(x) * y),
    ("0.1*x + 1e-3", x / 10 + sp.Rational(1, 1000)),
    ("abs(x) + Abs(y) + ln(x)", F.Abs(x) + F.Abs(y) + sp.log(x)),
    ("sqrt(x)/(2*pi) + E", sp.sqrt(x) / (2 * sp.pi) + sp.E),
])
def test_allowed_expressions_parse_to_sympy(text: str, expected: sp.Expr) -> None:
    assert F.parse(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("x^2", "'x^2' at column 1: '^' is not allowed (write powers with **)"),
    ("x + foo(y)", "'foo' at column 5: unknown function 'foo' (allowed: exp, log"),
    ("np.exp(x)", "'np.exp' at column 1: only the allowed functions may be called"),
    ("x.__class__", "'x.__class__' at column 1: attribute access is not allowed"),
    ("exp(x=1)", "'x=1' at column 5: keyword arguments are not allowed"),
    ("lambda x: x", "at column 1: a lambda is not allowed"),
    ("'x' + y", "\"'x'\" at column 1: a string is not allowed"),
    ("x, y", "a tuple (the function must be one scalar) is not allowed"),
    ("[x, y]", "a list (the function must be one scalar) is not allowed"),
    ("x < y", "a comparison"),
    ("x +", "'x +': syntax error at column 4: invalid syntax"),
    ("exp(x, y)", "exp takes one argument, got 2"),
    ("__import__('os')", "unknown function '__import__'"),
    ("_secret + x", "'_secret' at column 1: names may not start with '_'"),
    ("x % 2", "'%' is not allowed"),
    ("9**9**9", "exponent too large"),
    ("log(0) + x", "is not a finite real expression"),
    ("x*" * 300 + "x", "longer than 400 characters"),
])
def test_refused_expressions_name_the_piece_and_column(text: str, message: str) -> None:
    with pytest.raises(F.ExpressionError) as raised:
        F.parse(text)
    assert message in str(raised.value)


def test_parsing_never_evaluates_python(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("eval/sympify called on user text")

    monkeypatch.setattr(sp, "sympify", refuse)
    monkeypatch.setattr("builtins.eval", refuse)
    F._parse.cache_clear()
    with pytest.raises(F.ExpressionError):
        F.parse("__import__('os').system('true')")
    F._parse.cache_clear()


# exact values and textbook forms ----------------------------------------------------------------
def _answers(**given: Any) -> dict[str, sp.Basic]:
    d = solve(KIND, **given).derivation
    assert d is not None
    return {k: s.rhs for k, s in d.answers().items()}


def test_gradient_and_hessian_are_exact() -> None:
    grad = _answers(expression=F_XY)["gradient"]
    assert sp.expand(grad[0] - (2 * x * y + y * sp.exp(x * y))) == 0
    assert sp.expand(grad[1] - (x**2 + x * sp.exp(x * y))) == 0
    hess = _answers(expression=F_XY, report="hessian")["hessian"]
    expected = sp.Matrix([[2 * y + y**2 * sp.exp(x * y), 2 * x + sp.exp(x * y)
                           + x * y * sp.exp(x * y)],
                          [2 * x + sp.exp(x * y) + x * y * sp.exp(x * y), x**2 * sp.exp(x * y)]])
    assert (sp.Matrix(hess) - expected).applyfunc(sp.expand) == sp.zeros(2, 2)
    at = _answers(expression=F_XY, point=[1, 2])["gradient_at"]
    assert list(at) == [4 + 2 * sp.exp(2), 1 + sp.exp(2)]


def test_rational_points_give_exact_rational_values() -> None:
    at = _answers(expression="x**2*y - x/3", point=["1/3", 0.5])["gradient_at"]
    assert list(at) == [0, sp.Rational(1, 9)]
    value = solve(KIND, expression="x**2*y - x/3", point=["1/3", 0.5]).answer
    assert value == [0, pytest.approx(1 / 9)]


def test_hvp_directional_and_finite_differences_values() -> None:
    hvp = _answers(expression=F_XY, point=[1, 2], direction=[1, -1], report="hvp")["hvp_at"]
    assert [sp.expand(e) for e in hvp] == [2 + sp.exp(2), 2 + 2 * sp.exp(2)]
    directional = _answers(expression=F_XY, point=[1, 2], direction=[3, 4],
                           report="directional")["directional_at"]
    assert sp.expand(directional - (3 * (4 + 2 * sp.exp(2)) + 4 * (1 + sp.exp(2)))) == 0
    fd = _answers(expression="x**3", point=[1], direction=[1], step=0.5,
                  report="finite_differences")
    assert fd["exact"] == 3
    assert fd["forward"] == sp.Rational(19, 4) and fd["forward_error"] == sp.Rational(7, 4)
    assert fd["central"] == sp.Rational(13, 4) and fd["central_error"] == sp.Rational(1, 4)


def test_textbook_forms_are_pinned() -> None:
    d = solve(KIND, expression=F_XY, point=[1, 2]).derivation
    assert d is not None
    grad = d.answers()["gradient"].rhs
    assert tex(grad) == (r"\left[\begin{matrix}\displaystyle y \left(2 x + e^{x y}\right) \\ "
                         r"\displaystyle x \left(x + e^{x y}\right)\end{matrix}\right]")
    assert d.answers()["gradient_at"].display == (
        r"\left[\begin{matrix}\displaystyle 4 + 2 e^{2} \\ \displaystyle 1 + e^{2}"
        r"\end{matrix}\right] \approx \left[\begin{matrix}18.7781 \\ 8.38906\end{matrix}\right]")
    loss = _answers(expression="log(1 + exp(-w1 - 2*w2))")["gradient"]
    assert tex(loss[0]) == r"- \frac{1}{e^{w_{1} + 2 w_{2}} + 1}"
    sig = _answers(expression="sigmoid(x*y)")["gradient"]
    assert r"\sigma\left(x y\right)" in tex(sig) and "1 - " in tex(sig)


@pytest.mark.parametrize("given", [
    {"expression": F_XY},
    {"expression": F_XY, "point": [1, 2], "report": "hessian"},
    {"expression": "sin(x)*cos(y) + tanh(x - y)", "point": ["pi/4", 0], "direction": [1, 2],
     "report": "hvp"},
    {"expression": "log(x) + sqrt(y)", "direction": [1, 1], "report": "directional"},
    {"expression": "sigmoid(w1*x1 + w2*x2)", "report": "hessian"},
    {"expression": "atan(x*y)/(1 + x**2)", "point": [0.5, -1], "direction": [2, 1],
     "step": 0.01, "report": "finite_differences"},
])
def test_every_step_and_answer_is_checked(given: dict[str, Any]) -> None:
    model = FunctionDerivatives.model_validate(given)
    d = model.derive()
    result = verify_derivation(d, model)
    assert result.passed, result.detail
    for chain in d.chains():
        assert chain[0].check is None
        assert all(s.check is not None and s.check.passed for s in chain[1:])


def test_the_domain_of_the_step_checks_fits_the_function() -> None:
    assert FunctionDerivatives(expression="log(x) + sqrt(y)").domain_kind() == "positive"
    assert FunctionDerivatives(expression=F_XY).domain_kind() == "normal"


# finite differences ------------------------------------------------------------------------------
def _errors(h: float) -> tuple[float, float]:
    value = solve(KIND, expression="exp(x)*sin(y)", point=[0.3, 0.7], direction=[1, 2],
                  step=h, report="finite_differences").answer
    return value["forward_error"], value["central_error"]


def test_forward_error_is_order_h_and_central_order_h2() -> None:
    (f1, c1), (f2, c2), (f3, c3) = (_errors(h) for h in (0.01, 0.005, 0.0025))
    for big, small in ((f1, f2), (f2, f3)):
        assert 1.8 < big / small < 2.2
    for big, small in ((c1, c2), (c2, c3)):
        assert 3.6 < big / small < 4.4


def test_the_comparison_is_computed_from_the_errors() -> None:
    quadratic = dict(expression="x**2 + 3*y", point=[1, 2], direction=[1, 1], step=0.1,
                     report="finite_differences")
    value = solve(KIND, **quadratic).answer
    assert value["central_error"] == 0 and value["forward_error"] == pytest.approx(0.1)
    assert r"The central estimate is exact here, while the forward one is off by $\num{0.1}$" in (
        page(KIND, "en", **quadratic))
    linear = dict(quadratic, expression="2*x - y")
    assert "Both estimates are exact here" in page(KIND, "en", **linear)
    assert "Les deux estimations sont exactes ici" in page(KIND, "fr", **linear)
    text = page(KIND, "en", expression="exp(x)*sin(y)", point=[0.3, 0.7], direction=[1, 2],
                step=0.1, report="finite_differences")
    assert "The central estimate is the closer one" in text


def test_reference_derivatives_by_richardson() -> None:
    def f(v: np.ndarray) -> float:
        return float(np.sin(v[0]) * np.exp(v[1]))

    at = np.array([0.4, -0.3])
    assert np.allclose(R.gradient(f, at), [np.cos(0.4) * np.exp(-0.3), np.sin(0.4) * np.exp(-0.3)],
                       atol=1e-11)
    expected = np.array([[-np.sin(0.4), np.cos(0.4)], [np.cos(0.4), np.sin(0.4)]])
    assert np.allclose(R.hessian(f, at), expected * np.exp(-0.3), atol=1e-8)


def test_numbers_on_the_page() -> None:
    assert significant(18.778112197861301) == "18.7781"
    assert significant(0.000123456789, 3) == "0.000123"
    assert significant(1.5e-7, 3) == r"1.5 \times 10^{-7}"
    assert significant(2.0) == "2"


# broken formulas -------------------------------------------------------------------------------
def test_a_dropped_term_fails_the_simplification_step(monkeypatch: pytest.MonkeyPatch) -> None:
    def drop(expr: sp.Basic, **_: Any) -> sp.Basic:
        return expr.applyfunc(lambda e: e.args[0] if isinstance(e, sp.Add) else e)

    monkeypatch.setitem(RULES, "simplify_entries", Rule("simplify_entries", drop))
    model = FunctionDerivatives(expression=F_XY)
    d = model.derive()
    assert not verify_derivation(d, model).passed
    (step,) = [s for s in d.steps if s.rule == "simplify_entries"]
    assert step.check is not None and not step.check.passed


def test_a_wrong_sigma_prime_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from derive.models.symbols import sigmoid_prime

    monkeypatch.setitem(RULES, "sigma_prime", Rule("sigma_prime", lambda e, **_: e.replace(
        lambda t: isinstance(t, sigmoid_prime), lambda t: t.args[0] * (1 + t.args[0]))))
    assert not check(KIND, expression="sigmoid(x*y)").passed


def test_a_wrong_answer_fails_against_the_reference() -> None:
    model = FunctionDerivatives(expression=F_XY, report="hessian")
    d = model.derive()
    step = d.answers()["hessian"]
    step.rhs = step.rhs.applyfunc(lambda e: e.xreplace({x: y, y: x}))   # rows swapped
    result = verify_derivation(d, model)
    assert not result.passed and "answer hessian" in result.detail


def test_a_wrong_difference_quotient_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def halved(self: Any, f_plus: sp.Expr, f_here: sp.Expr, f_minus: sp.Expr, h: sp.Expr
               ) -> tuple[sp.Expr, sp.Expr]:                # divided by 2h instead of h
        return (f_plus - f_here) / (2 * h), (f_plus - f_minus) / (2 * h)

    monkeypatch.setattr(FunctionDerivatives, "quotients", halved)
    model = FunctionDerivatives(expression=F_XY, point=[1, 2], direction=[1, 0], step=0.1,
                                report="finite_differences")
    d = model.derive()
    result = verify_derivation(d, model)
    assert not result.passed and "answer forward" in result.detail
    step = d.answers()["forward"]
    assert step.check is not None and not step.check.passed


# located errors ---------------------------------------------------------------------------------
SPEC = """\
meta: {course: C, title: T}
problems:
  - id: 1
    title: Derivatives
    parts:
      - id: "1"
        prompt: Differentiate.
        kind: function.derivatives
        given:
          expression: "x**2*y + exp(x*y)"
          point: [1, 2]
"""


@pytest.mark.parametrize(("change", "line", "message"), [
    (('"x**2*y + exp(x*y)"', '"x**2*y + foo(x)"'), 10,
     "given.expression: 'foo' at column 10: unknown function 'foo'"),
    (('"x**2*y + exp(x*y)"', '"x^2*y"'), 10,
     "given.expression: 'x^2*y' at column 1: '^' is not allowed (write powers with **)"),
    (('"x**2*y + exp(x*y)"', '"x.real + y"'), 10,
     "given.expression: 'x.real' at column 1: attribute access is not allowed"),
    (("point: [1, 2]", "point: [1, 2, 3]"), 11,
     "given.point: expected 2 coordinates, one per variable (x, y), got 3"),
    (("point: [1, 2]", "point: [1, 2]\n          variables: [x]"), 12,
     "given.variables: the expression uses 'y', not among the variables (x)"),
    (("point: [1, 2]", "point: [1, 2]\n          report: finite_differences\n"
      "          direction: [1, 0]\n          step: -0.1"), 14,
     "given.step: h must be positive, got -0.1"),
    (("point: [1, 2]", "point: [1, 2]\n          report: hvp"), 9,
     "given.direction: report 'hvp' needs a direction, one number per variable (x, y)"),
    (('"x**2*y + exp(x*y)"', '"sqrt(x) + y"'), 11,
     "given.point: ∂f/∂x is not a finite real number at (0, 2)"),
])
def test_bad_givens_are_located_errors(change: tuple[str, str], line: int, message: str,
                                       tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    text = SPEC.replace(*change)
    if "sqrt(x)" in text:
        text = text.replace("point: [1, 2]", "point: [0, 2]")
    spec.write_text(text)
    with pytest.raises(SpecError) as raised:
        load_all([spec])
    assert f"{spec}:{line}: problems[0].parts[0].{message}" in str(raised.value), raised.value


def test_a_bad_expression_exits_2_without_traceback(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(SPEC.replace('"x**2*y + exp(x*y)"', '"__import__(1)"'))
    assert main(["build", str(spec), "--out", str(tmp_path / "out"), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "unknown function '__import__'" in err
    assert not (tmp_path / "out").exists()


# names for repeated subexpressions -----------------------------------------------------------
SIGMOID_4 = "sigmoid(x + 2*y - 3*z + w/2)"


def test_a_repeated_inner_expression_is_named_and_defined() -> None:
    from derive.questions.function_names import Named, unnamed

    model = FunctionDerivatives(expression=SIGMOID_4, report="hessian")
    d = model.derive()
    u = sp.Symbol("u", real=True)
    w, z = sp.symbols("w z", real=True)
    assert d.definitions[u] == x + 2 * y - 3 * z + w / 2
    (rename,) = [s for s in d.steps if s.rule == "rename"]
    assert tex(rename.rhs) == r"\sigma\left(u\right)" and rename.note is not None
    assert rename.note.key == "fn_named"
    text = page(KIND, "en", expression=SIGMOID_4, report="hessian")
    assert r"Write $u = \frac{w}{2} + x + 2 y - 3 z$" in text
    assert r"Posons $u = \frac{w}{2} + x + 2 y - 3 z$" in page(
        KIND, "fr", expression=SIGMOID_4, report="hessian")
    result = verify_derivation(d, model)
    assert result.passed, result.detail
    value = solve(KIND, expression=SIGMOID_4, report="hessian").answer
    assert not value.has(Named) and value == unnamed(value)
    short = FunctionDerivatives(expression=F_XY, report="hessian").derive()
    assert not any(s.rule == "rename" for s in short.steps)


def test_a_name_never_takes_a_variable_letter() -> None:
    d = FunctionDerivatives(expression="sigmoid(u + 2*s - 3*t + q/2)", report="hessian").derive()
    (name,) = [n for n in d.definitions if str(n) in "ustrq"]
    assert str(name) == "r"


def test_the_four_variable_sigmoid_hessian_builds_without_overfull(tmp_path: Path) -> None:
    spec = tmp_path / "fn4.yaml"
    spec.write_text(f"""\
meta: {{course: C, title: T}}
problems:
  - id: 1
    title: H
    parts:
      - id: 1a
        kind: {KIND}
        prompt: The Hessian at a point.
        given: {{expression: "{SIGMOID_4}", report: hessian, point: [1, 2, 1, 0]}}
      - id: 1b
        kind: {KIND}
        prompt: The Hessian.
        given: {{expression: "{SIGMOID_4}", report: hessian}}
""")
    assert main(["build", str(spec), "--out", str(tmp_path / "out")]) == 0
    tex_text = (tmp_path / "out" / "fn4" / "solutions.tex").read_text()
    assert r"\sigma\left(u\right)" in tex_text and r"where $u = \num{4.5}$" in tex_text
    assert r"\sigma\left(\frac{w}{2} + x + 2 y - 3 z\right)\left(1" not in tex_text


def test_a_wrong_definition_of_the_name_fails_its_step() -> None:
    model = FunctionDerivatives(expression=SIGMOID_4, report="hessian")
    d = model.derive()
    u = sp.Symbol("u", real=True)
    d.definitions[u] = d.definitions[u] + 1                   # u = … + 1 on the page
    result = verify_derivation(d, model)
    assert not result.passed
    (rename,) = [s for s in d.steps if s.rule == "rename"]
    assert rename.check is not None and not rename.check.passed


def test_a_wrong_meaning_inside_the_name_fails_a_derivative(monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    from derive.questions import function_names as N

    def wrong(names: dict[sp.Symbol, sp.Expr]) -> dict[sp.Expr, sp.Expr]:
        return {m: N.Named(n, 2 * m) for n, m in names.items()}   # differentiated as 2u

    monkeypatch.setattr(N, "renaming", wrong)
    model = FunctionDerivatives(expression=SIGMOID_4, report="hessian")
    d = model.derive()
    assert any(s.rule == "rename" for s in d.steps)
    assert not verify_derivation(d, model).passed
    (differentiated, *_) = [s for s in d.steps if s.rule == "differentiate"]
    assert differentiated.check is not None and not differentiated.check.passed
