"""The back-propagated errors of a deep MLP, and the gradient of a weight through them.

A weight below the last hidden layer reaches L along one path per unit of every later
layer: their number is a product of widths, and written out one term per path the
gradient is pages wide. Backpropagation sums them once per layer instead. The error of
unit q of hidden layer n is δ⁽ⁿ⁾_q = ∂L/∂a⁽ⁿ⁾_q, each layer's from the one above:

    δ⁽ⁿ⁾_q = act′(a⁽ⁿ⁾_q) Σ_r W⁽ⁿ⁺¹⁾_{q,r} δ⁽ⁿ⁺¹⁾_r,  the top one with ∂L/∂o_l for δ⁽ⁿ⁺¹⁾,

and the weight W⁽ⁿ⁾_{ij} feeding a⁽ⁿ⁾_j gets ∂L/∂W⁽ⁿ⁾_{ij} = input_i act′(a⁽ⁿ⁾_j)
Σ_r W⁽ⁿ⁺¹⁾_{j,r} δ⁽ⁿ⁺¹⁾_r. Indices are the chain's own (`MLP.factors`): q for the top
hidden layer, then p, r going down.

>>> from derive.models.mlp import MLP, o, y
>>> net = MLP((3, 2, 3, 2), "relu", "squared_error")
>>> path = net.path(net.weight("u")[1, 0])
>>> str(error_value(net, path, 2))
'relu_prime(a^{(2)}[q])*Sum((o[l] - y[l])*w[q, l], (l, 0, 1))'
>>> print(str(error_gradient(net, path, explicit=True)).replace("*relu", "\\n*relu"))
(\\delta^{(2)}[0]*v[0, 0] + \\delta^{(2)}[1]*v[0, 1] + \\delta^{(2)}[2]*v[0, 2])
*relu_prime(a^{(1)}[0])*x[1]
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from derive.derivation.backprop_rules import write_out
from derive.derivation.steps import Domain
from derive.models.mlp import LATER, MLP, L, Path, k, l, o, yhat


def deep(net: MLP, path: Path) -> bool:
    """Whether the weight's paths pass through later hidden layers (errors are named)."""
    return bool(path.later)


def error(layer: int) -> sp.IndexedBase:
    """δ⁽ⁿ⁾: the error ∂L/∂a⁽ⁿ⁾ of hidden layer n."""
    return sp.IndexedBase(rf"\delta^{{({layer})}}", real=True)


def index(path: Path, layer: int) -> sp.Symbol:
    """The index the chain of `path` runs over in hidden layer `layer` (a later layer)."""
    return LATER[list(reversed(path.later)).index(layer)]


def error_chain(net: MLP, path: Path, layer: int) -> sp.Expr:
    """∂L/∂a⁽ⁿ⁾_q by the chain rule: through every score (and, with a softmax, every
    probability) for the top hidden layer, through every unit of layer n + 1 below it."""
    q = index(path, layer)
    pre, post = net.pre(layer)[q], net.post(layer)[q]
    local = net.partial(post, pre)
    if layer == net.depth - 1:
        top = ([net.partial(L, yhat[k]), net.partial(yhat[k], o[l])] if net.softmax
               else [net.partial(L, o[l])])
        limits = [(k, 0, net.classes - 1)] if net.softmax else []
        body = sp.Mul(*top, net.partial(o[l], post), local)
        return sp.Sum(body, *limits, (l, 0, net.classes - 1))
    r = index(path, layer + 1)
    above = net.pre(layer + 1)[r]
    return sp.Sum(net.partial(L, above) * net.partial(above, post) * local,
                  (r, 0, net.widths[layer + 1] - 1))


def error_value(net: MLP, path: Path, layer: int, target: Any = None) -> sp.Expr:
    """δ⁽ⁿ⁾_q = act′(a⁽ⁿ⁾_q) Σ_r W⁽ⁿ⁺¹⁾_{q,r} δ⁽ⁿ⁺¹⁾_r (∂L/∂o_l for the top layer:
    ŷ_l − y_l or o_l − y_l, y_l = δ_lc for a one-hot label on `target`)."""
    q = index(path, layer)
    weights = net.weights()[layer]
    if layer == net.depth - 1:
        summed = sp.Sum(weights[q, l] * net.upstream(l, target), (l, 0, net.classes - 1))
    else:
        r = index(path, layer + 1)
        summed = sp.Sum(weights[q, r] * error(layer + 1)[r], (r, 0, net.widths[layer + 1] - 1))
    return net.activation_derivative(net.pre(layer)[q]) * summed


def grouped_chain(net: MLP, path: Path) -> sp.Expr:
    """The chain of `path` with the paths through each unit s of the next layer summed
    into ∂L/∂a_s: Σ_s ∂L/∂a_s ∂a_s/∂h_j ∂h_j/∂a_j ∂a_j/∂W_ij."""
    nxt = path.layer + 1
    s = index(path, nxt)
    pre, post = path.units
    above = net.pre(nxt)[s]
    return sp.Sum(net.partial(L, above) * net.partial(above, post) * net.partial(post, pre)
                  * net.partial(pre, path.weight), (s, 0, net.widths[nxt] - 1))


def error_gradient(net: MLP, path: Path, explicit: bool = False) -> sp.Expr:
    """∂L/∂W_ij = input_i act′(a_j) Σ_s W′_{j,s} δ_s (W′ the next layer's weights; for a
    bias, 1 in place of the input), written out over s when `explicit`."""
    nxt = path.layer + 1
    s = index(path, nxt)
    col = path.weight.indices[-1]
    tail = (sp.Integer(1) if net.is_bias(path.weight)
            else net.post(path.layer - 1)[path.weight.indices[0]])
    summed: sp.Expr = sp.Sum(net.weights()[path.layer][col, s] * error(nxt)[s],
                             (s, 0, net.widths[nxt] - 1))
    if explicit:
        summed = write_out(summed)
    return net.activation_derivative(net.pre(path.layer)[col]) * summed * tail


def error_layers(path: Path) -> list[int]:
    """The hidden layers whose errors the gradient needs, from the top down."""
    return sorted(path.later, reverse=True)


def error_domains(net: MLP, path: Path) -> dict[Any, Domain]:
    """Each error computed per draw from its definition, the top layer's first (the one
    below reads it)."""
    return {error(n): Domain((net.widths[n],), "defined") for n in error_layers(path)}


def error_definitions(net: MLP, path: Path, target: Any = None) -> dict[Any, Any]:
    """δ⁽ⁿ⁾ as a function of its index: `error_value` at that index."""
    def meaning(layer: int) -> Any:
        q = index(path, layer)
        return lambda col: error_value(net, path, layer, target).xreplace({q: col})

    return {error(n): meaning(n) for n in error_layers(path)}
