"""Prose from specs: plain text with `$…$` math, and `$$…$$` for a display (a matrix shown as
the assignment shows it). Text is escaped; math passes as TeX only
after `derive.mathpolicy` has read it token by token; any other character is typeset by
a maintained converter (pylatexenc) or refused at validation, naming it."""

from __future__ import annotations

import re

from pylatex.utils import escape_latex

from derive.mathpolicy import check_math, unicode_prepared, unicode_to_tex

_MATH = re.compile(r"\$([^$]*)\$")
_DISPLAY = re.compile(r"\$\$([^$]+)\$\$")
_QUOTED = re.compile(r'"([^"\n]*)"')
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def check_prose(text: str) -> str:
    """Validate spec prose; raise ValueError with a readable reason."""
    given, text = text, _DISPLAY.sub(lambda m: "$" + m.group(1) + "$", text)   # same rules
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
        check_math(match.group(1))
        if match.group(1).count("{") != match.group(1).count("}"):
            raise ValueError(f"unbalanced braces in math ${match.group(1)}$")
    prepared = unicode_prepared(text)
    for match in _MATH.finditer(prepared):
        for ch in _NON_ASCII.findall(match.group(1)):
            unicode_to_tex(ch, math=True)
    for ch in _NON_ASCII.findall(_MATH.sub("", prepared)):
        unicode_to_tex(ch, math=False)
    return given


_DASHES = (("---", "\u2014"), ("--", "\u2013"))      # as TeX and Markdown writers type them


def _text(text: str) -> str:
    for typed, dash in _DASHES:                 # 2019--2020 is an en dash, not two hyphens
        text = text.replace(typed, dash)
    escaped = escape_latex(text).replace("?`", "?{}`").replace("!`", "!{}`")  # not ¿ or ¡
    return _NON_ASCII.sub(lambda m: unicode_to_tex(m.group(0), math=False), escaped)


def _math(math: str) -> str:
    return "$" + _NON_ASCII.sub(lambda m: unicode_to_tex(m.group(0), math=True), math) + "$"


def prose_to_latex(text: str) -> str:
    """Escape the text between `$…$` spans, keep the math (a `$$…$$` span as a display);
    both with their non-ASCII characters written in TeX.

    >>> print(prose_to_latex("Here $$X = 1$$ and $y$."))
    Here \\[X = 1\\] and $y$.
    >>> print(prose_to_latex("Term 2019--2020 --- or 2019–2020."))
    Term 2019{\\textendash}2020 {\\textemdash} or 2019{\\textendash}2020.
    """
    pieces = []
    last = 0
    for match in _DISPLAY.finditer(text):
        pieces.append(_inline(text[last:match.start()]))
        pieces.append(r"\[" + _math(unicode_prepared(match.group(1)))[1:-1] + r"\]")
        last = match.end()
    pieces.append(_inline(text[last:]))
    return _QUOTED.sub(r"``\1''", "".join(pieces))


def _inline(text: str) -> str:
    text = unicode_prepared(text)
    pieces = []
    last = 0
    for match in _MATH.finditer(text):
        pieces.append(_text(text[last : match.start()]))
        pieces.append(_math(match.group(1)))
        last = match.end()
    pieces.append(_text(text[last:]))
    return "".join(pieces)
