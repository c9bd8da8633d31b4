"""The partials a part of `mlp.backprop` asks for (`partials: ["yhat_1/o_1", "o_1/v_12"]`),
each stated by its own checked chain: a link of the chain rule by its rule ("L/yhat_2",
"yhat_1/o_1"), or a stretch of one path (∂o_1/∂v_12 = ∂o_1/∂h_2 ∂h_2/∂a_2 ∂a_2/∂v_12),
each link by its rule, then their product. A whole link asked in index form ("L/yhat",
every ∂L/∂ŷ_k) is that factor of the chain. A part that asks for partials shows those (and
the chain, gradient or update its report asks for) and marks nothing else; the reference
differentiates the network numerically.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from derive.derivation import Derivation
from derive.listing import Listing
from derive.models import mlp as M
from derive.models.mlp import MLP, Path
from derive.models.symbols import PartialOf
from derive.questions.mlp_setup import inline
from derive.verify import backprop_reference as ref

if TYPE_CHECKING:
    from derive.questions.mlp import Backprop

NAME = re.compile(r"^(L|yhat|o|h|a)(?:_\{?(\d+)\}?)?$")


def parse(text: str, kind: Backprop) -> tuple[sp.Basic, sp.Basic]:
    """'o_1/v_12' → (o[0], v[0, 1]) (indices from index_base); 'L/yhat' → (L, ŷ) bases."""
    from derive.questions.mlp import parse_weight

    net, b = kind.net(), kind.index_base
    top_text, sep, var_text = text.replace(" ", "").partition("/")
    if not sep:
        raise ValueError(f"partials: {text!r}: expected 'top/variable', such as 'o_1/v_12'")
    out = []
    for part in (top_text, var_text):
        match = NAME.match(part)
        if match is None:
            letter, i, j = parse_weight(part)
            if letter not in net.letters():
                raise ValueError(f"partials: {text!r}: no quantity {part!r} in this network")
            out.append(net.weight(letter)[i - b, j - b])
            continue
        name, index = match.groups()
        base = {"L": M.L, "yhat": M.yhat, "o": M.o, "h": net.post(1), "a": net.pre(1)}[name]
        out.append(base if index is None or name == "L" else base[int(index) - b])
    return out[0], out[1]


def _stretch(net: MLP, path: Path, top: sp.Basic, var: sp.Basic) -> list[PartialOf]:
    """The links of the weight's path from `top` down to `var`, their indices set."""
    factors = net.factors(path)
    at: dict[sp.Symbol, sp.Expr] = {}
    start = next((n for n, f in enumerate(factors) if _same(f.args[0], top, at)), None)
    stop = next((n for n, f in enumerate(factors) if _same(f.args[1], var, at)), None)
    if start is None or stop is None or stop < start:
        raise ValueError(f"partials: ∂{top}/∂{var} is not along the path of the weight")
    links = [f.xreplace(at) for f in factors[start:stop + 1]]
    if any(i.is_Symbol for f in links for e in f.args[:2] if isinstance(e, sp.Indexed)
           for i in e.indices):
        raise ValueError(f"partials: ∂{top}/∂{var} sums over several paths; ask for it "
                         "link by link")
    return links


def _same(name: sp.Basic, wanted: sp.Basic, at: dict[sp.Symbol, sp.Expr]) -> bool:
    """Whether `name` (maybe with a summation index) is `wanted`; records the index."""
    if name == wanted:
        return True
    if isinstance(name, sp.Indexed) and isinstance(wanted, sp.Indexed) \
            and name.base == wanted.base:
        for i, v in zip(name.indices, wanted.indices, strict=True):
            if i.is_Symbol:
                at[i] = v
            elif i != v:
                return False
        return True
    return False


def state(d: Derivation, kind: Backprop, net: MLP, path: Path, explicit: bool, c: Any,
          derived: bool) -> frozenset[str]:
    """Each asked partial stated and checked (answer `asked<n>`); the answer keys to mark.
    A whole link ("L/yhat") is that factor of the chain: marked where the factors were
    `derived`, else derived here. A single link is derived by its rule; a stretch of the
    path link by link, then their product."""
    marked = []
    groups = net.groups(path, explicit)
    target = kind.target_index()
    for n, text in enumerate(kind.partials or []):
        top, var = parse(text, kind)
        if isinstance(var, sp.IndexedBase) or top in (M.yhat, M.o):
            at = next((m for m, g in enumerate(groups) if _link_of(g, top, var)), None)
            if at is None:
                raise ValueError(f"partials: {text!r} is not a link of this chain")
            if derived:
                d.answers()[f"factor{at}"].answer += (f"asked{n}",)
            else:
                d.say("mlp_asked", case="links")
                kind.run(d, net, groups[at], c)
                d.answer(f"factor{at}", f"asked{n}")
            marked.append(f"asked{n}")
            continue
        _asked_one(d, kind, net, path, top, var, text, target)
        marked.append(f"asked{n}")
        d.answer(f"asked{n}")
    return frozenset(marked)


def _asked_one(d: Derivation, kind: Backprop, net: MLP, path: Path, top: sp.Basic,
               var: sp.Basic, text: str, target: int | None) -> None:
    """One partial of the path (its indices all given, so the class is a number too): a
    link by its rule, or a stretch link by link and their product. A link of the softmax
    that a one-hot label drops from the chain says so."""
    into = isinstance(var, sp.Indexed) and (
        var.base == M.o or str(var.base) in net.letters()
        or (top == M.L and var.base in (M.yhat, M.o)))
    if not into:
        raise ValueError(f"partials: {text!r}: ask for a partial with respect to a "
                         "weight, a score o, or (of L) a probability")
    links = _stretch(net, path, top, var)
    if len(links) == 1:
        zero = (target is not None and net.softmax and isinstance(top, sp.Indexed)
                and top.base == M.yhat and top != M.yhat[target])
        d.say("mlp_asked", case="link_dropped" if zero else "link",
              zero=inline(net.partial(M.L, top), kind.display_base()),
              c=(target or 0) + kind.index_base)
        kind.run(d, net, links[0], target)
        return
    lhs = net.partial(top, var)
    units = [f"${kind.shown(f.args[0])}$" for f in links[1:]]
    d.say("mlp_asked", case="path", f=inline(lhs, kind.display_base()), top=top, var=var,
          units=Listing(units[::-1]))
    for link in links:
        kind.run(d, net, link, target)
    d.say("mlp_asked_product")
    d.chain(lhs, lhs, "definition")
    d.then(sp.Mul(*links), "chain_rule")
    d.apply("substitute", values={f: net.value(f, target) for f in links})


def _link_of(group: sp.Basic, top: sp.Basic, var: sp.Basic) -> bool:
    probe = group if isinstance(group, PartialOf) else next(iter(group.atoms(PartialOf)))
    a, b = probe.args[0], probe.args[1]
    base = a if a == M.L else a.base
    return top in (base, a) and isinstance(b, sp.Indexed) and var in (b.base, b)


def reference(kind: Backprop, data: Mapping[str, Any], answers: Mapping[str, Any]
              ) -> dict[str, Any]:
    """Each asked partial by central differences of the network run forward from the
    variable (a weight, or a layer's values) to the quantity asked, or of the loss at the
    probabilities (scores) for ∂L/∂ŷ_k (∂L/∂o_k); a whole link as its factor in `answers`."""
    net = kind.net()
    out: dict[str, Any] = {}
    weights = [np.array(data[x], dtype=float) for x in net.letters()]
    biases = [np.array(data[str(b)], dtype=float) for b in net.biases()] if net.bias else None
    x = np.asarray(data["x"], dtype=float)
    groups = net.groups(kind.path(), kind.explicit())
    for n, text in enumerate(kind.partials or []):
        top, var = parse(text, kind)
        if not isinstance(var, sp.Indexed) or top in (M.yhat, M.o):
            at = next(m for m, g in enumerate(groups) if _link_of(g, top, var))
            out[f"asked{n}"] = answers[f"factor{at}"]
            continue
        if top == M.L:
            out[f"asked{n}"] = _loss_partial(kind, net, data, weights, biases, var)
            continue

        def value(shift: float, top: sp.Indexed = top, var: sp.Indexed = var) -> float:
            w = [np.copy(v) for v in weights]
            o_shift = np.zeros(net.classes)
            if str(var.base) in net.letters():
                w[net.letters().index(str(var.base))][tuple(int(i) for i in var.indices)] += shift
            elif var.base == M.o:
                o_shift[int(var.indices[0])] = shift
            pres, units, o = ref.forward(x, w, biases, net.activation)
            o = o + o_shift
            named = {M.o: o, M.yhat: ref.softmax(o)}
            if net.depth > 1:
                named |= {net.pre(1): pres[0], net.post(1): units[0]}
            return float(named[top.base][int(top.indices[0])])

        h = 1e-6
        out[f"asked{n}"] = (value(h) - value(-h)) / (2 * h)
    return out


def _loss_partial(kind: Backprop, net: MLP, data: Mapping[str, Any], weights: list[Any],
                  biases: list[Any] | None, var: sp.Indexed) -> float:
    """∂L/∂ŷ_k (cross-entropy) or ∂L/∂o_k (squared error) by central differences of the
    numpy loss in that one entry, the rest of the forward pass held."""
    _, _, o = ref.forward(np.asarray(data["x"], dtype=float), weights, biases, net.activation)
    c = kind.target_index()
    if not net.softmax:
        y = np.asarray(data["y"], dtype=float)
    elif c is not None:
        y = np.eye(net.classes)[c]
    else:
        y = np.asarray(data["y_raw"], dtype=float) / np.sum(data["y_raw"])
    at = int(var.indices[0])
    start = ref.softmax(o) if net.softmax else o

    def loss(shift: float) -> float:
        v = np.array(start, dtype=float)
        v[at] += shift
        return float(-np.sum(y * np.log(v)) if net.softmax else 0.5 * np.sum((v - y) ** 2))

    h = 1e-6 * (float(start[at]) if net.softmax else 1.0)
    return (loss(h) - loss(-h)) / (2 * h)
