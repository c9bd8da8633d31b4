"""Rules of the softmax, cross-entropy and backpropagation family.

Each rule rewrites the factors it knows in an expression; the pipeline checks the step
numerically, like any other. Words for each rule: strings/<language>/backprop.yaml.

>>> import sympy as sp
>>> from derive.models.symbols import PartialOf
>>> p, o = sp.IndexedBase("p"), sp.IndexedBase("o")
>>> softmax_jacobian(PartialOf(p[0], o[1], p[0]), probs=p, scores=o)
-p[0]*p[1]
>>> softmax_jacobian(PartialOf(p[1], o[1], p[1]), probs=p, scores=o)
(1 - p[1])*p[1]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

from derive.derivation.rules import collapse_deltas, differentiate, register, sigma_prime
from derive.models.symbols import PartialOf


def _partial_of(e: sp.Basic, name: Any, var: Any) -> bool:
    """Whether `e` is ∂name[·]/∂var[·] (`var` None: any variable)."""
    if not isinstance(e, PartialOf):
        return False
    top, by = e.args[0], e.args[1]
    top_ok = top == name or (isinstance(top, sp.Indexed) and top.base == name)
    by_ok = var is None or (isinstance(by, sp.Indexed) and by.base == var)
    return top_ok and by_ok


def softmax_jacobian(expr: sp.Basic, probs: sp.IndexedBase, scores: sp.IndexedBase,
                     **_: Any) -> sp.Basic:
    """∂p_j/∂o_k = p_j(δ_jk − p_k) for p = softmax(o): the Jacobian diag(p) − p pᵀ."""
    def entry(e: PartialOf) -> sp.Expr:
        j, k = e.args[0].indices[0], e.args[1].indices[0]
        return probs[j] * (sp.KroneckerDelta(j, k) - probs[k])

    return expr.replace(lambda e: _partial_of(e, probs, scores), entry)


def log_derivative(expr: sp.Basic, loss: sp.Symbol, probs: sp.IndexedBase,
                   label: sp.IndexedBase, **_: Any) -> sp.Basic:
    """∂L/∂p_j = −y_j/p_j for the cross-entropy L = −Σ_m y_m log p_m."""
    def entry(e: PartialOf) -> sp.Expr:
        j = e.args[1].indices[0]
        return -label[j] / probs[j]

    return expr.replace(lambda e: _partial_of(e, loss, probs), entry)


def squared_error_derivative(expr: sp.Basic, loss: sp.Symbol, scores: sp.IndexedBase,
                             label: sp.IndexedBase, **_: Any) -> sp.Basic:
    """∂L/∂o_l = o_l − y_l for L = ½ Σ_m (o_m − y_m)²."""
    def entry(e: PartialOf) -> sp.Expr:
        k = e.args[1].indices[0]
        return scores[k] - label[k]

    return expr.replace(lambda e: _partial_of(e, loss, scores), entry)


def outside_partials(expr: sp.Basic, when: Callable[[sp.Basic], bool],
                     then: Callable[[Any], sp.Basic]) -> sp.Basic:
    """`expr.replace(when, then)`, bottom-up, leaving the meaning inside every ∂f/∂v as it
    is (it names the factor; rewriting it would make a different factor)."""
    if isinstance(expr, PartialOf):
        return then(expr) if when(expr) else expr
    if not expr.args or isinstance(expr, sp.Indexed | sp.IndexedBase):
        return then(expr) if when(expr) else expr
    args = [outside_partials(a, when, then) if isinstance(a, sp.Basic) else a
            for a in expr.args]
    rebuilt = expr.func(*args) if args != list(expr.args) else expr
    return then(rebuilt) if when(rebuilt) else rebuilt


def write_out(expr: sp.Basic, **_: Any) -> sp.Basic:
    """Every Σ with numeric limits written term by term, its body left as it is (a partial
    inside is not carried out, as Sum.doit would)."""
    def expand(e: sp.Sum) -> sp.Basic:
        body = e.function
        for var, lo, hi in e.limits:
            body = sp.Add(*(body.xreplace({var: sp.Integer(v)})
                            for v in range(int(lo), int(hi) + 1)))
        return body

    return outside_partials(expr, lambda e: isinstance(e, sp.Sum), expand)


def linear_term(expr: sp.Basic, **_: Any) -> sp.Basic:
    """∂(Σ_i w_il h_i + b_l)/∂h_j = w_jl: a linear function's coefficient of the variable
    (SymPy's derivative, its Kronecker deltas summed out)."""
    return collapse_deltas(differentiate(expr))


def bias_term(expr: sp.Basic, biases: tuple[sp.IndexedBase, ...], **_: Any) -> sp.Basic:
    """∂(Σ_i w_ij h_i + b_j)/∂b_j = 1: a bias enters its own unit's pre-activation with
    coefficient 1 (and no other unit's)."""
    def entry(e: PartialOf) -> sp.Expr:
        unit, by = e.args[0], e.args[1]
        return sp.KroneckerDelta(unit.indices[0], by.indices[0])

    return expr.replace(lambda e: isinstance(e, PartialOf) and isinstance(e.args[0], sp.Indexed)
                        and isinstance(e.args[1], sp.Indexed) and e.args[1].base in biases,
                        entry)


def one_hot(expr: sp.Basic, label: sp.IndexedBase, target: int | sp.Symbol,
            loss: sp.Symbol | None = None,
            probs: sp.IndexedBase | None = None, **_: Any) -> sp.Basic:
    """A one-hot label y = e_c (c = `target`): a Σ_m y_m f(m) is f(c); every other y_m is
    δ_mc; and ∂L/∂p_m (known to be −y_m/p_m) vanishes for m ≠ c, so a Σ_m over it keeps the
    term m = c only. `target` is a class number or a symbol standing for it."""
    c = sp.sympify(target)

    def summed_over(e: sp.Sum) -> sp.Symbol | None:
        """The variable v of a Σ whose body has y_v or ∂L/∂p_v as a factor."""
        factors = e.function.args if isinstance(e.function, sp.Mul) else (e.function,)
        for var, *_ in e.limits:
            if any(f == label[var] or (loss is not None and _partial_of(f, loss, probs)
                                       and f.args[1].indices[0] == var) for f in factors):
                return var
        return None

    def collapse(e: sp.Sum) -> sp.Basic:
        var = summed_over(e)
        rest = [lim for lim in e.limits if lim[0] != var]
        body = e.function.xreplace({label[var]: 1}).xreplace({var: c})
        return sp.Sum(body, *rest) if rest else body

    out = outside_partials(expr, lambda e: isinstance(e, sp.Sum) and summed_over(e) is not None,
                           collapse)
    if loss is not None:
        out = outside_partials(
            out, lambda e: _partial_of(e, loss, probs) and c.is_Integer
            and e.args[1].indices[0].is_Integer and e.args[1].indices[0] != c,
            lambda e: sp.Integer(0))
    return outside_partials(out, lambda e: isinstance(e, sp.Indexed) and e.base == label,
                            lambda e: sp.KroneckerDelta(e.indices[0], c))


# The words of each rule are in strings/<language>/backprop.yaml.
register("softmax_jacobian", softmax_jacobian)
register("log_derivative", log_derivative)
register("squared_error_derivative", squared_error_derivative)
register("one_hot", one_hot)
register("target_sums_to_one")       # Σ_m y_m = 1 for a probability vector (soft or one-hot)
register("quotient_rule")            # (u/v)′ = u′/v − u v′/v²
register("shift_cancels")            # e^{o_j + c} / Σ_m e^{o_m + c}: e^c cancels
register("log_sum_exp")              # log p_j = o_j − log Σ_m e^{o_m}, shifted by max_m o_m
register("matrix_form")              # entries (j, k) gathered into a matrix
register("linear_term", linear_term)
register("bias_term", bias_term)
register("paths_summed", write_out)  # the chain rule over every path, written out
register("tanh_derivative")          # ∂tanh(a)/∂a = 1/cosh²(a), stated
register("sigmoid_derivative", differentiate)    # ∂σ(a)/∂a = σ(a)(1 − σ(a))
register("identity_derivative", differentiate)   # ∂a/∂a = 1
register("sigma_renamed", sigma_prime)   # σ(a)(1 − σ(a)) written through its name: z(1 − z)
register("forward_pass")             # the network's values, layer by layer
register("backward_pass")            # the errors δ = ∂L/∂a, layer by layer from the top
