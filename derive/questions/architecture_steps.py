"""The steps of an `architecture` part: each formula of `derive.models.architecture` stated
once, then every layer's numbers put in it (substitute + evaluate, checked), shown for the
quantities a report is about and hidden (checked, not displayed) otherwise.

`Walker` is the `put` of `derive.models.architecture.walk`: the walk decides which number
each layer needs, the walker writes the step that computes it and returns its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from derive.derivation import Derivation, Step
from derive.derivation.rules import register
from derive.models import architecture as A
from derive.models.architecture import Quantity

# The rule of each formula (worded in strings/<language>/architecture.yaml, `rules:`).
RULE_OF: dict[str, str] = {
    "size": "arch_output_size", "size_dilated": "arch_output_size",
    "features": "arch_flatten", "conv_weights": "arch_conv_weights",
    "conv_params": "arch_conv_params", "conv_mults": "arch_conv_mults",
    "dense_weights": "arch_dense_weights", "dense_params": "arch_dense_params",
    "dense_mults": "arch_dense_mults", "field": "arch_field", "field_dilated": "arch_field",
    "jump": "arch_jump", "min_size": "arch_min_size", "min_size_dilated": "arch_min_size",
}
# Stated steps: totals over the layers, and facts read off the network's structure (whether
# a weight depends on the input size, which input pixels a window reaches).
for _rule in sorted({*RULE_OF.values(), "arch_total", "arch_corner_need",
                     "arch_weights_fixed", "arch_windows_back"}):
    register(_rule)

# The sentence before each formula (its first use), with a case when dilation shows.
SENTENCE_OF: dict[str, tuple[str, str | None]] = {
    "size": ("arch_size", "plain"), "size_dilated": ("arch_size", "dilated"),
    "features": ("arch_features", None), "field": ("arch_field", "plain"),
    "field_dilated": ("arch_field", "dilated"), "min_size": ("arch_min_size", "plain"),
    "min_size_dilated": ("arch_min_size", "dilated"),
}

# Families whose sentence names only the counts stated (case: "weights_params", say).
COUNTS = ("weights", "params", "mults")
COUNTED = ("conv", "dense")

# Formulas shown together: a family's general formulas, then its numbers layer by layer.
FAMILY_OF: dict[str, str] = {
    "conv_weights": "conv", "conv_params": "conv", "conv_mults": "conv",
    "dense_weights": "dense", "dense_params": "dense", "dense_mults": "dense",
    "field": "field", "field_dilated": "field", "jump": "field",
}

# What the left-hand side of each formula is called, in general and at layer l.
_GENERAL: dict[str, str] = {
    "size": "n'", "features": "n", "weights": "N_l", "params": "P_l", "mults": "M_l",
    "field": "r'", "jump": "j'", "min_size": "m",
}
_AXES = {"size": ("h", "w"), "field": ("r^{(H)}", "r^{(W)}"), "jump": ("j^{(H)}", "j^{(W)}"),
         "min_size": ("m^{(H)}", "m^{(W)}")}
_SCALAR = {"features": "n", "weights": "N", "params": "P", "mults": "M", "field": "r",
           "jump": "j", "min_size": "m"}
# Answer keys of a number: size → rows_l, cols_l; field → field_rows_l, …
_KEY = {"size": "", "field": "field_", "jump": "jump_", "min_size": "min_"}

# The quantity that leads each family on the page (the others follow it).
_LEAD = {"size", "features", "weights", "field", "min_size"}
SHOW_ALL = 6     # a report's own quantities are written out layer by layer up to this many


def keys(q: Quantity) -> tuple[str, ...]:
    """The answer keys of a number of the walk (both axes when they share one step)."""
    if q.what not in _KEY:
        return (f"{q.what}_{q.layer}",)
    both = (f"{_KEY[q.what]}rows_{q.layer}", f"{_KEY[q.what]}cols_{q.layer}")
    return both if q.axis is None else (both[q.axis],)


def lhs(q: Quantity) -> sp.Symbol:
    """h_3, or h_3 = w_3 when both axes share the step; m (minimum sizes) is numbered by
    the layer whose input it is, so m_0 is the network's input."""
    n = q.layer - 1 if q.what == "min_size" else q.layer
    if q.what in _AXES and q.axis is not None:
        return sp.Symbol(f"{_AXES[q.what][q.axis]}_{{{n}}}")
    if q.what == "size":
        return sp.Symbol(f"h_{{{n}}} = w_{{{n}}}")
    return sp.Symbol(f"{_SCALAR[q.what]}_{{{n}}}")


def read(values: Mapping[str, Any], missing: int | None = None) -> A.Put:
    """A `put` that reads each number from checked answers instead of computing it (a
    number that is not among them is `missing`, or an error without it)."""
    def put(q: Quantity, _key: str, _values: dict[sp.Symbol, int]) -> int:
        key = keys(q)[0]
        return int(values[key]) if missing is None or key in values else missing
    return put


@dataclass
class NetworkDerivation(Derivation):
    """A derivation that knows which step gives each number of the walk."""

    numbers: dict[Quantity, Step] = field(default_factory=dict)

    def read(self) -> A.Put:
        """A `put` that reads each number from its checked step."""
        def put(q: Quantity, _key: str, _values: dict[sp.Symbol, int]) -> int:
            return int(self.numbers[q].rhs)
        return put


class Walker:
    """Writes the steps of every number the walk asks for. `focus`: the quantities the
    report is about (written out layer by layer, or their first and last use when more
    than SHOW_ALL layers use them); `general`: the quantities whose formula is stated (the
    table's columns) besides those of the focus; `answer`: the quantities whose numbers are
    answers (each compared with numpy)."""

    def __init__(self, d: Derivation, focus: set[str], uses: dict[str, int],
                 general: set[str] | frozenset[str] = frozenset(),
                 answer: frozenset[str] | set[str] = frozenset()):
        self.d, self.focus, self.uses, self.general, self.mark = d, focus, uses, general, answer
        self.stated: set[str] = set()
        self.seen: dict[str, int] = {}
        self.steps: dict[Quantity, Step] = {}      # the step that gives each number
        self.start = len(d.steps)
        self.chains: list[tuple[str, int]] = []     # (family, 0 general / 1 a layer's)

    def __call__(self, q: Quantity, key: str, values: dict[sp.Symbol, int]) -> int:
        d, formula = self.d, A.FORMULAS[key]
        if key not in self.stated and (q.what in self.general or q.what in self.focus):
            self.stated.add(key)
            family = FAMILY_OF.get(key, key)
            if family in COUNTED and family not in self.stated:
                self.stated.add(family)                  # its sentence, before its first formula
                d.say(f"arch_{family}", case="_".join(
                    w for w in COUNTS if w in self.general or w in self.focus))
            elif key in SENTENCE_OF:
                name, case = SENTENCE_OF[key]
                d.say(name, case=case)
            d.chain(sp.Symbol(_GENERAL[q.what]), formula, RULE_OF[key])
            self.chains.append((FAMILY_OF.get(key, key), 0))
        self.chains.append((FAMILY_OF.get(key, key), 1))
        count = self.seen[q.what] = self.seen.get(q.what, 0) + 1
        uses = self.uses.get(q.what, 0)
        shown = q.what in self.focus and (uses <= SHOW_ALL or count in (1, uses))
        if shown and count > 1 and uses > SHOW_ALL and q.what in _LEAD:
            d.say("arch_last", n=q.layer, case="back" if q.what == "min_size" else
                  "table" if self.general else "forward")
        start = len(d.steps)
        d.chain(lhs(q), formula, RULE_OF[key]).put(values)
        if q.what in self.mark:
            d.answer(*keys(q))
        for n, step in enumerate(d.steps[start:]):
            step.shown = shown and n > 0             # the formula itself is stated above
        self.steps[q] = d.steps[-1]
        if isinstance(d, NetworkDerivation):
            d.numbers[q] = d.steps[-1]
        return int(d.result)


    def arrange(self) -> None:
        """Chains grouped by family, in the order the families first appear: the general
        formulas of a family, then its numbers layer by layer (each chain is checked on its
        own, so their order is only the page's)."""
        d = self.d
        chains = [c for c in d.chains() if d.steps.index(c[0]) >= self.start]
        assert len(chains) == len(self.chains)
        first = {family: n for n, (family, _) in reversed(list(enumerate(self.chains)))}
        order = sorted(range(len(chains)),
                       key=lambda n: (first[self.chains[n][0]], self.chains[n][1], n))
        d.steps[self.start:] = [step for n in order for step in chains[n]]


def count_uses(shape: tuple[int, ...], layers: list[A.Layer],
               backwards: bool = False) -> dict[str, int]:
    """How many numbers of each quantity the walk (or the walk back) asks for."""
    uses: dict[str, int] = {}

    def put(q: Quantity, key: str, values: dict[sp.Symbol, int]) -> int:
        uses[q.what] = uses.get(q.what, 0) + 1
        return A.evaluate(q, key, values)

    if backwards:
        A.minimum_input_size(layers, put)
    else:
        A.walk(shape, layers, put)
    return uses


def total(d: Derivation, name: str, terms: dict[sp.Symbol, int], key: str,
          shown: bool) -> int:
    """name = the sum of the layers' numbers `terms` (written out when they are few)."""
    formula = sp.Add(*terms, evaluate=False) if terms else sp.Integer(0)
    start = len(d.steps)
    d.chain(sp.Symbol(name), formula, "arch_total")
    if terms:
        d.put(terms)
    d.answer(key)
    for step in d.steps[start:]:
        step.shown = shown and (len(terms) <= SHOW_ALL or step.rule == "evaluate")
    return int(d.result)


def stated(d: Derivation, name: str, value: int, rule: str, key: str, note: str,
           **values: Any) -> None:
    """A fact read off the network (`rule` says how), under the sentence `note` that states
    it in words; the step is an answer, not displayed."""
    d.say(note, **values)
    d.chain(sp.Symbol(name), sp.Integer(value), rule).answer(key)
    d.steps[-1].shown = False
