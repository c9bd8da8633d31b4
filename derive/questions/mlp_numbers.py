"""The numbers of `mlp.backprop`: given inputs, weights, label and learning rate, checked
against the network's sizes; the forward pass with the numbers put in (exact values, shown
rounded); and the reference answers, by numpy and finite differences."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp
from pydantic import Field

from derive.derivation import Derivation
from derive.latex.decimals import significant
from derive.models import mlp as M
from derive.models.mlp import MLP, write_out
from derive.models.softmax import Shown, cls
from derive.models.symbols import PartialOf, relu_prime, sigmoid
from derive.questions.declare import Derived
from derive.verify import backprop_reference as ref

if TYPE_CHECKING:
    from derive.questions.mlp import Backprop

DIGITS = 4                 # significant digits of a rounded value on the page


LONG_ROW = 4        # terms in a row of a layer's formula from which its values go below


def exact(v: float) -> sp.Rational:
    """A given decimal as the exact number it is written as (0.1 → 1/10)."""
    return sp.Rational(repr(float(v))) if not float(v).is_integer() else sp.Integer(int(v))


def precise(v: sp.Basic) -> sp.Basic:
    """An exact value to 30 digits (σ written through exp, ReLU′(a) as 𝟙[a > 0])."""
    v = v.replace(lambda e: isinstance(e, relu_prime),
                  lambda e: sp.Integer(1 if e.args[0] > 0 else 0))
    return sp.N(v.rewrite(sp.exp) if v.has(sigmoid) else v, 30)


def numeric(v: sp.Basic) -> float:
    return float(precise(v))


def kept(v: sp.Basic) -> sp.Basic:
    """A computed value as later layers use it: exact when rational, else to 30 digits
    (exact nested exponentials would make every later step slow to evaluate)."""
    return v if isinstance(v, sp.Rational) else precise(v)


def _decimal(v: sp.Basic) -> str | None:
    """The exact decimal of a rational with a short expansion, else None."""
    if not isinstance(v, sp.Rational):
        return None
    q = int(v.q)
    while q % 2 == 0:
        q //= 2
    while q % 5 == 0:
        q //= 5
    if q != 1:
        return None
    with localcontext() as ctx:
        ctx.prec = 40
        text = format(Decimal(int(v.p)) / Decimal(int(v.q)), "f")
    digits = text.lstrip("-").replace(".", "").lstrip("0")
    return text if len(digits) <= 8 else None


def rounded(x: float) -> str:
    """x to DIGITS significant digits, without exponent notation between 10⁻⁴ and 10⁶."""
    return significant(x, DIGITS)


def number(v: Any, paren: bool = True) -> str:
    """A value as the page shows it: exact when short, else rounded; negative ones in
    parentheses when they replace a symbol in a formula (`paren`)."""
    v = sp.sympify(v)
    text = _decimal(v) or rounded(numeric(v))
    return rf"\left({text}\right)" if paren and text.startswith("-") else text


def _indicators(v: sp.Basic) -> sp.Basic:
    """ReLU′(a) at a number a as the 0 or 1 it is (so that an exact value reads `= v`)."""
    return v.replace(lambda e: isinstance(e, relu_prime) and e.args[0].is_Number,
                     lambda e: sp.Integer(1 if e.args[0] > 0 else 0))


def approx(value: sp.Basic) -> str:
    """`= v` when the value is shown exactly, `≈ v` rounded otherwise (entry by entry)."""
    entries = [_indicators(sp.sympify(e)) for e in
               (list(value) if isinstance(value, sp.MatrixBase) else [value])]
    exactly = all(_decimal(sp.sympify(e)) is not None for e in entries)
    shown = [number(e, paren=False) for e in entries]
    if isinstance(value, sp.MatrixBase):
        rows = [" & ".join(shown[r * value.cols:(r + 1) * value.cols])
                for r in range(value.rows)]
        text = r"\left[\begin{matrix}" + r" \\ ".join(rows) + r"\end{matrix}\right]"
    else:
        text = shown[0]
    return (" = " if exactly else r" \approx ") + text


_DOUBLED = re.compile(r"\\left\(\\left\((-[0-9.]+)\\right\) \\right\)")
_EXPONENT = re.compile(r"\^\{\\left\((-[0-9.]+)\\right\)\}")


def _tidy(display: str) -> str:
    """tanh((−0.1)) → tanh(−0.1), e^{(−0.1)} → e^{−0.1}: parentheses a negative number
    needs in a product, not as a function's argument or an exponent."""
    return _EXPONENT.sub(r"^{\1}", _DOUBLED.sub(r"\\left(\1\\right)", display))


class Numbers(Derived):
    """Optional numbers: with x and the weights (and the label), every value is put in."""

    x: list[float] | None = Field(None, description="Input values (numbers, optional).")
    weights: dict[str, list[list[float]]] | None = Field(
        None, description="Each weight matrix by its letter, row by row (optional).")
    biases: dict[str, list[float]] | None = Field(
        None, description="Each layer's biases by the letter of its weights (optional).")
    y: list[float] | None = Field(None, description="The label (optional; one-hot from "
                                  "target when omitted).")
    eta: float | None = Field(None, description="Learning rate (optional).", gt=0)

    def target_index(self) -> int | None:
        """The class of a one-hot label, from 0 (the kind knows it)."""
        return None

    def has_numbers(self) -> bool:
        return self.x is not None

    def check_numbers(self, net: MLP, c: int | None) -> None:
        """Sizes and presence of the given numbers, against the network."""
        given = {"x": self.x, "weights": self.weights, "biases": self.biases, "y": self.y,
                 "eta": self.eta}
        if self.x is None:
            extra = [k for k, v in given.items() if v is not None]
            if extra:
                raise ValueError(f"{', '.join(extra)}: numbers need x and weights as well")
            return
        n = net.widths
        if len(self.x) != n[0]:
            raise ValueError(f"x: expected {n[0]} inputs (widths[0]), got {len(self.x)}")
        letters = net.letters()
        if self.weights is None or set(self.weights) != set(letters):
            raise ValueError(f"weights: expected the matrices {', '.join(letters)}, got "
                             f"{', '.join(sorted(self.weights or {})) or 'none'}")
        for layer, letter in enumerate(letters):
            rows = self.weights[letter]
            shape = (len(rows), len(rows[0]) if rows else 0)
            if shape != (n[layer], n[layer + 1]) or any(len(r) != shape[1] for r in rows):
                raise ValueError(f"weights.{letter}: expected {n[layer]} rows of "
                                 f"{n[layer + 1]} numbers, got {shape[0]} rows of "
                                 f"{sorted({len(r) for r in rows})} numbers")
        if self.biases is not None and not net.bias:
            raise ValueError("biases: the network has no bias (bias: false)")
        if net.bias:
            if self.biases is None or set(self.biases) != set(letters):
                raise ValueError(f"biases: expected one vector per layer: {', '.join(letters)}")
            for layer, letter in enumerate(letters):
                if len(self.biases[letter]) != n[layer + 1]:
                    raise ValueError(f"biases.{letter}: expected {n[layer + 1]} numbers, got "
                                     f"{len(self.biases[letter])}")
        self._check_label(net, c)

    def _check_label(self, net: MLP, c: int | None) -> None:
        k = net.widths[-1]
        if self.y is None:
            if c is None:
                raise ValueError("y: the label is needed to put numbers in (or target for a "
                                 "one-hot label)")
            return
        if len(self.y) != k:
            raise ValueError(f"y: expected {k} numbers (the outputs), got {len(self.y)}")
        if net.softmax:
            if min(self.y) < 0 or abs(sum(self.y) - 1) > 1e-9:
                raise ValueError(f"y: a label for softmax_ce has entries >= 0 summing to 1, "
                                 f"got {self.y}")
            if c is not None and [float(v) for v in self.y] != [float(q == c) for q in range(k)]:
                raise ValueError(f"y: {self.y} is not the one-hot label of target")

    def label(self, net: MLP, c: int | None) -> list[float]:
        return self.y if self.y is not None else [float(q == c) for q in range(net.widths[-1])]

    def given_values(self, net: MLP, c: int | None) -> dict[Any, sp.Expr]:
        assert self.x is not None and self.weights is not None
        out: dict[Any, sp.Expr] = {M.x[i]: exact(v) for i, v in enumerate(self.x)}
        for letter, w in zip(net.letters(), net.weights(), strict=True):
            out |= {w[r, q]: exact(v) for r, row in enumerate(self.weights[letter])
                    for q, v in enumerate(row)}
        if net.bias and self.biases is not None:
            for letter, b in zip(net.letters(), net.biases(), strict=True):
                out |= {b[q]: exact(v) for q, v in enumerate(self.biases[letter])}
        out |= {M.y[q]: exact(v) for q, v in enumerate(self.label(net, c))}
        if self.eta is not None:
            out[M.eta] = exact(self.eta)
        return out

    def forward_values(self, d: Derivation, net: MLP) -> dict[Any, sp.Expr]:
        """Each layer's values with the numbers put in; the exact values of every entry."""
        c = self.target_index()
        values = self.given_values(net, c)
        d.say("mlp_numbers")
        for layer in range(1, net.depth + 1):
            size = range(net.widths[layer])
            pre = net.pre(layer)
            self._layer(d, values, [pre[q] for q in size],
                        [write_out(net.pre_of(layer, q)) for q in size])
            if layer < net.depth:
                self._layer(d, values, [net.post(layer)[q] for q in size],
                            [net.act(pre[q]) for q in size])
        if net.softmax:
            size = range(net.classes)
            self._layer(d, values, [M.yhat[q] for q in size],
                        [write_out(net.prob_of(q)) for q in size])
        d.chain(M.L, write_out(net.loss()), "forward_pass")
        self.put(d, values, "loss_value")
        values[M.L] = kept(d.result)
        return values

    def _layer(self, d: Derivation, values: dict[Any, sp.Expr], names: list[sp.Indexed],
               formulas: list[sp.Expr]) -> None:
        d.chain(Shown(names), Shown(formulas), "forward_pass")
        self.put(d, values)
        values.update(zip(names, (kept(v) for v in d.result), strict=True))

    def put(self, d: Derivation, values: dict[Any, Any], key: str | None = None) -> None:
        """The numbers in the last formula, and its value (rounded on the page); a formula
        that only reads given numbers shows them, without repeating them as its value."""
        wanted = M.numbers_in(d.result, values)
        entries = list(d.result) if isinstance(d.result, sp.MatrixBase) else [d.result]
        lookup = all(isinstance(e, sp.Indexed | sp.Number) for e in entries)
        value = "" if lookup else approx(d.result.xreplace(wanted))
        terms = max(len(sp.Add.make_args(e)) for e in entries)
        if isinstance(d.result, sp.MatrixBase) and terms >= LONG_ROW and value:
            value = r" \\ &" + value       # the values on a line of their own: rows of four
        d.put(wanted, value, number)      # products and the values beside them are too wide
        step = d.steps[-1]
        if step.display is not None:
            step.display = _tidy(step.display)
        if key:
            d.answer(key)


# --- the reference: numpy and finite differences ----------------------------------------------
def _state(given: Backprop, net: MLP, x: np.ndarray, weights: list[np.ndarray],
           biases: list[np.ndarray] | None, y: np.ndarray) -> dict[str, Any]:
    """Every named quantity of the network, computed by numpy from the definitions."""
    pres, units, o = ref.forward(x, weights, biases, net.activation)
    state: dict[str, Any] = {"x": x, "o": o, "y": y}
    for n in range(1, net.depth):
        state[str(net.pre(n))], state[str(net.post(n))] = pres[n - 1], units[n - 1]
    for n, letter in enumerate(net.letters()):
        state[letter] = weights[n]
        state[str(net.biases()[n])] = biases[n] if biases is not None else np.zeros(
            net.widths[n + 1])
    if net.softmax:
        state[str(M.yhat)] = ref.softmax(o)
    return state


def _recompute(net: MLP, name: str, s: Mapping[str, Any]) -> Any:
    """One quantity from the quantities it is defined from (one layer, numpy)."""
    if name == "L":
        if net.softmax:
            return float(-np.sum(s["y"] * np.log(s[str(M.yhat)])))
        return float(0.5 * np.sum((s["o"] - s["y"]) ** 2))
    if name == str(M.yhat):
        return ref.softmax(s["o"])
    for n in range(1, net.depth + 1):
        if name == str(net.pre(n)):
            letter = net.letters()[n - 1]
            return s[str(net.post(n - 1))] @ s[letter] + s[str(net.biases()[n - 1])]
        if n < net.depth and name == str(net.post(n)):
            return ref.activation(net.activation, s[str(net.pre(n))])
    raise KeyError(name)


def _local(net: MLP, state: dict[str, Any], factor: PartialOf) -> float:
    """∂top/∂var of one factor by central differences of the one-layer numpy function."""
    top, var = factor.args[0], factor.args[1]
    name, at = str(var.base), tuple(int(i) for i in var.indices)
    # ∂L/∂ŷ = −y/ŷ at a small probability ŷ > 0 needs a step h ≪ ŷ; elsewhere the functions
    # vary on a scale of 1 (and a ReLU unit may be exactly 0)
    h = 1e-6 * float(state[name][at]) if var.base == M.yhat else 1e-6

    def value(shift: float) -> float:
        s = dict(state)
        s[name] = np.array(state[name], dtype=float)
        s[name][at] += shift
        out = _recompute(net, str(top if top == M.L else top.base), s)
        return float(out if top == M.L else out[int(top.indices[0])])

    if net.activation == "relu" and isinstance(top, sp.Indexed) and any(
            top.base == net.post(n) for n in range(1, net.depth)):
        return ref.local_derivative("relu", float(state[name][at]))
    return (value(h) - value(-h)) / (2 * h)


def _factor(net: MLP, state: dict[str, Any], group: sp.Basic,
            free: Mapping[sp.Symbol, tuple[int, int]]) -> np.ndarray:
    if isinstance(group, sp.MatrixBase):
        return np.array([[_local(net, state, group[r, q]) for q in range(group.cols)]
                         for r in range(group.rows)])
    names = [v for v in free if v in group.free_symbols]
    grid = np.meshgrid(*(range(lo, hi + 1) for lo, hi in (free[v] for v in names)),
                       indexing="ij")
    out = np.zeros(grid[0].shape if grid else ())
    for at in np.ndindex(out.shape):
        point = {v: sp.Integer(int(g[at])) for v, g in zip(names, grid, strict=True)}
        out[at] = _local(net, state, group.xreplace(point))
    return out


def _constant_along(values: np.ndarray, axes: list[sp.Symbol], kept: set[Any]) -> np.ndarray:
    """`values` (one axis per index of `axes`) without the axes of indices not `kept`, each
    only where the values do not vary along it (else kept, and the shapes will differ)."""
    for at in reversed(range(len(axes))):
        if axes[at] not in kept and np.max(np.ptp(values, axis=at), initial=0.0) < 1e-9:
            values = np.take(values, 0, axis=at)
    return values


def reference_answers(given: Backprop, data: Mapping[str, Any]) -> dict[str, Any]:
    """Every answer the kind can mark, by numpy: finite differences of the loss for the
    gradient, of each one-layer function for each factor; the given numbers likewise."""
    net, path, c = given.net(), given.path(), given.target_index()
    bias = net.is_bias(path.weight)
    layer = path.layer - 1
    at = tuple(int(v) for v in path.weight.indices)

    def gradient(x: np.ndarray, weights: list[np.ndarray], biases: list[np.ndarray] | None,
                 y: np.ndarray) -> float:
        if bias:
            assert biases is not None
            return ref.bias_gradient(x, weights, biases, y, net.activation, net.output,
                                     layer, at[0])
        return ref.weight_gradient(x, weights, biases, y, net.activation, net.output, layer,
                                   at[0], at[1])

    def label(values: Mapping[str, Any]) -> np.ndarray:
        if not net.softmax:
            return np.asarray(values["y"], dtype=float)
        if c is not None:
            return np.eye(net.classes)[c]
        return np.asarray(values["y_raw"]) / np.sum(values["y_raw"])

    weights = [data[x] for x in net.letters()]
    biases = [data[str(b)] for b in net.biases()] if net.bias else None
    x, y = data["x"], label(data)
    g = gradient(x, weights, biases, y)
    old = biases[layer][at] if bias and biases is not None else weights[layer][at]
    out: dict[str, Any] = {"chain": g, "gradient": g, "update": old - data["eta"] * g}
    state = _state(given, net, x, weights, biases, y)
    free = {v: (0, n - 1) for v, n in net._indices(path)} if not given.explicit() else {}
    target = c if given.explicit() or c is None else cls
    for n, group in enumerate(net.groups(path, given.explicit())):
        found = _factor(net, state, group, free)
        if not isinstance(group, sp.MatrixBase):      # a factor constant over an index of
            own = net.value(group, target).free_symbols  # its link (identity′ = 1): that
            found = _constant_along(found, [v for v in free if v in group.free_symbols],
                                    own)                 # axis dropped, where it is constant
        out[f"factor{n}"] = found
    if given.has_numbers():
        assert given.x is not None and given.weights is not None
        nx = np.array(given.x, dtype=float)
        nw = [np.array(given.weights[k], dtype=float) for k in net.letters()]
        nb = ([np.array(given.biases[k], dtype=float) for k in net.letters()]
              if net.bias and given.biases is not None else None)
        ny = np.array(given.label(net, c), dtype=float)
        gv = gradient(nx, nw, nb, ny)
        start = nb[layer][at] if bias and nb is not None else nw[layer][at]
        out |= {"loss_value": ref.loss(nx, nw, nb, ny, net.activation, net.output),
                "gradient_value": gv, "update_value": start - (given.eta or 0.0) * gv}
    return out
