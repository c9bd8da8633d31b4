"""Numbers and figures for the activation kinds: decimals, float64 values that may be
infinite or undefined, and pgfplots curves from checked values (their legends' numbers set by
siunitx: a figure is not localised with the page's sentences).

>>> decimal(0.27846454)
'0.2785'
>>> floats([float("-inf"), float("nan"), 1.25])
'(-\\\\infty,\\\\allowbreak\\\\ \\\\mathrm{N{a}N},\\\\allowbreak\\\\ 1.25)'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from derive.latex.decimals import shortest, significant
from derive.latex.typography import numbers

DIGITS = 4
# curve colours, in order, no two alike (not orange beside brown, nor red beside magenta);
# ReLU and other references are drawn black and dashed
COLOURS = ("blue", "red", "green!55!black", "orange", "violet", "cyan!70!black",
           "black!45", "magenta")


def decimal(v: float, digits: int = DIGITS) -> str:
    """`digits` significant digits, trailing zeros dropped; ×10^k beyond 10^±5; ±∞, NaN."""
    return significant(v, digits, fixed=(1e-5, 1e6))

def same_decimals(values: Sequence[float] | np.ndarray, digits: int) -> list[str]:
    """Values written with one number of decimals, the largest in magnitude to `digits`
    significant digits (a column that reads evenly).

    >>> same_decimals([-2.4076059644, -0.4076059644], 10)
    ['-2.407605964', '-0.407605964']
    """
    largest = max((abs(float(v)) for v in values), default=0.0)
    places = digits - 1 - (math.floor(math.log10(largest)) if largest > 0 else 0)
    texts = [f"{float(v):.{max(places, 0)}f}" for v in values]
    return [t.lstrip("-") if float(t) == 0 else t for t in texts]     # no −0.000


def floats(values: Sequence[float] | np.ndarray, digits: int = DIGITS,
           written: bool = False) -> str:
    """A tuple of float64 values as numpy returned them (±∞ and NaN included), breakable
    after each comma in running text; `written`: each as the shortest decimal it reads as."""
    show = shortest if written else (lambda v: decimal(v, digits))
    return "(" + r",\allowbreak\ ".join(show(float(v)) for v in values) + ")"


Floats = Sequence[float] | np.ndarray


def curve(values: Floats, xs: Floats, label: str, style: str,
          marks: bool = False) -> dict[str, Any]:
    """A pgfplots curve: its coordinates (4 decimals), legend (numbers in the page's language
    through siunitx), style."""
    points = " ".join(f"({x:.4f},{y:.4f})" for x, y in zip(xs, values, strict=True))
    return {"coordinates": points, "label": numbers(label), "style": style, "marks": marks}


def frame(xs: Sequence[float], ys: Sequence[float]) -> dict[str, str]:
    """Axis limits around the plotted points, with a margin of 8 % of each range."""
    def padded(lo: float, hi: float) -> tuple[str, str]:
        pad = 0.08 * ((hi - lo) or 1.0)
        return f"{lo - pad:.4f}", f"{hi + pad:.4f}"

    (xmin, xmax), (ymin, ymax) = padded(min(xs), max(xs)), padded(min(ys), max(ys))
    return {"xmin": xmin, "xmax": xmax, "ymin": ymin, "ymax": ymax}
