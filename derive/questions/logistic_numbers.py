"""The logistic kind on numbers and the length of an SGD step (see questions/logistic.py).

`step_size` derives ‖w′ − w‖ = η|p − y|‖x‖ = η(1 − e^{−L})‖x‖ as checked steps;
`put_numbers` puts a given example into the formulas derived (forward pass, loss, gradient,
update, and the step's length), each value checked against a numpy forward pass.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

import derive.derivation.calculus_rules  # noqa: F401  (registers the family's rules)
from derive.derivation import Derivation
from derive.latex.decimals import significant
from derive.models import logistic as M
from derive.models.matrix_calculus import Named
from derive.models.symbols import PartialOf, sigmoid
from derive.verify.calculus_reference import logistic_step

if TYPE_CHECKING:
    from derive.questions.logistic import LogisticGrad

NUMBERS = ("x", "w", "b", "y", "eta")
DIGITS = 4
UNIT = 1e-9          # how close to 1 the length of a normalised x must be


# --- given parameters ------------------------------------------------------------------------
def fill_features(data: Any) -> Any:
    """`features` is the length of x when x is given and features is not."""
    if isinstance(data, dict) and isinstance(data.get("x"), list) and "features" not in data:
        return {**data, "features": len(data["x"])}
    return data


def validate(given: LogisticGrad) -> None:
    """All of x, w, b, y, eta or none; shapes that fit; y a label; η > 0; a normalised x
    where the examples are said to be."""
    present = [k for k in NUMBERS if getattr(given, k) is not None]
    if present and len(present) < len(NUMBERS):
        missing = ", ".join(k for k in NUMBERS if k not in present)
        raise ValueError(f"an example needs all of x, w, b, y, eta (missing: {missing})")
    if given.x is None or given.w is None:
        return
    if len(given.x) != given.features:
        raise ValueError(f"x has {len(given.x)} entries, features is {given.features}")
    if len(given.w) != len(given.x):
        raise ValueError(f"w has {len(given.w)} entries, x has {len(given.x)}: they must match")
    if given.y not in (0, 1):
        raise ValueError(f"y is a label, 0 or 1 (got {given.y})")
    if given.eta is None or given.eta <= 0:
        raise ValueError(f"eta is a learning rate, greater than 0 (got {given.eta})")
    length = math.sqrt(sum(v * v for v in given.x))
    if given.report == "step_size" and given.normalized and abs(length - 1) > UNIT:
        raise ValueError(f"x has length {length:.6g}, not 1, but normalized is true: give a "
                         "normalised x or set normalized: false")


# --- the length of a step --------------------------------------------------------------------
def step_size(d: Derivation, m: M.LogisticRegression, normalized: bool) -> None:
    """‖w′ − w‖ from the update rule, then through the label and the loss."""
    n = m.n
    d.say("logistic_step")
    d.chain(M.step, sp.sqrt(sp.Sum((M.w_new[M.k] - M.w[M.k]) ** 2, (M.k, 0, n - 1))),
            "definition")
    d.then(sp.sqrt(sp.Sum((-M.eta * m.grad_w().xreplace({M.j: M.k})) ** 2, (M.k, 0, n - 1))),
           "sgd_update")
    d.then(m.step_length(), "norm_scaling")
    norm = M.x_norm
    if normalized:
        d.then(m.step_length().xreplace({norm: 1}), "unit_norm")
        norm = sp.Integer(1)
    d.say("logistic_step_reading", case="unit" if normalized else "any")
    d.then(M.eta * (1 - M.p ** M.y * (1 - M.p) ** (1 - M.y)) * norm, "binary_label")
    d.then(M.eta * (1 - sp.exp(-M.L)) * norm, "loss_probability").answer("step_size")


# --- numbers -----------------------------------------------------------------------------------
def shown(v: Any) -> str:
    """A number as the page writes it: exact when short, else DIGITS significant digits."""
    v = float(v)
    if v == int(v) and abs(v) < 1e6:
        return str(int(v))
    return significant(v, DIGITS, fixed=(1e-4, 10.0 ** DIGITS))


def _exact(v: float) -> sp.Rational:
    """A given decimal as the exact number it reads as (0.1 is 1/10)."""
    return sp.Rational(repr(float(v)))


def _in_formula(v: Any) -> str:
    return f"({shown(v)})" if float(v) < 0 else shown(v)


def _reads(v: Any) -> str:
    """`= v` or `≈ v`, as the value shown is exact or rounded."""
    exact = float(f"{float(v):.{DIGITS}g}") == float(v)
    return ("= " if exact else r"\approx ") + shown(v)


def _value(expr: sp.Basic) -> Any:
    if isinstance(expr, sp.MatrixBase):
        return [_value(e) for e in expr]
    return float(sp.N(expr.rewrite(sp.exp)))


def _column(values: list[float]) -> str:
    return r"\begin{bmatrix}" + r" \\ ".join(shown(v) for v in values) + r"\end{bmatrix}"


def _tuple(values: list[float]) -> str:
    return "(" + ", ".join(shown(v) for v in values) + r")^\top"


def _put(d: Derivation, values: dict[Any, Any], key: str) -> Any:
    """The numbers in the last formula, its value read off (= or ≈), marked as answer `key`."""
    value = _value(d.result.xreplace({k: sp.sympify(v) for k, v in values.items()}))
    read = (" " + _reads(value) if not isinstance(value, list) else
            (r" = " if all(_reads(v).startswith("=") for v in value) else r" \approx ")
            + _column(value))
    d.put(values, " " + read.strip(), number=_in_formula).answer(key)
    return value


def put_numbers(d: Derivation, m: M.LogisticRegression, g: LogisticGrad) -> None:
    """The given example through the formulas derived above."""
    assert g.x is not None and g.w is not None and g.b is not None and g.y is not None
    assert g.eta is not None
    n, x, w = m.n, g.x, g.w
    given = {**{M.x[q]: _exact(x[q]) for q in range(n)},
             **{M.w[q]: _exact(w[q]) for q in range(n)},
             M.b: _exact(g.b), M.y: _exact(g.y), M.eta: _exact(g.eta)}
    d.say("logistic_numbers", x=_tuple(x), w=_tuple(w), b=shown(g.b), y=shown(g.y),
          eta=shown(g.eta))
    d.chain(M.a, m.score(), "definition").apply("expand_sum")
    a = _put(d, given, "a")
    d.chain(M.p, sigmoid(M.a), "definition")
    p = _put(d, {M.a: a}, "p")
    at = {**given, M.p: p}
    if g.report == "step_size":
        length = math.sqrt(sum(v * v for v in x))
        right = p if g.y == 1 else 1 - p
        d.say("logistic_step_numbers", case="wrong" if right < 0.5 else
              "right" if right > 0.5 else "undecided", y=shown(g.y), q=_reads(right),
              r=_reads(abs(p - g.y)))
        d.chain(M.step, m.step_length(), "derived_above")
        _put(d, {**at, M.x_norm: length}, "step_value")
        return
    d.chain(M.L, m.loss(), "definition")
    _put(d, at, "loss_value")
    d.chain(PartialOf(M.L, M.b, m.loss()), m.grad_b(), "derived_above")
    _put(d, at, "grad_b_value")
    column = sp.ImmutableMatrix(n, 1, lambda r, _: m.grad_w().xreplace({M.j: r}))
    d.chain(Named(r"\nabla_{w} L", n, 1), column, "derived_above")
    _put(d, at, "grad_w_value")
    d.chain(Named("w'", n, 1), sp.ImmutableMatrix(n, 1, lambda r, _: m.sgd_update().xreplace(
        {M.j: r})), "sgd_update")
    _put(d, at, "w_new")
    d.chain(sp.Symbol("b'"), M.b - M.eta * m.grad_b(), "sgd_update")
    _put(d, at, "b_new")


NUMERIC = ("a", "p", "loss_value", "grad_b_value", "grad_w_value", "w_new", "b_new",
           "step_value")


def plain(answers: dict[str, Any]) -> dict[str, Any]:
    """The numeric answers as JSON numbers and lists."""
    return {key: _value(v) for key, v in answers.items() if key in NUMERIC}


def reference_at(g: LogisticGrad) -> dict[str, Any]:
    """The numeric answers by a numpy forward pass and finite differences at the example."""
    assert g.x is not None and g.w is not None
    ref = logistic_step(np.array(g.w, dtype=float), float(g.b or 0), np.array(g.x, dtype=float),
                        float(g.y or 0), float(g.eta or 0))
    column = {k: np.asarray(ref[k]).reshape(-1, 1) for k in ("grad_w", "w_new")}
    return {"a": ref["a"], "p": ref["p"], "loss_value": ref["loss"],
            "grad_b_value": ref["grad_b"], "grad_w_value": column["grad_w"],
            "w_new": column["w_new"], "b_new": ref["b_new"], "step_value": ref["step"]}
