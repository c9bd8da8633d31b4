"""The verification appendix, grouped: each check method is described once, with the parts it
checked listed after it, each with its own samples and largest error.

Many parts of an assignment share one method (nine backpropagation parts, five architecture
reports): one sentence per method, not one per part, and still every part's numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from derive.latex.environment import _number
from derive.latex.printer import grouped
from derive.latex.typography import localize, mark
from derive.listing import listing
from derive.prose import prose_to_latex
from derive.questions.base import Check
from derive.shared import partref


def method_text(check: Check, words: dict[str, Any]) -> str:
    """The words of a check's method in the page's language (LaTeX), as the strings have it."""
    method = (words.get("checks", {}).get(check.method)
              or words.get("methods", {}).get(check.method, check.method))
    return prose_to_latex(method)


def grouped_checks(checks: Iterable[tuple[str, Check]], words: dict[str, Any]
                   ) -> list[dict[str, str]]:
    """[{parts, method, results}] in the order of the parts, one per method: `parts` the parts
    it checked ("4.1, 4.2 and 4.3"), `method` its sentence (capital, full stop), `results`
    each part's samples and error ("4.1: 12 values, max. abs. error 0; …"; without the
    part's number when the method checked one part)."""
    groups: dict[str, list[tuple[str, Check]]] = {}
    for full_id, check in checks:
        groups.setdefault(method_text(check, words), []).append((full_id, check))
    out = []
    for method, members in groups.items():
        results = [_result(full_id, check, words, len(members) > 1)
                   for full_id, check in members]
        sentence = method[:1].upper() + method[1:]
        out.append({
            "parts": listing([partref(full_id) for full_id, _ in members], words),
            "method": localize(sentence if sentence.endswith(".") else sentence + ".",
                               mark(words)),
            "results": words["appendix"]["separator"].join(results) + "."})
    return out


def _result(full_id: str, check: Check, words: dict[str, Any], named: bool) -> str:
    """A part's samples and error, after its number when the method checked several."""
    key = ("result" if named else "alone") + ("" if check.samples > 1 else "_one")
    text = words["appendix"][key]
    error = localize(_number(check.max_abs_error), mark(words))    # the label is not localised
    return (text.replace("{part}", partref(full_id)).replace("{samples}", grouped(check.samples))
            .replace("{error}", error))
