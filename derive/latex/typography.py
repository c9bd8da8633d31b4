"""The typography of a page's language, applied where the page knows what a string is.

Numbers we generate (formulas, sentences built from values, points, checks) are set by
siunitx: `0.5` becomes `\\num{0.5}` and `1.1 \\times 10^{-16}` becomes `\\num{1.1e-16}`, in math
and in text alike; the page's `\\sisetup` (the language's `siunitx` string, e.g. `locale = FR`)
chooses the decimal mark, the thin spaces between digit groups and the exponent's product
sign. Spec prose keeps its text as written — a "3.5" there may name a question — but its
`$…$` math is localised, its quotes become the language's quotes (« » through babel-french's
\\og/\\fg) and its web addresses are shielded from babel-french's spacing before ':'. Labels
(question numbers, part ids, the version) never pass through here. The words come from the
language's strings: `decimal_mark` (how siunitx will print the mark, which decides whether a
tuple's items need ';'), `quotes`, `siunitx`.

>>> print(localize(r"x = 0.5 + 12.25 \\times 10^{-3}", ","))
x = \\num{0.5} + \\num{12.25e-3}
>>> print(localize(r"\\\\[1.5ex] \\hspace{0.5em} 0.5\\linewidth 1.2.3 ends 2.5.", ","))
\\\\[1.5ex] \\hspace{0.5em} 0.5\\linewidth 1.2.3 ends \\num{2.5}.
>>> localize(localize("0.5", ","), ",")          # idempotent
'\\\\num{0.5}'
"""

from __future__ import annotations

import re
from typing import Any

# A decimal number: digits, a point, digits; not part of a word, a version (1.2.3), a length
# (1.5ex, 0.5\linewidth) or an argument of a command that takes a length or a factor; with an
# optional power of ten written as we write it (`1.1 \times 10^{-16}`).
_UNIT = r"(?:pt|em|ex|cm|mm|in|bp|pc|dd|cc|sp|mu|fil)\b"
_DECIMAL = re.compile(r"(?<![\w.\\])(\d+)\.(\d+)(?!\d|\.\d)"
                      r"(?:\s*\\times\s*10\^\{(-?\d+)\})?"
                      r"(?!\s*" + _UNIT + r")(?!\s*\\[a-zA-Z]*(?:width|height|depth|skip|sep))")
_POWER = re.compile(r"(?<![\w.\\{])(\d+)\s*\\times\s*10\^\{(-?\d+)\}")
# Pieces left alone: comments, a number already set, a TikZ picture, options in brackets
# after a command or \\, and the arguments of commands whose numbers are sizes.
_KEEP = re.compile(
    r"(?<!\\)%[^\n]*"
    r"|\\(?:num|qty)\{[^{}]*\}"
    r"|\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}"
    r"|\\begin\{axis\}.*?\\end\{axis\}"
    r"|(?:\\(?!left|right|middle|[bB]igg?[lrm]?(?![a-zA-Z]))[a-zA-Z]+\*?"
    r"|(?:\\\\\*?|\\begin\{[a-zA-Z*]+\})\s*)\[[^\]\n]*\]"
    r"|\\(?:scalebox|resizebox|hspace|vspace|rule|raisebox|kern|setlength|addtolength"
    r"|linespread|arraystretch|includegraphics)\*?\s*\{[^}]*\}",
    re.DOTALL)


_MATH = re.compile(r"(?<!\\)\$[^$]*(?<!\\)\$")


def _set(match: re.Match[str]) -> str:
    whole, fraction, power = match.group(1), match.group(2), match.group(3)
    return rf"\num{{{whole}.{fraction}" + (f"e{power}" if power else "") + "}"


def numbers(latex: str) -> str:
    """`latex` with every decimal number we generated (and every integer times a power of
    ten) set by siunitx's \\num."""
    if "." not in latex and "10^" not in latex:
        return latex
    out, last = [], 0
    for kept in _KEEP.finditer(latex):
        piece = latex[last:kept.start()]
        out.append(_POWER.sub(r"\\num{\1e\2}", _DECIMAL.sub(_set, piece)))
        out.append(kept.group(0))
        last = kept.end()
    out.append(_POWER.sub(r"\\num{\1e\2}", _DECIMAL.sub(_set, latex[last:])))
    return "".join(out)


def localize(latex: str, decimal_mark: str) -> str:
    """`latex` with its numbers set by siunitx, and with a decimal comma (`decimal_mark`
    ',') the items of its tuples separated by ';'."""
    latex = numbers(latex)
    if "," not in decimal_mark or r"\num{" not in latex:
        return latex
    if "$" not in latex:                         # a formula
        return _separate_lists(latex)
    return _MATH.sub(lambda m: _separate_lists(m.group(0)), latex)


_NUM = re.compile(r"\\num\{[^{}]*\}")
_ITEM = r"\s*-?\s*(?:\d+|[\x00\x01])\s*"
# a tuple of numbers only, in parentheses or brackets: (1, 2), \left(3, -4\right)
_NUMERIC_TUPLE = re.compile(r"(?:\\left)?[(\[]" + _ITEM + r"(?:,(?:\\allowbreak\\ )?" + _ITEM
                            + r")+(?:\\right)?[)\]]")


def _separate_lists(latex: str) -> str:
    """With a decimal comma, the items of a tuple, interval or set that holds a decimal are
    separated by ';', as French typography asks: (0,5, −1) is ambiguous, (0,5; −1) is not.
    Commas inside braces (indices w_{j,k}) are kept, and so are those of groups without a
    decimal, unless the group is a tuple of numbers beside one that has ';' — (1; 2) and
    (−1; 0,5), not (1, 2) and (−1; 0,5).

    >>> print(_separate_lists(r"\\left(\\num{0.5}, -1\\right), (1, 2), w_{1,2}"))
    \\left(\\num{0.5}; -1\\right), (1; 2), w_{1,2}
    >>> print(_separate_lists(r"\\{-2, \\num{0.5}\\} \\in [\\num{0.1}, e^{\\num{0.5}}]"))
    \\{-2; \\num{0.5}\\} \\in [\\num{0.1}; e^{\\num{0.5}}]
    >>> print(_separate_lists(r"x_1 = (1, 2),\\ x_2 = (-1, \\num{0.5}), f(x, y)"))
    x_1 = (1; 2),\\ x_2 = (-1; \\num{0.5}), f(x, y)
    """
    numbers = _NUM.findall(latex)
    if not any("." in n for n in numbers):
        return latex
    # each number becomes one private character: \x00 when it has a decimal mark
    text = _NUM.sub(lambda m: "\x00" if "." in m.group(0) else "\x01", latex)
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
    text = "".join(chars)
    if ";" in text:                 # (1, 2) beside (−1; 0,5) reads as two conventions
        text = _NUMERIC_TUPLE.sub(lambda m: m.group(0).replace(",", ";"), text)
    shown = iter(numbers)
    return re.sub("[\x00\x01]", lambda _: next(shown), text)


_QUOTED = re.compile(r"``(.*?)''", re.DOTALL)
_URL = re.compile(r"(?:https?|ftp)://[^\s{}$]*[^\s{}$.,;:!?)\]]")


def localize_prose(latex: str, words: dict[str, Any]) -> str:
    """Spec prose already written in LaTeX (see `derive.prose`), in the page's language:
    decimals in its math, the language's quotes, web addresses kept whole."""
    latex = _MATH.sub(lambda m: localize(m.group(0), mark(words)), latex)
    opening, closing = words.get("quotes", ["``", "''"])
    if (opening, closing) != ("``", "''"):
        latex = _QUOTED.sub(lambda m: opening + m.group(1) + closing, latex)
    if words.get("babel") == "french":          # no space before the ':' of an address
        latex = _URL.sub(lambda m: r"{\NoAutoSpacing " + m.group(0) + "}", latex)
    return latex


def mark(words: dict[str, Any] | None) -> str:
    """The decimal mark of a language's strings ('.' when they say none)."""
    return str((words or {}).get("decimal_mark", "."))
