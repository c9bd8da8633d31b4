"""The gradient of a weight below the last hidden layer, as backpropagation computes it:
the chain rule over every path, the paths through each unit of the next layer grouped into
its error δ = ∂L/∂a, each error derived from the one above (with numbers when given), then
the gradient in terms of the errors. Every step is checked like any other: ∂L/∂a by SymPy
through the network's definitions, δ from its derived formula."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from derive.derivation import Derivation
from derive.derivation.backprop_rules import write_out
from derive.latex.printer import width
from derive.models import mlp as M
from derive.models.mlp import MLP, Path
from derive.models.mlp_errors import (
    error,
    error_chain,
    error_definitions,
    error_domains,
    error_gradient,
    error_layers,
    error_value,
    grouped_chain,
    index,
)
from derive.models.softmax import Shown, cls
from derive.models.symbols import PartialOf
from derive.questions import mlp_setup
from derive.questions.mlp_numbers import kept

if TYPE_CHECKING:
    from derive.questions.mlp import Backprop

# Printed characters (`width`) of one line of a display: the text's width, less the left
# side and the alignment (the rule's name goes below the last line when it does not fit).
LINE = 62


def pack(kind: Backprop, d: Derivation, long_terms: bool) -> None:
    """With `long_terms` (a path through later hidden layers has 6 partials or more), the
    last step's terms packed into lines of at most `LINE` printed characters, one a line
    when two do not fit (two a line, as other displays, are wider than the page)."""
    if not long_terms or not isinstance(d.result, sp.Add):
        return
    lines: list[str] = [""]
    for term in d.result.as_ordered_terms():
        shown = kind.shown(term)
        joined = f"{lines[-1]} + {shown}" if lines[-1] else shown
        if lines[-1] and width(joined) > LINE:
            lines.append(shown)
        else:
            lines[-1] = joined
    d.steps[-1].display = r" \\ &\quad + ".join(lines).replace("+ -", "- ")


def prepare(d: Derivation, net: MLP, path: Path, label: Any) -> None:
    """The errors as defined arrays of the derivation, their indices free."""
    d.domains.update(error_domains(net, path))
    d.definitions.update(error_definitions(net, path, label))
    d.free.update({index(path, n): (0, net.widths[n] - 1) for n in path.later})


def gradient(kind: Backprop, d: Derivation, net: MLP, path: Path, explicit: bool,
             c: int | None, factors: dict[Any, Any], values: dict[Any, Any]) -> sp.Expr:
    """∂L/∂W_ij through the errors of the later layers; the answer `gradient`."""
    label = c if explicit or c is None else cls
    lhs = PartialOf(M.L, path.weight, M.L)
    d.chain(lhs, lhs, "definition")
    mlp_setup.paths_sentence(d, net, path)
    d.then(net.chain(path), "chain_rule")
    nxt = path.layer + 1
    s = index(path, nxt)
    d.say("mlp_errors_grouped", a=net.pre(nxt)[s], h=path.units[-1])
    grouped = grouped_chain(net, path)
    d.then(grouped, "chain_rule")
    for layer in error_layers(path):
        _error(kind, d, net, path, layer, explicit, c, label, factors, values)
    d.say("mlp_errors_combine", delta=error(nxt)[s])
    d.chain(lhs, grouped, "definition")
    d.steps[-1].shown = False          # the chain above, continued: checked from there
    d.apply("substitute", values=_values_of(net, d.result, factors, label))
    d.then(error_gradient(net, path), "simplify")
    if explicit:
        d.then(error_gradient(net, path, explicit=True), "expand_sum")
    return d.answer("gradient").result


def _values_of(net: MLP, expr: sp.Basic, factors: dict[Any, Any], label: Any
               ) -> dict[Any, Any]:
    """Each partial of `expr` by its value: a factor derived above, or ∂L/∂a⁽ⁿ⁾_r = δ⁽ⁿ⁾_r."""
    out: dict[Any, Any] = {}
    for f in expr.atoms(PartialOf):
        top, var = f.args[0], f.args[1]
        layer = next((n for n in range(1, net.depth) if isinstance(var, sp.Indexed)
                      and var.base == net.pre(n)), None)
        if top == M.L and layer is not None:
            out[f] = error(layer)[var.indices[0]]
        else:
            out[f] = factors[f] if f in factors else net.value(f, label)
    return out


def _error(kind: Backprop, d: Derivation, net: MLP, path: Path, layer: int, explicit: bool,
           c: int | None, label: Any, factors: dict[Any, Any], values: dict[Any, Any]) -> None:
    """δ⁽ⁿ⁾_q = ∂L/∂a⁽ⁿ⁾_q: the chain rule one layer up, the factors put in, the textbook
    form; with numbers, every entry."""
    q = index(path, layer)
    top = layer == net.depth - 1
    d.say("mlp_error", case="top" if top else "lower", delta=error(layer)[q],
          a=net.pre(layer)[q], n=layer, m=layer + 1)
    d.chain(error(layer)[q], net.partial(M.L, net.pre(layer)[q]), "definition")
    d.steps[-1].shown = False          # said in the sentence; the chain rule checked from it
    d.then(error_chain(net, path, layer), "chain_rule")
    if explicit:                       # a small layer above: its terms written out first
        d.apply("paths_summed")
    if top and c is not None and net.softmax:
        d.apply("one_hot", label=M.y, target=label, loss=M.L, probs=M.yhat)
    d.apply("substitute", values=_values_of(net, d.result, factors, label))
    soft = top and net.softmax and c is None
    value = error_value(net, path, layer, label)
    d.then(write_out(value) if explicit else value,
           "target_sums_to_one" if soft else "simplify")
    if values:
        _error_numbers(kind, d, net, path, layer, c, values)


def _error_numbers(kind: Backprop, d: Derivation, net: MLP, path: Path, layer: int,
                   c: int | None, values: dict[Any, Any]) -> None:
    """Every entry of δ⁽ⁿ⁾ with the numbers put in (the lower layers read them)."""
    q = index(path, layer)
    formula = error_value(net, path, layer, c)
    size = range(net.widths[layer])
    names = [error(layer)[v] for v in size]
    entries = [write_out(formula.xreplace({q: sp.Integer(v)})) for v in size]
    d.say("mlp_error_numbers", delta=error(layer)[q])
    d.chain(Shown(names), Shown(names), "definition")
    d.then(Shown(entries), "backward_pass")
    kind.put(d, values)
    values.update(zip(names, (kept(v) for v in d.result), strict=True))
