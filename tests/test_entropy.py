"""Entropy and information gain of a split (decision_tree.split): exact values, textbook
forms, ties and pure sets, broken formulas caught, located errors for bad tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp

from derive.build import load_all
from derive.derivation.page import blocks
from derive.errors import SpecError
from derive.latex.printer import tex
from derive.models.entropy import Table, entropy_of, logb, plog, proportions, written_out
from derive.questions import entropy as Q
from derive.questions.declare import verify_derivation
from tests.helpers import check, page, solve

KIND = "decision_tree.split"
# Our table for seed 003, exercise 1 (the original is missing): 5 samples, 3 binary
# attributes, classes 2 and 3, so H(S) = 0.971 bits.
SEED = {"attributes": ["A1", "A2", "A3"], "binary": True,
        "rows": [[1, 0, 1, 1], [1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0], [0, 1, 1, 0]]}
L2_3, L2_5 = logb(3, 2), logb(5, 2)


def test_entropy_of_two_and_three_is_exact() -> None:
    assert entropy_of((2, 3)) == L2_5 - sp.Rational(3, 5) * L2_3 - sp.Rational(2, 5)
    assert abs(float(entropy_of((2, 3))) - 0.9709505944546686) < 1e-15
    assert entropy_of((1, 1)) == 1 and entropy_of((0, 4)) == 0 and entropy_of((5,)) == 0
    assert entropy_of((1, 1, 2)) == sp.Rational(3, 2)


def test_logarithms_are_written_through_prime_factors() -> None:
    assert logb(12, 2) == 2 + L2_3
    assert logb(sp.Rational(2, 5), 2) == 1 - L2_5
    assert logb(20, 10) == 1 + logb(2, 10)
    assert logb(7, 2).func is logb                          # a prime stays as it is
    assert written_out(-plog(0, 2) - plog(1, 2)) == 0       # 0 log 0 = 0 and log 1 = 0


def test_textbook_forms() -> None:
    assert tex(entropy_of((2, 3))) == r"\log_{2} 5 - \frac{3 \log_{2} 3}{5} - \frac{2}{5}"
    assert tex(proportions((2, 3))) == (r"- \frac{3}{5} \log_{2} \frac{3}{5} - \frac{2}{5} "
                                        r"\log_{2} \frac{2}{5}")
    assert tex(proportions((1, 1))).count(r"\log_{2}") == 2      # equal terms kept apart
    assert tex(entropy_of((2, 3), sp.E)).startswith(r"\ln 5")


def test_seed_table_gains_are_exact_and_a2_is_best() -> None:
    solution = solve(KIND, **SEED)
    d = solution.derivation
    assert d is not None
    answers = {k: s.rhs for k, s in d.answers().items()}
    h_s = L2_5 - sp.Rational(3, 5) * L2_3 - sp.Rational(2, 5)
    assert answers["H[S]"] == h_s
    assert answers["gain[A1]"] == L2_5 - sp.Rational(6, 5) * L2_3
    assert answers["gain[A2]"] == h_s                        # both subsets pure
    assert answers["gain[A3]"] == L2_5 - sp.Rational(6, 5) * L2_3 - sp.Rational(2, 5)
    assert answers["H[A1=0]"] == 0 and answers["H[A3=0]"] == 1
    value = solution.answer
    assert value["best"] == ["A2"]
    assert value["entropy"] == pytest.approx(0.970950594)
    assert value["gain"] == pytest.approx({"A1": 0.419973, "A2": 0.970951, "A3": 0.019973},
                                          abs=1e-6)
    assert solution.verify().passed


def test_every_step_is_checked_and_answers_match_the_counting_reference() -> None:
    given = Q.DecisionTreeSplit.model_validate(SEED)
    d = given.derive()
    result = verify_derivation(d, given)
    assert result.passed, result.detail
    for chain in d.chains():
        assert all(s.check is not None and s.check.passed for s in chain[1:])
    reference = given.reference({})
    for key, step in d.answers().items():
        assert float(sp.N(step.rhs, 30)) == pytest.approx(reference[key], abs=1e-12)


@pytest.mark.parametrize("base", [2, 10, "e"])
def test_bases_agree_with_numpy(base: Any) -> None:
    rows = [[0, "a", "yes"], [1, "b", "no"], [1, "a", "yes"], [0, "c", "maybe"],
            [1, "c", "no"], [0, "b", "yes"]]
    result = check(KIND, attributes=["A", "B"], rows=rows, base=base)
    assert result.passed, result.detail
    log = {2: np.log2, 10: np.log10, "e": np.log}[base]
    p = np.array([3, 2, 1]) / 6
    value = solve(KIND, attributes=["A", "B"], rows=rows, base=base).answer
    assert value["entropy"] == pytest.approx(float(-(p * log(p)).sum()))


def test_ties_are_stated_as_ties() -> None:
    rows = [[1, 1, "+"], [0, 0, "-"], [1, 1, "+"], [0, 0, "-"]]
    assert solve(KIND, attributes=["A1", "A2"], rows=rows).answer["best"] == ["A1", "A2"]
    for language, words in (("en", "tie for the largest"), ("fr", "à égalité")):
        assert words in page(KIND, language, attributes=["A1", "A2"], rows=rows)


def test_a_pure_set_has_no_gain_and_says_why() -> None:
    rows = [[1, 0, "+"], [0, 1, "+"]]
    value = solve(KIND, attributes=["A1", "A2"], rows=rows).answer
    assert value["entropy"] == 0 and value["gain"] == {"A1": 0, "A2": 0}
    text = page(KIND, "en", attributes=["A1", "A2"], rows=rows)
    assert "is pure" in text and "every information gain is 0" in text


def _blocks(language: str, **given: Any) -> list[dict[str, Any]]:
    from derive.latex.environment import strings

    d = Q.DecisionTreeSplit.model_validate(given).derive()
    return blocks(d, strings(language), 0)


def test_the_convention_is_said_once_and_each_entropy_is_one_display() -> None:
    """0 log 0 = 0 is said once, where a subset first lacks a class; a pure subset's entropy
    is one display (its proportions, then 0), not two split by a sentence."""
    english = page(KIND, "en", **SEED)
    assert english.count(r"taken as 0 by convention") == 1
    assert english.index("taken as 0 by convention") < english.index(r"H(S_{A_{1}=0})")
    assert "is that of $A_{1}$" not in english
    french = page(KIND, "fr", **SEED)
    assert french.count(r"nul par convention") == 1
    assert "la diminution d'entropie apportée par la partition" in french
    for language in ("en", "fr"):
        pure = [b for b in _blocks(language, **SEED) if b["lines"]
                and b["lines"][0]["lhs"].startswith(r"H(S_{A_{2}")]
        assert len(pure) == 2 and all(len(b["lines"]) == 2 for b in pure)
        assert pure[0]["key"] == "tree_split" and not pure[1]["sentence"]
        assert all(r"0 \log_{2} 0" in b["lines"][0]["rhs"] and b["lines"][1]["rhs"] == "0"
                   for b in pure)
    full = [[0, 1, "+"], [0, 0, "-"], [1, 1, "+"], [1, 0, "-"]]    # A1: no class missing
    text = page(KIND, "en", attributes=["A1", "A2"], rows=full)
    assert text.count("by convention") == 1
    assert text.index("by convention") > text.index("on $A_{2}$")     # said where first used
    three = [[0, "a"], [0, "b"], [1, "c"], [1, "a"], [1, "b"]]      # A=0 lacks c, not pure
    text = page(KIND, "en", attributes=["A"], rows=three)
    assert text.count("by convention") == 1
    assert [s.rule for s in Q.DecisionTreeSplit(attributes=["A"], rows=three).derive().steps
            if s.rule in ("zero_log_zero", "exact_logs")] == [
        "exact_logs", "zero_log_zero", "exact_logs"]


def test_only_what_is_asked_is_marked() -> None:
    """The entropy of S, each gain and the root: not the subsets' entropies nor the
    entropies left after each split."""
    from derive.derivation.page import ANSWER_TAG, ANSWER_TEXT

    shown = _blocks("en", **SEED)
    marked = [line["lhs"] or shown[n]["lines"][0]["lhs"] for n, b in enumerate(shown)
              for line in b["lines"] if line["rule"].endswith(ANSWER_TAG)]
    assert marked == ["H(S)", *(rf"\operatorname{{Gain}}(S, A_{{{k}}})" for k in (1, 2, 3))]
    assert sum(b["sentence"].startswith(ANSWER_TEXT) for b in shown) == 1
    among = Q.DecisionTreeSplit.model_validate({**SEED, "evaluate": ["A3"]}).derive()
    assert among.marked == frozenset({"H[S]", "gain[A3]", "max_gain"})


def test_the_weighting_is_explained_once_with_its_index() -> None:
    english = page(KIND, "en", **SEED)
    assert english.count("Weighting the entropy of each subset") == 1
    assert (r"each subset $S_{A_{1}=v}$ (where $v$ is a value of $A_{1}$) by its share "
            r"$|S_{A_{1}=v}|/|S|$") in english
    assert "The entropy left after the split on $A_{3}$, weighted in the same way:" in english
    assert "S_v" not in english and "S_v" not in page(KIND, "fr", **SEED)
    french = page(KIND, "fr", **SEED)
    assert french.count("on obtient l'entropie qui reste") == 1
    assert "(où $v$ est une valeur prise par $A_{1}$)" in french


def test_an_exact_gain_is_not_padded_with_zeros() -> None:
    full = [[0, 1, "+"], [0, 0, "-"], [1, 1, "+"], [1, 0, "-"]]    # A2 separates: gain 1
    text = page(KIND, "en", attributes=["A1", "A2"], rows=full)
    assert "The largest information gain (1) is that of $A_{2}$" in text
    assert "(1.000)" not in text


def test_class_counts_are_equations_not_a_tuple() -> None:
    """(n_0, n_1) = (3, 2) would sit beside decimal commas on a French page."""
    assert "the class counts $n_{0} = 3$ and $n_{1} = 2$:" in page(KIND, "en", **SEED)
    french = page(KIND, "fr", **SEED)
    assert "effectifs de classe $n_{0} = 3$ et $n_{1} = 2$ :" in french
    assert "(3, 2)" not in french
    words = [[0, "yes"], [1, "no"], [1, "maybe"], [0, "yes"]]
    assert (r"$n_{\text{maybe}} = 1$, $n_{\text{no}} = 1$, and $n_{\text{yes}} = 2$"
            in page(KIND, "en", attributes=["A"], rows=words))


def test_the_root_of_the_tree_is_named_and_marked() -> None:
    """The question asks which attribute ID3 tests at the root: the attribute of largest gain
    (computed), in a sentence the page marks, its gain checked against numpy's."""
    text = page(KIND, "en", **SEED)
    assert (r"\answerhere The largest information gain (\num{0.971}) is that of $A_{2}$: the "
            r"root of the ID3 tree tests $A_{2}$.") in text
    french = page(KIND, "fr", **SEED)
    assert (r"\answerhere Le plus grand gain d'information (\num{0.971}) est celui de $A_{2}$ : "
            r"c'est l'attribut testé à la racine de l'arbre ID3.") in french
    given = Q.DecisionTreeSplit.model_validate(SEED)
    d = given.derive()
    assert d.answers()["max_gain"].rhs == d.answers()["gain[A2]"].rhs
    swapped = [[r[1], r[0], r[2], r[3]] for r in SEED["rows"]]      # A1 and A2 swapped
    assert "the root of the ID3 tree tests $A_{1}$" in page(
        KIND, "en", **{**SEED, "rows": swapped})


def test_the_root_is_not_claimed_when_some_attributes_are_not_evaluated() -> None:
    text = page(KIND, "en", **SEED, evaluate=["A1", "A3"])
    assert "root" not in text and "Among the attributes evaluated" in text
    assert r"\answerhere" in text


def test_the_conventions_are_stated_once_and_the_rule_fits_subsets() -> None:
    text = page(KIND, "en", **SEED)
    assert "is, in bits:" in text and r"0 \log_2 0" not in text
    assert "proportions $n_c/|S|$" not in text and "class proportions $p_c$" in text


def test_more_decimals_when_three_do_not_separate_two_gains() -> None:
    close = [sp.Rational(1, 1000) * 420, sp.Rational(4201, 10000)]
    assert Q.places_for(close) == 4
    assert Q.places_for([sp.Integer(1), sp.Integer(1)]) == 3        # equal values: a tie


def test_table_counts() -> None:
    t = Table(("A",), ((1, "+"), (0, "-"), (1, "-")))
    assert t.classes == ("+", "-") and t.counts() == (1, 2)
    assert t.subset("A", 1) == (0, 2) and t.counts(t.subset("A", 1)) == (1, 1)


# broken formulas: the core must catch them ---------------------------------------------------
def test_a_wrong_log_base_fails_the_step_that_applies_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def natural(expr: sp.Basic, **_: Any) -> sp.Basic:          # log_e written for log_2
        return written_out(expr.replace(lambda e: isinstance(e, plog),
                                        lambda e: plog(e.args[0], sp.E)))

    monkeypatch.setattr(Q, "written_out", natural)
    given = Q.DecisionTreeSplit.model_validate(SEED)
    d = given.derive()
    result = verify_derivation(d, given)
    assert not result.passed
    wrong = [s for s in d.steps if s.rule == "exact_logs"]
    assert wrong and all(s.check is not None and not s.check.passed for s in wrong)
    assert all(s.check is not None and s.check.passed for s in d.steps
               if s.rule == "zero_log_zero")             # 0 log 0 = 0 in any base


def test_a_wrong_entropy_fails_against_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    def off_by_one(counts: tuple[int, ...], base: Any = 2) -> sp.Expr:    # n_c/(|S| + 1)
        return sp.Add(*(-plog(sp.Rational(c, sum(counts) + 1), base) for c in counts),
                      evaluate=False)

    monkeypatch.setattr(Q, "proportions", off_by_one)
    result = check(KIND, **SEED)
    assert not result.passed and "answer H[S]" in result.detail


def test_unweighted_subsets_fail_against_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Q.DecisionTreeSplit, "weight", lambda self, size, total: sp.Integer(1))
    result = check(KIND, **SEED)
    assert not result.passed and "answer gain[A1]" in result.detail


# bad tables: located errors -------------------------------------------------------------------
SPEC = """\
meta: {course: C, title: T}
problems:
  - id: 1
    title: Trees
    parts:
      - id: "1"
        prompt: Which attribute?
        kind: decision_tree.split
        given:
          attributes: [A1, A2]
          binary: true
          rows:
            - [1, 0, 1]
            - [0, 1, 0]
"""


@pytest.mark.parametrize(("change", "message"), [
    (("- [0, 1, 0]", "- [0, 1]"),
     "given.rows: row 2 has 2 values, expected 3 (A1, A2, then the class)"),
    (("- [0, 1, 0]", "- [0, 1, 0]\n            - [2, 1, 0]"),
     "given.rows: A1 takes 3 values (0, 1, 2); binary: true allows at most two"),
    (("binary: true", "evaluate: [A3]"),
     "given.evaluate: unknown attribute 'A3' (attributes: A1, A2)"),
    (("binary: true", "evaluate: [A1x]"), "unknown attribute 'A1x', did you mean 'A1'?"),
    (("binary: true", "samples: [a, b, c]"), "given.samples: 3 sample names for 2 rows"),
    (("attributes: [A1, A2]", "attributes: [A1, A1]"), "given.attributes: attribute names"),
    (("- [1, 0, 1]", "- [1, 0, 'a b']"), "row 1: value 'a b' is not a short word"),
    (("binary: true", "base: 3"), "given.base: expected 2, 10 or 'e', got 3"),
])
def test_bad_tables_are_located(change: tuple[str, str], message: str, tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(SPEC.replace(*change))
    with pytest.raises(SpecError) as raised:
        load_all([spec])
    text = str(raised.value)
    assert text.startswith(f"{spec}:") and "problems[0].parts[0]" in text
    assert message in text, text
    assert "Traceback" not in text
