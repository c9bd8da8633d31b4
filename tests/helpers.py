"""What several test modules do with a kind: solve it, check it, render its part."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from derive.derivation.page import blocks
from derive.latex.environment import environment, strings
from derive.questions import KINDS
from derive.questions.base import Check, Solution


def solve(kind: str, **given: Any) -> Solution:
    k = KINDS[kind]
    return k.solve(k.given.model_validate(given))


def check(kind: str, **given: Any) -> Check:
    return solve(kind, **given).verify()


def page(kind: str, language: str, **given: Any) -> str:
    """The partial of one part, rendered as on the page (one line of text per sentence)."""
    solution = solve(kind, **given)
    context = solution.context
    if solution.derivation is not None:
        base = int(given.get("index_base", 1))
        context = {**context, "blocks": blocks(solution.derivation, strings(language), base)}
    template = environment().get_template(KINDS[kind].template)
    return template.render(c=context, S=strings(language), part=SimpleNamespace(first=True))


def step_by_rule(solution: Solution, rule: str) -> Any:
    """The one step of a solved part's derivation that applies `rule`."""
    assert solution.derivation is not None
    (step,) = [s for s in solution.derivation.steps if s.rule == rule]
    return step


def marked(shown: list[dict[str, Any]], sentences: bool = False) -> list[str]:
    """The left sides of the marked lines of rendered blocks (with `sentences`, the sentences
    marked as answers too, in page order)."""
    from derive.derivation.page import ANSWER_TAG, ANSWER_TEXT

    out = []
    for b in shown:
        if sentences and b["sentence"].startswith(ANSWER_TEXT):
            out.append(b["sentence"])
        lhs = ""
        for line in b["lines"]:
            lhs = line["lhs"] or lhs
            if line["rule"].endswith(ANSWER_TAG):
                out.append(lhs)
    return out
