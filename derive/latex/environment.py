"""The one Jinja environment: LaTeX-safe delimiters, StrictUndefined, our filters."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import jinja2
from ruamel.yaml import YAML

from derive.latex.printer import tex
from derive.prose import prose_to_latex

TEMPLATES = files("derive") / "templates"


def _number(value: float) -> str:
    """A float for a one-line note: 3.1e-10 → 3.1 \\times 10^{-10}."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.1e}".split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def _translate(text: str, table: dict[str, str]) -> str:
    """Replace whole words and phrases of `table` in `text`, longest first."""
    if not table:
        return text
    keys = sorted(table, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(k) for k in keys) + r")\b")
    return pattern.sub(lambda m: table[m.group(1)], text)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        block_start_string=r"\BLOCK{",
        block_end_string="}",
        variable_start_string=r"\VAR{",
        variable_end_string="}",
        comment_start_string=r"\#{",
        comment_end_string="}",
        line_statement_prefix="%%",
        line_comment_prefix="%#",
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters.update({"prose": prose_to_latex, "tex": tex, "sci": _number,
                        "translate": _translate})
    return env


@cache
def strings(language: str) -> dict[str, Any]:
    """The words of a document language: templates/strings/<language>.yaml, then each
    family's own file templates/strings/<language>/*.yaml (in name order), whose sections
    (rules, checks, sentences, …) are merged key by key; a key defined twice is an error."""
    folder = TEMPLATES / "strings"
    data: dict[str, Any] = _load(folder / f"{language}.yaml")
    family = folder / language
    paths = sorted((p for p in family.iterdir() if p.name.endswith(".yaml")),
                   key=lambda p: p.name) \
        if family.is_dir() else []
    for path in paths:
        for section, words in _load(path).items():
            mine = data.setdefault(section, {})
            if not isinstance(words, dict) or not isinstance(mine, dict):
                raise ValueError(f"{path.name}: section {section!r} is not a mapping")
            twice = set(mine) & set(words)
            if twice:
                raise ValueError(f"{path.name}: {section}.{sorted(twice)[0]} defined twice")
            mine.update(words)
    return data


def _load(path: Traversable) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    return data
