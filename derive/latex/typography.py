"""The typography of a page's language, applied where the page knows what a string is.

Numbers we generate (formulas, sentences built from values, points, checks) take the
language's decimal mark: `0.5` becomes `0{,}5` in French, in math and in text alike (the braces
keep TeX from spacing the comma as punctuation). Spec prose keeps its text as written — a
"3.5" there may name a question — but its `$…$` math is localised, its quotes become the
language's quotes (« » through babel-french's \\og/\\fg) and its web addresses are shielded from
babel-french's spacing before ':'. Labels (question numbers, part ids, the version) never pass
through here. The words come from the language's strings: `decimal_mark`, `quotes`.

>>> print(localize(r"x = 0.5 + 12.25 \\times 10^{-3}", "{,}"))
x = 0{,}5 + 12{,}25 \\times 10^{-3}
>>> print(localize(r"\\\\[1.5ex] \\hspace{0.5em} 0.5\\linewidth 1.2.3 ends 2.5.", "{,}"))
\\\\[1.5ex] \\hspace{0.5em} 0.5\\linewidth 1.2.3 ends 2{,}5.
"""

from __future__ import annotations

import re
from typing import Any

# A decimal number: digits, a point, digits; not part of a word, a version (1.2.3), a length
# (1.5ex, 0.5\linewidth) or an argument of a command that takes a length or a factor.
_UNIT = r"(?:pt|em|ex|cm|mm|in|bp|pc|dd|cc|sp|mu|fil)\b"
_DECIMAL = re.compile(r"(?<![\w.\\])(\d+)\.(\d+)(?!\d|\.\d)"
                      r"(?!\s*" + _UNIT + r")(?!\s*\\[a-zA-Z]*(?:width|height|depth|skip|sep))")
# Pieces left alone: comments, a TikZ picture, options in brackets after a command or \\,
# and the arguments of commands whose numbers are sizes.
_KEEP = re.compile(
    r"(?<!\\)%[^\n]*"
    r"|\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}"
    r"|\\begin\{axis\}.*?\\end\{axis\}"
    r"|(?:\\(?!left|right|middle|[bB]igg?[lrm]?(?![a-zA-Z]))[a-zA-Z]+\*?"
    r"|(?:\\\\\*?|\\begin\{[a-zA-Z*]+\})\s*)\[[^\]\n]*\]"
    r"|\\(?:scalebox|resizebox|hspace|vspace|rule|raisebox|kern|setlength|addtolength"
    r"|linespread|arraystretch|includegraphics)\*?\s*\{[^}]*\}",
    re.DOTALL)


def localize(latex: str, decimal_mark: str) -> str:
    """`latex` with the decimal point of every number we generated written `decimal_mark`."""
    if decimal_mark == "." or "." not in latex:
        return latex
    out, last = [], 0
    for kept in _KEEP.finditer(latex):
        out.append(_DECIMAL.sub(rf"\1{decimal_mark}\2", latex[last:kept.start()]))
        out.append(kept.group(0))
        last = kept.end()
    out.append(_DECIMAL.sub(rf"\1{decimal_mark}\2", latex[last:]))
    return "".join(out)


_MATH = re.compile(r"(?<!\\)\$[^$]*(?<!\\)\$")
_QUOTED = re.compile(r"``(.*?)''", re.DOTALL)
_URL = re.compile(r"(?:https?|ftp)://[^\s{}$]*[^\s{}$.,;:!?)\]]")


def localize_prose(latex: str, words: dict[str, Any]) -> str:
    """Spec prose already written in LaTeX (see `derive.prose`), in the page's language:
    decimals in its math, the language's quotes, web addresses kept whole."""
    mark = words.get("decimal_mark", ".")
    latex = _MATH.sub(lambda m: localize(m.group(0), mark), latex)
    opening, closing = words.get("quotes", ["``", "''"])
    if (opening, closing) != ("``", "''"):
        latex = _QUOTED.sub(lambda m: opening + m.group(1) + closing, latex)
    if words.get("babel") == "french":          # no space before the ':' of an address
        latex = _URL.sub(lambda m: r"{\NoAutoSpacing " + m.group(0) + "}", latex)
    return latex


def mark(words: dict[str, Any] | None) -> str:
    """The decimal mark of a language's strings ('.' when they say none)."""
    return str((words or {}).get("decimal_mark", "."))
