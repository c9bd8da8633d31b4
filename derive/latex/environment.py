"""The one Jinja environment: LaTeX-safe delimiters, StrictUndefined, our filters; and the
same environment over a spec's own templates folder, searched before the package's."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
from ruamel.yaml import YAML

from derive.latex.decimals import significant
from derive.latex.printer import tex
from derive.latex.typography import localize, localize_prose, mark
from derive.prose import prose_to_latex

TEMPLATES = files("derive") / "templates"


def _number(value: float) -> str:
    """A float for a one-line note: 3.1e-10 → 3.1 \\times 10^{-10}."""
    return significant(value, 2, fixed=None)


def _translate(text: str, table: dict[str, str]) -> str:
    """Replace whole words and phrases of `table` in `text`, longest first."""
    if not table:
        return text
    keys = sorted(table, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(k) for k in keys) + r")\b")
    return pattern.sub(lambda m: table[m.group(1)], text)


def _words(context: Any) -> dict[str, Any]:
    """The strings of the page being rendered (its `S`), or none outside a page."""
    words = context.get("S")
    return words if isinstance(words, dict) else {}


def _localized(show: Callable[[Any], str]) -> Callable[..., str]:
    """A filter printing numbers with the decimal mark of the page's language."""
    @jinja2.pass_context
    def shown(context: Any, value: Any) -> str:
        return localize(show(value), mark(_words(context)))
    return shown


@jinja2.pass_context
def _prose(context: Any, text: str) -> str:
    return localize_prose(prose_to_latex(text), _words(context))


_OPTIONS: dict[str, Any] = {
    "block_start_string": r"\BLOCK{", "block_end_string": "}",
    "variable_start_string": r"\VAR{", "variable_end_string": "}",
    "comment_start_string": r"\#{", "comment_end_string": "}",
    "line_statement_prefix": "%%", "line_comment_prefix": "%#",
    "trim_blocks": True, "lstrip_blocks": True, "autoescape": False,
    "undefined": jinja2.StrictUndefined, "keep_trailing_newline": True}


def packaged_layouts() -> list[str]:
    """The names of derive's own layouts (templates/layouts/<name>.tex.j2)."""
    return sorted(entry.name.removesuffix(".tex.j2")
                  for entry in (TEMPLATES / "layouts").iterdir()
                  if entry.name.endswith(".tex.j2"))


@cache
def environment(user: Path | None = None) -> jinja2.Environment:
    """The Jinja environment of the package's templates; with `user`, a spec's own templates
    folder searched first (sandboxed: a template from a spec cannot reach Python's
    internals, nor a file outside its folder)."""
    package = jinja2.FileSystemLoader(str(TEMPLATES))
    if user is None:
        env = jinja2.Environment(loader=package, **_OPTIONS)
    else:
        env = jinja2.sandbox.SandboxedEnvironment(
            loader=jinja2.ChoiceLoader([ContainedLoader(user), package]), **_OPTIONS)
    env.filters.update({"prose": _prose, "tex": _localized(tex), "sci": _localized(_number),
                        "num": _localized(str), "translate": _translate})
    return env


class ContainedLoader(jinja2.FileSystemLoader):
    """Templates of one folder, none of them a link to a file outside it."""

    def __init__(self, root: Path):
        super().__init__(str(root))
        self.root = root.resolve()

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        if not Path(os.path.realpath(filename)).is_relative_to(self.root):
            raise jinja2.TemplateNotFound(template)
        return source, filename, uptodate


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
