"""The networks whose Hessian-vector products the R-operator kinds derive, as data: what
moves along v, the forward and backward passes (each name one level down), and the
quantities whose 𝓡 the R-forward and R-backward passes compute, in order.

- `logistic`: a = Σ_i w_i x_i + b, p = σ(a), cross-entropy; v moves w (b held fixed).
- `sigmoid_layer`: a_j = Σ_q w_qj x_q, z_j = σ(a_j), L = ½ Σ_k (z_k − y_k)²; v moves W.
- `mlp`: a_j = Σ_q w⁽¹⁾_qj x_q, z_j = σ(a_j), o_k = Σ_s w⁽²⁾_sk z_s, L = ½ Σ_k (o_k − y_k)²;
  v⁽¹⁾, v⁽²⁾ move w⁽¹⁾, w⁽²⁾; the backward pass goes through ∂L/∂o, ∂L/∂z, ∂L/∂a.

Indices start at 0 (numpy's reading).

>>> net = logistic(3)
>>> [str(step.name) for step in net.forward]
['a', 'p']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from derive.derivation.steps import Domain
from derive.models import logistic as M
from derive.models.function import Shown
from derive.models.roperator import r
from derive.models.symbols import PartialOf, sigmoid, sigmoid_prime

i, j, k = sp.symbols("i j k", integer=True, nonnegative=True)
q, s, t, u = sp.symbols("q s t u", integer=True, nonnegative=True)   # summed
l, m_ = sp.symbols("l m", integer=True, nonnegative=True)             # summed in Hv
v = sp.IndexedBase("v", real=True)
L = sp.Symbol("L")


class GradEntry(sp.Indexed):
    """∂L/∂w_{ij} of a named gradient array."""

    is_real = True

    def _latex(self, printer: Any) -> str:
        """Printed as PartialOf prints ∂L/∂w_ij, so that a name and its definition agree."""
        var = str(self.base.label).removeprefix("dL_d")
        entry = sp.Indexed(sp.IndexedBase(GRAD_TEX.get(var, var)), *self.indices)
        return rf"\frac{{\partial L}}{{\partial {printer._print(entry)}}}"


class Grad(sp.IndexedBase):
    """The array ∂L/∂(var), entries printed as fractions of partials."""

    def __getitem__(self, indices: Any, **kw_args: Any) -> GradEntry:
        indices = indices if isinstance(indices, tuple) else (indices,)
        return GradEntry(self, *indices)


GRAD_TEX = {"w1": "w^{(1)}", "w2": "w^{(2)}"}


@dataclass(frozen=True)
class Pass:
    """One quantity of an R-pass: 𝓡{name}, the names not unfolded on the way (their 𝓡 was
    derived before), and σ(a) written by the name of its value."""

    name: sp.Basic
    stop: tuple[sp.Basic, ...] = ()
    rename: dict[sp.Basic, sp.Basic] = field(default_factory=dict)


@dataclass(frozen=True)
class Gradient:
    """An entry of ∇L, the matching entry of Hv (`lhs`) as Σ (∂²L/∂w∂w′) v′, and its key."""

    key: str
    entry: sp.Expr
    lhs: sp.Expr
    hessian_v: sp.Expr
    closed: bool               # substitute every 𝓡 derived above (else the passes' names)


@dataclass(frozen=True)
class Net:
    model: str
    sizes: dict[str, int]
    moves: dict[sp.Basic, sp.Basic]
    domains: dict[Any, Domain]
    free: dict[sp.Symbol, tuple[int, int]]
    definitions: dict[Any, Any]
    forward_shown: list[tuple[sp.Basic, sp.Basic]]     # name, meaning (the forward pass)
    backward_shown: list[tuple[sp.Basic, sp.Basic, sp.Basic]]   # name, ∂L/∂·, formula
    forward: list[Pass]
    backward: list[Pass]
    gradients: list[Gradient]
    weights: int


def _hessian_sum(entry: PartialOf, pairs: Sequence[tuple[Any, Any, Sequence[tuple[Any, int]]]],
                 meaning: sp.Expr) -> sp.Expr:
    """Σ over every weight w′ of ∂²L/∂w∂w′ · v′."""
    total = sp.Integer(0)
    for weight, direction, ranges in pairs:
        idx = tuple(var for var, _ in ranges)
        second = PartialOf(entry, weight[idx], meaning)
        total += sp.Sum(second * direction[idx], *((var, 0, n - 1) for var, n in ranges))
    return total


def logistic(n: int) -> Net:
    m = M.LogisticRegression(n)
    delta = Shown(r"\frac{\partial L}{\partial a}")
    grad = Grad("dL_dw", real=True)
    loss = m.loss()
    definitions = {**m.definitions(), delta: M.p - M.y, grad: lambda at: delta * M.x[at]}
    entry = PartialOf(L, M.w[j], loss)
    return Net(
        "logistic", {"n": n}, {M.w: v},
        {M.x: Domain((n,)), M.w: Domain((n,)), M.b: Domain(), M.y: Domain(kind="unit"),
         v: Domain((n,)), r: Domain()},
        {j: (0, n - 1)}, definitions,
        [(M.a, m.score()), (M.p, sigmoid(M.a)), (L, loss)],
        [(delta, PartialOf(L, M.a, loss), M.p - M.y),
         (grad[j], entry, delta * M.x[j])],
        [Pass(M.a), Pass(M.p, (M.a,), {sigmoid(M.a): M.p})],
        [Pass(delta, (M.p,)), Pass(grad[j], (delta,))],
        [Gradient("hv", grad[j], Shown(r"(H\mathbf{v})") ,
                  _hessian_sum(entry, [(M.w, v, ((l, n),))], grad[j]), True)],
        n)


def _squared(out: sp.IndexedBase, y: sp.IndexedBase, c: int) -> sp.Expr:
    return sp.Sum((out[u] - y[u]) ** 2, (u, 0, c - 1)) / 2


def sigmoid_layer(n: int, m: int) -> Net:
    x, w, y = (sp.IndexedBase(name, real=True) for name in ("x", "w", "y"))
    a, z = sp.IndexedBase("a", real=True), sp.IndexedBase("z", real=True)
    dz, da, dw = Grad("dL_dz", real=True), Grad("dL_da", real=True), Grad("dL_dw", real=True)
    loss = _squared(z, y, m)
    definitions: dict[Any, Any] = {
        a: lambda col: sp.Sum(w[q, col] * x[q], (q, 0, n - 1)),
        z: lambda col: sigmoid(a[col]),
        dz: lambda col: z[col] - y[col],
        da: lambda col: sigmoid_prime(z[col]) * dz[col],
        dw: lambda row, col: x[row] * da[col],
    }
    entry = PartialOf(L, w[i, j], loss)
    return Net(
        "sigmoid_layer", {"n": n, "m": m}, {w: v},
        {x: Domain((n,)), w: Domain((n, m)), y: Domain((m,), "unit"), v: Domain((n, m)),
         r: Domain()},
        {i: (0, n - 1), j: (0, m - 1)}, definitions,
        [(a[j], definitions[a](j)), (z[j], sigmoid(a[j])), (L, loss)],
        [(dz[j], PartialOf(L, z[j], loss), definitions[dz](j)),
         (da[j], PartialOf(L, a[j], loss), definitions[da](j)),
         (dw[i, j], entry, definitions[dw](i, j))],
        [Pass(a[j]), Pass(z[j], (a,), {sigmoid(a[j]): z[j]})],
        [Pass(dz[j], (z,)), Pass(da[j], (z, dz)), Pass(dw[i, j], (da,))],
        [Gradient("hv", dw[i, j], Shown(r"(H\mathbf{v})"),
                  _hessian_sum(entry, [(w, v, ((l, n), (m_, m)))], dw[i, j]), True)],
        n * m)


def mlp(n: int, h: int, c: int) -> Net:
    x, y = sp.IndexedBase("x", real=True), sp.IndexedBase("y", real=True)
    w1, w2 = sp.IndexedBase("w^{(1)}", real=True), sp.IndexedBase("w^{(2)}", real=True)
    v1, v2 = sp.IndexedBase("v^{(1)}", real=True), sp.IndexedBase("v^{(2)}", real=True)
    a, z, o = (sp.IndexedBase(name, real=True) for name in ("a", "z", "o"))
    do, dz, da = (Grad(name, real=True) for name in ("dL_do", "dL_dz", "dL_da"))
    dw1, dw2 = Grad("dL_dw1", real=True), Grad("dL_dw2", real=True)
    loss = _squared(o, y, c)
    definitions: dict[Any, Any] = {
        a: lambda col: sp.Sum(w1[q, col] * x[q], (q, 0, n - 1)),
        z: lambda col: sigmoid(a[col]),
        o: lambda col: sp.Sum(w2[s, col] * z[s], (s, 0, h - 1)),
        do: lambda col: o[col] - y[col],
        dz: lambda col: sp.Sum(w2[col, t] * do[t], (t, 0, c - 1)),
        da: lambda col: sigmoid_prime(z[col]) * dz[col],
        dw1: lambda row, col: x[row] * da[col],
        dw2: lambda row, col: z[row] * do[col],
    }
    pairs = [(w1, v1, ((l, n), (m_, h))), (w2, v2, ((l, h), (m_, c)))]
    e1, e2 = PartialOf(L, w1[i, j], loss), PartialOf(L, w2[j, k], loss)
    return Net(
        "mlp", {"n": n, "h": h, "c": c}, {w1: v1, w2: v2},
        {x: Domain((n,)), y: Domain((c,)), w1: Domain((n, h)), w2: Domain((h, c)),
         v1: Domain((n, h)), v2: Domain((h, c)), r: Domain()},
        {i: (0, n - 1), j: (0, h - 1), k: (0, c - 1)}, definitions,
        [(a[j], definitions[a](j)), (z[j], sigmoid(a[j])), (o[k], definitions[o](k)),
         (L, loss)],
        [(do[k], PartialOf(L, o[k], loss), definitions[do](k)),
         (dz[j], PartialOf(L, z[j], loss), definitions[dz](j)),
         (da[j], PartialOf(L, a[j], loss), definitions[da](j)),
         (dw2[j, k], e2, definitions[dw2](j, k)), (dw1[i, j], e1, definitions[dw1](i, j))],
        [Pass(a[j]), Pass(z[j], (a,), {sigmoid(a[j]): z[j]}), Pass(o[k], (z,))],
        [Pass(do[k], (o,)), Pass(dz[j], (do,)), Pass(da[j], (z, dz)), Pass(dw2[j, k], (z, do)),
         Pass(dw1[i, j], (da,))],
        [Gradient("hv1", dw1[i, j], Shown(r"(H\mathbf{v})^{(1)}"),
                  _hessian_sum(e1, pairs, dw1[i, j]), False),
         Gradient("hv2", dw2[j, k], Shown(r"(H\mathbf{v})^{(2)}"),
                  _hessian_sum(e2, pairs, dw2[j, k]), False)],
        n * h + h * c)


NETS: dict[str, Callable[..., Net]] = {"logistic": logistic, "sigmoid_layer": sigmoid_layer,
                                       "mlp": mlp}
