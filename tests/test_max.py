"""max as ½(a + b + |a − b|), max of n numbers, and where max is differentiable."""

from __future__ import annotations

import pytest
import sympy as sp
from pydantic import ValidationError

from derive.models import max_identity as X
from derive.questions.declare import verify_derivation
from derive.questions.max_identity import MaxIdentity
from tests.test_derivation import _sentences


def _solved(**given: object) -> tuple[MaxIdentity, dict[str, sp.Basic]]:
    g = MaxIdentity.model_validate(given)
    d = g.derive()
    check = verify_derivation(d, g)
    assert check.passed, check.detail
    return g, {k: s.rhs for k, s in d.answers().items()}


def test_the_identity_holds_in_each_case_and_at_ties() -> None:
    a, t = sp.Symbol("a", real=True), sp.Symbol("t", nonnegative=True)
    assert sp.simplify(X.pair_identity(a, a - t) - a) == 0            # a ≥ b
    assert sp.simplify(X.pair_identity(a, a + t) - (a + t)) == 0      # a ≤ b
    assert X.pair_identity(a, a) == a                                 # a tie
    for u, v in [(3, 1), (1, 3), (2, 2), (-1.5, -1.5), (0, -7)]:
        assert X.pair_identity(sp.nsimplify(u), sp.nsimplify(v)) == max(
            sp.nsimplify(u), sp.nsimplify(v))


@pytest.mark.parametrize("n", [2, 3, 5])
def test_every_step_and_answer_is_checked(n: int) -> None:
    _, answers = _solved(n=n)
    assert {"identity", "gradient", "right", "left"} <= set(answers)
    assert ("nested" in answers) == (n > 2)
    assert answers["right"] == 1 and answers["left"] == 0
    assert answers["gradient"] == sp.KroneckerDelta(X.j, sp.Symbol("k", integer=True,
                                                                       nonnegative=True))


def test_the_cases_print_as_a_proof() -> None:
    text = _sentences("max.identity", "en", n=2)
    assert "Case $x_1 \\ge x_2$" in text and "Case $x_1 < x_2$" in text
    d = MaxIdentity(n=2).derive()
    shown = [s.display for s in d.steps if s.display]
    assert r"\tfrac{1}{2}\left(x_{1} + x_{2} + \left(x_{1} - x_{2}\right)\right)" in shown
    assert r"\tfrac{1}{2}\left(x_{1} + x_{2} - \left(x_{1} - x_{2}\right)\right)" in shown
    assert r"\tfrac{1}{2}\left(x_{1} + x_{2} + \left|x_{1} - x_{2}\right|\right)" in shown


@pytest.mark.parametrize(("point", "value"), [
    ([0.5, 2.5, 1], {"point_gradient": [0, 1, 0], "differentiable": True}),
    ([3, 1, 3, 2], {"point_right": 1.0, "point_left": 0.0, "maximisers": [1, 0, 1, 0],
                    "differentiable": False}),
    ([2, 2], {"point_right": 1.0, "point_left": 0.0, "maximisers": [1, 1],
              "differentiable": False}),
    ([1, 1 + 1e-9, 0], {"point_gradient": [0, 1, 0], "differentiable": True}),
])
def test_at_a_point_max_is_differentiable_or_not(point: list[float],
                                                 value: dict[str, object]) -> None:
    g, answers = _solved(point=point)
    assert g.value(answers) == value


@pytest.mark.parametrize(("point", "en", "fr"), [
    ([0.5, 2.5, 1], r"reached only at $k = 2$: $\max$ is differentiable there",
     r"atteinte qu'en $k = 2$ : la fonction $\max$ y est différentiable"),
    ([3, 1, 3, 2], "attained by two coordinates ($k = 1$ and $k = 3$)",
     "atteint par deux coordonnées ($k = 1$ et $k = 3$)"),
    ([1, 2, 2, 2], "attained by 3 coordinates ($k = 2$, $k = 3$, and $k = 4$)",
     "atteint par 3 coordonnées ($k = 2$, $k = 3$ et $k = 4$)"),
])
def test_the_point_sentence_follows_the_maximisers(point: list[float], en: str,
                                                   fr: str) -> None:
    assert en in _sentences("max.identity", "en", point=point)
    assert fr in _sentences("max.identity", "fr", point=point)
    assert "k = 1, 3" not in _sentences("max.identity", "fr", point=point)   # not 1,3


def _marked(**given: object) -> tuple[list[str], list[str]]:
    """The sentences and the display lines the page marks as answers."""
    from derive.derivation.page import ANSWER_TAG, ANSWER_TEXT, blocks
    from derive.latex.environment import strings

    g = MaxIdentity.model_validate(given)
    shown = blocks(g.derive(), strings("en"), 1)
    return ([b["sentence"] for b in shown if b["sentence"].startswith(ANSWER_TEXT)],
            [line["rhs"] for b in shown for line in b["lines"]
             if line["rule"].endswith(ANSWER_TAG)])


def test_at_a_kink_the_general_gradient_is_neither_derived_nor_marked() -> None:
    """At (3, 1, 3, 2) max is not differentiable: no δ_jk answer; the marked result is the
    statement of non-differentiability and the subdifferential."""
    d = MaxIdentity(point=[3, 1, 3, 2]).derive()
    assert "gradient" not in d.answers() and "point_gradient" not in d.answers()
    assert "Where one coordinate $x_k$" not in _sentences("max.identity", "en",
                                                          point=[3, 1, 3, 2])
    sentences, lines = _marked(point=[3, 1, 3, 2])
    assert lines == [] and len(sentences) == 1
    assert "not differentiable at this point" in sentences[0]
    assert r"\operatorname{conv}\{e_{1}, e_{3}\}" in sentences[0]
    assert "are 1 and 0" in sentences[0]                   # the derived one-sided rates


def test_where_differentiable_only_the_gradient_at_the_point_is_marked() -> None:
    sentences, lines = _marked(point=[0.5, 2.5, 1])
    assert sentences == [] and len(lines) == 1 and r"\delta" not in lines[0]
    assert "derived_above" in {s.rule for s in MaxIdentity(point=[0.5, 2.5, 1]).derive().steps}


def test_the_kronecker_step_names_its_rule() -> None:
    rules = [s.rule for s in MaxIdentity(n=3).derive().steps]
    assert "coordinate_partial" in rules and "differentiate" not in rules


def test_the_general_argument_is_said_to_hold_for_every_n() -> None:
    text = _sentences("max.identity", "en", n=4)
    assert "For any $n$" in text and "Written out for $n = 4$" in text
    assert "For $n = 4$:" in text                                  # the gradient display
    assert "en appliquant l'identité à chaque couple" in _sentences("max.identity", "fr", n=4)


def test_the_subdifferential_is_the_hull_of_the_maximisers() -> None:
    """Written as the combinations of the e_k, not as a tuple (whose commas a French page
    reads as decimal commas), each relation braced so that no line breaks inside it."""
    text = _sentences("max.identity", "en", point=[3, 1, 3, 2])
    assert (r"\operatorname{conv}\{e_{1}, e_{3}\} = \{\lambda_{1} e_{1} + \lambda_{3} e_{3} : "
            r"{\lambda_k \ge 0},\ {\lambda_{1} + \lambda_{3} = 1}\}") in text
    assert r"^\top" not in text and "0, \\lambda" not in text
    text0 = _sentences("max.identity", "en", point=[3, 1, 3, 2], index_base=0)
    assert r"\operatorname{conv}\{e_{0}, e_{2}\}" in text0
    many = _sentences("max.identity", "fr", point=[2, 2, 1, 2])
    assert r"\lambda_{1} e_{1} + \lambda_{2} e_{2} + \lambda_{4} e_{4}" in many


def test_what_is_asked_is_marked_and_the_tie_quotients_are_not() -> None:
    """2.2 asks for the identity, f written with it, and where f is differentiable with its
    gradient: those are marked (the last as the concluding sentence); the one-sided
    quotients at a tie and the δ_jk step are steps toward it."""
    sentences, lines = _marked(n=3, function="f")
    assert len(sentences) == 1 and "So $f$ is differentiable exactly at the points" in (
        sentences[0])
    assert "two or more coordinates attain it, $f$ is not differentiable" in sentences[0]
    assert len(lines) == 2 and all(r"\tfrac{1}{2}" in line for line in lines)
    d = MaxIdentity(n=3).derive()
    assert d.marked == frozenset({"identity", "nested"})
    assert "right" in d.answers() and "left" in d.answers()          # checked, not marked
    french = _sentences("max.identity", "fr", n=3, function="f")
    assert "Ainsi, la fonction $f$ est différentiable exactement" in french
    assert "le max " not in french and "le max\u00a0" not in french


@pytest.mark.parametrize(("n", "others", "en", "fr"), [
    (2, [], "Where both coordinates attain the maximum",
     "Là où les deux coordonnées atteignent le maximum"),
    (3, ["x_{3}"], r"so that $x_{3} \le c$", r"de sorte que $x_{3} \le c$"),
    (4, ["r"], r"write $r = \max(x_{3}, x_{4}) \le c$", r"notons $r = \max(x_{3}, x_{4}) \le c$"),
    (7, ["r"], r"write $r = \max(x_{3}, \dots, x_{7}) \le c$",
     r"notons $r = \max(x_{3}, \dots, x_{7}) \le c$"),
])
def test_the_tie_keeps_the_other_coordinates(n: int, others: list[str], en: str,
                                             fr: str) -> None:
    """max(c + t, c, x_3) − max(c, c, x_3): the other coordinates are written (x_3, or r,
    their maximum), and they are at most c in the check as in the sentence."""
    from derive.latex.printer import tex

    d = MaxIdentity(n=n).derive()
    quotients = [s for s in d.steps if s.answer and s.answer[0] in ("right", "left")]
    for step in quotients:
        assert [tex(a) for a in d.lhs_of(step).atoms(X.MaxOf).pop().args[2:]] == others
    assert en in _sentences("max.identity", "en", n=n)
    assert fr in _sentences("max.identity", "fr", n=n)
    _solved(n=n)


def test_others_above_the_tie_fail_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the other coordinates could exceed c, moving x_1 up would not move the maximum
    at c + t: the step `= 1` fails, so the sentence's x_3 ≤ c is what the check draws."""
    monkeypatch.setattr(X, "others_at_most",
                        lambda name: (X.AtMost(name, real=True), X.c + X.u))
    given = MaxIdentity(n=3)
    d = given.derive()
    assert not verify_derivation(d, given).passed
    failed = [s.answer for s in d.steps if s.check is not None and not s.check.passed]
    assert ("right",) in failed         # moving x_1 down leaves max(c, c + u): 0 still holds


def test_index_base_0_names_the_first_coordinates() -> None:
    text = _sentences("max.identity", "en", n=3, index_base=0)
    assert r"Take $x_{0} = x_{1} = c$ the largest, so that $x_{2} \le c$" in text
    assert r"along $e_{0}$ and along $-e_{0}$" in text
    assert r"$\max(x_{0}, \dots, x_{2}) = x_k$" in text
    assert r"$\max(x_{1}, x_{2}) = x_k$" in _sentences("max.identity", "en", n=2)


def test_a_wrong_case_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """x_2 drawn above x_1 in the case x_1 ≥ x_2: the step max = x_1 fails."""
    monkeypatch.setattr(X, "case_definitions", lambda: {
        X.x2_ge: X.x1 + X.t, X.x2_lt: X.x1 + X.t, X.x2: X.x1 + X.s * X.v})
    given = MaxIdentity(n=2)
    d = given.derive()
    assert not verify_derivation(d, given).passed
    failed = [s.rule for s in d.steps if s.check is not None and not s.check.passed]
    assert failed[0] == "max_case"


def test_a_wrong_sign_in_the_identity_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    real = X.half
    monkeypatch.setattr(X, "half", lambda *terms: real(*terms[:2], -terms[2]))
    given = MaxIdentity(n=3)
    assert not verify_derivation(given.derive(), given).passed


def test_a_wrong_gradient_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from derive.questions import max_identity as Q

    monkeypatch.setattr(Q, "K", sp.Integer(0))        # e_1 whatever the maximiser
    given = MaxIdentity(n=3)
    assert not verify_derivation(given.derive(), given).passed


@pytest.mark.parametrize(("bad", "message"), [
    ({"n": 1}, "greater than or equal to 2"),
    ({"n": 13}, "less than or equal to 12"),
    ({"n": 3, "point": [1, 2]}, "point has 2 entries, n is 3"),
    ({"point": [1, "x"]}, "valid number"),
    ({"function": "fx"}, "should match pattern"),
    ({"function": "r"}, "'r' already names something on the page"),
])
def test_bad_givens_are_rejected(bad: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        MaxIdentity.model_validate(bad)
