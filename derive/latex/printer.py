"""SymPy's LaTeX printer with textbook conventions.

- several summation indices print as nested sums, each with its own limits;
- a product prints coefficients, then a residual (p − y), then data (x, w), then σ′ factors,
  then loss derivatives;
- −x(2z − 1) prints as x(1 − 2z).
"""

from __future__ import annotations

import re
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter

from derive.latex.notation import INDEXING
from derive.models.symbols import PartialOf, sigmoid_prime


def _is_residual(expr: sp.Expr) -> bool:
    """p − y, ŷ₁ − 1, σ(a) − y: a prediction minus its target, printed before the data it
    multiplies, as in (p − y) x."""
    if not isinstance(expr, sp.Add) or len(expr.args) != 2:
        return False
    plus = [t for t in expr.args if not t.could_extract_minus_sign()]
    minus = [-t for t in expr.args if t.could_extract_minus_sign()]
    variable = (sp.Indexed, sp.Symbol, sp.core.function.AppliedUndef)
    return (len(plus) == 1 and len(minus) == 1 and isinstance(plus[0], variable)
            and (isinstance(minus[0], variable) or minus[0].is_Number))


def _rank(factor: sp.Expr) -> float:
    base = factor.base if isinstance(factor, sp.Pow) else factor
    if base.is_Number:
        return 0
    if isinstance(base, sp.Symbol):               # a scalar (η, β) before a residual: η (p − y) x
        return 0.25
    if _is_residual(factor):
        return 0.5
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

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        """w_{i,j}, or W[i, j] when the spec's notation writes indices in brackets."""
        if INDEXING.get() != "brackets":
            return str(super()._print_Indexed(expr))
        return (self._print(expr.base.label) + "["
                + ", ".join(self._print(i) for i in expr.indices) + "]")

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
        if not isinstance(expr, sp.Mul):     # 1/cosh²(a): SymPy prints a Pow as a Mul
            return super()._print_Mul(expr)
        if len(expr.args) == 2 and expr.args[0] == -1 and expr.args[1].is_Add:
            return rf"-\left({self._print(expr.args[1])}\right)"
        partials = [a for a in expr.args if isinstance(a, PartialOf)]
        if len(partials) > 1:
            rest = sp.Mul(*(a for a in expr.args if not isinstance(a, PartialOf)))
            chain = " ".join(self._print(f) for f in _chain_order(partials))
            shown = self._print(rest)
            if isinstance(rest, sp.Add):               # (1 − h²) ∂L/∂ŷ …, not 1 − h² ∂L/∂ŷ …
                shown = rf"\left({shown}\right)"
            return chain if rest == 1 else f"{shown}\\, {chain}"
        return super()._print_Mul(sp.Mul(*sorted(expr.args, key=_rank), evaluate=False))


def grouped(n: int) -> str:
    """10000000 → \\num{10000000}: siunitx sets thin spaces between groups of three digits
    from 10⁴ on (the page's \\sisetup); a minus sign stays outside, as SymPy prints it."""
    return ("-" if n < 0 else "") + rf"\num{{{abs(n)}}}" if abs(n) >= 10_000 else str(n)


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
        expr = _flip_signs(expr)
    return TextbookPrinter().doprint(expr)


def _flip_signs(expr: sp.Basic, in_sum: bool = False) -> sp.Basic:
    """_flip_sign on every product that is not a term of a sum (there −d(k − 1) reads
    better than + d(1 − k))."""
    if not expr.args or isinstance(expr, sp.Indexed | sp.IndexedBase):
        return expr
    args = [_flip_signs(a, isinstance(expr, sp.Add)) for a in expr.args]
    rebuilt = expr.func(*args, evaluate=False) if isinstance(expr, sp.Add | sp.Mul) else (
        expr.func(*args))
    return rebuilt if in_sum or not rebuilt.is_Mul else _flip_sign(rebuilt)


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


_SKIP = {r"\num", r"\left", r"\right", r"\Bigl", r"\Bigr", r"\bigl", r"\bigr", r"\displaystyle",
         r"\,", r"\quad", r"\;", r"\!", r"\ "}
_TOKEN = re.compile(r"\\[a-zA-Z]+|\\.|[{}_^]|[^\\{}_^\s]|\s+")


def width(latex: str) -> float:
    """A rough printed width of display math, in characters: a fraction as wide as its
    wider part, scripts at 70 %, the limits of Σ under and over it, each command one
    character, spacing and delimiters' sizing nothing."""
    tokens = [t for t in _TOKEN.findall(latex) if not t.isspace()]
    return _width(tokens, 0, len(tokens))[0]


def _group(tokens: list[str], at: int) -> tuple[float, int]:
    """Width of the group (or single token) starting at `at`, and the index after it."""
    if at >= len(tokens):
        return 0.0, at
    if tokens[at] != "{":
        return _width(tokens, at, at + 1)[0], at + 1
    depth, end = 0, at
    for end in range(at, len(tokens)):
        depth += {"{": 1, "}": -1}.get(tokens[end], 0)
        if depth == 0:
            break
    return _width(tokens, at + 1, end)[0], end + 1


def _width(tokens: list[str], start: int, stop: int) -> tuple[float, int]:
    total, at = 0.0, start
    while at < stop:
        token = tokens[at]
        if token == r"\frac":
            top, at = _group(tokens, at + 1)
            bottom, at = _group(tokens, at)
            total += max(top, bottom)
        elif token in (r"\sum", r"\prod"):
            at, size = at + 1, 1.5
            while at < stop and tokens[at] in ("_", "^"):
                script, at = _group(tokens, at + 1)
                size = max(size, 0.7 * script)
            total += size
        elif token in ("_", "^"):
            script, at = _group(tokens, at + 1)
            total += 0.7 * script
        elif token == "{":
            inner, at = _group(tokens, at)
            total += inner
        else:
            total += 0 if token in _SKIP or token == "}" else 1
            at += 1
    return total, at


# Printed characters of a display that fit beside its left side and its rule's name.
DISPLAY_WIDTH = 34


def tex_broken(expr: Any, limit: int = DISPLAY_WIDTH) -> list[str]:
    """LaTeX of `expr` over as many lines as it needs for a display `limit` printed
    characters wide (see `width`): a long sum of terms two terms a line; a long Σ with its
    sums packed line by line and its product split inside \\Bigl[ … \\Bigr]; a guarded
    value 𝟙[condition] on a line of its own."""
    expr = sp.sympify(expr)
    whole = tex(expr)
    if width(whole) <= limit:
        return [whole]
    if isinstance(expr, sp.Add):
        return tex_lines(expr, 2)
    if (isinstance(expr, sp.Piecewise) and len(expr.args) == 2 and expr.args[1].expr == 0
            and expr.args[1].cond == sp.true):
        value, condition = expr.args[0]
        guard = rf"\mathbf{{1}}\left[{TextbookPrinter().doprint(condition)}\right]"
        return [guard + r"\, \times", *tex_broken(value, limit)]
    if isinstance(expr, sp.Sum):
        return _sum_lines(expr, limit)
    return [whole]


def _sum_lines(expr: sp.Sum, limit: int) -> list[str]:
    """Σ…Σ body: the sums packed into lines of at most `limit`, then the body's factors (a
    line that continues the product starts with ×)."""
    printer = TextbookPrinter()
    sums = [rf"\sum_{{{printer._print(v)}={printer._print(lo)}}}^{{{printer._print(hi)}}}"
            for v, lo, hi in expr.limits]
    groups: list[str] = [""]
    for piece in sums:
        if groups[-1] and width(groups[-1] + piece) > limit:
            groups.append("")
        groups[-1] += piece + " "
    body = expr.function
    factors = sorted(body.args, key=_rank) if isinstance(body, sp.Mul) else [body]
    partials = [f for f in factors if isinstance(f, PartialOf)]
    if len(partials) > 1:                        # a chain of partials, in the chain's order
        factors = [f for f in factors if not isinstance(f, PartialOf)] + _chain_order(partials)
    lines = [g + r"\Bigl[" for g in groups[:-1]]
    opened = len(lines)
    last = groups[-1]
    if width(last + tex(body)) <= limit or len(factors) == 1:
        lines.append(last + (r"\left(" + tex(body) + r"\right)" if isinstance(body, sp.Add)
                             else tex(body)))
    else:                                        # the factors packed into lines
        current, filled = last + r"\Bigl[", False
        for piece in (_factor(printer, f) for f in factors):
            if filled and width(current + piece) > limit:
                lines.append(current)
                current = r"\times "               # the product goes on: say so
            current, filled = current + piece + " ", True
        lines.append(current)
        opened += 1
    lines[-1] += r"\Bigr]" * opened
    return lines


def _factor(printer: TextbookPrinter, factor: sp.Expr) -> str:
    """One factor of a product on its own: a sum in parentheses, −1 as a sign."""
    if factor == -1:
        return "-"
    shown = printer.doprint(factor)
    return rf"\left({shown}\right)" if isinstance(factor, sp.Add) else shown
