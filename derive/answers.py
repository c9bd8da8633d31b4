"""answers.json: every part's answer and check, for scripts and autograders. The file is
written from the pydantic models below, so their JSON Schema (`derive schema --answers`) is
the file's exact shape."""

from __future__ import annotations

import json
from typing import Any

import sympy as sp
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from derive import __version__
from derive.derivation.indices import in_base
from derive.latex.printer import tex
from derive.questions.base import Solution
from derive.spec import LoadedSpec


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AnswerRecord(_Record):
    """A part's answer, typed and as text."""

    value: JsonValue = Field(description="The answer as typed JSON: numbers as numbers, "
                             "vectors and matrices as nested lists, records as objects, other "
                             "expressions as {\"srepr\", \"latex\"}.")
    text: str = Field(description="SymPy's str() of the answer, or its value as JSON text.")
    latex: str = Field(description="The answer in LaTeX, as on the page (English notation).")
    srepr: str = Field(description="SymPy's srepr() (JSON of them for a record), or ''.")


class StepCheckRecord(_Record):
    """A step compared with the one before it at random points."""

    passed: bool
    max_abs_error: float
    samples: int = Field(ge=0)


class StepRecord(_Record):
    """One step of a part's derivation."""

    latex: str = Field(description="lhs = rhs in LaTeX, indices in the part's base.")
    rule: str = Field(description="The rule that gave the step (derive/derivation/rules.py).")
    answer: list[str] = Field(description="The answers this step is (often none).")
    check: StepCheckRecord | None = Field(description="null for the chain's first step.")


class CheckRecord(_Record):
    """The part's answer compared with an independent numeric computation."""

    method: str
    passed: bool
    max_abs_error: float
    samples: int = Field(ge=0)


class PartRecord(_Record):
    """One part of the spec, solved and checked."""

    id: str = Field(description="'<problem id>.<part id>', e.g. '1.3b'.")
    kind: str = Field(description="The question kind (`derive kinds`).")
    given: dict[str, JsonValue] = Field(description="The given parameters the part used, "
                                        "defaults included.")
    answer: AnswerRecord
    assumptions: list[str]
    notes: list[str] = Field(description="Keys of the notes shown under the solution.")
    steps: list[StepRecord]
    check: CheckRecord


class AnswersFile(_Record):
    """answers.json: every part of one spec, its answer, derivation and check."""

    model_config = ConfigDict(title="derive answers.json")
    spec: str = Field(description="The spec file, as given on the command line.")
    derive: str = Field(description="The version of derive that wrote the file.")
    parts: list[PartRecord]


def answers_schema() -> dict[str, Any]:
    """The JSON Schema of answers.json."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            **AnswersFile.model_json_schema()}


def _answer(solution: Solution) -> dict[str, Any]:
    value = solution.answer
    typed = {"value": typed_value(value)}
    if isinstance(value, sp.Basic | sp.MatrixBase):
        return {**typed, "text": str(value), "latex": solution.answer_latex,
                "srepr": sp.srepr(value)}
    if isinstance(value, dict) and all(isinstance(v, sp.Basic) for v in value.values()):
        return {**typed, "text": json.dumps({k: _plain(v) for k, v in value.items()}),
                "latex": solution.answer_latex,
                "srepr": json.dumps({k: sp.srepr(v) for k, v in value.items()})}
    return {**typed, "text": json.dumps(typed_value(value)), "latex": solution.answer_latex,
            "srepr": ""}


def typed_value(value: Any) -> Any:
    """The answer as JSON a script reads without parsing text: numbers as numbers, vectors and
    matrices as nested lists, records as objects, and every other SymPy expression as
    {"srepr": …, "latex": …} (srepr evaluates with SymPy's names and derive.models.symbols').

    >>> typed_value({"n": sp.Integer(3), "p": sp.Rational(1, 4), "m": sp.Matrix([[1, 2]])})
    {'n': 3, 'p': 0.25, 'm': [[1, 2]]}
    >>> typed_value(sp.Symbol("x") + 1)["srepr"]
    "Add(Symbol('x'), Integer(1))"
    """
    if isinstance(value, bool) or value is None or isinstance(value, int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): typed_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [typed_value(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, sp.Basic):     # numpy arrays, scalars
        return typed_value(value.tolist())
    if isinstance(value, sp.MatrixBase):
        return [[typed_value(e) for e in row] for row in value.tolist()]
    if isinstance(value, sp.Basic):
        if value.is_Integer:
            return int(value)
        if value.is_number and value.is_real and not value.free_symbols:
            return float(value)
        return {"srepr": sp.srepr(value), "latex": tex(value)}
    return str(value)


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
    doc = AnswersFile.model_validate({"spec": spec_label, "derive": __version__, "parts": parts})
    return json.dumps(doc.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
