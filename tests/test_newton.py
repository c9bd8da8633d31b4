"""newton.step: the minimiser of the quadratic model, checked; exact numbers; the cost over a
network; deliberately wrong formulas fail."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
import sympy as sp
from helpers import check, page, solve
from pydantic import ValidationError

from derive.derivation import Derivation
from derive.derivation.check import check_steps
from derive.latex.environment import strings
from derive.models.matrix_calculus import T
from derive.models.newton import Grad, Inv, NewtonModel, add, mul
from derive.questions import KINDS
from derive.verify import hessian_reference, newton_reference

NUMBERS = {"hessian": [[2.0, 1.0], [1.0, 3.0]], "gradient": [1.0, -1.0], "point": [0.5, 0.0]}


def test_the_general_derivation_and_the_examples_check() -> None:
    solution = solve("newton.step", **NUMBERS)
    assert solution.verify().passed
    answer = solution.answer
    # default saddle example: H = [[1, 2], [2, 1]], g = (1, 0): eigenvalues −1, 3;
    # −H⁻¹g = −(1/(−3))[[1, −2], [−2, 1]](1, 0) = (1/3, −2/3); gᵀ(−H⁻¹g) = 1/3
    assert answer["indefinite_lambda_min"] == -1
    assert answer["indefinite_step"] == pytest.approx([1 / 3, -2 / 3])
    assert answer["indefinite_slope"] == pytest.approx(1 / 3)
    # H⁻¹ = [[3, −1], [−1, 2]]/5, H⁻¹g = (0.8, −0.6): w* = (0.5 − 0.8, 0.6), −½gᵀH⁻¹g = −0.7
    assert answer["given_minimiser"] == pytest.approx([-0.3, 0.6])
    assert answer["given_decrease"] == pytest.approx([-0.7])


def test_the_cost_over_the_seed_network() -> None:
    solution = solve("newton.step", network=[32, 512, 512, 10])
    assert solution.verify().passed
    # P counted independently: the sizes of numpy arrays of each layer's weights and biases
    count = sum(np.zeros((a, b)).size + np.zeros(b).size for a, b in pairwise([32, 512, 512, 10]))
    assert count == 284682
    answer = solution.answer
    assert answer["cost_parameters"] == count
    assert answer["cost_hessian_entries"] == count**2 == 81_043_841_124
    assert answer["cost_hessian_bytes_32"] == 4 * count**2
    assert answer["cost_hessian_distinct"] == count * (count + 1) // 2
    assert answer["cost_cholesky"] == hessian_reference.cholesky_operations(count)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_cholesky_count_matches_running_the_algorithm(n: int) -> None:
    p = sp.Integer(n)
    assert hessian_reference.cholesky_operations_by_running(n) == p * (p + 1) * (2 * p + 1) / 6
    assert hessian_reference.cholesky_operations(n) == hessian_reference.\
        cholesky_operations_by_running(n)


def test_conjugate_gradients_minimise_the_model() -> None:
    rng = np.random.default_rng(3)
    m = rng.standard_normal((5, 5))
    H, g, wt = m @ m.T + np.eye(5), rng.standard_normal(5), rng.standard_normal(5)
    star = newton_reference.minimiser(H, g, wt)
    assert np.allclose(H @ (star - wt), -g)


def _lemma_checks(wrong: bool) -> bool:
    N = NewtonModel(2)
    d = Derivation(N.domains(), {}, N.definitions())
    s = N.step(N.w)
    d.chain(sp.Symbol("q"), Grad(mul(T(s), N.A, s), N.w), "definition")
    d.then(mul(2, N.A, s) if wrong else mul(add(N.A, T(N.A)), s), "newton_grad_quadratic")
    check_steps(d, np.random.default_rng(0))
    check = d.steps[-1].check
    assert check is not None
    return check.passed


def test_a_wrong_transpose_fails_the_lemma() -> None:
    # ∇(uᵀAu) = (A + Aᵀ)u, not 2Au: the lemma is checked at a non-symmetric A
    assert _lemma_checks(wrong=False)
    assert not _lemma_checks(wrong=True)


def test_a_wrong_newton_point_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check("newton.step").passed
    monkeypatch.setattr(NewtonModel, "newton_point",
                        lambda self: add(self.wt, mul(Inv(self.H), self.g)))   # sign lost
    assert not check("newton.step").passed


def test_a_transposed_step_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    # H⁻¹g written gᵀH⁻¹: not even the right shape, the check fails
    monkeypatch.setattr(NewtonModel, "newton_point",
                        lambda self: add(self.wt, mul(-1, T(self.g), Inv(self.H))))
    try:
        result = check("newton.step")
    except (ValueError, TypeError, sp.ShapeError):     # SymPy refuses the shapes outright
        return
    assert not result.passed


def test_a_negative_definite_example_says_maximum() -> None:
    given = {"indefinite_hessian": [[-2.0, 0.0], [0.0, -1.0]], "indefinite_gradient": [1.0, 1.0]}
    solution = solve("newton.step", **given)
    assert solution.verify().passed and solution.answer["indefinite_lambda_min"] == -2
    text = page("newton.step", "en", **given)
    assert "all negative" in text and "the maximum of the model" in text
    assert "saddle point of the model" not in text


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_indefinite_example_is_a_short_unmarked_remark(language: str) -> None:
    text = page("newton.step", language)                  # H = [[1, 2], [2, 1]]: −1 and 3
    said = {"en": ("Remark:", "a saddle point of the model", "$-1$ and $3$, of opposite signs"),
            "fr": ("Remarque :", "un point col du modèle", "$-1$ et $3$, de signes opposés")}
    assert all(w in text for w in said[language]) and "of both signs" not in text
    remark = next(line for line in text.splitlines() if said[language][0] in line)
    assert r"\answerhere" not in remark and "smallmatrix" in remark
    assert r"\det\left(H - \lambda I\right)" not in text      # its steps: checked, not shown
    solution = solve("newton.step")
    assert solution.answer["indefinite_lambda_min"] == -1          # still computed and checked


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_gradient_at_the_iterate_is_g_t_and_only_the_answers_are_marked(
        language: str) -> None:
    text = page("newton.step", language)
    assert r"g_t = \nabla f(w^{(t)})" in text and r"\langle u, v \rangle = u^\top v" in text
    assert r"g = \nabla f(w^{(t)})" not in text and r"\langle u, g \rangle" not in text
    assert r"w^{*} &= w^{(t)} - H^{-1} g_{t}" in text
    marks = [line for line in text.splitlines() if r"\answermark" in line]
    assert len(marks) == 2                                          # w*, and η = 1/λ
    assert r"w^{*}" in marks[0] and r"\eta" in marks[1]


def test_the_check_names_cholesky_only_with_the_cost() -> None:
    words = strings("fr")["checks"]
    plain = KINDS["newton.step"].given.model_validate({})
    cost = KINDS["newton.step"].given.model_validate({"network": [32, 512, 512, 10]})
    assert "Cholesky" not in words[plain.method] and "Cholesky" in words[cost.method]


@pytest.mark.parametrize(("language", "words"), [
    ("fr", (r"une matrice $\num{284682} \times \num{284682}$",
            r"octets en float32 ($\approx \qty{324}{Go}$)")),
    ("en", (r"has size $\num{284682} \times \num{284682}$",
            r"bytes in float32 ($\approx \qty{324}{GB}$)")),
])
def test_the_size_of_h_is_answered_with_its_shape_and_units(language: str,
                                                            words: tuple[str, str]) -> None:
    layers = [{"dense": 512}, {"activation": "relu"}, {"dense": 512},
              {"activation": "relu"}, {"dense": 10}]
    text = page("architecture", language, input=[32], layers=layers, report="hessian")
    assert all(w in text for w in words)
    cost = page("newton.step", language, network=[32, 512, 512, 10])
    summary = strings(language)["sentences"]["hessian_summary"]["scaled"].split("$")[0]
    assert summary in text and summary not in cost           # 3.1 states no summary
    assert ("Coût pour un vrai réseau" if language == "fr" else "Cost for a real network") in cost


@pytest.mark.parametrize(("given", "match"), [
    ({"hessian": [[1.0, 2.0], [2.0, 1.0]], "gradient": [1.0, 0.0]}, "positive definite"),
    ({"hessian": [[1.0, 0.5], [0.0, 1.0]], "gradient": [1.0, 0.0]}, "symmetric"),
    ({"hessian": [[1.0]]}, "both"),
    ({"indefinite_hessian": [[1.0, 0.0], [0.0, 2.0]]}, "negative eigenvalue"),
    ({"parameters": 10, "network": [2, 3]}, "not both"),
])
def test_bad_givens(given: dict[str, object], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        KINDS["newton.step"].given.model_validate(given)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_page_names_the_learning_rate(language: str) -> None:
    text = page("newton.step", language, network=[32, 512, 512, 10])
    assert r"\eta &= \frac{1}{\lambda}" in text and r"\num{284682}" in text
    assert strings(language)["sentences"]["newton_rate"][:30] in text
