"""The R-operator's rules from its definition: R_v{f(w)} = ∂/∂r f(w + r v) at r = 0, then
linearity (sums, scalar multiples), the product rule and the chain rule, each as checked
steps on generic functions f, g, h (see `derive.models.roperator_symbols.generic`).

Each rule is also proved for arbitrary functions by SymPy before the page states it
(`derive.models.roperator.prove`): a rule that does not reduce to 0 stops the build.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import sympy as sp
from pydantic import Field, field_validator

import derive.derivation.second_order_rules  # noqa: F401  (registers the family's rules)
from derive.derivation import Derivation, Domain
from derive.latex.printer import tex
from derive.models.roperator import prove, r
from derive.models.roperator_symbols import AtZero, Dr, Moving, generic
from derive.questions.base import NonNegInt
from derive.questions.declare import Derived, kind
from derive.questions.roperator_steps import any_n
from derive.verify.function_reference import richardson

Proof = Literal["sum", "scalar_multiple", "product", "chain"]
PROVED = {"sum": "rop_sum", "scalar_multiple": "rop_scalar", "product": "rop_product",
          "chain": "rop_chain"}
w, v = sp.IndexedBase("w", real=True), sp.IndexedBase("v", real=True)
c = sp.Symbol("c", real=True)
j = sp.Symbol("j", integer=True, nonnegative=True)


@kind("roperator.rules",
      "The R-operator R_v{f} = ∂/∂r f(w + r v) at r = 0 and its rules, proved step by step.",
      {"dim": 3, "proofs": ["scalar_multiple", "product"]})
class ROperatorRules(Derived):
    dim: int = Field(3, ge=1, le=6, strict=True, description="n, the length of w and v.")
    proofs: list[Proof] = Field(
        ["scalar_multiple", "product", "chain"], min_length=1,
        description="The rules to prove, in order: sum, scalar_multiple, product, chain.")
    index_base: Literal[0, 1] = 1
    seed: NonNegInt = 0

    @field_validator("proofs")
    @classmethod
    def _distinct(cls, proofs: list[str]) -> list[str]:
        if len(set(proofs)) < len(proofs):
            raise ValueError(f"each rule at most once, got {proofs}")
        return proofs

    @property
    def method(self) -> str:  # type: ignore[override]
        """The check's words: h is a test function only when the chain rule is proved."""
        return "rop_rules_reference" if "chain" in self.proofs else "rop_rules_reference_fg"

    def functions(self) -> dict[str, sp.Expr]:
        point = [w[k] for k in range(self.dim)]
        return {"f": generic("f", self.dim)(*point), "g": generic("g", self.dim)(*point)}

    def derive(self) -> Derivation:
        n = self.dim
        d = Derivation({w: Domain((n,)), v: Domain((n,)), c: Domain(), r: Domain()})
        m = Moving({w: v})
        f, g = self.functions().values()
        # asked: the rules (the definition written out is a step towards them)
        d.marked = frozenset(self.proofs)
        d.say("rop_rules_definition", n=n)
        d.chain(m.of(f), m.definition(f), "rop_definition")
        partial = generic("f", n, 1)(j, *f.args)
        directional = sp.Sum(partial * v[j], (j, 0, n - 1))
        d.then(directional, "rop_directional",      # to n: the page holds in any dimension
               display=any_n(directional, self.index_base) if n > 1 else None)
        d.answer("definition")
        for proof in self.proofs:
            if prove(PROVED[proof]) != 0:
                raise ArithmeticError(f"SymPy does not reduce the rule {proof} to 0")
            getattr(self, f"_{proof}")(d, m, f, g)
        return d

    @staticmethod
    def _sum(d: Derivation, m: Moving, f: sp.Expr, g: sp.Expr) -> None:
        fs, gs = m.shift(f), m.shift(g)
        d.say("rop_rules_sum")
        d.chain(m.of(f + g), m.definition(f + g), "rop_definition")
        d.then(AtZero(Dr(fs, r, fs)) + AtZero(Dr(gs, r, gs)), "rop_r_sum")
        d.then(m.of(f) + m.of(g), "rop_definition").answer("sum")

    @staticmethod
    def _scalar_multiple(d: Derivation, m: Moving, f: sp.Expr, g: sp.Expr) -> None:
        d.say("rop_rules_scalar")
        d.chain(m.of(c * f), m.definition(c * f), "rop_definition")
        d.then(c * m.definition(f), "rop_r_constant_factor")
        d.then(c * m.of(f), "rop_definition").answer("scalar_multiple")

    @staticmethod
    def _product(d: Derivation, m: Moving, f: sp.Expr, g: sp.Expr) -> None:
        fs, gs = m.shift(f), m.shift(g)
        d.say("rop_rules_product")
        d.chain(m.of(f * g), m.definition(f * g), "rop_definition")
        # one line per term, as a long sum is broken on the page: room for the rule's name
        first, second = AtZero(Dr(fs, r, fs) * gs), AtZero(fs * Dr(gs, r, gs))
        d.then(first + second, "rop_r_product",
               display=rf"{tex(first)} \\* &\quad + {tex(second)}")
        d.then(m.definition(f) * g + f * m.definition(g), "rop_at_zero")
        d.then(m.of(f) * g + f * m.of(g), "rop_definition").answer("product")

    @staticmethod
    def _chain(d: Derivation, m: Moving, f: sp.Expr, g: sp.Expr) -> None:
        h = generic("h", 1)
        fs = m.shift(f)
        d.say("rop_rules_chain")
        d.chain(m.of(h(f)), m.definition(h(f)), "rop_definition")
        d.then(AtZero(h(fs).fdiff(1) * Dr(fs, r, fs)), "rop_r_chain")
        d.then(h(f).fdiff(1) * m.definition(f), "rop_at_zero")
        d.then(h(f).fdiff(1) * m.of(f), "rop_definition").answer("chain")

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Each rule's left side from values alone: d/dt of the combined function along
        w + t v, by Richardson-extrapolated central differences of f, g, h's values."""
        n, at, dv, cc = self.dim, data["w"], data["v"], float(data["c"])
        f_, g_, h_ = (generic(name, k)._imp_ for name, k in (("f", n), ("g", n), ("h", 1)))

        def f(x: np.ndarray) -> float:
            return float(f_(*x))

        def g(x: np.ndarray) -> float:
            return float(g_(*x))

        def along(fn: Any) -> float:
            return richardson(lambda t: fn(at + t * dv))

        return {"definition": along(f), "sum": along(lambda x: f(x) + g(x)),
                "scalar_multiple": along(lambda x: cc * f(x)),
                "product": along(lambda x: f(x) * g(x)),
                "chain": along(lambda x: float(h_(f(x))))}
