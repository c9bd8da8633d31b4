"""Decision trees: the entropy of a labelled sample, and the information gain of splitting
it on each attribute, exact (logarithms of primes) and to three decimals."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import sympy as sp
from pydantic import Field, ValidationInfo, field_validator

from derive.derivation import Derivation
from derive.derivation import function_rules as _rules  # noqa: F401  (registers the rules)
from derive.errors import did_you_mean
from derive.listing import Listing
from derive.models.entropy import Table, plog, proportions, written_out
from derive.models.function import Shown
from derive.questions.declare import Derived, kind

NAME = r"^[A-Za-z][A-Za-z0-9]{0,11}(_[A-Za-z0-9]{1,6})?$"
WORD = re.compile(r"^[A-Za-z0-9.+\-]{1,12}$")
Name = str
BASES = {2: sp.Integer(2), 10: sp.Integer(10), "e": sp.E}
PRECISION = 40          # digits to which exact values are compared (ties, zero gains)
CLOSE = sp.Float(10) ** (5 - PRECISION)


def name_tex(name: str) -> str:
    """A1 → A_{1}, x_3 → x_{3}, Outlook → \\text{Outlook}."""
    match = re.fullmatch(r"([A-Za-z])_?([0-9]+)", name)
    if match:
        return f"{match.group(1)}_{{{match.group(2)}}}"
    if len(name) == 1:
        return name
    head, _, sub = name.partition("_")
    out = head if len(head) == 1 else rf"\text{{{head}}}"
    return f"{out}_{{{sub}}}" if sub else out


def value_tex(value: Any) -> str:
    """A table entry in math: 1, +, \\text{yes}."""
    if isinstance(value, int) or value in ("+", "-"):
        return str(value)
    return rf"\text{{{value}}}"


def decimal(x: float, places: int = 3) -> str:
    """A non-negative value to `places` decimals (0 exactly as 0)."""
    return "0" if x == 0 else f"{x:.{places}f}"


def largest(values: dict[str, sp.Expr]) -> list[str]:
    """The names of the largest values, compared exactly (to PRECISION digits)."""
    numbers = {k: sp.N(v, PRECISION) for k, v in values.items()}
    top = max(numbers.values())
    return [k for k, v in numbers.items() if abs(v - top) <= CLOSE]


def places_for(values: list[sp.Expr]) -> int:
    """Three decimals, or more (up to 8) until values that differ are printed differently."""
    numbers = [sp.N(v, PRECISION) for v in values]
    for places in range(3, 9):
        shown: dict[str, list[sp.Expr]] = {}
        clash = False
        for v in numbers:
            key = f"{float(v):.{places}f}"
            clash |= any(abs(v - w) > CLOSE for w in shown.get(key, []))
            shown.setdefault(key, []).append(v)
        if not clash:
            return places
    return 8


@kind("decision_tree.split",
      "Entropy of a labelled sample and the information gain of each attribute's split.",
      {"attributes": ["A1", "A2"], "rows": [[1, 0, "+"], [1, 1, "+"], [0, 1, "-"]]})
class DecisionTreeSplit(Derived):
    attributes: list[Name] = Field(
        min_length=1, max_length=8,
        description="Attribute names, in the order of the table's columns.")
    label: Name = Field("y", description="Name of the class column (the last one).")
    binary: bool = Field(False, description="Require every attribute and the class to take "
                         "at most two values, as the assignment states.")
    rows: list[list[int | str]] = Field(
        min_length=1, max_length=40,
        description="One row per sample: its attribute values, then its class.")
    samples: list[Name] | None = Field(
        None, description="Sample names (default x1, x2, ...).")
    evaluate: list[str] | None = Field(
        None, description="Attributes whose split is evaluated (default all).")
    base: Literal[2, 10, "e"] = Field(2, description="Logarithm base: 2 (bits), e, 10.")
    method: ClassVar[str] = "entropy_count"
    index_base_default: ClassVar[int] = 0     # no indices: expressions printed as built
    tolerance: ClassVar[float] = 1e-9

    @field_validator("attributes", "label")
    @classmethod
    def _names(cls, value: Any) -> Any:
        for name in [value] if isinstance(value, str) else value:
            if not re.match(NAME, name):
                raise ValueError(f"{name!r} is not a name (a letter, then letters or digits, "
                                 "optionally _ and a subscript)")
        if isinstance(value, list) and len(set(value)) < len(value):
            raise ValueError(f"attribute names repeat: {value}")
        return value

    @field_validator("rows")
    @classmethod
    def _rows(cls, rows: list[list[Any]], info: ValidationInfo) -> list[list[Any]]:
        attributes = info.data.get("attributes")
        if attributes is None:
            return rows
        width = len(attributes) + 1
        for n, row in enumerate(rows, 1):
            if len(row) != width:
                raise ValueError(f"row {n} has {len(row)} values, expected {width} "
                                 f"({', '.join(attributes)}, then the class)")
            for value in row:
                if isinstance(value, str) and not WORD.match(value):
                    raise ValueError(f"row {n}: value {value!r} is not a short word "
                                     "(letters, digits, + - .; at most 12)")
                if isinstance(value, int) and abs(value) > 10**6:
                    raise ValueError(f"row {n}: value {value} is too large for a category")
        columns = [*attributes, info.data.get("label", "the class")]
        if info.data.get("binary"):
            for k, name in enumerate(columns):
                seen = sorted({str(r[k]) for r in rows})
                if len(seen) > 2:
                    raise ValueError(f"{name} takes {len(seen)} values ({', '.join(seen)}); "
                                     "binary: true allows at most two")
        return rows

    @field_validator("samples")
    @classmethod
    def _samples(cls, samples: list[str] | None, info: ValidationInfo) -> list[str] | None:
        rows = info.data.get("rows")
        if samples is None or rows is None:
            return samples
        if len(samples) != len(rows):
            raise ValueError(f"{len(samples)} sample names for {len(rows)} rows")
        cls._names(samples)
        return samples

    @field_validator("evaluate")
    @classmethod
    def _evaluate(cls, names: list[str] | None, info: ValidationInfo) -> list[str] | None:
        attributes = info.data.get("attributes")
        if names is None or attributes is None:
            return names
        if not names:
            raise ValueError("name at least one attribute to evaluate")
        for name in names:
            if name not in attributes:
                raise ValueError(f"unknown attribute {name!r}{did_you_mean(name, attributes)} "
                                 f"(attributes: {', '.join(attributes)})")
        if len(set(names)) < len(names):
            raise ValueError(f"attributes repeat: {names}")
        return names

    # the derivation ----------------------------------------------------------------------
    def table(self) -> Table:
        return Table(tuple(self.attributes), tuple(tuple(r) for r in self.rows))

    def sample_names(self) -> list[str]:
        return self.samples or [f"x{n}" for n in range(1, len(self.rows) + 1)]

    def evaluated(self) -> list[str]:
        return self.evaluate or list(self.attributes)

    def derive(self) -> Derivation:
        t, b = self.table(), BASES[self.base]
        d = Derivation()
        d.say("tree_table", case=f"base{self.base}", n=len(self.rows),
              label=name_tex(self.label), table=self._table_tex())
        p = [Shown(f"p_{{{value_tex(c)}}}") for c in t.classes]
        entropy = Shown("H(S)")
        d.chain(entropy, sp.Add(*(-plog(s, b) for s in p)), "definition")
        places = places_for(list(self.exact_gains().values()))
        self._entropy(d, entropy, t.counts(), "S", "H[S]", places)
        convention = self._first_with_absent_class()
        gains = {a: self._split(d, a, entropy, places, first=a == self.evaluated()[0],
                                convention=a == convention) for a in self.evaluated()}
        self._best(d, gains, places)
        # marked: what is asked (the entropy, the gains, the root); the rest are steps
        d.marked = frozenset({"H[S]", "max_gain", *(f"gain[{a}]" for a in gains)})
        return d

    def _first_with_absent_class(self) -> str | None:
        """The first evaluated attribute with a subset that lacks a class: where the
        convention 0 log 0 = 0 is first used, and said (once)."""
        t = self.table()
        for a in self.evaluated():
            if any(0 in t.counts(t.subset(a, v)) for v in t.values(a)):
                return a
        return None

    def exact_gains(self) -> dict[str, sp.Expr]:
        """Gain(S, A) of every evaluated attribute, exact (from the counts alone)."""
        t, b = self.table(), BASES[self.base]
        whole = written_out(proportions(t.counts(), b))
        return {a: sp.expand(whole - sum(
            (self.weight(len(rows), len(self.rows)) * written_out(proportions(t.counts(rows), b))
             for rows in (t.subset(a, v) for v in t.values(a))), sp.Integer(0)))
            for a in self.evaluated()}

    def _entropy(self, d: Derivation, name: Shown, counts: tuple[int, ...], subset: str,
                 key: str, places: int) -> sp.Expr:
        """H(subset) from its class counts: the proportions in place, then exact."""
        t, b = self.table(), BASES[self.base]
        present = [c for c, n in zip(t.classes, counts, strict=True) if n]
        start = proportions(counts, b)
        exact = written_out(start)
        if subset == "S":
            d.say("tree_counts" if len(present) > 1 else "tree_pure_set", n=sum(counts),
                  counts=self._counts(counts), c=value_tex(present[0]))
        d.chain(name, start, "entropy_counts")
        d.then(exact, "exact_logs" if all(counts) else "zero_log_zero",
               display=self._approx(exact, places))
        d.answer(key)
        d.definitions[name] = exact
        return exact

    def weight(self, size: int, total: int) -> sp.Rational:
        """The share |S_v|/|S| of a subset."""
        return sp.Rational(size, total)

    def _split(self, d: Derivation, attribute: str, entropy: Shown, places: int,
               first: bool, convention: bool) -> sp.Expr:
        """The subsets of a split on `attribute`, their entropies, the entropy left and the
        gain; `first`: the first split of the part (its sentences say what is weighted and
        why); `convention`: the first split with a subset that lacks a class (its sentence
        says 0 log 0 = 0)."""
        t, a = self.table(), name_tex(attribute)
        values = t.values(attribute)
        names = self.sample_names()
        sets = []
        for v in values:
            members = ", ".join(name_tex(names[n]) for n in t.subset(attribute, v))
            sets.append(rf"S_{{{a}={value_tex(v)}}} = \{{{members}\}}")
        layout = r",\quad ".join(sets) if len(self.rows) <= 12 and len(sets) <= 3 else None
        shown = (rf"\[ {layout} \]" if layout else
                 r"\begin{gather*} " + r",\\ ".join(sets) + r" \end{gather*}")
        d.say("tree_split", n=len(values), a=a, subsets=shown,
              case="convention" if convention else None)
        terms = []
        total = len(self.rows)
        for v in values:
            rows = t.subset(attribute, v)
            subset = rf"S_{{{a}={value_tex(v)}}}"
            name = Shown(rf"H({subset})")
            self._entropy(d, name, t.counts(rows), subset, f"H[{attribute}={v}]", places)
            weight = self.weight(len(rows), total)
            term = Shown(rf"\tfrac{{{weight.p}}}{{{weight.q}}}\, H({subset})")
            d.definitions[term] = weight * d.definitions[name]
            terms.append(term)
        conditional = Shown(rf"H(S \mid {a})")
        exact = sp.expand(sum((d.definitions[term] for term in terms), sp.Integer(0)))
        d.say("tree_remainder", case="first" if first else "later", a=a)
        d.chain(conditional, sp.Add(*terms), "weighted_entropy")
        d.then(exact, "substitute", display=self._approx(exact, places)).answer(
            f"H[S|{attribute}]")
        d.definitions[conditional] = exact
        gain = Shown(rf"\operatorname{{Gain}}(S, {a})")
        value = sp.expand(d.definitions[entropy] - exact)
        d.say("tree_gain", case="first" if first else "later", a=a)
        d.chain(gain, entropy - conditional, "information_gain")
        d.then(value, "substitute", display=self._approx(value, places)).answer(
            f"gain[{attribute}]")
        d.definitions[gain] = value
        return value

    def _best(self, d: Derivation, gains: dict[str, sp.Expr], places: int) -> None:
        """The largest gain, then the conclusion (marked): the attribute ID3 tests at the
        root when every attribute is evaluated, the best of those evaluated otherwise."""
        best = largest(gains)
        top = gains[best[0]]
        among = "" if len(gains) == len(self.attributes) else "_among"
        if abs(sp.N(top, PRECISION)) <= CLOSE:
            case = "none"
        elif len(gains) == 1:
            case = "single"
        else:
            case = ("one" if len(best) == 1 else "tie") + among
        gain = Shown(rf"\operatorname{{Gain}}(S, {name_tex(best[0])})")
        if len(gains) > 1:
            d.say("tree_compare", n=len(gains))
            d.chain(Shown(r"\max_A \operatorname{Gain}(S, A)"), gain, "read_off")
            d.then(top, "substitute", display=self._approx(top, places))
        d.say("tree_best", case=case, a=name_tex(best[0]),
              g=str(top) if top.is_Integer else decimal(float(sp.N(top, PRECISION)), places),
              names=Listing([f"${name_tex(a)}$" for a in best]))
        d.chain(gain, top, "read_off").answer("max_gain")
        d.steps[-1].shown = False         # stated in words, checked against numpy's gains
        d.steps[-1].states = True

    # pieces of the page ------------------------------------------------------------------
    def _approx(self, exact: sp.Expr, places: int) -> str:
        from derive.latex.printer import tex

        value = float(sp.N(exact, PRECISION))
        if exact.is_Integer:
            return tex(exact)
        if exact.is_Rational:
            return rf"{tex(exact)} = {value:g}" if len(f"{value:g}") < 8 else (
                rf"{tex(exact)} \approx {decimal(value, places)}")
        return rf"{tex(exact)} \approx {decimal(value, places)}"

    def _counts(self, counts: tuple[int, ...]) -> Listing:
        """n_0 = 3 and n_1 = 2: one equation per class (no tuple, whose commas would read
        as decimal commas on a French page)."""
        return Listing([f"$n_{{{value_tex(c)}}} = {n}$"
                        for c, n in zip(self.table().classes, counts, strict=True)])

    def _table_tex(self) -> str:
        head = " & ".join([*(name_tex(a) for a in self.attributes), name_tex(self.label)])
        cols = "c|" + "c" * len(self.attributes) + "|c"
        body = r" \\ ".join(
            " & ".join([name_tex(s), *(value_tex(v) for v in row)])
            for s, row in zip(self.sample_names(), self.rows, strict=True))
        return (rf"\[ \begin{{array}}{{{cols}}} & {head} \\ \hline {body} "
                r"\end{array} \]")

    # answers -----------------------------------------------------------------------------
    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Counting with numpy, entropies from the definition (0 log 0 taken as 0)."""
        rows = np.array([[str(v) for v in r] for r in self.rows])
        labels = rows[:, -1]
        log = {2: np.log2, 10: np.log10, "e": np.log}[self.base]

        def entropy(mask: np.ndarray) -> float:
            _, counts = np.unique(labels[mask], return_counts=True)
            p = counts / counts.sum()
            return float(-(p * log(p)).sum())

        everything = np.ones(len(rows), dtype=bool)
        out: dict[str, Any] = {"H[S]": entropy(everything)}
        for attribute in self.evaluated():
            column = rows[:, self.attributes.index(attribute)]
            remainder = 0.0
            for v in np.unique(column):
                mask = column == v
                original = next(r[self.attributes.index(attribute)] for r in self.rows
                                if str(r[self.attributes.index(attribute)]) == v)
                out[f"H[{attribute}={original}]"] = entropy(mask)
                remainder += mask.mean() * entropy(mask)
            out[f"H[S|{attribute}]"] = remainder
            out[f"gain[{attribute}]"] = out["H[S]"] - remainder
        out["max_gain"] = max(out[f"gain[{a}]"] for a in self.evaluated())
        return out

    def value(self, answers: dict[str, Any]) -> Any:
        """Numbers by name, and the attributes of largest gain."""
        plain = {key: float(sp.N(v, PRECISION)) for key, v in answers.items()}
        best = largest({a: answers[f"gain[{a}]"] for a in self.evaluated()})
        return {"entropy": plain["H[S]"],
                "subsets": {k[2:-1]: v for k, v in plain.items() if "=" in k},
                "conditional_entropy": {a: plain[f"H[S|{a}]"] for a in self.evaluated()},
                "gain": {a: plain[f"gain[{a}]"] for a in self.evaluated()},
                "best": best}
