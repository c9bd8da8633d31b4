"""The assignment's blanks, filled: a part's `blanks` name values of its answer (as a script
reads them in answers.json), printed after the solution in the page's language.

>>> value_at({"with_bias": 102, "shape": [2, 2, 4]}, "shape.2")
4
>>> value_at([12, 12, 1], "")
[12, 12, 1]
>>> value_at({"with_bias": 102}, "without")
Traceback (most recent call last):
...
KeyError: "no 'without' in the answer (its keys: with_bias)"
"""

from __future__ import annotations

from typing import Any

from derive.answers import typed_value
from derive.errors import Problem, SpecError
from derive.latex.decimals import significant
from derive.latex.printer import grouped
from derive.latex.typography import localize, mark
from derive.questions.base import Solution
from derive.spec import LoadedSpec


def value_at(value: Any, path: str) -> Any:
    """The entry of a typed answer at a dotted path of keys and list indices."""
    for key in filter(None, path.split(".")):
        if isinstance(value, dict):
            if key not in value:
                raise KeyError(f"no {key!r} in the answer (its keys: {', '.join(value)})")
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        elif isinstance(value, list):
            raise KeyError(f"{key!r} is not an index of a list of {len(value)}")
        else:
            raise KeyError(f"the answer has no entry {key!r} (it is a single value)")
    return value


def _printable(value: Any) -> bool:
    return (isinstance(value, int | float) or (isinstance(value, dict) and "latex" in value)
            or (isinstance(value, list) and bool(value)
                and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)))


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return f"a record ({', '.join(value)})"
    return "a table" if isinstance(value, list) else f"{value!r}"


def written(value: Any, words: dict[str, Any]) -> str:
    """A blank's value as the page writes it: numbers in the page's language, a list of
    numbers as a tuple (or a size a × b × c when they are whole)."""
    if isinstance(value, bool):
        return str(words["blank_yes" if value else "blank_no"])
    if isinstance(value, int):
        return f"${grouped(value)}$"
    if isinstance(value, float):
        return localize(f"${significant(value)}$", mark(words))
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value):
        return "$" + r" \times ".join(grouped(v) for v in value) + "$"
    if isinstance(value, list) and all(isinstance(v, int | float) for v in value):
        # with a decimal comma, localize separates the items by semicolons
        return localize("$(" + ", ".join(significant(float(v)) for v in value) + ")$",
                        mark(words))
    if isinstance(value, dict) and "latex" in value:
        return f"${value['latex']}$"
    raise TypeError(f"a blank holds a number, a list of numbers or an expression, got {value!r}")


def fill(loaded: LoadedSpec, solutions: dict[str, Solution]) -> dict[str, list[Any]]:
    """Every part's blanks as (label, value) pairs, read from its answer; a blank that names
    no value of the answer is a spec error, located."""
    out: dict[str, list[Any]] = {}
    problems: list[Problem] = []
    for full_id, part in loaded.parts():
        out[full_id] = []
        for blank in part.blanks:
            line, path = blank._where
            try:
                value = value_at(typed_value(solutions[full_id].answer), blank.value)
                if not _printable(value):
                    raise KeyError(f"{blank.value or 'the answer'} is {_kind(value)}, not a "
                                   "number, a list of numbers or an expression: name one "
                                   "of its entries")
                out[full_id].append((blank.label, value))
            except KeyError as exc:
                problems.append(Problem(str(loaded.path), line, path,
                                        f"part {full_id} ({part.kind}): {exc.args[0]}"))
    if problems:
        raise SpecError(problems)
    return out
