"""The steps of an `architecture` part: each formula of `derive.models.architecture` stated
once, then every layer's numbers put in it (substitute + evaluate, checked), shown for the
quantities a report is about, for a few layers of a table (`sampled`: one of each type and
the largest count), and hidden (checked, not displayed) otherwise. The numbers shown are
named before the first of them (n_l, R_l and J_l, m_l), the layers numbered as in the table.

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

# What the left-hand side of each formula is called, in general and at layer l. Rows and
# columns are told apart by a superscript (R^{(H)}, R^{(W)}), one name when they agree.
_GENERAL: dict[str, str] = {
    "size": "n'", "features": "F_l", "weights": "N_l", "params": "P_l", "mults": "M_l",
    "field": "R'", "jump": "J'", "min_size": "m",
}
_LETTER = {"size": "n", "features": "F", "weights": "N", "params": "P", "mults": "M",
           "field": "R", "jump": "J", "min_size": "m"}
_PER_AXIS = ("size", "field", "jump", "min_size")
# Answer keys of a number: size → rows_l, cols_l; field → field_rows_l, …
_KEY = {"size": "", "field": "field_", "jump": "jump_", "min_size": "min_"}

# The quantity that leads each family on the page (the others follow it).
_LEAD = {"size", "features", "weights", "field", "min_size"}
SHOW_ALL = 6     # a report's own quantities are written out layer by layer up to this many
FEW = 3          # a table's numbers are all worked when a quantity has at most this many
# The families whose numbers are named in a sentence before the first one shown (n_l, R_l
# and J_l, m_l), the layers numbered as in the table.
NAMED = {"size": "arch_size_name", "field": "arch_field_name", "min_size": "arch_min_name"}


def keys(q: Quantity) -> tuple[str, ...]:
    """The answer keys of a number of the walk (both axes when they share one step)."""
    if q.what not in _KEY:
        return (f"{q.what}_{q.layer}",)
    both = (f"{_KEY[q.what]}rows_{q.layer}", f"{_KEY[q.what]}cols_{q.layer}")
    return both if q.axis is None else (both[q.axis],)


def lhs(q: Quantity) -> sp.Symbol:
    """n_3, or n^{(H)}_3 and n^{(W)}_3 when the axes differ; m (minimum sizes) is numbered by
    the layer whose input it is, so m_0 is the network's input."""
    n = q.layer - 1 if q.what == "min_size" else q.layer
    axis = "" if q.what not in _PER_AXIS or q.axis is None else ("^{(H)}", "^{(W)}")[q.axis]
    return sp.Symbol(f"{_LETTER[q.what]}{axis}_{{{n}}}")


def read(values: Mapping[str, Any], missing: int | None = None) -> A.Put:
    """A `put` that reads each number from checked answers instead of computing it (a
    number that is not among them is `missing`, or an error without it)."""
    def put(q: Quantity, _key: str, _values: dict[sp.Symbol, int]) -> int:
        key = keys(q)[0]
        return int(values[key]) if missing is None or key in values else missing
    return put


@dataclass
class NetworkDerivation(Derivation):
    """A derivation that knows which step gives each number of the walk, and the column
    sums of its table."""

    numbers: dict[Quantity, Step] = field(default_factory=dict)
    sums: dict[str, int] = field(default_factory=dict)
    hidden: bool = False            # some numbers of the table are not worked on the page

    def read(self) -> A.Put:
        """A `put` that reads each number from its checked step."""
        def put(q: Quantity, _key: str, _values: dict[sp.Symbol, int]) -> int:
            return int(self.numbers[q].rhs)
        return put


Numbers = list[tuple[Quantity, int]]


def preview(shape: tuple[int, ...], layers: list[A.Layer], backwards: bool = False) -> Numbers:
    """Every number the walk (or the walk back) asks for, in its order, with its value."""
    out: Numbers = []

    def put(q: Quantity, key: str, values: dict[sp.Symbol, int]) -> int:
        out.append((q, A.evaluate(q, key, values)))
        return out[-1][1]

    if backwards:
        A.minimum_input_size(layers, put)
    else:
        A.walk(shape, layers, put)
    return out


def _kind_of(layer: A.Layer) -> str:
    return "pool" if isinstance(layer, A.MaxPool | A.AvgPool) else type(layer).__name__


def sampled(numbers: Numbers, layers: list[A.Layer], whats: set[str]) -> set[tuple[str, int]]:
    """The (quantity, layer) pairs a table works out: every one when a quantity has few
    numbers, else its first number on each type of layer and its largest count."""
    out: set[tuple[str, int]] = set()
    for what in whats:
        mine = [(q, v) for q, v in numbers if q.what == what]
        if len({q.layer for q, _ in mine}) <= FEW:
            out |= {(what, q.layer) for q, _ in mine}
            continue
        first: dict[str, int] = {}
        for q, _ in mine:
            first.setdefault(_kind_of(layers[q.layer - 1]), q.layer)
        out |= {(what, layer) for layer in first.values()}
        if what in COUNTS:
            out.add((what, max(mine, key=lambda qv: qv[1])[0].layer))
    return out


class Walker:
    """Writes the steps of every number the walk asks for (`numbers`: its `preview`).
    `focus`: the quantities the report is about (written out layer by layer, or their first
    and last use when more than SHOW_ALL layers use them); `general`: the quantities whose
    formula is stated (the table's columns) besides those of the focus; `sample`: whether
    the table's numbers are worked for a few layers (`sampled`); `answer`: the quantities
    whose numbers are answers (each compared with numpy)."""

    def __init__(self, d: Derivation, focus: set[str], numbers: Numbers, layers: list[A.Layer],
                 general: set[str] | frozenset[str] = frozenset(),
                 answer: frozenset[str] | set[str] = frozenset(), sample: bool = False):
        self.d, self.focus, self.general, self.mark = d, focus, general, answer
        self.uses: dict[str, int] = {}
        for q, _ in numbers:
            self.uses[q.what] = self.uses.get(q.what, 0) + 1
        picked = sampled(numbers, layers, set(general) - focus) if sample else set()
        self.show: set[Quantity] = set()
        seen: dict[str, int] = {}
        for q, _ in numbers:
            count = seen[q.what] = seen.get(q.what, 0) + 1
            uses = self.uses[q.what]
            if ((q.what in focus and (uses <= SHOW_ALL or count in (1, uses)))
                    or (q.what, q.layer) in picked):
                self.show.add(q)
        # a table that works some layers and leaves the others to the table
        self.hidden = sample and any(q not in self.show for q, _ in numbers
                                     if q.what in general)
        self.layers = layers
        self.stated: set[str] = set()
        self.seen: dict[str, int] = {}
        self.steps: dict[Quantity, Step] = {}      # the step that gives each number
        self.start = len(d.steps)
        self.chains: list[tuple[str, int]] = []     # (family, 0 general / 1 a layer's)

    def __call__(self, q: Quantity, key: str, values: dict[sp.Symbol, int]) -> int:
        d, formula = self.d, A.FORMULAS[key]
        family = FAMILY_OF.get(key, key)
        if key not in self.stated and (q.what in self.general or q.what in self.focus):
            self.stated.add(key)
            if family in COUNTED and family not in self.stated:
                self.stated.add(family)                  # its sentence, before its first formula
                d.say(f"arch_{family}", case="_".join(
                    w for w in COUNTS if w in self.general or w in self.focus))
            elif key in SENTENCE_OF:
                name, case = SENTENCE_OF[key]
                d.say(name, case=case)
            d.chain(sp.Symbol(_GENERAL[q.what]), formula, RULE_OF[key])
            self.chains.append((family, 0))
        self.chains.append((family, 1))
        count = self.seen[q.what] = self.seen.get(q.what, 0) + 1
        uses = self.uses.get(q.what, 0)
        shown = q in self.show
        if q.what in NAMED and shown and f"named {q.what}" not in self.stated:
            self.stated.add(f"named {q.what}")
            d.say(NAMED[q.what], case=self._naming(q.what))
        elif shown and count > 1 and uses > SHOW_ALL and q.what in _LEAD:
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

    def _naming(self, what: str) -> str:
        """The case of the sentence that names the numbers of `what` shown: one name for
        both axes, one per axis, or both; `_act` when an activation layer lies among the
        layers numbered (an activation has a number of its own, and no such step)."""
        whats = {"field", "jump"} if what == "field" else {what}
        shown = [q for q in self.show if q.what in whats]
        axes = {q.axis is None for q in shown}
        case = "square" if axes == {True} else "rect" if axes == {False} else "mixed"
        last = max(q.layer for q in shown)
        act = any(isinstance(layer, A.Activation) for layer in self.layers[:last])
        return case + ("_act" if act else "")

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


def total(d: Derivation, name: str, terms: dict[sp.Symbol, int], key: str,
          shown: bool, answer: bool = True) -> int:
    """name = the sum of the layers' numbers `terms` (written out when they are few); an
    answer `key` unless `answer` is False (a column whose numbers are not compared)."""
    formula = sp.Add(*terms, evaluate=False) if terms else sp.Integer(0)
    start = len(d.steps)
    d.chain(sp.Symbol(name), formula, "arch_total")
    if terms:
        d.put(terms)
    if answer:
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
