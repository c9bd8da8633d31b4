"""What the kernel kinds share: the random data of proofs about any kernel, the verdict
records of answers.json, and a counterexample laid out as checked steps (its points, Gram
matrix, aᵀKa and smallest eigenvalue), with its numpy reference."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

import derive.derivation.kernel_rules  # noqa: F401  (registers the family's rules)
from derive.derivation import Derivation, Domain
from derive.models import kernel_symbols as S
from derive.models.function import Shown
from derive.models.kernel_search import Counterexample
from derive.models.kernels import Kernel, Point
from derive.models.matrix_calculus import Named
from derive.verify import kernel_reference as R

N = 4                      # points x_1 … x_N (and x_0) where proofs are checked
DIM = 3                    # coordinates of the points of a Hilbert space, numerically
l_ = sp.Symbol("l", integer=True, nonnegative=True)
b = sp.IndexedBase(S.Label("b"))      # drawn coefficients, of which a and c are made
ag = sp.IndexedBase(S.Label("ag", "a"))   # any coefficients, printed a
Q = Shown("Q(a)")
Reference = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass
class Claim:
    """A derivation with its verdicts (for answers.json) and its reference pieces."""

    d: Derivation
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for ref in self.references:
            out |= ref(data)
        return out


def proof_derivation(extra: dict[Any, Domain] | None = None) -> Derivation:
    """Any symmetric kernel k at x_0 … x_N, coefficients a (Σ a_i = 0), c (c_0 = −Σ c_i)
    and ag (any), all at random; n stands for N."""
    zero_sum = lambda p: b[p] - sp.Sum(b[l_], (l_, 1, S.n)) / S.n        # noqa: E731
    first = lambda p: sp.Piecewise((-sp.Sum(b[l_], (l_, 1, S.n)), sp.Eq(p, 0)),  # noqa: E731
                                   (b[p], True))
    domains: dict[Any, Domain] = {
        sp.IndexedBase("k"): Domain((N + 1, N + 1), "symmetric"),
        sp.IndexedBase("kt"): Domain((N + 1, N + 1), "defined"), b: Domain((N + 1,)),
        S.a: Domain((N + 1,), "defined"), S.c: Domain((N + 1,), "defined"),
        ag: Domain((N + 1,), "defined"), S.t: Domain(kind="positive"), **(extra or {})}
    definitions: dict[Any, Any] = {S.n: sp.Integer(N), S.a: zero_sum, S.c: first,
                                   ag: lambda p: b[p], sp.IndexedBase("kt"): S.centred}
    # the page marks what a part asks (its verdict, `conclude`), not the checked steps
    return Derivation(domains, {}, definitions, marked=frozenset())


class Term(Shown):
    """A named sum (Σ_i a_i, say) printed as its LaTeX name in brackets, so that it reads as
    one factor in a product or a power, or as the number `put` gives it.

    >>> from derive.latex.printer import tex
    >>> print(tex(2 * Term("A") * Term("B") + 2 * Term("C")**2))
    2 \\bigl(A\\bigr) \\bigl(B\\bigr) + 2 \\bigl(C\\bigr)^{2}
    """

    def _latex(self, printer: Any) -> str:
        number = printer._settings.get("symbol_names", {}).get(self)
        return str(number) if number is not None else rf"\bigl({self.name}\bigr)"


def setup(d: Derivation) -> Derivation:
    """The definitions of p.d. (valid), p.s.d. and c.p.d., stated at their first use on the
    page (a later part refers to it)."""
    return note(d, "kernel_setup")


def note(d: Derivation, key: str, **values: Any) -> Derivation:
    """A sentence on its own (no display follows it)."""
    d.say(key, **values)
    return d.chain(Q, Q, "definition")


def conclude(d: Derivation, key: str, **values: Any) -> Derivation:
    """A sentence on its own that states what the part asks (a verdict, the corrected
    claim): the page marks it as the answer."""
    note(d, key, **values).steps[-1].states = True
    return d


def start(d: Derivation, lhs: sp.Expr) -> Derivation:
    """A chain that starts from `lhs` itself (not shown), so that its first step is checked."""
    return d.chain(lhs, lhs, "definition")


def tuple_tex(values: list[Any]) -> str:
    from derive.latex.printer import tex

    return "(" + ", ".join(tex(sp.sympify(v)) for v in values) + ")"


def point_tex(p: Point) -> str:
    return tuple_tex(list(p)) if isinstance(p, tuple) else tuple_tex([p])[1:-1]


def approx(value: sp.Expr) -> sp.Expr:
    """An exact value, or its 6-digit decimal when it is not rational."""
    return value if value.is_Rational else sp.Float(sp.N(value, 6), 6)


def _shown(value: sp.Basic) -> str:
    """The LaTeX of an exact value, followed by ≈ its decimal when it is not rational."""
    from derive.latex.printer import tex

    if isinstance(value, sp.MatrixBase):
        exact = all(e.is_Rational for e in value)
        return tex(value if exact else sp.ImmutableMatrix(value.applyfunc(approx)))
    if isinstance(value, sp.Float):            # known to digits only: its decimal alone
        return r"\approx " + tex(approx(value))
    return tex(value) + ("" if value.is_Rational else r" \approx " + tex(approx(value)))


COUNTS = {1: "one", 2: "two", 3: "three"}        # a count written in words on the page


def counterexample_steps(d: Derivation, found: Counterexample, prop: str, key: str,
                         kernel_tex: str, gram_key: str = "kernel_cx_gram",
                         letter: str = "x") -> None:
    """The points, the Gram matrix, aᵀKa < 0 and the smallest eigenvalue, as steps whose
    values are answers `key`_gram, `key`_form, `key`_eigenvalue (exact; shown with their
    decimals when irrational). `gram_key`: the sentence that introduces the Gram matrix;
    `letter`: the name of the points in it (s for the values s_i = f(x_i), say)."""
    n = len(found.points)
    points = ", ".join(f"{letter}_{{{q + 1}}} = {point_tex(p)}"
                       for q, p in enumerate(found.points))
    d.say(gram_key, n=n, points=points, k=kernel_tex, case=COUNTS.get(n, "other"))
    name = r"\lambda_{\min}(K)" if prop == "pd" else r"\lambda_{\min}(\Pi K \Pi)"
    for key_, lhs, value, rule in (
            ("gram", Named("K", n, n), sp.ImmutableMatrix(found.gram), "kernel_gram"),
            ("form", Shown(r"a^\top K a"), found.form, "kernel_value"),
            ("eigenvalue", Shown(name), found.eigenvalue, "kernel_eigen")):
        if key_ == "form":
            d.say("kernel_cx_form", a=tuple_tex(found.coefficients), case=prop)
        elif key_ == "eigenvalue":
            d.say("kernel_cx_eigen", case=prop)
        d.chain(lhs, value, rule).answer(f"{key}_{key_}")
        d.steps[-1].display = _shown(value)


def counterexample_reference(kernel: Kernel, found: Counterexample, prop: str, key: str
                             ) -> Reference:
    """numpy: the kernel lambdified from its parsed text, at the points found."""
    fn = kernel.numpy()
    points = np.array([[float(v) for v in (p if isinstance(p, tuple) else (p,))]
                       for p in found.points])

    def reference(_: Mapping[str, Any]) -> dict[str, Any]:
        K = R.gram(fn, points)
        return {f"{key}_gram": K, f"{key}_form": R.form(K, found.coefficients),
                f"{key}_eigenvalue": R.smallest(K, zero_sum=prop == "cpd")}

    return reference


def counterexample_value(found: Counterexample) -> dict[str, Any]:
    """The counterexample as answers.json records it."""
    def num(v: sp.Expr) -> int | float:
        return int(v) if v.is_Integer else float(sp.N(v, 17))

    return {"points": [[num(c) for c in p] if isinstance(p, tuple) else num(sp.sympify(p))
                       for p in found.points],
            "coefficients": list(found.coefficients),
            "gram": [[num(e) for e in row] for row in found.gram.tolist()],
            "quadratic_form": num(found.form), "min_eigenvalue": num(found.eigenvalue)}


def verdict(claim: str, value: str, evidence: str, **fields: Any) -> dict[str, Any]:
    """One verdict of answers.json: the claim in words, true/false/undecided (or a
    condition), how it is settled (proof, counterexample, search), and its evidence."""
    return {"claim": claim, "verdict": value, "evidence": evidence, **fields}


def hidden_verdict(d: Derivation, key: str) -> None:
    """A verdict tested numerically on an example by the reference (not shown)."""
    d.chain(Shown(key), sp.Integer(1), "kernel_verdict").answer(key)
    d.steps[-1].shown = False


def holds(flag: bool) -> float:
    return 1.0 if flag else 0.0
