"""The partials a part of `mlp.backprop` asks for (`partials: ["yhat_1/o_1", "o_1/v_12"]`),
each stated by its own checked chain: a link of the chain rule by its rule, or a stretch of
one path (∂o_1/∂v_12 = ∂o_1/∂h_2 ∂h_2/∂a_2 ∂a_2/∂v_12) with each link's value put in. A
whole link asked in index form ("L/yhat", every ∂L/∂ŷ_k) is the factor derived already.
The page marks these and nothing else; the reference differentiates the network numerically.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from derive.derivation import Derivation
from derive.models import mlp as M
from derive.models.mlp import MLP, Path
from derive.models.symbols import PartialOf
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


def state(d: Derivation, kind: Backprop, net: MLP, path: Path, explicit: bool, c: Any
          ) -> frozenset[str]:
    """Each asked partial stated and checked; the answer keys to mark."""
    marked = []
    factor_keys = {g: f"factor{n}" for n, g in enumerate(net.groups(path, explicit))}
    for n, text in enumerate(kind.partials or []):
        top, var = parse(text, kind)
        if isinstance(var, sp.IndexedBase) or top in (M.yhat, M.o):
            key = next((k for g, k in factor_keys.items() if _link_of(g, top, var)), None)
            if key is None:
                raise ValueError(f"partials: {text!r} is not a link of this chain")
            marked.append(key)
            continue
        if not (isinstance(var, sp.Indexed) and (var.base == M.o or str(var.base)
                                                  in net.letters())):
            raise ValueError(f"partials: {text!r}: ask for a partial with respect to a "
                             "weight or a score o")
        links = _stretch(net, path, top, var)
        if len(links) == 1:
            d.say("mlp_asked", case="link", f=links[0])
            kind.run(d, net, links[0], c)
        else:
            lhs = net.partial(top, var)
            d.say("mlp_asked", case="path", f=lhs, top=top, var=var)
            d.chain(lhs, lhs, "definition")
            d.then(sp.Mul(*links), "chain_rule")
            d.apply("substitute", values={f: net.value(f, c) for f in links})
        marked.append(f"asked{n}")
        d.answer(f"asked{n}")
    return frozenset(marked)


def _link_of(group: sp.Basic, top: sp.Basic, var: sp.Basic) -> bool:
    probe = group if isinstance(group, PartialOf) else next(iter(group.atoms(PartialOf)))
    a, b = probe.args[0], probe.args[1]
    base = a if a == M.L else a.base
    return top in (base, a) and isinstance(b, sp.Indexed) and var in (b.base, b)


def reference(kind: Backprop, data: Mapping[str, Any]) -> dict[str, Any]:
    """Each asked partial by central differences of the network run forward from the
    variable (a weight, or a layer's values) to the quantity asked."""
    net = kind.net()
    out: dict[str, Any] = {}
    weights = [np.array(data[x], dtype=float) for x in net.letters()]
    biases = [np.array(data[str(b)], dtype=float) for b in net.biases()] if net.bias else None
    for n, text in enumerate(kind.partials or []):
        top, var = parse(text, kind)
        if not isinstance(var, sp.Indexed) or top == M.L:
            continue

        def value(shift: float, top: sp.Indexed = top, var: sp.Indexed = var) -> float:
            w = [np.copy(v) for v in weights]
            o_shift = np.zeros(net.classes)
            if str(var.base) in net.letters():
                w[net.letters().index(str(var.base))][tuple(int(i) for i in var.indices)] += shift
            elif var.base == M.o:
                o_shift[int(var.indices[0])] = shift
            pres, units, o = ref.forward(np.asarray(data["x"], dtype=float), w, biases,
                                         net.activation)
            o = o + o_shift
            named = {M.o: o, M.yhat: ref.softmax(o)}
            if net.depth > 1:
                named |= {net.pre(1): pres[0], net.post(1): units[0]}
            return float(named[top.base][int(top.indices[0])])

        h = 1e-6
        out[f"asked{n}"] = (value(h) - value(-h)) / (2 * h)
    return out
