"""Numbers as the page writes them, in one place: a float to so many significant digits, in
fixed point inside a window and as `m \\times 10^{e}` outside it (siunitx then sets both in the
page's language, derive.latex.typography), and a given number as it was typed.

>>> significant(0.000123456789), significant(1234567.0), significant(-2.5e-10, 2, fixed=None)
('0.000123457', '1.23457 \\\\times 10^{6}', '-2.5 \\\\times 10^{-10}')
>>> significant(3.0e-10, 2, fixed=None), significant(float("inf")), shortest(0.1), shortest(1e-7)
('3 \\\\times 10^{-10}', '+\\\\infty', '0.1', '1 \\\\times 10^{-7}')
"""

from __future__ import annotations

import math

NAN = r"\mathrm{N{a}N}"          # reads NaN, and is not the word a leak of Python's nan would be


def power_of_ten(mantissa: str, exponent: int) -> str:
    return rf"{mantissa} \times 10^{{{exponent}}}"


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def significant(x: float, digits: int = 6,
                fixed: tuple[float, float] | None = (1e-4, 1e6)) -> str:
    """`x` to `digits` significant digits, trailing zeros dropped: in fixed point when |x| lies
    in `fixed` = [low, high), else `m × 10^{e}` (always, when `fixed` is None); 0, ±∞, NaN."""
    x = float(x)
    if math.isnan(x):
        return NAN
    if math.isinf(x):
        return r"+\infty" if x > 0 else r"-\infty"
    if x == 0:
        return "0"
    if fixed and fixed[0] <= abs(x) < fixed[1]:
        places = max(0, digits - 1 - math.floor(math.log10(abs(x))))
        return _trim(f"{x:.{places}f}")
    mantissa, _, exponent = f"{x:.{digits - 1}e}".partition("e")
    return power_of_ten(_trim(mantissa), int(exponent))


def shortest(x: float) -> str:
    """A given number as it was written: the shortest decimal that reads back as `x`."""
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    mantissa, _, exponent = repr(float(x)).partition("e")
    return power_of_ten(mantissa, int(exponent)) if exponent else mantissa
