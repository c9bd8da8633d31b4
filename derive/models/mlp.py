"""A multilayer perceptron of any widths, and backpropagation to one weight, factor by factor.

Layers are fully connected: a = Wᵀ(input) (+ b), hidden units h = act(a) (tanh, sigmoid,
ReLU or identity), output scores o, then ŷ = softmax(o) with L = −Σ_k y_k log ŷ_k, or
L = ½ Σ_k (o_k − y_k)². Weight matrices are named by letters from the last layer back
(…, u, v, w): with widths [2, 3, 2], v (2 × 3) feeds the hidden layer and w (3 × 2) the
output, v_ij going from input i to hidden unit j. Indices start at 0 inside (numpy's
reading); pages print them in the spec's base.

>>> net = MLP((2, 3, 2))
>>> path = net.path(net.weight("v")[0, 1])
>>> [str(u) for u in path.units]
['a[1]', 'h[1]']
>>> net.path_count(path)
4
>>> h, w = net.post(1), net.weight("w")
>>> grad = (1 - h[1]**2) * ((yhat[0] - 1) * w[1, 0] + yhat[1] * w[1, 1]) * x[0]
>>> net.gradient(path, explicit=True, target=0) == grad
True

With biases (bias=True), b^v_j enters a_j with coefficient 1: the same paths, no input.

>>> biased = MLP((2, 3, 2), bias=True)
>>> b = biased.path(biased.biases()[0][1])
>>> biased.gradient(b, explicit=True, target=0) == grad / x[0]
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from derive.derivation.backprop_rules import write_out
from derive.derivation.steps import Domain, apply_rule
from derive.models.softmax import Shown
from derive.models.symbols import PartialOf, relu_prime, sigmoid

ACTIVATIONS = ("tanh", "sigmoid", "relu", "identity")
OUTPUTS = ("softmax_ce", "squared_error")
LETTERS = "stuvw"                       # weight matrices, named from the last layer back
# Summation indices: probabilities, scores, then the hidden layers after the weight's own.
k, l = sp.symbols("k l", integer=True, nonnegative=True)
LATER = sp.symbols("q p r", integer=True, nonnegative=True)
_d = sp.symbols("i j m n", integer=True, nonnegative=True)  # bound inside the loss, label
x = sp.IndexedBase("x", real=True)
o, yhat = sp.IndexedBase("o", real=True), sp.IndexedBase(r"\hat{y}", real=True)
y, y_raw = sp.IndexedBase("y", real=True), sp.IndexedBase("y_raw", real=True)
L, eta = sp.Symbol("L"), sp.Symbol("eta", positive=True)

# A step of a factor's derivation: (rule, stated expression from the last one, or None
# when the rule's own transformation applies, with these arguments from the last one).
Recipe = list[tuple[str, Callable[[sp.Basic], sp.Basic] | None,
                    Callable[[sp.Basic], dict[str, Any]]]]


def _no_args(_: sp.Basic) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Path:
    """What a weight W[i, j] (or a bias b[j]) of `layer` (1 = first) reaches: the units of
    its own layer it feeds (`units`: pre-activation, then activation when hidden), the
    later layers."""

    layer: int
    weight: sp.Indexed
    units: tuple[sp.Indexed, ...]
    later: tuple[int, ...]            # hidden layers after it (their numbers)


@dataclass(frozen=True)
class MLP:
    """widths [n_0, …, n_L]: n_0 inputs, L weight layers, n_L outputs."""

    widths: tuple[int, ...]
    activation: str = "tanh"
    output: str = "softmax_ce"
    bias: bool = False

    def __post_init__(self) -> None:
        if len(self.widths) < 2 or len(self.widths) > len(LETTERS) + 1:
            raise ValueError(f"widths: expected 2 to {len(LETTERS) + 1} layer sizes "
                             f"(inputs, hidden layers, outputs), got {len(self.widths)}")
        if any(n < 1 for n in self.widths):
            raise ValueError("widths: every layer has at least one unit")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r} "
                             f"(expected one of {', '.join(ACTIVATIONS)})")
        if self.output not in OUTPUTS:
            raise ValueError(f"unknown output {self.output!r} "
                             f"(expected one of {', '.join(OUTPUTS)})")
        if len(self.widths) - 2 > len(LATER) + 1:
            raise ValueError("at most 4 hidden layers")

    # names --------------------------------------------------------------------------------
    @property
    def depth(self) -> int:
        """The number of weight layers."""
        return len(self.widths) - 1

    @property
    def softmax(self) -> bool:
        return self.output == "softmax_ce"

    @property
    def classes(self) -> int:
        return self.widths[-1]

    def letters(self) -> str:
        return LETTERS[-self.depth:]

    def unit_letter(self, position: int) -> str:
        """The index letter of layer `position` (0: the inputs, depth: the outputs) in the
        page's sentences: i, j, k for inputs, first hidden layer and outputs; q, p, r for
        the hidden layers above the first, from the top down, as the chain names them."""
        if position == 0:
            return "i"
        if position == self.depth:
            return "k"
        if position == 1:
            return "j"
        return str(LATER[self.depth - 1 - position])

    def weight(self, letter: str) -> sp.IndexedBase:
        return sp.IndexedBase(letter, real=True)

    def weights(self) -> list[sp.IndexedBase]:
        return [self.weight(c) for c in self.letters()]

    def biases(self) -> list[sp.IndexedBase]:
        return [sp.IndexedBase(f"b^{{{c}}}", real=True) for c in self.letters()]

    def is_bias(self, entry: sp.Indexed) -> bool:
        """Whether `entry` is a bias b_j (one index) rather than a weight W_ij."""
        return entry.base in self.biases()

    def pre(self, layer: int) -> sp.IndexedBase:
        """Pre-activations of hidden layer `layer` (1 … L − 1); the scores o for L."""
        if layer == self.depth:
            return o
        return sp.IndexedBase("a" if self.depth == 2 else f"a^{{({layer})}}", real=True)

    def post(self, layer: int) -> sp.IndexedBase:
        """Units of layer `layer`: x for 0, hidden activations for 1 … L − 1."""
        if layer == 0:
            return x
        return sp.IndexedBase("h" if self.depth == 2 else f"h^{{({layer})}}", real=True)

    def act(self, a: sp.Expr) -> sp.Expr:
        return {"tanh": sp.tanh(a), "sigmoid": sigmoid(a), "relu": sp.Max(0, a),
                "identity": a}[self.activation]

    # forward pass -------------------------------------------------------------------------
    def pre_of(self, layer: int, col: sp.Expr, var: sp.Symbol | None = None) -> sp.Expr:
        """Σ_i W[i, col] · input_i (+ b_col) of layer `layer`."""
        i = var if var is not None else sp.Dummy("i", integer=True)
        total = sp.Sum(self.weights()[layer - 1][i, col] * self.post(layer - 1)[i],
                       (i, 0, self.widths[layer - 1] - 1))
        return total + self.biases()[layer - 1][col] if self.bias else total

    def prob_of(self, col: sp.Expr, var: sp.Symbol | None = None) -> sp.Expr:
        m = var if var is not None else sp.Dummy("m", integer=True)
        return sp.exp(o[col]) / sp.Sum(sp.exp(o[m]), (m, 0, self.classes - 1))

    def loss(self) -> sp.Expr:
        m = _d[2]
        if self.softmax:
            return -sp.Sum(y[m] * sp.log(yhat[m]), (m, 0, self.classes - 1))
        return sp.Sum((o[m] - y[m]) ** 2, (m, 0, self.classes - 1)) / 2

    def definitions(self, target: int | None = None) -> dict[Any, Any]:
        """Each layer from the one before, the loss, and (softmax) the label: one-hot on
        `target`, else a soft label whose entries sum to 1."""
        out: dict[Any, Any] = {L: self.loss()}
        for layer in range(1, self.depth + 1):
            out[self.pre(layer)] = lambda col, n=layer: self.pre_of(n, col)
            if layer < self.depth:
                out[self.post(layer)] = lambda col, n=layer: self.act(self.pre(n)[col])
        if self.softmax:
            out[yhat] = self.prob_of
            m = _d[3]
            out[y] = ((lambda q: sp.KroneckerDelta(q, target)) if target is not None else
                      (lambda q: y_raw[q] / sp.Sum(y_raw[m], (m, 0, self.classes - 1))))
        return out

    def domains(self) -> dict[Any, Domain]:
        n = self.widths
        out: dict[Any, Domain] = {x: Domain((n[0],))}
        for layer in range(1, self.depth + 1):
            out[self.weights()[layer - 1]] = Domain((n[layer - 1], n[layer]))
            if self.bias:
                out[self.biases()[layer - 1]] = Domain((n[layer],))
            out[self.pre(layer)] = Domain((n[layer],), "defined")
            if layer < self.depth:
                out[self.post(layer)] = Domain((n[layer],), "defined")
        if self.softmax:
            out[yhat] = Domain((n[-1],), "defined")
            out[y_raw] = Domain((n[-1],), "positive")
            out[y] = Domain((n[-1],), "defined")
        else:
            out[y] = Domain((n[-1],))
        out[eta] = Domain(kind="positive")
        return out

    # the chain rule -----------------------------------------------------------------------
    def path(self, entry: sp.Indexed) -> Path:
        """Where the weight `entry` (an entry of one of the weight matrices) or the bias
        `entry` (an entry of a bias vector) leads: the unit of its own layer it feeds."""
        if self.is_bias(entry):
            layer, col = self.biases().index(entry.base) + 1, entry.indices[0]
        else:
            layer, col = self.letters().index(str(entry.base)) + 1, entry.indices[1]
        units = ((o[col],) if layer == self.depth
                 else (self.pre(layer)[col], self.post(layer)[col]))
        return Path(layer, entry, units, tuple(range(layer + 1, self.depth)))

    def path_count(self, path: Path) -> int:
        """Paths from the weight to L: one per unit of each later layer it reaches, times
        the probabilities each score reaches (softmax couples them all)."""
        count = self.classes if self.softmax else 1
        if path.layer < self.depth:
            count *= self.classes
        for layer in path.later:
            count *= self.widths[layer]
        return count

    def _indices(self, path: Path) -> list[tuple[sp.Symbol, int]]:
        """The summation indices of the chain, outermost first, with their ranges."""
        out = [(k, self.classes)] if self.softmax else []
        if path.layer < self.depth:
            out.append((l, self.classes))
        out += [(LATER[n], self.widths[layer]) for n, layer in enumerate(reversed(path.later))]
        return out

    def meaning(self, top: sp.Expr) -> sp.Expr:
        """What a named quantity is, one layer down (the loss in ŷ or o, ŷ in o, …)."""
        if top == L:
            return self.loss()
        if top.base == yhat:
            return self.prob_of(top.indices[0], _d[1])
        for layer in range(1, self.depth + 1):
            if top.base == self.pre(layer):
                return self.pre_of(layer, top.indices[0], _d[0])
            if layer < self.depth and top.base == self.post(layer):
                return self.act(self.pre(layer)[top.indices[0]])
        raise KeyError(top)

    def partial(self, top: sp.Expr, var: sp.Expr) -> PartialOf:
        """∂top/∂var, with top's meaning one layer down."""
        return PartialOf(top, var, self.meaning(top))

    def factors(self, path: Path) -> list[PartialOf]:
        """The partials along a path, from the loss down to the weight, in index form."""
        score = o[path.units[0].indices[0]] if path.layer == self.depth else o[l]
        out = ([self.partial(L, yhat[k]), self.partial(yhat[k], score)] if self.softmax
               else [self.partial(L, score)])
        above = score
        for n, layer in enumerate(reversed(path.later)):
            unit = LATER[n]
            out += [self.partial(above, self.post(layer)[unit]),
                    self.partial(self.post(layer)[unit], self.pre(layer)[unit])]
            above = self.pre(layer)[unit]
        if path.layer < self.depth:
            pre, post = path.units
            out += [self.partial(above, post), self.partial(post, pre)]
            above = pre
        out.append(self.partial(above, path.weight))
        return out

    def chain(self, path: Path) -> sp.Expr:
        """∂L/∂W_ij as a Σ over every path of the product of the partials along it."""
        total = sp.Mul(*self.factors(path))
        for var, size in reversed(self._indices(path)):
            total = sp.Sum(total, (var, 0, size - 1))
        return total

    # each factor --------------------------------------------------------------------------
    def recipe(self, factor: PartialOf, target: int | sp.Symbol | None = None) -> Recipe:
        """The rules that turn one factor of the chain into its value."""
        top, var = factor.args[0], factor.args[1]
        if top == L:
            if not self.softmax:
                return [("squared_error_derivative", None,
                         lambda _: {"loss": L, "scores": o, "label": y})]
            steps: Recipe = [("log_derivative", None,
                              lambda _: {"loss": L, "probs": yhat, "label": y})]
            if target is not None:
                steps.append(("one_hot", None, lambda _: {"label": y, "target": target}))
            return steps
        if isinstance(top, sp.Indexed) and top.base == yhat:
            return [("softmax_jacobian", None, lambda _: {"probs": yhat, "scores": o})]
        if self._is_activation(top, var):
            return self._activation_recipe()
        if isinstance(var, sp.Indexed) and self.is_bias(var):
            return [("bias_term", None, lambda _: {"biases": tuple(self.biases())})]
        return [("linear_term", None, _no_args)]

    def _is_activation(self, top: sp.Expr, var: sp.Expr) -> bool:
        return any(isinstance(top, sp.Indexed) and top.base == self.post(n)
                   for n in range(1, self.depth))

    def _activation_recipe(self) -> Recipe:
        def renamed(e: sp.Basic) -> dict[str, Any]:
            return {"names": {f: self._unit_of(f) for f in e.atoms(sp.Function)
                              if isinstance(f, sp.tanh | sigmoid)}}

        if self.activation == "tanh":
            return [("tanh_derivative", lambda e: e.replace(
                        lambda t: isinstance(t, PartialOf), lambda t: sp.cosh(t.args[1]) ** -2),
                     _no_args),
                    ("tanh_prime", None, _no_args), ("rename", None, renamed)]
        if self.activation == "sigmoid":
            return [("sigmoid_derivative", None, _no_args), ("sigma_renamed", None, renamed)]
        if self.activation == "relu":
            return [("relu_prime", lambda e: e.replace(
                lambda t: isinstance(t, PartialOf), lambda t: relu_prime(t.args[1])), _no_args)]
        return [("identity_derivative", None, _no_args)]

    def _unit_of(self, f: sp.Expr) -> sp.Expr:
        """h for act(a): the unit of the same layer and index."""
        a = f.args[0]
        layer = next(n for n in range(1, self.depth) if a.base == self.pre(n))
        return self.post(layer)[a.indices[0]]

    def value(self, factor: sp.Basic, target: int | sp.Symbol | None = None) -> sp.Basic:
        """A factor (or a matrix of factors of one kind) carried through its recipe."""
        probe = next(iter(factor.atoms(PartialOf))) if not isinstance(factor, PartialOf) \
            else factor
        out = factor
        for rule, stated, args in self.recipe(probe, target):
            out = stated(out) if stated is not None else apply_rule(rule, out, **args(out))
        return out

    def groups(self, path: Path, explicit: bool) -> list[sp.Basic]:
        """The factors of the chain, one per link (loss, softmax, each layer down to the
        weight): in index form, or when `explicit` every concrete factor of that link, as a
        column (one free index) or a matrix (two)."""
        ranges = dict(self._indices(path))
        out: list[sp.Basic] = []
        for f in self.factors(path):
            free = list(dict.fromkeys(
                s for e in f.args[:2] if isinstance(e, sp.Indexed) for s in e.indices
                if s in ranges))
            if not explicit or not free:
                out.append(f)
            elif len(free) == 1:
                out.append(Shown([f.xreplace({free[0]: sp.Integer(v)})
                                  for v in range(ranges[free[0]])]))
            else:
                a, b = free
                out.append(Shown(
                    [[f.xreplace({a: sp.Integer(r), b: sp.Integer(c)})
                      for c in range(ranges[b])] for r in range(ranges[a])]))
        return out

    # the results --------------------------------------------------------------------------
    def upstream(self, score: sp.Expr, target: int | None = None) -> sp.Expr:
        """∂L/∂o_l simplified: ŷ_l − y_l (softmax and cross-entropy; y_l = δ_lc one-hot)
        or o_l − y_l (squared error)."""
        if not self.softmax:
            return o[score] - y[score]
        label = y[score] if target is None else sp.KroneckerDelta(score, target)
        return yhat[score] - label

    def gradient(self, path: Path, explicit: bool = False, target: int | None = None
                 ) -> sp.Expr:
        """∂L/∂W_ij: the upstream ∂L/∂o_l times the weights and act′ of every later layer,
        summed over the paths, times the tail act′(a_j) · input_i common to them all (for a
        bias b_j, act′(a_j) · 1); written out when `explicit`."""
        if self.is_bias(path.weight):
            col, tail = path.weight.indices[0], sp.Integer(1)
        else:
            row, col = path.weight.indices
            tail = self.post(path.layer - 1)[row]
        if path.layer == self.depth:
            return self.upstream(col, target) * tail
        units = list(LATER[:len(path.later)])[::-1]          # lowest later layer first
        current: sp.Expr = col
        product: sp.Expr = sp.Integer(1)
        limits: list[tuple[sp.Symbol, int, int]] = [(l, 0, self.classes - 1)]
        for unit, layer in zip(units, path.later, strict=True):
            product *= self.weights()[layer - 1][current, unit] * self.activation_derivative(
                self.pre(layer)[unit])
            limits.append((unit, 0, self.widths[layer] - 1))
            current = unit
        product *= self.weights()[self.depth - 1][current, l]
        summed: sp.Expr = sp.Sum(self.upstream(l, target) * product, *limits)
        if explicit:
            summed = write_out(summed)
        return self.activation_derivative(self.pre(path.layer)[col]) * summed * tail

    def gradient_one_hot(self, path: Path, explicit: bool, target: int | sp.Symbol
                         ) -> sp.Expr:
        """The gradient with a one-hot label on class c, using Σ_l ŷ_l = 1: for a weight of
        the one hidden layer, Σ_l (ŷ_l − δ_lc) w_jl = Σ_l ŷ_l (w_jl − w_jc), the term l = c
        dropped when written out; otherwise the gradient as it is."""
        if path.later or path.layer == self.depth:
            return self.gradient(path, explicit, target)
        col = path.weight.indices[-1]
        w = self.weights()[self.depth - 1]
        tail = (sp.Integer(1) if self.is_bias(path.weight)
                else self.post(path.layer - 1)[path.weight.indices[0]])
        if explicit:
            summed: sp.Expr = sp.Add(*(yhat[q] * (w[col, q] - w[col, target])
                                       for q in range(self.classes) if q != target))
        else:
            summed = sp.Sum(yhat[l] * (w[col, l] - w[col, target]), (l, 0, self.classes - 1))
        return self.activation_derivative(self.pre(path.layer)[col]) * summed * tail

    def factor_signs(self, gradient: sp.Expr) -> dict[sp.Expr, int]:
        """Each factor of a gradient (a product) by its sign whatever the data: +1 for a
        probability ŷ_k, a sum of them, a sigmoid unit h or 1 − h, tanh′ = 1 − h²; −1 for
        ŷ_k − 1; 0 when it depends on the data (an input, a weight, ReLU′ = 𝟙[a > 0])."""
        units = {self.post(n) for n in range(1, self.depth)}

        def unit(e: sp.Expr) -> bool:
            return isinstance(e, sp.Indexed) and e.base in units

        def sign(f: sp.Expr) -> int:
            if f.is_Number:
                return 1 if f > 0 else -1
            if isinstance(f, sp.Pow) and f.exp.is_Integer:
                inner = sign(f.base)
                return inner if f.exp % 2 else abs(inner)
            if isinstance(f, sp.Indexed) and f.base == yhat:
                return 1
            if isinstance(f, sp.Sum) and isinstance(f.function, sp.Indexed) \
                    and f.function.base == yhat:
                return 1
            if isinstance(f, sp.Add) and all(isinstance(t, sp.Indexed) and t.base == yhat
                                             for t in f.args):
                return 1
            if isinstance(f, sp.Add) and len(f.args) == 2 and -1 in f.args and any(
                    isinstance(t, sp.Indexed) and t.base == yhat for t in f.args):
                return -1                                   # ŷ_k − 1 < 0
            if self.activation == "sigmoid" and (unit(f) or unit(1 - f)):
                return 1
            if self._is_tanh_prime(f):
                return 1
            return 0

        return {f: sign(f) for f in sp.Mul.make_args(gradient)}

    def _is_tanh_prime(self, f: sp.Expr) -> bool:
        """Whether f is 1 − h² for a tanh unit h (positive: |tanh| < 1)."""
        return self.activation == "tanh" and any(
            f == 1 - self.post(n)[i] ** 2 for n in range(1, self.depth)
            for i in {e.indices[0] for e in f.atoms(sp.Indexed) if e.base == self.post(n)})

    def zero_condition(self, factor: sp.Expr) -> sp.Basic:
        """When a factor of the gradient is 0: a ≤ 0 for ReLU′(a), u = v for u − v, f = 0."""
        if isinstance(factor, relu_prime):
            return sp.Le(factor.args[0], 0, evaluate=False)
        if isinstance(factor, sp.Add) and len(factor.args) == 2:
            plus = [t for t in factor.args if not t.could_extract_minus_sign()]
            if len(plus) == 1:
                rest = plus[0] - factor
                return sp.Eq(plus[0], rest, evaluate=False)
        return sp.Eq(factor, 0, evaluate=False)

    def activation_derivative(self, a: sp.Indexed) -> sp.Expr:
        """act′(a) written through the unit h = act(a): 1 − h², h(1 − h), 𝟙[a > 0], 1."""
        h = self._unit_of(sp.Function("f")(a))
        return {"tanh": 1 - h ** 2, "sigmoid": h * (1 - h), "relu": relu_prime(a),
                "identity": sp.Integer(1)}[self.activation]


def numbers_in(expr: sp.Basic, values: Mapping[Any, sp.Expr]) -> dict[Any, sp.Expr]:
    """The values of the array entries and symbols `expr` reads (for Derivation.put)."""
    wanted = {a for a in expr.atoms(sp.Indexed)} | {s for s in expr.free_symbols
                                                     if isinstance(s, sp.Symbol)}
    return {a: values[a] for a in wanted if a in values}
