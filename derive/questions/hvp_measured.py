"""The measurements of `hvp.finite_difference` as steps of its derivation: machine epsilon,
the slope of each estimate's error where truncation dominates, and the r that minimises it
(each a value measured in float64, see `hvp_numbers.measure`, said in words built from it).

>>> power(7.5), power(5.0)
('10^{-7.5}', '10^{-5}')
"""

from __future__ import annotations

import math

import sympy as sp

from derive.derivation import Derivation
from derive.latex.decimals import significant
from derive.models.function import Shown
from derive.questions import hvp_numbers as N

# A fitted slope this close to the order reads as that order; farther, the page says why.
SLOPE_TOLERANCE = 0.1


def sci(x: float) -> str:
    """A positive number to 2 significant digits, in scientific notation outside [10⁻³, 10⁴)."""
    return significant(x, 2, fixed=(1e-3, 1e4))


def power(exponent: float) -> str:
    """10^{−e}, the exponent as an integer or with one decimal (10^{-7.5})."""
    return rf"10^{{-{exponent:g}}}"


def steps(d: Derivation, meas: N.Measured, r_exponents: list[int]) -> None:
    """ε, then for each estimate its fitted slope (or why there is none) and its best r,
    which the question asks for (marked: `states`)."""
    rs = meas.rs
    first, last = r_exponents
    d.say("hvp_measured")
    d.chain(Shown(r"\varepsilon"), sp.Float(N.EPS, 17), "hvp_measured")
    d.steps[-1].display = rf"2^{{{round(math.log2(N.EPS))}}} \approx {sci(N.EPS)}"
    intro = {"count": len(rs), "first": power(first), "last": power(last),
             "gnorm": sci(meas.g_norm) if meas.g_norm else "0"}
    for scheme, label, key in ((meas.forward, "+", "forward"),
                               (meas.central, r"\pm", "central")):
        if scheme.slope is None:
            d.say("hvp_no_regime", case=key, **intro)
        else:
            d.say("hvp_slope", case=key, low=power(meas.exponents[scheme.fitted[-1]]),
                  high=power(meas.exponents[scheme.fitted[0]]), **intro)
            d.chain(Shown(rf"s^{{{label}}}"), sp.Float(scheme.slope, 15), "hvp_measured")
            d.steps[-1].display = f"{scheme.slope:.2f}"
            estimate = meas.estimates[key]
            factor = max(rs[scheme.best], estimate) / min(rs[scheme.best], estimate)
            near = abs(scheme.slope - scheme.order) <= SLOPE_TOLERANCE
            d.say("hvp_best", case=key if near else key + "_off", order=scheme.order,
                  estimate=sci(estimate),
                  error=sci(scheme.errors[scheme.best]) if scheme.errors[scheme.best]
                  else "0", factor=significant(factor, 2))
        d.chain(Shown(rf"r^{{{label}}}_{{\min}}"), sp.Float(rs[scheme.best], 15),
                "hvp_measured")
        d.steps[-1].display = best(meas, scheme)
        d.steps[-1].states = True                          # the best r: asked


def best(meas: N.Measured, scheme: N.Scheme) -> str:
    """The best r as a power of ten (with its decimal value when the exponent is not whole)."""
    exponent = meas.exponents[scheme.best]
    text = power(exponent)
    if float(exponent) != int(exponent):
        text += rf" \approx {sci(meas.rs[scheme.best])}"
    return text
