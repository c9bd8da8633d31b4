"""A derivation as data: chains of steps, each an expression and the rule that produced it.

>>> import sympy as sp
>>> from derive.derivation import Derivation, Domain
>>> u = sp.Symbol("u")
>>> d = Derivation(domains={u: Domain()})
>>> d = d.chain(sp.Symbol("f"), (u + 1)**2 - 1, "definition").apply("expand")
>>> [s.rule for s in d.steps], d.result
(['definition', 'expand'], u**2 + 2*u)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import sympy as sp

DomainKind = Literal["normal", "positive", "unit", "symmetric", "binary", "defined"]


@dataclass(frozen=True)
class Domain:
    """Where a symbol's random values are drawn: its shape (() for a scalar) and kind.

    `defined`: not drawn but computed, once per draw, from its entry in `definitions`
    over its whole `shape` (a layer's outputs, say), then read like given data."""

    shape: tuple[int, ...] = ()
    kind: DomainKind = "normal"


@dataclass(frozen=True)
class Sentence:
    """A sentence of the page, built per language from computed `values` (see sentences.py)."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class StepCheck:
    """A step compared with the one before it at random points of its symbols' domains."""

    passed: bool
    max_abs_error: float
    samples: int
    detail: str = ""


@dataclass
class Step:
    """`lhs` (only on the first step of a chain) `=` `rhs`, produced by rule `rule`."""

    rhs: sp.Basic
    rule: str
    lhs: sp.Basic | None = None
    note: Sentence | None = None
    answer: tuple[str, ...] = ()          # the answers this expression is (often one)
    check: StepCheck | None = None
    bindings: dict[Any, Any] = field(default_factory=dict)   # values this step gave symbols
    context: bool = False           # a chain shared by the parts of a question (shown once)
    display: str | None = None      # LaTeX shown instead of rhs (numbers put in a formula)
    shown: bool = True              # False: checked, but not displayed (a long table's rows)
    states: bool = False            # its sentence states what is asked: marked as the answer

    def _repr_latex_(self) -> str:
        from derive.latex.printer import tex

        left = tex(self.lhs) if self.lhs is not None else ""
        return rf"$\displaystyle {left} = {tex(self.rhs)}$"


@dataclass
class Derivation:
    """Chains of steps, and what is needed to check them numerically.

    `free` gives each free index its range (inclusive, numpy reading: indices start at
    `base`); `domains` says how to draw every other symbol or array; `definitions`
    expands a named quantity (a Symbol, or an IndexedBase as a function of its indices)
    into what it stands for, before any numeric evaluation.
    """

    domains: dict[Any, Domain] = field(default_factory=dict)
    free: dict[sp.Symbol, tuple[int, int]] = field(default_factory=dict)
    definitions: dict[Any, Any] = field(default_factory=dict)
    base: int = 0
    where: sp.Basic = sp.true                 # the free indices it holds for (i ≠ i′, …)
    shown_base: int = 0                       # first index on the page and in answers.json
    marked: frozenset[str] | None = None      # the answers the page marks (None: every one)
    steps: list[Step] = field(default_factory=list)
    _pending: Sentence | None = None

    # building ----------------------------------------------------------------------------
    def say(self, key: str, **values: Any) -> Derivation:
        """Put a sentence before the next step."""
        self._pending = Sentence(key, values)
        return self

    def chain(self, lhs: sp.Basic, rhs: sp.Basic, rule: str, context: bool = False
              ) -> Derivation:
        """Start a new chain `lhs = rhs`; `context`: facts every part of a question shares,
        shown in the first part only."""
        return self._add(Step(sp.sympify(rhs), rule, lhs=lhs, context=context))

    def then(self, rhs: sp.Basic, rule: str, display: str | None = None) -> Derivation:
        """Continue the chain with `= rhs`, stated by the kind and justified by `rule`;
        `display`: LaTeX shown instead of rhs (a value with its decimal reading, say)."""
        return self._add(Step(sp.sympify(rhs), rule, display=display))

    def apply(self, rule: str, **args: Any) -> Derivation:
        """Continue the chain with the rule's own transformation of the last expression."""
        from derive.derivation.rules import lookup

        transform = lookup(rule).transform
        if transform is None:
            raise ValueError(f"rule {rule!r} states a step; use then(rhs, {rule!r})")
        return self._add(Step(transform(self.result, **args), rule))

    def put(self, values: Mapping[Any, Any], suffix: str = "",
            number: Callable[[Any], str] | None = None) -> Derivation:
        """Put the given numbers in the last formula: shown with the numbers in place, then
        (rule `evaluate`) its value, followed by `suffix` (LaTeX: a unit, a reading). The
        check compares both with the formula at `values`. Keys may be array entries (x[0])
        as well as symbols. `number` writes each value on the page (exact SymPy values
        rounded, say); with it, one step shows the numbers in place followed by `suffix`
        (≈ the rounded value, say)."""
        from derive.latex.printer import TextbookPrinter, grouped, tex

        holders = {k: sp.Dummy() for k in values if not isinstance(k, sp.Symbol)}
        show = number or (lambda v: grouped(v) if isinstance(v, int) else str(v))
        names = {holders.get(k, k): show(v) for k, v in values.items()}
        shown = TextbookPrinter({"symbol_names": names, "mul_symbol": "times"}).doprint(
            self.result.xreplace(holders))
        value = self.result.xreplace({k: sp.sympify(v) for k, v in values.items()})
        if number is not None:
            return self._add(Step(value, "substitute", bindings=dict(values),
                                  display=shown + suffix))
        self._add(Step(value, "substitute", bindings=dict(values), display=shown))
        return self._add(Step(value, "evaluate", bindings=dict(values),
                              display=tex(value) + suffix if suffix else None))

    def answer(self, *keys: str) -> Derivation:
        """Mark the last expression as the answers `keys` (compared with the reference)."""
        self.steps[-1].answer += keys
        return self

    def _add(self, step: Step) -> Derivation:
        from derive.derivation.rules import lookup

        try:
            lookup(step.rule)
        except KeyError:
            raise KeyError(f"unknown rule {step.rule!r}") from None
        if step.lhs is None and not self.steps:
            raise ValueError("a derivation starts with chain(lhs, rhs, rule)")
        last = self.steps[-1] if self.steps else None
        unchanged = (last is not None and step.lhs is None and step.rhs == last.rhs
                     and step.display is None and last.display is None)
        if unchanged and self._pending is None:                  # nothing changed: no step
            return self
        step.note, self._pending = self._pending, None
        self.steps.append(step)
        return self

    # reading -----------------------------------------------------------------------------
    @property
    def result(self) -> sp.Basic:
        return self.steps[-1].rhs

    def answers(self) -> dict[str, Step]:
        return {key: s for s in self.steps for key in s.answer}

    def chains(self) -> list[list[Step]]:
        out: list[list[Step]] = []
        for step in self.steps:
            if step.lhs is not None:
                out.append([])
            out[-1].append(step)
        return out

    def lhs_of(self, step: Step) -> sp.Basic:
        for chain in self.chains():
            if step in chain:
                lhs = chain[0].lhs
                assert lhs is not None
                return lhs
        raise ValueError("step not in this derivation")

    def expand_definitions(self, expr: sp.Basic, keep: sp.Basic | None = None,
                           computed: bool = False) -> sp.Basic:
        """Replace every defined name (but `keep`, and with `computed` those whose values
        are computed as arrays) by its definition, until none is left."""
        for _ in range(20):
            before = expr
            for name, meaning in self.definitions.items():
                if keep is not None and (name == keep or getattr(keep, "base", None) == name):
                    continue
                if computed and self.domains.get(name, Domain()).kind == "defined":
                    continue
                if isinstance(name, sp.IndexedBase):
                    expr = expr.replace(
                        lambda e, n=name: isinstance(e, sp.Indexed) and e.base == n,
                        lambda e, m=meaning: m(*e.indices))
                else:
                    expr = expr.xreplace({name: meaning})
            if expr == before:
                return expr
        raise ValueError("definitions refer to each other without end")

    def _repr_latex_(self) -> str:
        from derive.latex.printer import tex

        lines = [(tex(s.lhs) if s.lhs is not None else "") + " &= " + tex(s.rhs)
                 for s in self.steps]
        return r"$\displaystyle \begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}$"


def apply_rule(rule: str, expr: sp.Basic, **args: Any) -> sp.Basic:
    """The transformation of a rule applied to an expression (outside a derivation)."""
    from derive.derivation.rules import lookup

    transform: Callable[..., sp.Basic] | None = lookup(rule).transform
    if transform is None:
        raise ValueError(f"rule {rule!r} has no transformation")
    return transform(expr, **args)
