"""answers.json: every part's answer and check, for scripts and autograders."""

from __future__ import annotations

import json
from typing import Any

import sympy as sp

from derive import __version__
from derive.derivation.indices import in_base
from derive.latex.printer import tex
from derive.questions.base import Solution
from derive.spec import LoadedSpec


def _answer(solution: Solution) -> dict[str, str]:
    value = solution.answer
    if isinstance(value, sp.Basic | sp.MatrixBase):
        return {"text": str(value), "latex": solution.answer_latex, "srepr": sp.srepr(value)}
    if isinstance(value, dict) and all(isinstance(v, sp.Basic) for v in value.values()):
        return {"text": json.dumps({k: _plain(v) for k, v in value.items()}),
                "latex": solution.answer_latex,
                "srepr": json.dumps({k: sp.srepr(v) for k, v in value.items()})}
    return {"text": json.dumps(value), "latex": solution.answer_latex, "srepr": ""}


def _plain(value: sp.Basic) -> int | float | str:
    """A number as a JSON number, anything else as SymPy's str()."""
    if value.is_Integer:
        return int(value)
    if value.is_Number:
        return float(value)
    return str(value)


def _steps(solution: Solution) -> list[dict[str, Any]]:
    """Each step of a derivation: its LaTeX, its rule, and its own check."""
    d = solution.derivation
    if d is None:
        return []
    out = []
    for step in d.steps:
        check = None if step.check is None else {
            "passed": step.check.passed, "max_abs_error": step.check.max_abs_error,
            "samples": step.check.samples}
        shown = (in_base(d.lhs_of(step), d.shown_base), in_base(step.rhs, d.shown_base))
        out.append({"latex": f"{tex(shown[0])} = {tex(shown[1])}", "rule": step.rule,
                    "answer": list(step.answer), "check": check})
    return out


def answers(loaded: LoadedSpec, solutions: dict[str, Solution], spec_label: str) -> str:
    parts: list[dict[str, Any]] = []
    for full_id, part in loaded.parts():
        sol = solutions[full_id]
        assert sol.check is not None
        parts.append({
            "id": full_id, "kind": part.kind, "given": part._given.model_dump(mode="json"),
            "answer": _answer(sol), "assumptions": list(part.assumptions),
            "notes": list(sol.notes), "steps": _steps(sol),
            "check": {"method": sol.check.method, "passed": sol.check.passed,
                      "max_abs_error": sol.check.max_abs_error, "samples": sol.check.samples},
        })
    doc = {"spec": spec_label, "derive": __version__, "parts": parts}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
