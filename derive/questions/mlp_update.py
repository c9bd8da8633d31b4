"""The SGD step of `mlp.backprop`: the update, which way it moves the weight whatever the
numbers (read off the factors of the gradient), what it does to the network (the unit the
weight feeds, and through it the true class's probability, for a one-hot label), and with
numbers its value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from derive.derivation import Derivation
from derive.listing import Listing
from derive.models import mlp as M
from derive.models.logistic import Updated
from derive.models.mlp import MLP, Path
from derive.models.softmax import cls
from derive.models.symbols import PartialOf
from derive.questions.mlp_numbers import approx, number, numeric
from derive.questions.mlp_setup import inline

if TYPE_CHECKING:
    from derive.questions.mlp import Backprop


def update(kind: Backprop, d: Derivation, net: MLP, path: Path, gradient: sp.Expr,
           values: dict[Any, Any]) -> None:
    """One SGD step, what it does whatever the numbers, and with them if given."""
    grad = PartialOf(M.L, path.weight, M.L)
    bias = net.is_bias(path.weight)
    if bias:                               # {b'}^v_j: b^{v}' would be a double superscript
        new = Updated(f"{{b'}}^{{{net.letters()[path.layer - 1]}}}", real=True)
    else:
        new = Updated(f"{path.weight.base}'", real=True)
    d.say("mlp_sgd", case="bias" if bias else "weight", w=path.weight, g=_inline(kind, grad),
          a=path.units[0])
    d.chain(new[path.weight.indices], path.weight - M.eta * grad, "sgd_update")
    effect(kind, d, net, path, gradient)
    d.then(path.weight - M.eta * gradient, "substitute",       # shown as w − η (…)
           display=kind.shown(path.weight - M.eta * sp.UnevaluatedExpr(gradient)))
    d.answer("update")
    if values:
        _numbers(kind, d, path, gradient, values)
    meaning(kind, d, net, path)


def _numbers(kind: Backprop, d: Derivation, path: Path, gradient: sp.Expr,
             values: dict[Any, Any]) -> None:
    """The update with the given numbers put in, and which way they move the weight."""
    grad = PartialOf(M.L, path.weight, M.L)
    c = kind.target_index()
    g = gradient.xreplace({cls: sp.Integer(c or 0)}).replace(
        lambda t: isinstance(t, sp.Sum), lambda t: t.doit()).xreplace(values)
    old, step = values[path.weight], numeric(g)
    new_value = values[path.weight] - values[M.eta] * g
    d.say("mlp_effect_numbers", case="zero" if step == 0 else "down" if step > 0 else "up",
          w=path.weight, g=_inline(kind, grad), gv=approx(g).strip(), old=number(old, paren=False),
          new=number(new_value, paren=False))
    kind.put_in_sums(d, values, "update_value")


def effect(kind: Backprop, d: Derivation, net: MLP, path: Path, gradient: sp.Expr) -> None:
    """What the step does to the weight, read off the factors of the gradient: those of
    known sign, the product of the others (whose sign moves it), and when it is 0."""
    signs = net.factor_signs(gradient)
    known = [r"$\eta > 0$"] + [f"${kind.shown(f)} {'>' if sign > 0 else '<'} 0$"
                               for f, sign in signs.items() if sign]
    free = [f for f, sign in signs.items() if not sign]
    flip = sum(1 for sign in signs.values() if sign < 0) % 2 == 1
    values: dict[str, Any] = {"w": path.weight,
                              "g": _inline(kind, PartialOf(M.L, path.weight, M.L)),
                              "known": Listing(known)}
    if not free:
        d.say("mlp_sgd_effect", case="up" if flip else "down", **values)
        return
    zeros = [f"${_plain(kind.shown(z))}$" for z in map(net.zero_condition, free)]
    d.say("mlp_sgd_effect", case=f"zero{len(zeros)}", s=_plain(kind.shown(sp.Mul(*free))),
          more="<" if flip else ">", less=">" if flip else "<",
          **dict(zip(("z1", "z2", "z3"), zeros, strict=False)), **values)


def _plain(latex: str) -> str:
    """Plain parentheses in a sentence's math, so that a long condition (three outputs,
    squared error) breaks at its operators instead of running into the margin."""
    return latex.replace(r"\left(", "(").replace(r"\right)", ")")


def _inline(kind: Backprop, expr: sp.Basic) -> str:
    return inline(expr, kind.display_base())


def _tail(net: MLP, path: Path) -> sp.Expr:
    """What the weight multiplies in its unit: the input x_i or unit h_i below, 1 for a bias."""
    if net.is_bias(path.weight):
        return sp.Integer(1)
    return net.post(path.layer - 1)[path.weight.indices[0]]


def meaning(kind: Backprop, d: Derivation, net: MLP, path: Path) -> None:
    """For a one-hot label, what the step does to the unit the weight feeds (its change is
    the weight's change times the weight's coefficient in it, a checked step) and, through
    that unit, to the probability of the true class: a hidden unit h_j moves in the
    direction that raises the true class's score against the others, an output score o_l
    rises for the true class and falls for the others. A weight below the last hidden
    layer, or a label that is not one-hot, gets no such sentence."""
    c = kind.target_index()
    if c is None or not net.softmax or path.later:
        return
    unit, tail = path.units[0], _tail(net, path)
    bias = net.is_bias(path.weight)
    d.say("mlp_sgd_meaning", case="bias" if bias else "weight", a=unit, w=path.weight,
          t=tail)
    moved = Updated(_primed(str(unit.base)), real=True)[unit.indices]
    grad = PartialOf(M.L, path.weight, M.L)
    d.chain(moved - unit, -M.eta * tail * grad, "sgd_update")
    col = unit.indices[0]
    if path.layer == net.depth:                  # an output score o_l
        true = col == c
        change = M.eta * tail ** 2 * (1 - M.yhat[c] if true else -M.yhat[col])
        d.then(change, "substitute")
        known = [r"$\eta > 0$", f"${kind.shown(M.yhat[c])} < 1$" if true
                 else f"${kind.shown(M.yhat[col])} > 0$"]
        d.say("mlp_sgd_meaning_output", case=("true_class" if true else "other_class")
              + ("_bias" if bias else ""), known=Listing(known), o=unit, t=tail,
              yc=M.yhat[c], l=int(col) + kind.index_base)
        _stated(d)
        return
    _hidden(kind, d, net, path, c, tail)


def _hidden(kind: Backprop, d: Derivation, net: MLP, path: Path, c: int, tail: sp.Expr
            ) -> None:
    """a_j′ − a_j = η t² act′(a_j) S, S = Σ_{l≠c} ŷ_l (w_jc − w_jl) = w_jc − Σ_l ŷ_l w_jl:
    the sign of S decides which way h_j moves, and S is how much more h_j adds to the true
    class's score than to the probability-weighted average of the scores."""
    unit, h = path.units
    col = unit.indices[0]
    w = net.weights()[net.depth - 1]
    others = [q for q in range(net.classes) if q != c]
    if kind.explicit():
        summed: sp.Expr = sp.Add(*(M.yhat[q] * (w[col, c] - w[col, q]) for q in others))
    else:
        summed = sp.Sum(M.yhat[M.l] * (w[col, c] - w[col, M.l]), (M.l, 0, net.classes - 1))
    slope = net.activation_derivative(unit)
    d.then(M.eta * tail ** 2 * slope * summed, "substitute")
    signs = {**net.factor_signs(slope), **net.factor_signs(summed)}
    known = [r"$\eta > 0$"] + [f"${kind.shown(f)} > 0$" for f, sign in signs.items()
                               if sign > 0 and not f.is_Number]
    free = sp.Mul(*(f for f, sign in signs.items() if not sign and f != slope))
    up, down = _comparisons(free)
    average = sp.Sum(M.yhat[M.l] * w[col, M.l], (M.l, 0, net.classes - 1))
    two = len(others) == 1
    d.say("mlp_sgd_meaning_hidden",
          case=f"{'two' if two else 'many'}_{'input' if tail != 1 else 'bias'}"
          f"{'_relu' if net.activation == 'relu' else ''}",
          known=Listing(known), a=unit, h=h, t=tail, up=up, down=down, s=summed,
          oc=M.o[c], ol=M.o[others[0]], yc=M.yhat[c], wc=w[col, c],
          average=average)
    if two:
        _stated(d)
    else:                              # Σ_{l≠c} ŷ_l (w_jc − w_jl) = w_jc − Σ_l ŷ_l w_jl
        _stated(d, M.eta * tail ** 2 * slope * (w[col, c] - average), "probabilities_sum_to_one")


def _primed(name: str) -> str:
    """a → a', and a^{(2)} → {a'}^{(2)} (a prime after a superscript would be a second one)."""
    if "^" not in name:
        return name + "'"
    head, sup = name.split("^", 1)
    return f"{{{head}'}}^{sup}"


def _comparisons(free: sp.Expr) -> tuple[sp.Basic, sp.Basic]:
    """`free` > 0 and `free` < 0, a difference u − v written u > v and u < v."""
    if isinstance(free, sp.Add) and len(free.args) == 2:
        plus = [t for t in free.args if not t.could_extract_minus_sign()]
        if len(plus) == 1:
            rest = plus[0] - free
            return sp.Gt(plus[0], rest, evaluate=False), sp.Lt(plus[0], rest, evaluate=False)
    return sp.Gt(free, 0, evaluate=False), sp.Lt(free, 0, evaluate=False)


def _stated(d: Derivation, value: sp.Expr | None = None, rule: str = "simplify") -> None:
    """The sentence just said states what the step does: a line of its own, marked as an
    answer, with no display; its step (the last one, or `value` by `rule`) is checked."""
    d.then(d.result if value is None else value, rule)
    d.steps[-1].shown, d.steps[-1].states = False, True
