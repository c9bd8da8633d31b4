"""The numbers of `roperator.hv`: a given input, weights, target and direction v, checked
against the network's sizes; the forward, backward, R-forward and R-backward passes derived
above evaluated at them as checked steps (exact values, shown rounded); Hv as numbers; and the
reference answers at those numbers (numpy, `derive.verify.second_order_reference`).

The names follow the other kinds: `x`, `w`, `b`, `y` as in `logistic.grad`; `weights` by
name, row by row (input rows, output columns), as in `mlp.backprop`; `v` shaped as the
weights it moves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from derive.derivation import Derivation
from derive.latex.printer import tex
from derive.models import logistic as M
from derive.models.matrix_calculus import Named
from derive.models.roperator_nets import Net
from derive.models.roperator_symbols import Moving
from derive.questions.mlp_numbers import DIGITS, exact, number
from derive.questions.roperator_at_numbers import Passes, columns_width, numeric
from derive.verify import second_order_reference as ref

if TYPE_CHECKING:
    from derive.questions.roperator_hv import ROperatorHv

# What each model takes, and the names of its weight matrices (as the page writes them).
NUMBERS = {"logistic": ("x", "w", "b", "y", "v"), "sigmoid_layer": ("x", "weights", "y", "v"),
           "mlp": ("x", "weights", "y", "v")}
MATRICES = {"sigmoid_layer": {"w": ("W", "V")},
            "mlp": {"w1": ("W^{(1)}", "V^{(1)}"), "w2": ("W^{(2)}", "V^{(2)}")}}
ALL = ("x", "w", "b", "weights", "y", "v")
# Printed characters (see `derive.latex.printer.width`) two matrices side by side may take.
PAIR = 56


# --- given parameters ------------------------------------------------------------------------
def _rows(value: Any) -> int:
    return len(value) if isinstance(value, list) else 0


def fill_sizes(data: Any) -> Any:
    """The sizes read off the numbers when the spec does not give them: `features` (logistic),
    `inputs` and `outputs` (sigmoid_layer), `widths` (mlp)."""
    if not isinstance(data, dict) or not isinstance(data.get("x"), list):
        return data
    model, out = data.get("model", "logistic"), dict(data)
    weights, y = data.get("weights"), data.get("y")
    if model == "logistic":
        out.setdefault("features", len(data["x"]))
    elif model == "sigmoid_layer":
        out.setdefault("inputs", len(data["x"]))
        if isinstance(y, list):
            out.setdefault("outputs", len(y))
    elif model == "mlp" and isinstance(weights, dict) and isinstance(y, list) and _rows(
            weights.get("w2")):
        out.setdefault("widths", [len(data["x"]), _rows(weights.get("w2")), len(y)])
    return out


def _finite(name: str, values: Sequence[float]) -> None:
    bad = [v for v in values if not math.isfinite(v)]
    if bad:
        raise ValueError(f"{name}: every entry must be a finite number, got {bad[0]}")


def _vector(name: str, value: Any, size: int, what: str) -> None:
    if not isinstance(value, list):
        raise ValueError(f"{name}: expected a list of {size} numbers ({what}), got "
                         f"{type(value).__name__} {value!r}")
    if len(value) != size:
        raise ValueError(f"{name}: expected {size} numbers ({what}), got {len(value)}")
    _finite(name, value)


def _matrix(name: str, rows: list[list[float]], shape: tuple[int, int], what: str) -> None:
    widths = sorted({len(r) for r in rows})
    if len(rows) != shape[0] or widths != [shape[1]]:
        raise ValueError(f"{name}: expected {shape[0]} rows of {shape[1]} numbers ({what}), "
                         f"got {len(rows)} rows of {', '.join(map(str, widths)) or 'no'} "
                         "numbers")
    _finite(name, [v for r in rows for v in r])


def shapes(given: ROperatorHv) -> dict[str, tuple[tuple[int, int], str]]:
    """Each weight matrix's name → its shape and what the shape is."""
    if given.model == "sigmoid_layer":
        return {"w": ((given.inputs, given.outputs), "inputs × outputs")}
    n, h, c = given.widths
    return {"w1": ((n, h), "inputs × hidden units"), "w2": ((h, c), "hidden units × outputs")}


def _mapping(name: str, value: Any, given: ROperatorHv) -> None:
    expected = shapes(given)
    keys = ", ".join(expected)
    if not isinstance(value, dict) or set(value) != set(expected):
        got = ", ".join(sorted(value)) if isinstance(value, dict) else repr(value)
        raise ValueError(f"{name}: expected the matrices {keys} (by name, row by row), got "
                         f"{got or 'none'}")
    for key, (shape, what) in expected.items():
        _matrix(f"{name}.{key}", value[key], shape, what)


def validate(given: ROperatorHv) -> None:
    """All of a model's numbers or none; shapes that fit the sizes; a label 0 or 1."""
    present = [k for k in ALL if getattr(given, k) is not None]
    if not present:
        return
    if given.model == "generic":
        raise ValueError(f"{', '.join(present)}: numbers are for logistic, sigmoid_layer or "
                         "mlp; a generic f has no formula to put them in")
    wanted = NUMBERS[given.model]
    extra = [k for k in present if k not in wanted]
    if extra:
        raise ValueError(f"{', '.join(extra)}: model {given.model} takes {', '.join(wanted)}")
    missing = [k for k in wanted if k not in present]
    if missing:
        raise ValueError(f"numbers need all of {', '.join(wanted)} (missing: "
                         f"{', '.join(missing)})")
    if given.model == "logistic":
        n = given.features
        _vector("x", given.x, n, "features")
        _vector("w", given.w, n, "features")
        _vector("v", given.v, n, "one per weight")
        _finite("b", [float(given.b or 0)])
        if given.y not in (0, 1):
            raise ValueError(f"y: a label, 0 or 1, got {given.y!r}")
        return
    n, c = ((given.inputs, given.outputs) if given.model == "sigmoid_layer"
            else (given.widths[0], given.widths[2]))
    _vector("x", given.x, n, "inputs")
    _vector("y", given.y, c, "outputs")
    _mapping("weights", given.weights, given)
    _mapping("v", given.v, given)


# --- the values given, as exact numbers ------------------------------------------------------
def _label(given: ROperatorHv) -> float:
    """The label of logistic regression (validated: 0 or 1)."""
    assert not isinstance(given.y, list)
    return float(given.y or 0)


def _named(net: Net) -> dict[str, sp.IndexedBase]:
    """The net's arrays by name (x, y, w, v, w^{(1)}, …)."""
    return {str(b): b for b in net.domains if isinstance(b, sp.IndexedBase)}


def given_values(given: ROperatorHv, net: Net) -> dict[sp.Basic, sp.Expr]:
    """Every given entry: x[q], w[q, j], v[q, j], y, b → its exact value."""
    arrays = _named(net)
    out: dict[sp.Basic, sp.Expr] = {}

    def put(base: sp.IndexedBase, values: Any) -> None:
        flat = np.array(values, dtype=object)
        for at in np.ndindex(flat.shape):
            out[base[at]] = exact(float(flat[at]))

    put(arrays["x"], given.x)
    if given.model == "logistic":
        put(M.w, given.w)
        put(arrays["v"], given.v)
        out[M.b], out[M.y] = exact(float(given.b or 0)), exact(_label(given))
        return out
    put(arrays["y"], given.y)
    assert isinstance(given.weights, dict) and isinstance(given.v, dict)
    for key in shapes(given):
        suffix = {"w": "", "w1": "^{(1)}", "w2": "^{(2)}"}[key]
        put(arrays[f"w{suffix}"], given.weights[key])
        put(arrays[f"v{suffix}"], given.v[key])
    return out


def _row(values: Sequence[float]) -> str:
    """A vector in running text, (v_1, …, v_n)ᵀ, breakable after each comma."""
    body = r",\allowbreak\ ".join(number(exact(v), paren=False) for v in values)
    return f"({body})^\\top" if len(values) > 1 else body


def _bmatrix(rows: list[list[float]]) -> str:
    body = r" \\ ".join(" & ".join(number(exact(v), paren=False) for v in r) for r in rows)
    return rf"\begin{{bmatrix}}{body}\end{{bmatrix}}"


def say_given(d: Derivation, given: ROperatorHv) -> None:
    """The sentence that states the numbers (matrices in a display of their own)."""
    assert given.x is not None
    if given.model == "logistic":
        assert given.w is not None and isinstance(given.v, list)
        d.say("rop_hv_numbers", case="logistic" if len(given.x) > 1 else "logistic_one",
              xs=_row(given.x), ws=_row(given.w), vs=_row(given.v),
              bias=number(exact(float(given.b or 0)), paren=False),
              label=number(exact(_label(given)), paren=False), digits=DIGITS)
        return
    assert isinstance(given.weights, dict) and isinstance(given.v, dict)
    assert isinstance(given.y, list)
    displays = []
    for k, (w, v) in MATRICES[given.model].items():
        both = [rf"{w} = {_bmatrix(given.weights[k])},", rf"{v} = {_bmatrix(given.v[k])},"]
        wide = sum(columns_width([[number(exact(e), paren=False) for e in row] for row in m])
                   for m in (given.weights[k], given.v[k])) > PAIR
        displays += both if wide else [r" \qquad ".join(both)]
    d.say("rop_hv_numbers", case=given.model, xs=_row(given.x), ys=_row(given.y),
          matrices="".join(rf"\[ {m} \]" for m in displays), digits=DIGITS)


# --- the passes at the numbers -----------------------------------------------------------------
def _gradient_entries(net: Net) -> set[sp.Basic]:
    return {g.entry for g in net.gradients}


def put_numbers(d: Derivation, net: Net, given: ROperatorHv, derived: Mapping[sp.Basic, sp.Basic],
                moving: Moving) -> Passes:
    """The passes derived above at the given numbers, then Hv; each Hv marked `<key>_value`."""
    p = Passes(d, net, given_values(given, net))
    say_given(d, given)
    for name, meaning in net.forward_shown:
        if name != sp.Symbol("L"):
            p.show(name, meaning, "definition", lambda e: e)
    d.say("rop_hv_numbers_backward")
    for name, _partial, formula in net.backward_shown:
        if name not in _gradient_entries(net):
            p.show(name, formula, "chain_rule", lambda e: e)
    for key, passes in (("rop_hv_numbers_r_forward", net.forward),
                        ("rop_hv_numbers_r_backward", net.backward)):
        d.say(key)
        for step in passes:
            if step.name not in _gradient_entries(net):
                p.show(step.name, derived[step.name], "rop_known", moving.of, r=True)
    d.say("rop_hv_numbers_result", n=len(net.gradients))
    for g in net.gradients:
        sizes = [hi - lo + 1 for lo, hi in (net.free[i] for i in g.entry.indices)]
        name = tex(g.lhs)                     # (Hv)_j entry by entry, Hv as a whole
        name = name[1:-1] if name.startswith("(") and name.endswith(")") else name
        lhs = Named(name, sizes[0], sizes[1] if len(sizes) > 1 else 1)
        p.show(g.entry, derived[g.entry], "rop_known", lhs, r=True)
        d.answer(f"{g.key}_value")
    return p


# --- the reference at the numbers --------------------------------------------------------------
def _along(loss: ref.Loss, grad: ref.Grad, w: np.ndarray, v: np.ndarray) -> np.ndarray:
    """‖v‖ H(v/‖v‖) (H is linear): the differences step along a unit direction, however long
    the given v is; both routes, which must agree, and the gradient's returned."""
    norm = float(np.linalg.norm(v))
    if norm == 0:
        return np.zeros_like(w)
    ref.hessian_vector_product(loss, grad, w, v / norm)       # refuses if the routes disagree
    return norm * ref.along(grad, w, v / norm)


def reference_at(given: ROperatorHv) -> dict[str, Any]:
    """Hv at the given numbers by numpy: central differences of a numpy gradient along v
    (Richardson-extrapolated), which must agree with the loss's Hessian by differences of its
    values, times v. The first is the one compared with the answer: differences of the
    loss's values lose about ε·L/h² to rounding, too much for a loss of some hundreds."""
    if given.model == "logistic":
        assert given.x is not None and given.w is not None and isinstance(given.v, list)
        loss, grad = ref.logistic(np.array(given.x, dtype=float), float(given.b or 0),
                                  _label(given))
        hv = _along(loss, grad, np.array(given.w, dtype=float), np.array(given.v, dtype=float))
        return {"hv_value": hv.reshape(-1, 1)}
    assert isinstance(given.weights, dict) and isinstance(given.v, dict)
    x, y = np.array(given.x, dtype=float), np.array(given.y, dtype=float)
    keys = list(shapes(given))
    flat = np.concatenate([np.array(given.weights[k], dtype=float).reshape(-1) for k in keys])
    dv = np.concatenate([np.array(given.v[k], dtype=float).reshape(-1) for k in keys])
    n, h, c = given.widths
    if given.model == "sigmoid_layer":
        shape = (given.inputs, given.outputs)
        loss, grad = ref.sigmoid_layer(x, y, shape)
        return {"hv_value": _along(loss, grad, flat, dv).reshape(shape)}
    loss, grad = ref.mlp(x, y, (n, h, c))
    hv = _along(loss, grad, flat, dv)
    return {"hv1_value": hv[:n * h].reshape(n, h), "hv2_value": hv[n * h:].reshape(h, c)}


def plain(model: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Hv as JSON numbers: a list for logistic regression, else one list of rows per matrix
    of weights (`hv`, or `hv1` and `hv2`)."""
    out: dict[str, Any] = {}
    for key, value in answers.items():
        if key.endswith("_value"):
            rows = [[float(numeric(e)) for e in value.row(r)] for r in range(value.rows)]
            out[key.removesuffix("_value")] = [r[0] for r in rows] if model == "logistic" \
                else rows
    return out
