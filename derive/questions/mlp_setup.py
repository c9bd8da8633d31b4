"""The words of `mlp.backprop` around its steps: the network in one sentence (one index
letter per layer: i for the inputs, j for the hidden units, k for the outputs, as
assignments write o_k = Σ_j w_jk h_j), the loss, the paths from the weight to the loss, and
the lead-in of each factor of the chain."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from derive.derivation import Derivation
from derive.derivation.indices import in_base
from derive.latex.printer import TextbookPrinter, tex
from derive.models import mlp as M
from derive.models.mlp import MLP, Path
from derive.models.softmax import in_order
from derive.models.symbols import PartialOf

if TYPE_CHECKING:
    from derive.questions.mlp import Backprop


def inline(expr: sp.Basic, base: int) -> str:
    """LaTeX for running text, where a fraction of partials is too small to read: ∂f/∂v
    and short quotients written with a slash (∂L/∂ŷ_1 = −y_1/ŷ_1)."""
    shown = in_base(expr, base)
    names: dict[sp.Basic, str] = {}
    holders: dict[sp.Basic, sp.Basic] = {}
    for partial in shown.atoms(PartialOf):
        holders[partial] = holder = sp.Dummy()
        names[holder] = rf"\partial {tex(partial.args[0])} / \partial {tex(partial.args[1])}"
    printer = TextbookPrinter({"symbol_names": names, "fold_short_frac": True})
    return str(printer.doprint(shown.xreplace(holders)))


def _letter(net: MLP, position: int) -> sp.Symbol:
    """The index of a layer in the sentences (printed only: never one of the chain's)."""
    return sp.Symbol(net.unit_letter(position), integer=True)


def forward(net: MLP, base: int) -> list[str]:
    """Each layer from the one before, weights first as assignments write them:
    a_j = Σ_i v_ij x_i, h_j = tanh(a_j), o_k = Σ_j w_jk h_j, ŷ_k = e^{o_k} / Σ_l e^{o_l}."""
    out = []
    for layer in range(1, net.depth + 1):
        col, var = _letter(net, layer), _letter(net, layer - 1)
        term = in_order(net.weights()[layer - 1][var, col], net.post(layer - 1)[var])
        total: sp.Expr = sp.Sum(term, (var, base, net.widths[layer - 1] - 1 + base))
        text = tex(total)
        if net.bias:
            text += " + " + tex(net.biases()[layer - 1][col])
        out.append(f"{tex(net.pre(layer)[col])} = {text}")
        if layer < net.depth:
            out.append(tex(sp.Eq(net.post(layer)[col], net.act(net.pre(layer)[col]),
                                 evaluate=False)))
    if net.softmax:
        k, l = _letter(net, net.depth), sp.Symbol("l", integer=True)
        total = sp.Sum(sp.exp(M.o[l]), (l, base, net.classes - 1 + base))
        out.append(rf"{tex(M.yhat[k])} = e^{{{tex(M.o[k])}}} / {tex(total)}")
    return out


def loss(net: MLP, base: int) -> str:
    """The loss as the page shows it, summed over the outputs' own letter k."""
    k = _letter(net, net.depth)
    limits = (k, base, net.classes - 1 + base)
    if net.softmax:
        return tex(-sp.Sum(M.y[k] * sp.log(M.yhat[k]), limits))
    return tex(sp.Sum((M.o[k] - M.y[k]) ** 2, limits) / 2)


def setup(kind: Backprop, d: Derivation, net: MLP) -> None:
    """The network in one sentence, each layer from the one before; then the loss."""
    base = kind.display_base()
    c = kind.target_index()
    d.say("mlp_setup", layers=", ".join(f"${piece}$" for piece in forward(net, base)))
    d.chain(M.L, M.L, "definition", context=True)        # the sentence alone, no display
    d.say("mlp_loss", case="one_hot" if c is not None else net.output,
          c=(c or 0) + kind.index_base)
    d.chain(M.L, net.loss(), "definition", context=True)
    d.steps[-1].display = loss(net, base)
    if c is not None:                                    # L = −log ŷ_c
        d.apply("one_hot", label=M.y, target=c)


def paths_sentence(d: Derivation, net: MLP, path: Path) -> None:
    n = net.path_count(path)
    where = "output" if path.layer == net.depth else "hidden"
    plural = "one" if n == 1 else "other_deep" if path.later else "other"
    bias = "_bias" if net.is_bias(path.weight) else ""
    d.say("mlp_paths",
          case=f"{where}_{'softmax' if net.softmax else 'squared'}_{plural}{bias}",
          w=path.weight, a=path.units[0], h=path.units[-1], n=n,
          o=path.units[0])


def factor_sentence(kind: Backprop, d: Derivation, link: PartialOf, c: int | None,
                    dropped: list[PartialOf]) -> None:
    """The lead-in of one factor of the chain (`link` in index form),
    naming what is differentiated by what, so that a factor shown in an earlier part is
    still named where it stood; the entries a one-hot label drops are named with it."""
    top, var = link.args[0], link.args[1]
    chain = {M.k, M.l, *M.LATER}

    def indices(e: sp.Basic) -> set[sp.Basic]:
        return set(e.indices) & chain if isinstance(e, sp.Indexed) else set()

    case = {(False, False): "one", (True, False): "each_top", (False, True): "each_var",
            (True, True): "each_both"}[bool(indices(top)), bool(indices(var) - indices(top))]
    values: dict[str, Any] = {"top": top, "var": var}
    if top == M.L and c is not None and isinstance(var, sp.Indexed) and var.base == M.yhat:
        case = "loss_one_hot"
        values["c"] = c + kind.index_base
    elif dropped:
        case += "_dropped_" + ("one" if len(dropped) == 1 else "other")
        values |= {"c": (c or 0) + kind.index_base,
                   "factors": ", ".join(f"${inline(f, kind.display_base())}$" for f in dropped)}
    d.say("mlp_factor", case=case, **values)
