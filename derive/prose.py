"""Prose from specs: plain text with `$…$` math. Text is escaped; only math passes as TeX."""

from __future__ import annotations

import re

from pylatex.utils import escape_latex

# Commands that could read or write files, or change how TeX reads its input.
_FORBIDDEN_IN_MATH = re.compile(
    r"\\(input|include|InputIfFileExists|openin|openout|read|write|immediate|special|"
    r"def|edef|gdef|xdef|let|catcode|csname|usepackage|documentclass|newcommand|"
    r"renewcommand|makeatletter|directlua)(?![a-zA-Z])"
    r"|\\(begin|end)(?!\{([pbvV]?matrix|cases|aligned)\})"
)
_MATH = re.compile(r"\$([^$]*)\$")
_QUOTED = re.compile(r'"([^"\n]*)"')


def check_prose(text: str) -> str:
    """Validate spec prose; raise ValueError with a readable reason."""
    if text.count("$") % 2:
        raise ValueError("unbalanced '$': math must be written as $…$")
    outside = _MATH.sub("", text)
    command = re.search(r"\\[a-zA-Z]+|\\.", outside)
    if command:
        raise ValueError(
            f"TeX command '{command.group(0)}' outside math: prose is plain text, "
            "only $…$ math is passed to TeX"
        )
    for match in _MATH.finditer(text):
        bad = _FORBIDDEN_IN_MATH.search(match.group(1))
        if bad:
            raise ValueError(f"'{bad.group(0)}' is not allowed in math (got ${match.group(1)}$)")
        if match.group(1).count("{") != match.group(1).count("}"):
            raise ValueError(f"unbalanced braces in math ${match.group(1)}$")
    return text


def prose_to_latex(text: str) -> str:
    """Escape the text between `$…$` spans; keep the math as it is."""
    pieces = []
    last = 0
    for match in _MATH.finditer(text):
        pieces.append(escape_latex(text[last : match.start()]))
        pieces.append(match.group(0))
        last = match.end()
    pieces.append(escape_latex(text[last:]))
    return _QUOTED.sub(r"``\1''", "".join(pieces))
