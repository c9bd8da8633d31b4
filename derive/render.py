"""Lay out solved parts as a LaTeX document through the Jinja templates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from derive import __version__
from derive.appendix import grouped_checks
from derive.blanks import fill, written
from derive.derivation.page import blocks
from derive.errors import Problem, SpecError
from derive.latex.environment import _number, environment, packaged_layouts
from derive.latex.printer import grouped
from derive.latex.typography import localize, mark
from derive.latex.user_templates import page_strings, templates_folder
from derive.prose import prose_to_latex
from derive.questions import KINDS
from derive.questions.base import Check, Solution
from derive.shared import SharedFacts
from derive.spec import LoadedSpec, Part


@dataclass
class PartView:
    full_id: str
    label: str
    prompt: str
    points_text: str
    template: str
    c: dict[str, Any]
    answer: str
    assumptions: list[str]
    notes: list[str]
    check_line: str
    first: bool = True
    points: float | None = None
    blanks: list[tuple[str, str]] = field(default_factory=list)   # (label, value), LaTeX


@dataclass
class QuestionView:
    number: str
    stem: str | None
    raw: str
    parts: list[PartView] = field(default_factory=list)
    ref: str = ""          # its number in references: with the problem's when two share it

    @property
    def points(self) -> float | None:
        """The points of the question: those of its parts, None when none has any."""
        given = [p.points for p in self.parts if p.points is not None]
        return sum(given) if given else None


def _date(day: dt.date, words: dict[str, Any]) -> str:
    """'17 October 2022', and ', 23:00' (French '23 h 00') when the spec gives a time."""
    text = f"{day.day} {words['months'][day.month - 1]} {day.year}"
    if isinstance(day, dt.datetime):
        text += ", " + words["time"].format(h=day.hour, m=day.minute)
    return text


def _points(points: float | None, words: dict[str, Any]) -> str:
    if points is None:
        return ""
    n = localize(f"{points:g}", mark(words))
    return " \\hfill(" + words["point" if points == 1 else "points"].replace("{n}", n) + ")"


def points_list(questions: list[QuestionView], total: float | None, words: dict[str, Any]
                ) -> str:
    """The points of a problem as its assignment writes them: one number per question
    ("3-5-5-7") when every question has some, else the problem's total, else nothing."""
    each = [q.points for q in questions]
    if each and all(p is not None for p in each):
        shown = "-".join(f"{p:g}" for p in each if p is not None)
    else:
        shown = "" if total is None else f"{total:g}"
    return localize(shown, mark(words))


def _notes(keys: list[str], part: Part, words: dict[str, Any]) -> list[str]:
    out = []
    for key in keys:
        text = words["notes"][key]
        for name, value in part._given.model_dump().items():
            text = text.replace("{" + ("b" if name == "bytes_per_number" else name) + "}",
                                str(value))
        out.append(localize(text, mark(words)))
    return out


def _part_view(full_id: str, part: Part, solution: Solution, words: dict[str, Any],
               first: bool = True) -> PartView:
    check = solution.check
    assert check is not None, f"part {full_id} was not verified"
    template = words["verified_line" if check.samples > 1 else "verified_line_one"]
    method = (words.get("checks", {}).get(check.method)
              or words.get("methods", {}).get(check.method, check.method))
    line = (template.replace("{method}", prose_to_latex(method))
            .replace("{samples}", grouped(check.samples))
            .replace("{error}", _number(check.max_abs_error)))
    line = localize(line, mark(words))
    context = solution.context
    if solution.derivation is not None:
        base = getattr(part._given, "display_base", lambda: 1)()
        context = {**context, "blocks": blocks(solution.derivation, words, base, first)}
    return PartView(
        full_id=full_id, label=f"({part.letter})" if part.letter else "",
        prompt=part.prompt, points_text=_points(part.points, words),
        template=KINDS[part.kind].template, c=context, answer=solution.answer_latex,
        assumptions=list(part.assumptions), notes=_notes(solution.notes, part, words),
        check_line=line, points=part.points)


def _checks(problems: list[dict[str, Any]], solutions: dict[str, Solution]
            ) -> list[tuple[str, Check]]:
    """Every part's check, in the order of the page."""
    parts = [p.full_id for problem in problems for q in problem["questions"] for p in q.parts]
    return [(full_id, check) for full_id in parts
            if (check := solutions[full_id].check) is not None]


def render(loaded: LoadedSpec, solutions: dict[str, Solution]) -> str:
    """The complete .tex source of the solutions document."""
    meta = loaded.spec.meta
    folder = templates_folder(loaded)                 # the spec's own templates, if any
    words = page_strings(meta.language, folder, loaded)
    problems = []
    facts = SharedFacts(words)                        # a display shown once, then referred to
    blanks = fill(loaded, solutions)                  # the assignment's blanks, located errors
    owners: dict[str, set[int]] = {}                 # question number → its problems
    for section in loaded.spec.problems:
        for part in section.parts:
            owners.setdefault(part.question, set()).add(section.id)
    shared_numbers = any(len(problems_) > 1 for problems_ in owners.values())
    for section in loaded.spec.problems:
        questions: list[QuestionView] = []
        for part in section.parts:
            if not questions or questions[-1].raw != part.question:
                number = part.question if meta.numbering == "question" else (
                    f"{section.id}.{part.question}")
                # two problems with a question 3: references say which ("question 2.3")
                ref = f"{section.id}.{part.question}" if shared_numbers else number
                questions.append(QuestionView(number, part.stem, part.question, ref=ref))
            full_id = f"{section.id}.{part.id}"
            first = not questions[-1].parts
            view = _part_view(full_id, part, solutions[full_id], words, first)
            view.first = first
            view.c = facts.share(full_id, view.c)
            view.blanks = [(prose_to_latex(label), written(value, words))
                           for label, value in blanks[full_id]]
            questions[-1].parts.append(view)
        problems.append({"id": section.id, "title": section.title, "intro": section.intro,
                         "points_text": _points(section.points, words), "questions": questions,
                         "points_list": points_list(questions, section.points, words)})
    due = _date(meta.due, words) if meta.due else ""
    layout = f"layouts/{meta.layout}.tex.j2"
    try:
        template = environment(folder).get_template(layout)
        return template.render(meta=meta, problems=problems, S=words, version=__version__,
                               due=due, checks=grouped_checks(_checks(problems, solutions),
                                                              words))
    except jinja2.TemplateNotFound as exc:
        if exc.name != layout:              # a template the layout includes: as below
            raise _template_error(exc, folder) from None
        own = f"; the spec's own go in {folder}/layouts/" if folder else (
            "; a spec's own go in templates/layouts/<name>.tex.j2 next to it")
        raise SpecError([Problem(str(loaded.path), meta._layout_line, "meta.layout",
                                 f"no layout {meta.layout!r} (derive's: "
                                 f"{', '.join(packaged_layouts())}{own}; `derive layouts "
                                 "copy` starts one)")]) from None
    except jinja2.TemplateError as exc:
        raise _template_error(exc, folder) from None


def _template_error(exc: jinja2.TemplateError, folder: Path | None) -> Exception:
    """An error in the spec's own templates, located; in derive's own, the error itself (a
    bug, with its traceback)."""
    if folder is None:
        return exc
    where = getattr(exc, "filename", None) or str(folder)
    line = getattr(exc, "lineno", None)
    return SpecError([Problem(where, line, "", f"in the spec's templates ({folder}): "
                              f"{type(exc).__name__}: {exc}")])
