"""Is every number of answers.json on the page? The PDF's text, read back with pypdf, against
the typed values a script would read.

A value counts as shown when its digits appear in the text as the page writes numbers:
integers whole (thin spaces between groups dropped), decimals rounded to 1–6 significant
digits with a point or a comma, powers of ten as m × 10^e, simple fractions as their
numerator and denominator. Symbolic values (srepr/LaTeX) are not numbers and are skipped; a
long series of decimals (more than 12, the data of a plot) is drawn, not written, and is
skipped too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

from pypdf import PdfReader

SERIES = 12


def pdf_text(pdf: Path) -> str:
    """The PDF's text with every kind of space removed and Unicode minus signs as '-'."""
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    return re.sub(r"\s", "", text).replace("\u2212", "-")


def _numbers(value: Any, path: str = "") -> Iterator[tuple[str, int | float]]:
    if isinstance(value, dict):
        if "srepr" in value:                    # an expression, not a number
            return
        for key, item in value.items():
            yield from _numbers(item, f"{path}.{key}")
    elif isinstance(value, list):
        if len(value) > SERIES and all(isinstance(v, float) for v in value):
            return                              # a plot's data
        for n, item in enumerate(value):
            yield from _numbers(item, f"{path}[{n}]")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, value


def _writings(value: int | float) -> set[str]:
    if isinstance(value, int) or float(value).is_integer():
        return {str(int(value))}
    found = set()
    for digits in range(1, 7):
        short = f"{value:.{digits}g}"
        found |= {short, short.replace(".", ",")}
        mantissa, _, exponent = f"{value:.{digits - 1}e}".partition("e")
        for m in (mantissa, mantissa.replace(".", ",")):
            found |= {f"{m}×10{int(exponent)}", f"10{int(exponent)}"}
    fraction = Fraction(value).limit_denominator(1000)
    if float(fraction) == value:
        sign = "-" if fraction < 0 else ""
        found.add(f"{sign}{abs(fraction.numerator)}{fraction.denominator}")
    return found


def missing_values(out: Path) -> list[str]:
    """Every number of `out/answers.json` that `out/solutions.pdf` does not show."""
    answers = json.loads((out / "answers.json").read_text(encoding="utf-8"))
    text = pdf_text(out / "solutions.pdf")
    return [f"part {part['id']} ({part['kind']}): value{path} = {value!r}"
            for part in answers["parts"]
            for path, value in _numbers(part["answer"].get("value"))
            if not any(w in text for w in _writings(value))]
