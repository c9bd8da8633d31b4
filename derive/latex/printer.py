"""SymPy's LaTeX printer with textbook conventions.

- several summation indices print as nested sums, each with its own limits;
- a product prints coefficients, then data (x, w), then σ′ factors, then loss derivatives;
- −x(2z − 1) prints as x(1 − 2z).
"""

from __future__ import annotations

import re
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter

from derive.models.symbols import PartialOf, sigmoid_prime


def _rank(factor: sp.Expr) -> int:
    base = factor.base if isinstance(factor, sp.Pow) else factor
    if base.is_Number:
        return 0
    if isinstance(base, sp.Indexed | sp.Symbol):
        return 1
    if isinstance(base, sigmoid_prime):
        return 3
    if isinstance(base, sp.core.function.AppliedUndef):
        return 4
    return 2


class TextbookPrinter(LatexPrinter):
    printmethod = "_latex"

    def __init__(self, settings: dict[str, Any] | None = None):
        super().__init__({"order": "none", **(settings or {})})

    def _print_Integer(self, expr: sp.Integer) -> str:
        return grouped(int(expr))

    def _print_Sum(self, expr: sp.Sum) -> str:
        sums = "".join(
            rf"\sum_{{{self._print(v)}={self._print(lo)}}}^{{{self._print(hi)}}} "
            for v, lo, hi in expr.limits
        )
        body = self._print(expr.function)
        if isinstance(expr.function, sp.Add):
            body = rf"\left({body}\right)"
        return sums + body

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        terms = expr.as_ordered_terms()
        positive = [t for t in terms if not t.could_extract_minus_sign()]
        if positive and terms[0].could_extract_minus_sign():
            terms = positive + [t for t in terms if t.could_extract_minus_sign()]
        return super()._print_Add(sp.Add(*terms, evaluate=False), order="none")

    def _print_Mul(self, expr: sp.Mul) -> str:
        if len(expr.args) == 2 and expr.args[0] == -1 and expr.args[1].is_Add:
            return rf"-\left({self._print(expr.args[1])}\right)"
        partials = [a for a in expr.args if isinstance(a, PartialOf)]
        if len(partials) > 1:
            rest = sp.Mul(*(a for a in expr.args if not isinstance(a, PartialOf)))
            chain = " ".join(self._print(f) for f in _chain_order(partials))
            return chain if rest == 1 else f"{self._print(rest)}\\, {chain}"
        return super()._print_Mul(sp.Mul(*sorted(expr.args, key=_rank), evaluate=False))


def grouped(n: int) -> str:
    """10000000 → 10\\,000\\,000: thin spaces between groups of three digits from 10⁴ on."""
    return f"{n:,}".replace(",", r"\,") if abs(n) >= 10_000 else str(n)


def _chain_order(factors: list[sp.Expr]) -> list[sp.Expr]:
    """∂L/∂p, ∂p/∂a, ∂a/∂w in the order of the chain: each denominator the next numerator."""
    out = [f for f in factors if all(f.args[0] != g.args[1] for g in factors)][:1]
    while out and len(out) < len(factors):
        following = [f for f in factors if f.args[0] == out[-1].args[1] and f not in out]
        if not following:
            break
        out.append(following[0])
    return out if len(out) == len(factors) else factors



def _flip_sign(term: sp.Expr) -> sp.Expr:
    """−x²(2z − 1) → x²(1 − 2z): move a product's minus sign into one of its sums."""
    if not (term.is_Mul and term.could_extract_minus_sign()):
        return term
    if len(term.args) == 2 and term.args[0] == -1 and term.args[1].is_Add:
        return term                     # −(a + b) as written: a negated sum stays whole
    args = list(term.args)
    for n, a in enumerate(args):
        if a.is_Add:
            args[n] = -a
            return sp.Mul(*[-v if v.is_Number else v for v in args])
    return term


def tex(expr: Any) -> str:
    """LaTeX of a SymPy object (or a plain number) in textbook notation."""
    expr = sp.sympify(expr)
    if isinstance(expr, sp.Basic):
        expr = expr.replace(lambda e: e.is_Mul, _flip_sign)
    return TextbookPrinter().doprint(expr)


def tex_lines(expr: Any, per_line: int = 3) -> list[str]:
    """A sum's terms, `per_line` to a line, for an `aligned` derivation that must not overflow."""
    expr = sp.sympify(expr)
    if not isinstance(expr, sp.Add):
        return [tex(expr)]
    terms = expr.as_ordered_terms()
    lines = []
    for start in range(0, len(terms), per_line):
        chunk = terms[start:start + per_line]
        lines.append(" + ".join(tex(t) for t in chunk).replace("+ -", "- "))
    return lines


_GROUP = r"((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)"
_FRAC = re.compile(r"\\frac\{" + _GROUP + r"\}\{" + _GROUP + r"\}")
_SCRIPT = re.compile(r"[_^]\{" + _GROUP + r"\}")


def width(latex: str) -> int:
    """A rough printed width of math LaTeX, in characters: a fraction as wide as its wider
    part, scripts at 70 %, each command one character, braces and spaces nothing."""
    latex = re.sub(r"\\(left|right|Bigl|Bigr|displaystyle|,|quad)", "", latex)
    latex = _FRAC.sub(lambda m: "x" * max(width(m.group(1)), width(m.group(2))), latex)
    latex = _SCRIPT.sub(lambda m: "x" * int(0.7 * width(m.group(1))), latex)
    latex = re.sub(r"\\[a-zA-Z]+", "x", latex)
    return len(re.sub(r"[{}\s_^]", "", latex))


# Printed characters of a display that fit beside its left side and its rule's name.
DISPLAY_WIDTH = 34


def tex_broken(expr: Any, limit: int = DISPLAY_WIDTH) -> list[str]:
    """LaTeX of `expr` over as many lines as it needs for a display `limit` printed
    characters wide (see `width`): a long sum of terms two terms a line, a long Σ of a
    product with its factors split between two lines inside \\Bigl[ … \\Bigr]."""
    expr = sp.sympify(expr)
    whole = tex(expr)
    if width(whole) <= limit:
        return [whole]
    if isinstance(expr, sp.Add):
        return tex_lines(expr, 2)
    if isinstance(expr, sp.Sum) and isinstance(expr.function, sp.Mul):
        printer = TextbookPrinter()
        sums = whole[: len(whole) - len(tex(expr.function))]
        factors = sorted(expr.function.args, key=_rank)
        half = max(1, len(factors) // 2)
        first = printer.doprint(sp.Mul(*factors[:half], evaluate=False))
        rest = printer.doprint(sp.Mul(*factors[half:], evaluate=False))
        if whole.endswith(tex(expr.function)):
            return [rf"{sums}\Bigl[{first}", rf"{rest}\Bigr]"]
    return [whole]
