"""Kinds declared on the derivation core: one class per kind, registered by `@kind`.

A kind is its given parameters (pydantic fields), `derive()` → a Derivation whose answers
are marked, and `reference(data)` → the same answers computed by numpy from the
definitions, on the random data the checker draws (never from a derived object).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from derive.derivation import Derivation
from derive.derivation.check import check_answers, check_steps
from derive.derivation.indices import in_base
from derive.latex.printer import tex
from derive.questions.base import Check, Given, Kind, Solution

REGISTRY: dict[str, Kind] = {}


class Derived(Given):
    """Base of the given parameters of a kind declared on the derivation core."""

    method: ClassVar[str] = "reference"      # check method id, worded in the strings files
    tolerance: ClassVar[float] = 1e-6        # of the answers against the reference (relative)
    index_base_default: ClassVar[int] = 1

    def derive(self) -> Derivation:
        raise NotImplementedError

    def reference(self, data: Mapping[str, Any]) -> Mapping[str, Any]:
        raise NotImplementedError

    def value(self, answers: dict[str, Any]) -> Any:
        """What answers.json reports: the answer, or all of them by name."""
        return next(iter(answers.values())) if len(answers) == 1 else answers

    def page(self, d: Derivation) -> dict[str, Any]:
        """What the kind's own partial shows besides the steps (a table built from the
        values of checked steps, say), as `c.<name>`."""
        return {}

    def display_base(self) -> int:
        return int(getattr(self, "index_base", self.index_base_default))


def verify_derivation(d: Derivation, given: Derived) -> Check:
    """Check every step, then every answer against the reference; one summary Check."""
    rng = np.random.default_rng(int(getattr(given, "seed", 0)))
    try:
        check_steps(d, rng)
        answers = check_answers(d, given.reference, rng, tolerance=given.tolerance)
    except Exception as exc:  # data that cannot even be computed: the check fails
        return Check(given.method, False, float("inf"), 0, f"{type(exc).__name__}: {exc}")
    results = [(f"step {n}", s.check) for n, s in enumerate(d.steps) if s.check is not None]
    results += [(f"answer {key}", c) for key, c in answers.items()]
    failed = [f"{name} ({c.detail})" for name, c in results if not c.passed]
    return Check(given.method, not failed, max((c.max_abs_error for _, c in results), default=0.0),
                 sum(c.samples for _, c in results), "; ".join(failed))


def solve_derived(given: Derived) -> Solution:
    """The derivation, and its answers written with the spec's first index."""
    d = given.derive()
    d.shown_base = base = given.display_base()
    answers = {key: in_base(step.rhs, base) for key, step in d.answers().items()}
    steps = [s for s in d.steps if s.answer]
    headline = r",\qquad ".join(
        f"{tex(in_base(d.lhs_of(step), base))} = {tex(in_base(step.rhs, base))}"
        for step in steps)
    value = given.value(answers)
    return Solution(answer=value, answer_latex=headline,
                    context={"given": given, **given.page(d)},
                    verify=lambda: verify_derivation(d, given), derivation=d)


def kind(name: str, summary: str, example: dict[str, Any],
         template: str = "parts/derivation.tex.j2") -> Callable[[type[Derived]], type[Derived]]:
    """Register a Derived class as the question kind `name`; `template` is its partial (a
    kind-specific one includes parts/derivation.tex.j2 and adds, say, a figure)."""
    def register(cls: type[Derived]) -> type[Derived]:
        if name in REGISTRY:
            raise ValueError(f"kind {name!r} declared twice")
        REGISTRY[name] = Kind(name, cls, solve_derived, summary, example, template=template)
        return cls
    return register
