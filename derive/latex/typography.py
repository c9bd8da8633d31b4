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


_MATH = re.compile(r"(?<!\\)\$[^$]*(?<!\\)\$")


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
    latex = "".join(out)
    if "," not in decimal_mark:
        return latex
    if "$" not in latex:                         # a formula
        return _separate_lists(latex, decimal_mark)
    return _MATH.sub(lambda m: _separate_lists(m.group(0), decimal_mark), latex)


def _separate_lists(latex: str, decimal_mark: str) -> str:
    """With a decimal comma, the items of a tuple, interval or set that holds a decimal are
    separated by ';', as French typography asks: (0,5, −1) is ambiguous, (0,5; −1) is not.
    Commas inside braces (indices w_{j,k}) and in groups without a decimal are kept.

    >>> print(_separate_lists(r"\\left(0{,}5, -1\\right), (1, 2), w_{1,2}", "{,}"))
    \\left(0{,}5; -1\\right), (1, 2), w_{1,2}
    >>> print(_separate_lists(r"\\{-2, 0{,}5\\} \\in [0{,}1, e^{0{,}5}]", "{,}"))
    \\{-2; 0{,}5\\} \\in [0{,}1; e^{0{,}5}]
    """
    if decimal_mark not in latex:
        return latex
    text = latex.replace(decimal_mark, "\x00")
    chars = list(text)
    stack: list[tuple[str, list[int], bool]] = []      # opener, its commas, holds a decimal
    closes = {")": "(", "]": "[", "\\}": "\\{", "}": "{"}
    i = 0
    while i < len(text):
        two = text[i:i + 2]
        token = two if two in ("\\{", "\\}") else text[i]
        if token == "\\" or (token.startswith("\\") and token not in ("\\{", "\\}")):
            i += 2
            continue
        if token in ("(", "[", "\\{", "{"):
            stack.append((token, [], False))
        elif token in closes and any(opener == closes[token] for opener, _, _ in stack):
            while stack:
                opener, commas, decimal = stack.pop()
                if decimal and opener != "{":
                    for at in commas:
                        chars[at] = ";"
                if stack and decimal:
                    stack[-1] = (stack[-1][0], stack[-1][1], True)
                if opener == closes[token]:
                    break
        elif token == "," and stack:
            stack[-1][1].append(i)
        elif token == "\x00" and stack:
            stack[-1] = (stack[-1][0], stack[-1][1], True)
        i += len(token)
    return "".join(chars).replace("\x00", decimal_mark)


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
