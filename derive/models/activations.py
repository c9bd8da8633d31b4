"""Activation functions: swish x σ(βx) and its limits in β, a piecewise-linear activation
built from ReLU, LeakyReLU, and log-softmax computed naively and stably.

Everything symbolic is derived by SymPy (limits by sign of x, the largest gap to ReLU, the
ReLU coefficients from the slopes); numbers are float64 as numpy computes them.

>>> h = swish(x, beta)
>>> limits = swish_limits()
>>> limits["zero"], limits["plus"], limits["minus"]
(x/2, Max(0, x), Min(0, x))
>>> largest_gap()[1]
LambertW(exp(-1))
>>> PiecewiseLinear().construction()
a*ReLU(-alpha + x) - b*ReLU(beta - x)
>>> float(ReLU(-2)), float(ReLU(3))
(0.0, 3.0)
>>> r = naive_log_softmax([1000.0, 1001.0, 1002.0])
>>> r.values.tolist(), r.flags["exp"]
([-inf, -inf, -inf], ('overflow',))
>>> bool(np.allclose(stable_log_softmax([1000.0, 1001.0, 1002.0]), [-2.4076, -1.4076, -0.4076],
...                  atol=1e-4))
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import NDArray

from derive.models.symbols import sigmoid

x = sp.Symbol("x", real=True)
beta = sp.Symbol("beta", real=True)          # swish's inverse temperature
gamma = sp.Symbol("gamma", positive=True)    # a positive β, when β itself goes to −∞
u = sp.Symbol("u", nonnegative=True)         # β|x|, the gap's only variable
t = sp.Symbol("t", positive=True)            # a distance from a breakpoint
# the piecewise-linear activation: slopes a (right), s (left), breakpoints β_ ≤ α
a, b = sp.symbols("a b", real=True)
alpha = sp.Symbol("alpha", real=True)
beta_ = sp.Symbol("beta", real=True)         # the left breakpoint (prints β, as in the question)
delta = sp.Symbol("delta", positive=True)    # α − β, the length of the flat piece
s = sp.Symbol("s", positive=True)            # a fraction of the flat piece, 0 < s < 1
r = sp.Symbol("r", positive=True)            # s = 1/(1 + r): how a sign is decided on it
c1, c2 = sp.symbols("c_1 c_2", real=True)    # the unknown coefficients of the two ReLUs
lam = sp.Symbol("lambda", positive=True)     # LeakyReLU's slope, 0 < λ < 1
tau = sp.Symbol("tau", positive=True)        # soft shrinkage's threshold
_ZERO = sp.Symbol("0")                       # a 0 that SymPy does not evaluate away
BIG = sp.Integer(10) ** 12                   # β at which a limit in β is evaluated numerically


class ReLU(sp.Function):
    """ReLU(v) = max(v, 0): kept whole on symbols (so it prints as ReLU), a number on numbers.

    >>> ReLU(sp.Rational(1, 2)), ReLU(-1), ReLU(x)
    (1/2, 0, ReLU(x))
    """

    is_real = True
    _imp_ = staticmethod(lambda v: np.maximum(np.asarray(v, dtype=float), 0.0))

    @classmethod
    def eval(cls, v: sp.Expr) -> sp.Expr | None:
        if v.is_number and v.is_real:
            return v if v >= 0 else sp.Integer(0)
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Heaviside(self.args[0])

    def _eval_rewrite_as_Max(self, v: sp.Expr, **kwargs: Any) -> sp.Expr:
        return sp.Max(v, 0)

    def _latex(self, printer: Any, exp: Any = None) -> str:
        return rf"\operatorname{{ReLU}}\left({printer._print(self.args[0])}\right)"


class Magnitude(sp.Abs):
    """|v|, printed without the braces SymPy puts around a symbol (\\left|{x}\\right|)."""

    _imp_ = staticmethod(np.abs)

    def _latex(self, printer: Any, exp: Any = None) -> str:
        power = "" if exp is None else f"^{{{exp}}}"
        return rf"\left|{printer._print(self.args[0])}\right|{power}"


class Cases(sp.Piecewise):
    """A Piecewise printed as cases with math conditions only (no "otherwise", no words).
    Its conditions stay as written (SymPy would fold each into the ones before it), also
    when the printer rebuilds it."""

    def __new__(cls, *args: Any, **options: Any) -> Any:
        options.setdefault("evaluate", False)
        return super().__new__(cls, *args, **options)

    def _latex(self, printer: Any) -> str:
        rows = [rf"{printer._print(e)} & {_condition(printer, c)}" for e, c in self.args]
        return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"


def cases(*pieces: tuple[sp.Expr, sp.Basic]) -> Cases:
    """Cases whose conditions stay as written (SymPy would fold them into each other)."""
    return Cases(*pieces)


def _condition(printer: Any, cond: sp.Basic) -> str:
    """`lo ≤ v ≤ hi` for And(v ≥ lo, v ≤ hi); any other condition as SymPy prints it."""
    if isinstance(cond, sp.And) and len(cond.args) == 2:
        ge = [c for c in cond.args if isinstance(c, sp.GreaterThan)]
        le = [c for c in cond.args if isinstance(c, sp.LessThan)]
        if len(ge) == 1 and len(le) == 1 and ge[0].lhs == le[0].lhs:
            lo, v, hi = (printer._print(e) for e in (ge[0].rhs, ge[0].lhs, le[0].rhs))
            return rf"{lo} \le {v} \le {hi}"
    return str(printer._print(cond))


# --- swish -----------------------------------------------------------------------------------
def swish(v: sp.Expr = x, b_: sp.Expr = beta) -> sp.Expr:
    """h_β(v) = v σ(βv)."""
    return v * sigmoid(b_ * v)


def swish_np(v: Any, b_: float) -> NDArray[np.float64]:
    """v σ(βv) in float64, σ evaluated without overflow."""
    z = b_ * np.asarray(v, dtype=float)
    e = np.exp(-np.abs(z))
    return np.asarray(v, dtype=float) * np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _exp_form(e: sp.Expr) -> sp.Expr:
    return e.rewrite(sp.exp)


def tanh_form() -> sp.Expr:
    """x σ(βx) = x/2 + (x/2) tanh(βx/2), from σ(t) = (1 + tanh(t/2))/2."""
    return x / 2 + x / 2 * sp.tanh(beta * x / 2)


def relu_split() -> sp.Expr:
    """x σ(βx) = ReLU(x) − |x| σ(−β|x|): the gap to ReLU depends on β|x| only."""
    return ReLU(x) - Magnitude(x) * sigmoid(-beta * Magnitude(x))


def reflected(b_: sp.Expr = beta) -> sp.Expr:
    """h_{−β}(x) = x − h_β(x), from σ(−t) = 1 − σ(t)."""
    return x - swish(x, b_)


@cache
def _limit_by_sign(point: sp.Expr) -> dict[str, sp.Expr]:
    """lim h_β(x) as β → point, for x > 0 and x < 0 (SymPy), and at x = 0 (h_β(0) for all β)."""
    pos, neg = sp.Symbol("x_p", positive=True), sp.Symbol("x_n", negative=True)
    h = _exp_form(swish())
    direction = "+-" if point == 0 else "+"
    return {"positive": sp.limit(h.xreplace({x: pos}), beta, point, direction).xreplace({pos: x}),
            "negative": sp.limit(h.xreplace({x: neg}), beta, point, direction).xreplace({neg: x}),
            "zero": sp.simplify(h.xreplace({x: 0}))}


def limit_cases(point: sp.Expr) -> Cases:
    """The limit of h_β(x) as β → point, one piece per sign of x (each computed by SymPy)."""
    by = _limit_by_sign(point)
    return cases((by["negative"], x < 0), (by["zero"], sp.Eq(x, 0)), (by["positive"], x > 0))


@cache
def swish_limits() -> dict[str, sp.Expr]:
    """The limits as β → 0, +∞, −∞: each computed by sign of x, then written in its
    simplest form (x/2, max(0, x), min(0, x)) when that form has the same pieces."""
    return {key: _simplest(point) for key, point in
            (("zero", sp.Integer(0)), ("plus", sp.oo), ("minus", -sp.oo))}


def _simplest(point: sp.Expr) -> sp.Expr:
    by = _limit_by_sign(point)
    pos, neg = sp.Symbol("p", positive=True), sp.Symbol("n", negative=True)
    for candidate in (x / 2, sp.Max(0, x), sp.Min(0, x)):
        if (sp.simplify(candidate.xreplace({x: pos}) - by["positive"].xreplace({x: pos})) == 0
                and sp.simplify(candidate.xreplace({x: neg}) - by["negative"].xreplace({x: neg}))
                == 0 and candidate.xreplace({x: 0}) == by["zero"]):
            return candidate
    return limit_cases(point)


def limit_meaning(point: sp.Expr) -> sp.Expr:
    """The numeric meaning of lim_{β→point} h_β(x) for the step checker: h at β = ±10¹²
    (or 10⁻¹² for 0), where h is within 0.28/10¹² of its limit at every x."""
    at = {sp.oo: BIG, -sp.oo: -BIG}.get(point, 1 / BIG)
    return swish(x, at)


@cache
def largest_gap() -> tuple[sp.Expr, sp.Expr]:
    """(u*, c): u σ(−u) = u/(1 + eᵘ) is largest at u* on u ≥ 0, with value c (SymPy's solve,
    then e^{W(z)} = z/W(z)); so sup_x |h_β(x) − ReLU(x)| = c/β for β > 0."""
    g = u / (1 + sp.exp(u))
    (star,) = sp.solve(sp.diff(g, u), u)
    return star, lambert(g.xreplace({u: star}))


def lambert(e: sp.Expr) -> sp.Expr:
    """e^{W(z)} = z / W(z), then cancelled."""
    e = sp.expand(e, power_exp=True)
    e = e.replace(lambda v: isinstance(v, sp.exp) and isinstance(v.args[0], sp.LambertW),
                  lambda v: v.args[0].args[0] / v.args[0])
    return sp.cancel(sp.together(e))


def derivative_at_zero() -> sp.Expr:
    """h_β′(0) = σ(0), for every β."""
    return sp.diff(swish(), x).xreplace({x: 0}).rewrite(sp.exp)


# --- a piecewise-linear activation from ReLU -------------------------------------------------
@dataclass(frozen=True)
class PiecewiseLinear:
    """Slope `right` on [α, ∞), 0 on [β, α], slope `left` on (−∞, β]; continuous (so h = 0
    on [β, α]). Parameters are SymPy values or symbols (default: a, b, α, β)."""

    right: sp.Expr = a
    left: sp.Expr = b
    alpha: sp.Expr = alpha
    beta: sp.Expr = beta_

    def pieces(self, v: sp.Expr = x) -> list[tuple[sp.Expr, sp.Basic]]:
        """(value, condition) on each piece, conditions as the question states them."""
        return [(self.left * (v - self.beta), v < self.beta),
                (sp.Integer(0), sp.And(v >= self.beta, v <= self.alpha, evaluate=False)),
                (self.right * (v - self.alpha), v > self.alpha)]

    def definition(self, v: sp.Expr = x) -> Cases:
        """h(v) from its slopes, piece by piece."""
        return cases(*self.pieces(v))

    def branch(self, point: sp.Expr) -> sp.Expr:
        """h at `point`: the value of the first piece whose condition SymPy can decide holds
        there (signs read after `signs()`); a point on no decided piece is an error."""
        for value, cond in self.pieces(point):
            if _holds(cond, self.signs()):
                return sp.expand(value)
        raise ValueError(f"no piece of h is known to hold at {point}")

    def ansatz(self, v: sp.Expr = x) -> sp.Expr:
        """c₁ ReLU(v − α) + c₂ ReLU(β − v): one hinge at each breakpoint, both 0 between."""
        return c1 * ReLU(v - self.alpha) + c2 * ReLU(self.beta - v)

    def regions(self) -> dict[str, sp.Expr]:
        """A point of each piece: α + t, β − t (t > 0), β + s(α − β) (0 < s < 1)."""
        return {"right": self.alpha + t, "left": self.beta - t,
                "middle": self.beta + s * (self.alpha - self.beta)}

    def signs(self) -> dict[sp.Symbol, sp.Expr]:
        """Substitutions under which SymPy sees each ReLU argument's sign: β = α − δ with
        δ > 0, and s = 1/(1 + r) with r > 0."""
        return {self.beta: self.alpha - delta, s: 1 / (1 + r)} if isinstance(
            self.beta, sp.Symbol) else {s: 1 / (1 + r)}

    def solve(self) -> dict[sp.Symbol, sp.Expr]:
        """c₁, c₂ such that the ansatz equals h on the outer pieces (SymPy's solve)."""
        equations = []
        for key in ("right", "left"):
            point = self.regions()[key]
            g = relu_signs(self.ansatz(point), self.signs())
            equations.append(sp.expand((g - self.branch(point)).xreplace(self.signs())))
        # each equation is linear in t and must hold for every t > 0: its t-coefficient is 0
        system = [sp.Poly(e, t).coeff_monomial(t) for e in equations]
        solution = sp.solve(system, [c1, c2], dict=True)
        assert len(solution) == 1, solution
        return solution[0]

    def construction(self, v: sp.Expr = x) -> sp.Expr:
        """h(v) = c₁ ReLU(v − α) + c₂ ReLU(β − v), with c₁, c₂ from `solve`."""
        return self.ansatz(v).xreplace(self.solve())

    def held(self, v: sp.Expr = x) -> sp.Expr:
        """The construction at v for the page, a ReLU of 0 kept (its 0 a symbol), to show
        which term vanishes there.

        >>> print(PiecewiseLinear().held(alpha))
        a*ReLU(0) - b*ReLU(-alpha + beta)
        """
        def kept(arg: sp.Expr) -> sp.Expr:
            return ReLU(_ZERO if arg == 0 else arg)

        solved = self.solve()
        return solved[c1] * kept(v - self.alpha) + solved[c2] * kept(self.beta - v)

    def at(self, right: Any, left: Any, alpha_: Any, beta_value: Any) -> PiecewiseLinear:
        """The same activation with numbers (or other expressions) for its parameters."""
        return PiecewiseLinear(*(sp.sympify(v) for v in (right, left, alpha_, beta_value)))


def _sign_known(v: sp.Expr, signs: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
    return sp.factor(sp.together(sp.sympify(v).xreplace(signs)))


def _holds(cond: sp.Basic, signs: dict[sp.Symbol, sp.Expr]) -> bool:
    """Whether SymPy can tell that `cond` holds, its sides' difference signed after `signs`."""
    if isinstance(cond, sp.And):
        return all(_holds(c, signs) for c in cond.args)
    if cond is sp.true:
        return True
    if isinstance(cond, sp.core.relational.Relational):
        gap = _sign_known(cond.lhs - cond.rhs, signs)
        test = {sp.StrictLessThan: gap.is_negative, sp.LessThan: gap.is_nonpositive,
                sp.StrictGreaterThan: gap.is_positive, sp.GreaterThan: gap.is_nonnegative,
                sp.Equality: gap.is_zero}.get(type(cond))
        return bool(test)
    return False


def relu_signs(expr: sp.Basic, signs: dict[sp.Symbol, sp.Expr] | None = None) -> sp.Basic:
    """ReLU(v) = v where v ≥ 0 and 0 where v ≤ 0, the sign read by SymPy from its symbols'
    assumptions after `signs` (β = α − δ, say); ReLUs of unknown sign are left."""
    def sign_of(v: sp.Expr) -> sp.Expr:
        seen = _sign_known(v, signs or {})
        if seen.is_nonnegative:
            return v
        if seen.is_nonpositive:
            return sp.Integer(0)
        return ReLU(v)

    return expr.replace(lambda e: isinstance(e, ReLU), lambda e: sign_of(e.args[0]))


def leaky_relu(v: sp.Expr = x, slope: sp.Expr = lam) -> sp.Expr:
    """LeakyReLU_λ(v) = max(v, λv) for 0 ≤ λ ≤ 1."""
    return sp.Max(v, slope * v)


def soft_shrink(v: sp.Expr = x, threshold: sp.Expr = tau) -> sp.Expr:
    """Soft shrinkage: sign(v) max(|v| − τ, 0)."""
    return sp.sign(v) * sp.Max(Magnitude(v) - threshold, 0)


# --- log-softmax in float64 ------------------------------------------------------------------
@dataclass(frozen=True)
class Naive:
    """What numpy returns for log S(x)_i = x_i − log Σ_j e^{x_j} computed as written, and
    the floating-point events it raised at each operation (overflow, underflow, …)."""

    exps: NDArray[np.float64]
    total: float
    log_total: float
    values: NDArray[np.float64]          # x_i − log Σ_j e^{x_j}
    quotient_log: NDArray[np.float64]    # log(e^{x_i} / Σ_j e^{x_j})
    flags: dict[str, tuple[str, ...]]


def _recorded(op: Callable[[], Any]) -> tuple[Any, tuple[str, ...]]:
    """op() under np.errstate(all="call"): its result and the events numpy reported."""
    seen: list[str] = []

    def record(kind: str, _flag: int) -> None:
        for name in ("overflow", "underflow", "divide by zero", "invalid value"):
            if name in kind and name not in seen:
                seen.append(name)

    with np.errstate(all="call", call=record):
        value = op()
    return value, tuple(seen)


def naive_log_softmax(values: Sequence[float]) -> Naive:
    """The textbook formulas in float64, every event recorded."""
    v = np.asarray(values, dtype=float)
    exps, f_exp = _recorded(lambda: np.exp(v))
    total, f_sum = _recorded(lambda: np.sum(exps))
    log_total, f_log = _recorded(lambda: np.log(total))
    out, f_sub = _recorded(lambda: v - log_total)
    quotient, f_div = _recorded(lambda: exps / total)
    quotient_log, f_qlog = _recorded(lambda: np.log(quotient))
    return Naive(exps, float(total), float(log_total), out, quotient_log,
                 {"exp": f_exp, "sum": f_sum, "log": f_log, "subtract": f_sub,
                  "divide": f_div, "log_quotient": f_qlog})


def stable_log_softmax(values: Sequence[float]) -> NDArray[np.float64]:
    """(x_i − M) − log Σ_j e^{x_j − M}, M = max_j x_j, in float64."""
    v = np.asarray(values, dtype=float)
    shifted = v - np.max(v)
    return np.asarray(shifted - np.log(np.sum(np.exp(shifted))))
