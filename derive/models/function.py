"""A scalar function written by a user in SymPy syntax, read safely, and its derivatives.

The text is never given to `eval` or `sympify` (which evaluates Python). It is parsed by
Python's `ast` module, every node checked against a short allow-list (numbers, names,
+ − * / **, unary minus, calls of the functions in `FUNCTIONS`), and the SymPy expression
is built from the tree node by node. Anything else is an `ExpressionError` naming the
offending piece and its column.

>>> f = parse("x**2*y + exp(x*y)")
>>> f, variables_of(f)
(x**2*y + exp(x*y), [x, y])
>>> list(gradient(f, variables_of(f)))
[2*x*y + y*exp(x*y), x**2 + x*exp(x*y)]
>>> parse("x.__class__")
Traceback (most recent call last):
...
derive.models.function.ExpressionError: 'x.__class__' at column 1: attribute access is not allowed
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import sympy as sp

from derive.models.symbols import sigmoid


class Abs(sp.Abs):
    """|a|, printed without the braces SymPy puts inside the bars."""

    def _latex(self, printer: Any, exp: Any = None) -> str:
        bars = rf"\left|{printer._print(self.args[0])}\right|"
        return bars if exp is None else rf"{bars}^{{{exp}}}"


def kinks(expr: sp.Expr) -> list[sp.Expr]:
    """The arguments of |·| in `expr`: where one is 0, f may have no derivative."""
    return [a.args[0] for a in expr.atoms(sp.Abs)]


MAX_LENGTH = 400
MAX_EXPONENT = 100
# The functions a formula may call, with their number of arguments.
FUNCTIONS: dict[str, Callable[..., sp.Expr]] = {
    "exp": sp.exp, "log": sp.log, "ln": sp.log, "sqrt": sp.sqrt,
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "asin": sp.asin, "acos": sp.acos,
    "atan": sp.atan, "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
    "sigmoid": sigmoid, "Abs": Abs, "abs": Abs,
}
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}
BIN_OPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Pow: operator.pow,
}
# What the refused pieces of Python are called in a message.
REFUSED_OPS: dict[type[ast.AST], str] = {
    ast.BitXor: "'^'", ast.Mod: "'%'", ast.FloorDiv: "'//'",
    ast.MatMult: "'@'", ast.BitAnd: "'&'", ast.BitOr: "'|'", ast.LShift: "'<<'",
    ast.RShift: "'>>'", ast.Invert: "'~'", ast.Not: "'not'",
}
REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access", ast.Subscript: "indexing", ast.Lambda: "a lambda",
    ast.Compare: "a comparison (the function must be a number, not a condition)",
    ast.BoolOp: "'and'/'or'", ast.IfExp: "a conditional expression",
    ast.Tuple: "a tuple (the function must be one scalar)",
    ast.List: "a list (the function must be one scalar)",
    ast.Dict: "a dict", ast.Set: "a set", ast.JoinedStr: "an f-string",
    ast.NamedExpr: "':='", ast.Starred: "'*'", ast.ListComp: "a comprehension",
    ast.GeneratorExp: "a comprehension", ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension", ast.Await: "'await'", ast.Yield: "'yield'",
}


class Shown(sp.Symbol):
    """A named quantity printed as its LaTeX name, such as H(S_{A_1=1}) or f(1.1, 2); a
    derivation gives its value in `definitions`.

    >>> print(sp.latex(Shown("f(1, 2)") + 1))
    f(1, 2) + 1
    """

    def _latex(self, printer: Any) -> str:
        return self.name


class DisplayMatrix(sp.ImmutableDenseMatrix):
    """A vector or matrix whose entries print in display style, rows apart, so that
    fractions and partial derivatives in it stay readable. SymPy keeps the class through
    arithmetic, `xreplace`, `replace` and `applyfunc`."""

    def _latex(self, printer: Any) -> str:
        rows = [" & ".join(rf"\displaystyle {printer._print(e)}" for e in self.row(i))
                for i in range(self.rows)]
        tall = any(isinstance(e, sp.Basic) and printer._print(e).count(r"\frac") for e in self)
        gap = r" \\[8pt] " if tall else r" \\ "
        return rf"\left[\begin{{matrix}}{gap.join(rows)}\end{{matrix}}\right]"


class ExpressionError(ValueError):
    """A formula that is not a scalar expression of the allowed form."""


def _where(text: str, node: ast.AST) -> str:
    piece = ast.get_source_segment(text, node) or type(node).__name__
    piece = piece if len(piece) <= 30 else piece[:27] + "..."
    return f"{piece!r} at column {getattr(node, 'col_offset', 0) + 1}"


class _Builder:
    """Builds the SymPy expression of an allowed syntax tree, refusing anything else."""

    def __init__(self, text: str, allowed: Sequence[str] | None):
        self.text, self.allowed = text, allowed

    def fail(self, node: ast.AST, why: str) -> ExpressionError:
        return ExpressionError(f"{_where(self.text, node)}: {why}")

    def build(self, node: ast.AST) -> sp.Expr:
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return -self.build(node.operand)
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand)
            raise self.fail(node, f"{REFUSED_OPS.get(type(node.op), 'this operator')} is "
                            "not allowed")
        if isinstance(node, ast.BinOp):
            op = BIN_OPS.get(type(node.op))
            if op is None:
                hint = "write powers with **" if isinstance(node.op, ast.BitXor) else (
                    "use + - * / **")
                raise self.fail(node, f"{REFUSED_OPS.get(type(node.op), 'this operator')} "
                                f"is not allowed ({hint})")
            left, right = self.build(node.left), self.build(node.right)
            if isinstance(node.op, ast.Pow):
                self.check_power(node, left, right)
            return sp.sympify(op(left, right))
        if isinstance(node, ast.Call):
            return self.call(node)
        what = REFUSED_NODES.get(type(node), type(node).__name__)
        raise self.fail(node, f"{what} is not allowed")

    def number(self, node: ast.Constant) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            kind = "a string" if isinstance(value, str) else f"{value!r}"
            raise self.fail(node, f"{kind} is not allowed (numbers, names and functions only)")
        if not math.isfinite(value) or abs(value) > 1e15:
            raise self.fail(node, "number too large (at most 1e15)")
        return sp.Integer(value) if isinstance(value, int) else sp.Rational(repr(value))

    def name(self, node: ast.Name) -> sp.Expr:
        name = node.id
        if name.startswith("_"):
            raise self.fail(node, "names may not start with '_'")
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            raise self.fail(node, f"{name} is a function: call it, as in {name}(x)")
        if self.allowed is not None and name not in self.allowed:
            listed = ", ".join(self.allowed) or "none"
            raise self.fail(node, f"{name!r} is not one of the variables ({listed})")
        return sp.Symbol(name, real=True)

    def call(self, node: ast.Call) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node.func, "only the allowed functions may be called "
                            f"({', '.join(FUNCTIONS)})")
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.fail(node.func, f"unknown function {name!r} (allowed: "
                            f"{', '.join(FUNCTIONS)})")
        if node.keywords:
            raise self.fail(node.keywords[0], "keyword arguments are not allowed")
        if len(node.args) != 1:
            raise self.fail(node, f"{name} takes one argument, got {len(node.args)}")
        return FUNCTIONS[name](self.build(node.args[0]))

    def check_power(self, node: ast.BinOp, base: sp.Expr, exp: sp.Expr) -> None:
        """Refuse powers whose value SymPy would spend minutes writing out."""
        if exp.is_Number and abs(exp) > MAX_EXPONENT:
            raise self.fail(node, f"exponent too large (at most {MAX_EXPONENT})")
        if base.is_Number and exp.is_Number and base != 0 and \
                abs(float(exp)) * math.log10(abs(float(base))) > 300:
            raise self.fail(node, "number too large")


@lru_cache(maxsize=512)
def _parse(text: str, allowed: tuple[str, ...] | None) -> sp.Expr:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise ExpressionError("the expression is empty")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        column = min(exc.offset or len(text.strip()) + 1, len(text.strip()) + 1)
        raise ExpressionError(f"{text.strip()!r}: syntax error at column {column}: "
                              f"{exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("expression too deeply nested") from None
    try:
        expr = _Builder(text.strip(), allowed).build(tree.body)
    except RecursionError:
        raise ExpressionError("expression too deeply nested") from None
    if expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan, sp.I):
        raise ExpressionError(f"{text.strip()!r} is not a finite real expression "
                              f"(it simplifies to {expr})")
    return expr


def parse(text: str, variables: Sequence[str] | None = None) -> sp.Expr:
    """The SymPy expression of `text`; with `variables`, any other name is refused.

    >>> parse("log(1 + exp(-w1*x1 - w2*x2))")
    log(exp(-w1*x1 - w2*x2) + 1)
    >>> parse("x^2")
    Traceback (most recent call last):
    ...
    derive.models.function.ExpressionError: 'x^2' at column 1: '^' is not allowed (write ...
    """
    return _parse(text, None if variables is None else tuple(variables))


def constant(text: str) -> sp.Expr:
    """A number written like a formula without variables: '1/3', 'pi/4', 'sqrt(2)'."""
    return parse(text, variables=())


def symbols(names: Sequence[str]) -> list[sp.Symbol]:
    return [sp.Symbol(n, real=True) for n in names]


def variables_of(expr: sp.Expr) -> list[sp.Symbol]:
    """The free symbols of `expr`, sorted by name."""
    return sorted((s for s in expr.free_symbols if isinstance(s, sp.Symbol)), key=str)


def gradient(expr: sp.Expr, variables: Sequence[sp.Symbol]) -> DisplayMatrix:
    return DisplayMatrix([sp.diff(expr, v) for v in variables])


def hessian(expr: sp.Expr, variables: Sequence[sp.Symbol]) -> DisplayMatrix:
    return DisplayMatrix([[sp.diff(expr, a, b) for b in variables] for a in variables])


def finite_real(expr: sp.Expr) -> bool:
    try:
        z = complex(sp.N(expr, 20))
    except (TypeError, ValueError):
        return False
    return math.isfinite(z.real) and abs(z.imag) <= 1e-12 * (1 + abs(z.real))


def exact_numbers(values: Sequence[float | str], what: str) -> list[sp.Expr]:
    """Exact numbers: a float as the decimal it is written as, a string as a formula."""
    out = []
    for n, c in enumerate(values, 1):
        if isinstance(c, float):
            if not math.isfinite(c):
                raise ValueError(f"{what} coordinate {n} is not a finite number: {c!r}")
            out.append(sp.Rational(repr(c)))
            continue
        try:
            out.append(constant(c))
        except ExpressionError as exc:
            raise ValueError(f"{what} coordinate {n}: {exc}") from None
        if not finite_real(out[-1]):
            raise ValueError(f"{what} coordinate {n} is not a finite real number: {c!r}")
    return out


def magnitude(expr: sp.Expr, scale: float = 1.0) -> float:
    """|expr| as a float, 0 when 60-digit arithmetic leaves nothing above rounding at
    `scale` (an exact zero SymPy does not see, such as a difference of logarithms that
    cancel).

    >>> magnitude(sp.log(6) - sp.log(2) - sp.log(3)), magnitude(sp.Rational(1, 8))
    (0.0, 0.125)
    """
    value = abs(sp.N(expr, 60))
    return 0.0 if value <= scale * sp.Float(10) ** -45 else float(value)
