"""Backpropagation in a multilayer perceptron to one chosen weight, as checked steps: the
chain rule over every path, each factor by its rule, the simplified gradient, the SGD
update, and, with given numbers, every value put in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

import sympy as sp
from pydantic import Field, model_validator

from derive.derivation import Derivation
from derive.derivation.indices import in_base
from derive.derivation.rules import register
from derive.derivation.steps import apply_rule
from derive.latex.printer import tex
from derive.models import mlp as M
from derive.models.mlp import MLP, Path
from derive.models.mlp_errors import deep
from derive.models.softmax import cls
from derive.models.symbols import PartialOf
from derive.questions import mlp_errors as errors
from derive.questions import mlp_partials, mlp_setup, mlp_update
from derive.questions.base import IndexBase, NonNegInt, PosInt
from derive.questions.declare import kind
from derive.questions.mlp_numbers import Numbers, approx, numeric

WEIGHT = re.compile(r"^([A-Za-z])_?(?:\{(\d+),?(\d+)\}|(\d),?(\d)|(\d+),(\d+))$")
BIAS = re.compile(r"^b(?:\^\{?([A-Za-z])\}?)?_\{?(\d+)\}?(?:\^\{?([A-Za-z])\}?)?$")
EXPLICIT_PATHS = 8           # chains with at most this many paths are written out
EXPLICIT_WIDTH = 4           # … when no layer they sum over is wider
register("probabilities_sum_to_one")   # Σ_k ŷ_k = 1 (worded in strings/<language>/backprop.yaml)
Widths = Annotated[list[PosInt], Field(min_length=2, max_length=6)]


def parse_weight(text: str) -> tuple[str, int, int]:
    """'v_12', 'v_{1,2}', 'v_1,2', 'v_{12}' → ('v', 1, 2) (indices as written)."""
    match = WEIGHT.match(text.replace(" ", ""))
    if not match:
        raise ValueError(f"weight {text!r}: expected a letter and two indices, such as "
                         "'v_12' or 'v_{1,2}', or a bias such as 'b^v_2'")
    letter, *groups = match.groups()
    i, j = [g for g in groups if g is not None]
    return letter.lower(), int(i), int(j)


def parse_bias(text: str) -> tuple[str | None, int] | None:
    """'b^v_2', 'b^{v}_{2}', 'b_2^v' → ('v', 2); 'b_2' → (None, 2); not a bias → None."""
    match = BIAS.match(text.replace(" ", ""))
    if not match:
        return None
    before, j, after = match.groups()
    letter = before or after
    return (letter.lower() if letter else None), int(j)


@kind("mlp.backprop",
      "Backpropagation to one weight of a multilayer perceptron: the chain rule over every "
      "path, each factor, the gradient and the SGD update (with numbers when given).",
      {"widths": [2, 3, 2], "activation": "tanh", "output": "softmax_ce", "weight": "v_12",
       "report": "gradient", "target": 1})
class Backprop(Numbers):
    widths: Widths = Field(default_factory=lambda: [2, 3, 2],
                           description="Layer sizes: inputs, hidden layers, outputs.")
    activation: Literal["tanh", "sigmoid", "relu", "identity"] = "tanh"
    output: Literal["softmax_ce", "squared_error"] = Field(
        "softmax_ce", description="softmax + cross-entropy, or identity + ½ squared error.")
    bias: bool = False
    weight: str = Field(description="The weight asked, letter and indices: 'v_12' (weight "
                        "matrices are named …, u, v, w from the last layer back); or, with "
                        "bias: true, a bias by its layer's letter and unit: 'b^v_2'.")
    report: Literal["chain", "factors", "gradient", "update"] = Field(
        "gradient", description="The chain of partials; its factors; the gradient; the update.")
    partials: list[str] | None = Field(
        None, description="The partials the part asks for, top/variable with indices as "
        "written: 'L/yhat_2', 'yhat_1/o_1', 'o_1/v_12' (along one path), or a whole link "
        "'L/yhat'. The part shows and marks these (and the chain, gradient or update its "
        "report asks for); with report factors, no other factor.")
    target: PosInt | Literal[0] | None = Field(
        None, description="Class of a one-hot label (from index_base); softmax_ce only.")
    index_base: IndexBase = 1
    seed: NonNegInt = 0
    tolerance: ClassVar[float] = 1e-6
    limits: ClassVar[dict[str, int]] = {"number of weights": 2048}    # about 2 s at 1,024

    @property
    def method(self) -> str:  # type: ignore[override]
        """The check's words: with given numbers, their values are checked as well."""
        return "mlp_fd_numbers" if self.has_numbers() else "mlp_fd"

    def measures(self) -> dict[str, int]:
        return {"number of weights": sum(a * b for a, b in zip(self.widths, self.widths[1:],
                                                                 strict=False))}

    @model_validator(mode="after")
    def _consistent(self) -> Backprop:
        net = MLP(tuple(self.widths), self.activation, self.output, self.bias)
        if self.output == "softmax_ce" and self.widths[-1] < 2:
            raise ValueError("widths: softmax_ce needs at least 2 outputs (a softmax over one "
                             "score is always 1)")
        if parse_bias(self.weight) is not None:
            self._check_bias(net)
        else:
            self._check_weight(net)
        b = self.index_base
        if self.target is not None:
            if self.output != "softmax_ce":
                raise ValueError("target: a one-hot class needs output softmax_ce")
            if not b <= self.target < self.widths[-1] + b:
                raise ValueError(f"target: class {self.target} does not exist (classes {b} "
                                 f"to {self.widths[-1] - 1 + b})")
        for text in self.partials or []:
            mlp_partials.parse(text, self)
        self.check_numbers(net, self.target_index())
        if self.report == "update" and self.has_numbers() and self.eta is None:
            raise ValueError("eta: the learning rate is needed to put numbers in the update")
        return self

    def _check_weight(self, net: MLP) -> None:
        letter, i, j = parse_weight(self.weight)
        letters = net.letters()
        sizes = {c: (self.widths[n], self.widths[n + 1]) for n, c in enumerate(letters)}
        if letter not in letters:
            have = ", ".join(f"{c} ({r} × {s})" for c, (r, s) in sizes.items())
            raise ValueError(f"weight {self.weight!r}: this network has no weight matrix "
                             f"{letter!r} (it has {have})")
        rows, cols = sizes[letter]
        b = self.index_base
        if not (b <= i < rows + b and b <= j < cols + b):
            raise ValueError(f"weight {self.weight!r} does not exist: {letter} is {rows} × "
                             f"{cols} (rows {b} to {rows - 1 + b}, columns {b} to "
                             f"{cols - 1 + b})")

    def _check_bias(self, net: MLP) -> None:
        """A bias b^v_j: the network has biases, a layer fed by v, and a unit j in it."""
        parsed = parse_bias(self.weight)
        assert parsed is not None
        letter, j = parsed
        letters, b = net.letters(), self.index_base
        have = ", ".join(f"b^{c}_{b}…b^{c}_{self.widths[n + 1] - 1 + b}"
                         for n, c in enumerate(letters))
        if not self.bias:
            raise ValueError(f"weight {self.weight!r}: this network has no biases (bias: "
                             "false); set bias: true to ask for the gradient of a bias")
        if letter is None:
            if len(letters) > 1:
                raise ValueError(f"weight {self.weight!r}: say which layer's bias, by the "
                                 f"letter of its weights (this network has {have})")
            letter = letters[0]
        if letter not in letters:
            raise ValueError(f"weight {self.weight!r}: this network has no bias vector "
                             f"b^{letter} (it has {have})")
        size = self.widths[letters.index(letter) + 1]
        if not b <= j < size + b:
            raise ValueError(f"weight {self.weight!r} does not exist: b^{letter} has {size} "
                             f"entries (units {b} to {size - 1 + b})")

    # the pieces ------------------------------------------------------------------------------
    def net(self) -> MLP:
        return MLP(tuple(self.widths), self.activation, self.output, self.bias)

    def target_index(self) -> int | None:
        return None if self.target is None else self.target - self.index_base

    def path(self) -> Path:
        net, bias = self.net(), parse_bias(self.weight)
        if bias is not None:
            letter, j = bias
            n = net.letters().index(letter) if letter is not None else 0
            return net.path(net.biases()[n][j - self.index_base])
        letter, i, j = parse_weight(self.weight)
        return net.path(net.weight(letter)[i - self.index_base, j - self.index_base])

    def explicit(self) -> bool:
        net, path = self.net(), self.path()
        widths = [self.widths[n] for n in path.later] + [self.widths[-1]]
        return net.path_count(path) <= EXPLICIT_PATHS and max(widths) <= EXPLICIT_WIDTH

    def shown(self, expr: sp.Basic) -> str:
        return tex(in_base(expr, self.display_base()))

    # the derivation --------------------------------------------------------------------------
    def derive(self) -> Derivation:
        net, path, c = self.net(), self.path(), self.target_index()
        explicit = self.explicit()
        free = {} if explicit else {s: (0, n - 1) for s, n in net._indices(path)}
        d = Derivation(net.domains(), free, {**net.definitions(c), cls: sp.Integer(c or 0)})
        mlp_setup.setup(self, d, net)
        values = self.forward_values(d, net) if self.has_numbers() else {}
        label = c if explicit or c is None else cls
        asked: frozenset[str] = frozenset()
        if self.report in ("chain", "factors"):
            if self.report == "chain" and self.partials:     # what is asked, then the chain
                asked = mlp_partials.state(d, self, net, path, explicit, label, derived=False)
            self.chain(d, net, path, explicit, c, substituted=False)
            if self.report == "factors" and self.partials:   # only the factors asked
                asked = mlp_partials.state(d, self, net, path, explicit, label, derived=False)
            elif self.report == "factors":
                self.factors(d, net, path, explicit, c, values)
            return self.mark_asked(d, asked)
        factors = self.factors(d, net, path, explicit, c, values)
        if deep(net, path):            # through the errors δ of the later layers
            errors.prepare(d, net, path, c if explicit or c is None else cls)
            gradient = errors.gradient(self, d, net, path, explicit, c, factors, values)
        else:
            gradient = self.chain(d, net, path, explicit, c, substituted=True, factors=factors)
        if values:
            self.put_in_sums(d, values, "gradient_value")
        if self.report == "update":
            mlp_update.update(self, d, net, path, gradient, values)
        if self.partials:
            asked = mlp_partials.state(d, self, net, path, explicit, label, derived=True)
        return self.mark_asked(d, asked)

    def mark_asked(self, d: Derivation, asked: frozenset[str]) -> Derivation:
        """The page marks what the report asks for (what `value` gives a script), not the
        chain or the factors a gradient is derived from; with numbers, every value. Partials
        asked by name are stated and marked, with the chain, gradient or update the report
        asks for (`factors`: the partials asked stand for the factors)."""
        own = {"chain": ["chain"], "gradient": ["gradient"], "update": ["gradient", "update"],
               "factors": [k for k in d.answers() if k.startswith("factor")]}[self.report]
        if self.has_numbers():
            own = [k for k in d.answers() if k.endswith("_value")]
        if self.partials:
            d.marked = asked | frozenset(own if self.report != "factors" else [])
        elif not self.has_numbers():
            d.marked = frozenset(own)
        return d

    def chain(self, d: Derivation, net: MLP, path: Path, explicit: bool, c: int | None,
              substituted: bool, factors: dict[Any, Any] | None = None) -> sp.Expr:
        """∂L/∂W_ij: the chain rule over every path (written out when small); with a one-hot
        label the paths through the other classes dropped and ∂L/∂ŷ_c put in; then
        (`substituted`) each factor's value and the textbook form."""
        lhs = PartialOf(M.L, path.weight, M.L)
        d.chain(lhs, lhs, "definition")
        mlp_setup.paths_sentence(d, net, path)
        d.then(net.chain(path), "chain_rule")
        if explicit:
            d.say("mlp_written").apply("paths_summed")
            errors.pack(self, d, deep(net, path))
        label = c if explicit or c is None else cls
        if c is not None and net.softmax:
            d.say("mlp_one_hot_paths", yc=M.yhat[label], c=c + self.index_base)
            d.apply("one_hot", label=M.y, target=label, loss=M.L, probs=M.yhat)
            errors.pack(self, d, explicit and deep(net, path))
            top = net.partial(M.L, M.yhat[label])
            raw = apply_rule("log_derivative", top, loss=M.L, probs=M.yhat, label=M.y)
            d.say("mlp_one_hot_value", **{k: mlp_setup.inline(e, self.display_base()) for k, e
                                          in (("f", top), ("raw", raw),
                                              ("v", net.value(top, label)))})
            d.apply("substitute", values={top: net.value(top, label)})
            errors.pack(self, d, explicit and deep(net, path))
        if not substituted:
            return d.answer("chain").result
        assert factors is not None
        d.say("mlp_combine")
        d.apply("substitute", values={f: factors[f] if f in factors else net.value(f, label)
                                      for f in d.result.atoms(PartialOf)})
        if net.softmax and c is None:
            d.then(net.gradient(path, explicit), "target_sums_to_one")
        gradient = net.gradient(path, explicit, label)
        d.then(gradient, "simplify")
        if c is not None and net.softmax:           # ŷ_c − 1 = −Σ_{l≠c} ŷ_l: one term less
            gradient = net.gradient_one_hot(path, explicit, label)
            d.then(gradient, "probabilities_sum_to_one")
        d.answer("gradient")
        return gradient

    def factors(self, d: Derivation, net: MLP, path: Path, explicit: bool, c: int | None,
                values: dict[Any, Any]) -> dict[Any, Any]:
        """Each link of the chain by its rule, after a sentence naming it; the values of
        every factor by entry. A gradient with a one-hot label has ∂L/∂ŷ_c put in by the
        chain already: the loss's link is not derived again."""
        links = net.factors(path)
        one_hot = c is not None and net.softmax
        dropped = [f for f in net.groups(path, True)[1] if f.args[0] != M.yhat[c]] if (
            one_hot and explicit and self.report == "factors") else []
        out: dict[Any, Any] = {}
        label = c if explicit or c is None else cls
        for n, group in enumerate(net.groups(path, explicit)):
            if n == 0 and one_hot and self.report != "factors":
                continue
            mlp_setup.factor_sentence(self, d, links[n], c, dropped if n == 1 else [])
            result = self.run(d, net, group, label)
            d.answer(f"factor{n}")
            if values and M.numbers_in(d.result, values):     # not for a constant (∂a/∂b = 1)
                self.put(d, values)
            if isinstance(group, sp.MatrixBase):
                out.update(zip(group, result, strict=True))
            else:
                out[group] = result
        return out

    def run(self, d: Derivation, net: MLP, group: sp.Basic, c: int | sp.Symbol | None
            ) -> sp.Basic:
        """One link's factors, from the partial to its value, rule by rule."""
        probe = group if isinstance(group, PartialOf) else next(iter(group.atoms(PartialOf)))
        lhs = group
        d.chain(lhs, group, "definition")
        for rule, stated, args in net.recipe(probe, c):
            if stated is not None:
                d.then(stated(d.result), rule)
            else:
                d.apply(rule, **args(d.result))
        return d.result

    def put_in_sums(self, d: Derivation, values: dict[Any, Any], key: str) -> None:
        """The numbers put into the last formula. A chain too long to write path by path
        keeps its Σ and the class c as a symbol: its sums are written out and c put in first
        (checked steps, not shown), and the page shows its value only — the formula with
        every number in place would be pages wide."""
        c, summed = self.target_index(), d.result.has(sp.Sum)
        if c is not None and d.result.has(cls):
            d.then(d.result.xreplace({cls: sp.Integer(c)}), "substitute")
            d.steps[-1].shown = False
        if summed:
            d.apply("expand_sum")
            d.steps[-1].shown = False
        self.put(d, values, key)
        step = d.steps[-1]
        if summed and step.display is not None:
            step.display = approx(step.rhs).strip()

    def value(self, answers: dict[str, Any]) -> Any:
        """With numbers: the loss, gradient and updated weight as numbers. Otherwise the
        expressions the report asks for (the factors by name for `factors`); partials asked
        by name, by the name the spec gives them, beside the report's own."""
        if self.has_numbers():
            return {key.removesuffix("_value"): numeric(v) for key, v in answers.items()
                    if key.endswith("_value")}
        if self.partials:
            own = {"chain": ["chain"], "gradient": ["gradient"],
                   "update": ["gradient", "update"]}.get(self.report, [])
            return ({text: answers[f"asked{n}"] for n, text in enumerate(self.partials)}
                    | {key: answers[key] for key in own})
        if self.report == "factors":
            return {k: v for k, v in answers.items() if k.startswith("factor")}
        if self.report == "update":
            return {"gradient": answers["gradient"], "update": answers["update"]}
        return answers["chain" if self.report == "chain" else "gradient"]

    # checking ---------------------------------------------------------------------------------
    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        from derive.questions.mlp_numbers import reference_answers

        answers = reference_answers(self, data)
        return answers | mlp_partials.reference(self, data, answers)
