"""Any scalar function written in SymPy syntax: its gradient, Hessian, Hessian-vector
product, directional derivative, and finite-difference estimates with their actual errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import sympy as sp
from pydantic import Field, ValidationInfo, field_validator

from derive.derivation import Derivation, Domain
from derive.derivation import function_rules as _rules  # noqa: F401  (registers the rules)
from derive.derivation.check import draw
from derive.derivation.steps import DomainKind, apply_rule
from derive.latex.decimals import significant
from derive.latex.printer import DISPLAY_WIDTH, TextbookPrinter, tex
from derive.listing import Listing
from derive.models import function as F
from derive.models.function import Shown
from derive.models.symbols import PartialOf
from derive.questions import function_names as N
from derive.questions.base import NonNegInt
from derive.questions.declare import Derived, kind
from derive.questions.function_numbers import (
    approximate,
    digits_for,
    exact_or_decimal,
    in_place,
    printed_width,
    written_tuple,
)
from derive.verify import function_reference as R

Report = Literal["gradient", "hessian", "hvp", "directional", "finite_differences"]
NEEDS_DIRECTION = ("hvp", "directional", "finite_differences")
NEEDS_HESSIAN = ("hessian", "hvp")
DEFAULT_STEP = 0.1
MIN_STEP = 1e-4          # below, the double-precision reference cannot check the estimates
MAX_VARIABLES = 5
# where the steps are checked: the first domain that fits f
DOMAINS: tuple[DomainKind, ...] = ("normal", "positive", "unit")
Coordinate = float | str
# what follows a derivative's definition: carried out, σ′ and tanh′ written, simplified
RULE_PIPELINE = ("differentiate", "sigma_prime", "tanh_prime", "simplify_entries")


def pipeline(expr: sp.Basic) -> sp.Basic:
    """The rules of RULE_PIPELINE applied outside a derivation (to measure a result)."""
    for rule in RULE_PIPELINE:
        expr = apply_rule(rule, expr)
    return expr


@kind("function.derivatives",
      "Gradient, Hessian, Hv, directional derivative or finite differences of any f(x).",
      {"expression": "x**2*y + exp(x*y)", "point": [1, 2], "report": "gradient"})
class FunctionDerivatives(Derived):
    expression: str = Field(description="f in SymPy syntax: numbers, variables, + - * / **, "
                            "and " + ", ".join(F.FUNCTIONS) + "; pi and E.")
    variables: list[str] | None = Field(
        None, validate_default=True, max_length=MAX_VARIABLES,
        description="The variables, in order (default: the expression's names, sorted).")
    report: Report = Field("gradient", description="What to derive.")
    point: list[Coordinate] | None = Field(
        None, validate_default=True,
        description="x₀: numbers, or formulas such as '1/3' or 'pi/4' (needed by "
                    "finite_differences).")
    direction: list[Coordinate] | None = Field(
        None, validate_default=True, description="v, for hvp, directional, finite_differences.")
    step: float | None = Field(
        None, validate_default=True,
        description=f"h of finite_differences (default {DEFAULT_STEP}, at least {MIN_STEP}).")
    seed: NonNegInt = 0
    method: ClassVar[str] = "function_reference"
    index_base_default: ClassVar[int] = 0     # no indices: expressions printed as built

    # validation, field by field, each against the fields before it -----------------------
    @field_validator("expression")
    @classmethod
    def _expression(cls, text: str) -> str:
        try:
            F.parse(text)
        except F.ExpressionError as exc:
            raise ValueError(str(exc)) from None
        return text

    @field_validator("variables")
    @classmethod
    def _variables(cls, names: list[str] | None, info: ValidationInfo) -> list[str] | None:
        text = info.data.get("expression")
        if text is None:
            return names
        used = [str(s) for s in F.variables_of(F.parse(text))]
        if names is None:
            if not used:
                raise ValueError("the expression has no variable: list them in `variables`")
            if len(used) > MAX_VARIABLES:
                raise ValueError(f"the expression has {len(used)} variables ({', '.join(used)})"
                                 f"; at most {MAX_VARIABLES}")
            return used
        for name in names:
            if not name.isidentifier() or name.startswith("_") or name in F.FUNCTIONS \
                    or name in F.CONSTANTS:
                raise ValueError(f"{name!r} cannot be a variable name")
        if len(set(names)) < len(names) or not names:
            raise ValueError(f"variables must be distinct and at least one: {names}")
        missing = [u for u in used if u not in names]
        if missing:
            raise ValueError(f"the expression uses {', '.join(map(repr, missing))}, not among "
                             f"the variables ({', '.join(names)})")
        return names

    @field_validator("report")
    @classmethod
    def _report(cls, report: str, info: ValidationInfo) -> str:
        text = info.data.get("expression")
        if text is not None and report in NEEDS_HESSIAN and F.parse(text).has(sp.Abs):
            raise ValueError(f"report {report!r} needs second derivatives, and Abs is not "
                             "twice differentiable at 0")
        return report

    @field_validator("point")
    @classmethod
    def _point(cls, point: list[Coordinate] | None, info: ValidationInfo
               ) -> list[Coordinate] | None:
        text, names, report = (info.data.get(k) for k in ("expression", "variables", "report"))
        if point is None:
            if report == "finite_differences":
                raise ValueError("report 'finite_differences' needs a point")
            return point
        if text is None or names is None:
            return point
        if len(point) != len(names):
            raise ValueError(f"expected {len(names)} coordinates, one per variable "
                             f"({', '.join(names)}), got {len(point)}")
        x0 = F.exact_numbers(point, "point")
        f, xs = F.parse(text), F.symbols(names)
        at = dict(zip(xs, x0, strict=True))
        for inside in F.kinks(f):
            if sp.simplify(inside.xreplace(at)) == 0:
                raise ValueError(f"|{inside}| has a kink where {inside} = 0, and the point "
                                 f"({', '.join(map(str, x0))}) is on it: f may have no "
                                 "derivative there")
        checks = [("f", f)] + [(f"∂f/∂{x}", e) for x, e in zip(xs, F.gradient(f, xs),
                                                               strict=True)]
        if report in NEEDS_HESSIAN:
            checks += [("a second derivative", e) for e in F.hessian(f, xs)]
        for what, e in checks:
            if not F.finite_real(e.xreplace(at)):
                raise ValueError(f"{what} is not a finite real number at "
                                 f"({', '.join(map(str, x0))})")
        return point

    @field_validator("direction")
    @classmethod
    def _direction(cls, v: list[Coordinate] | None, info: ValidationInfo
                   ) -> list[Coordinate] | None:
        names, report = info.data.get("variables"), info.data.get("report")
        if v is None:
            if report in NEEDS_DIRECTION:
                raise ValueError(f"report {report!r} needs a direction, one number per "
                                 f"variable ({', '.join(names or [])})")
            return v
        if report not in NEEDS_DIRECTION:
            raise ValueError(f"direction is used only by the reports {', '.join(NEEDS_DIRECTION)}")
        if names is not None and len(v) != len(names):
            raise ValueError(f"expected {len(names)} coordinates, one per variable "
                             f"({', '.join(names)}), got {len(v)}")
        if all(c == 0 for c in F.exact_numbers(v, "direction")):
            raise ValueError("the direction is the zero vector")
        return v

    @field_validator("step")
    @classmethod
    def _step(cls, h: float | None, info: ValidationInfo) -> float | None:
        if h is None:
            return h
        if info.data.get("report") != "finite_differences":
            raise ValueError("step is used only by the report finite_differences")
        if h <= 0:
            raise ValueError(f"h must be positive, got {h}")
        if h < MIN_STEP:
            raise ValueError(f"h below {MIN_STEP} leaves too few digits in double precision "
                             f"for the numpy check of the estimates, got {h}")
        text, names = info.data.get("expression"), info.data.get("variables")
        point, v = info.data.get("point"), info.data.get("direction")
        if text is None or names is None or point is None or v is None:
            return h
        f, xs = F.parse(text), F.symbols(names)
        x0, dv = F.exact_numbers(point, "point"), F.exact_numbers(v, "direction")
        for sign in (1, -1):
            moved = [p + sign * sp.Rational(repr(h)) * c for p, c in zip(x0, dv, strict=True)]
            if not F.finite_real(f.xreplace(dict(zip(xs, moved, strict=True)))):
                where = "+" if sign > 0 else "-"
                raise ValueError(f"f is not a finite real number at x0 {where} h v = "
                                 f"({', '.join(map(str, moved))}); take a smaller h")
        return h

    # what the kind works with --------------------------------------------------------------
    def function(self) -> sp.Expr:
        return F.parse(self.expression)

    def symbols(self) -> list[sp.Symbol]:
        return F.symbols(self.variables or [])

    def x0(self) -> list[sp.Expr]:
        return F.exact_numbers(self.point or [], "point")

    def v(self) -> list[sp.Expr]:
        return F.exact_numbers(self.direction or [], "direction")

    def h(self) -> sp.Rational:
        return sp.Rational(repr(self.step if self.step is not None else DEFAULT_STEP))

    def name(self) -> sp.Symbol:
        """f, or the first of g, h, F that is not a variable."""
        taken = set(self.variables or [])
        return sp.Symbol(next(n for n in ("f", "g", "h", "F", "phi") if n not in taken))

    def names(self, page: Derivation) -> dict[sp.Symbol, sp.Expr]:
        """The subexpressions worth a name (name → what it stands for, inner first): none
        when every line of `page` (the derivation without names) fits, else those its
        expressions repeat."""
        if N.widest(page.steps) <= N.WIDE:
            return {}
        return N.choose(self.function(), [s.rhs for s in page.steps], self.symbols(),
                        [str(self.name())])

    def at(self, names: dict[sp.Symbol, sp.Expr]) -> dict[sp.Symbol, sp.Expr]:
        """The point: each variable's value, and each name's."""
        at = dict(zip(self.symbols(), self.x0(), strict=True))
        return at | N.values_at(names, at)

    def domain_kind(self) -> DomainKind:
        """The first domain where f and the derivatives the report needs are finite and
        real at random points (the step checks draw there)."""
        f, xs = self.function(), self.symbols()
        targets = [f, *F.gradient(f, xs)]
        if self.report in NEEDS_HESSIAN:
            targets += list(F.hessian(f, xs))
        fn = sp.lambdify(xs, targets, modules="numpy")
        rng = np.random.default_rng(20240601)
        for kind_ in DOMAINS:
            with np.errstate(all="ignore"):
                values = [np.array(fn(*[draw(Domain(kind=kind_), rng) for _ in xs]),
                                   dtype=np.float64) for _ in range(16)]
            if all(np.all(np.isfinite(v)) for v in values):
                return kind_
        return DOMAINS[0]

    def _numeric(self) -> Any:
        fn = sp.lambdify(self.symbols(), self.function(), modules="numpy")
        return lambda x: float(fn(*x))

    # the derivation ------------------------------------------------------------------------
    def derive(self) -> Derivation:
        """The derivation; written again with names for the expressions it repeats when a
        line is too wide without them."""
        d = self._derive({})
        names = self.names(d)
        return self._derive(names) if names else d

    def _derive(self, names: dict[sp.Symbol, sp.Expr]) -> Derivation:
        f, xs, name = self.function(), self.symbols(), self.name()
        d = Derivation({x: Domain(kind=self.domain_kind()) for x in xs})
        d.say("fn_given", n=len(xs), variables=written_tuple(xs))
        d.chain(sp.Function(str(name))(*xs), f, "definition")
        if names:
            renamed = N.renaming(names)
            d.definitions |= names
            d.say("fn_named", n=len(names), named=Listing(
                [f"${tex(n)} = {tex(d.definitions[n])}$" for n in names]))
            f = d.apply("rename", names=renamed).result
            d.say("fn_gradient_named", n=len(xs), variables=written_tuple(xs),
                  names=Listing([f"${tex(n)}$" for n in names]))
        else:
            d.say("fn_gradient", n=len(xs), variables=written_tuple(xs))
        grad = self._matrix(d, Shown(rf"\nabla {name}"), [[PartialOf(name, x, f)] for x in xs],
                            "definition", "gradient", names)
        if self.report in NEEDS_HESSIAN:
            model = F.hessian(f, xs)
            symmetric = len(xs) > 1 and all(sp.expand(model[i, j] - model[j, i]) == 0
                                            for i in range(len(xs)) for j in range(i))
            d.say("fn_hessian", case="symmetric" if symmetric else "plain", name=str(name))
            entries = [[PartialOf(PartialOf(name, a, name), b, g) for b in xs]
                       for a, g in zip(xs, grad, strict=True)]
            hess = self._matrix(d, Shown(rf"\nabla^{{2}} {name}"), entries,
                                "hessian_of_gradient", "hessian", names, symmetric)
            if self.report == "hvp":
                self._hvp(d, name, hess, entries, names)
        elif self.report in ("directional", "finite_differences"):
            self._directional(d, name, grad)
            if self.report == "directional":
                self._finish(d, "directional", names)
            else:
                self._finish(d, "exact", names)
                self._differences(d, name)
        return d

    def _hvp(self, d: Derivation, name: sp.Symbol, hess: sp.Basic,
             entries: list[list[sp.Expr]], names: dict[sp.Symbol, sp.Expr]) -> None:
        """Hv. A product too wide for the page is written entry by entry from the Hessian's
        entries by their names (∂²f/∂x∂y, derived above), then their values put in."""
        v = F.DisplayMatrix(self.v())
        d.say("fn_hvp", vec=written_tuple(list(v), exact_or_decimal), name=str(name))
        lhs, product = Shown(rf"\nabla^{{2}} {name}\,\mathbf{{v}}"), hess * v
        values = pipeline(product)
        if max(printed_width(m) for m in (product, values)) <= N.WIDE:
            d.chain(lhs, product, "hessian_vector_product")
            d.apply("simplify_entries")
            self._finish(d, "hvp", names)
            return
        shown = []
        for x, row, value in zip(self.symbols(), entries, values, strict=True):
            shown.append(Shown(rf"\left(\nabla^{{2}} {name}\,\mathbf{{v}}\right)_{{{tex(x)}}}"))
            d.chain(shown[-1], sum((h * c for h, c in zip(row, v, strict=True)), sp.Integer(0)),
                    "hessian_vector_product")
            d.then(value, "hessian_entries_put_in")
            d.definitions[shown[-1]] = value
        d.say("fn_collected", case="plain")
        d.chain(lhs, F.DisplayMatrix([N.Named(e, value) for e, value in zip(
            shown, values, strict=True)]), "definition")
        d.answer("hvp")
        if self.point is not None:
            self._wide_at_point(d, lhs, [[e] for e in shown], values, "hvp", names)

    def _differentiated(self, d: Derivation) -> sp.Basic:
        for rule in RULE_PIPELINE:                  # a rule that changes nothing adds no step
            d.apply(rule)
        return d.result

    def _matrix(self, d: Derivation, lhs: Shown, defs: list[list[sp.Expr]], rule: str,
                key: str, names: dict[sp.Symbol, sp.Expr], symmetric: bool = False
                ) -> sp.Basic:
        """The gradient or the Hessian from its definition. A matrix too wide for the page
        is derived entry by entry (one triangle when it is symmetric), then collected."""
        derived = pipeline(F.DisplayMatrix(defs))
        if not self._wide(derived, names):
            d.chain(lhs, F.DisplayMatrix(defs), rule)
            self._differentiated(d)
            if self.report == key:
                self._finish(d, key, names)
            return derived
        for i, row in enumerate(defs):
            for j, entry in enumerate(row):
                if not (symmetric and j < i):
                    d.chain(entry, entry, rule)           # shown from its derivative on
                    self._differentiated(d)
        d.say("fn_collected", case="symmetric" if symmetric else "plain")
        d.chain(lhs, F.DisplayMatrix(defs), "definition")
        if self.report == key:
            d.answer(key)
            if self.point is not None:
                self._wide_at_point(d, lhs, defs, derived, key, names)
        return derived

    def _wide(self, matrix: sp.Basic, named: dict[sp.Symbol, sp.Expr]) -> bool:
        """Whether a row of `matrix`, or of it with the point's numbers put in, is wider
        than a display line."""
        printers = [tex]
        if self.point is not None:
            names = {x: _in_place(c) for x, c in self.at(named).items()}
            printers.append(TextbookPrinter({"symbol_names": names,
                                             "mul_symbol": "times"}).doprint)
        return any(printed_width(matrix, show) > DISPLAY_WIDTH for show in printers)

    def _wide_at_point(self, d: Derivation, lhs: Shown, defs: list[list[sp.Expr]],
                       derived: sp.Basic, key: str, named: dict[sp.Symbol, sp.Expr]) -> None:
        """A wide matrix at the point: each entry's value, named, then the numbers."""
        at = self.at(named)
        self._say_point(d, named)
        names: list[list[Shown]] = []
        for row, values in zip(defs, derived.tolist(), strict=True):
            names.append([])
            for entry, value in zip(row, values, strict=True):
                name = Shown(rf"{tex(entry)}(\mathbf{{x}}_0)")
                d.definitions[name] = value.xreplace(at)
                names[-1].append(name)
        value = derived.xreplace(at)
        d.chain(Shown(rf"{tex(lhs)}(\mathbf{{x}}_0)"), F.DisplayMatrix(names), "definition")
        d.then(value, "evaluate", display=approximate(value, fit=DISPLAY_WIDTH))
        d.answer(key + "_at")

    def _directional(self, d: Derivation, name: sp.Symbol, grad: sp.Basic) -> None:
        v = F.DisplayMatrix(self.v())
        norm = sp.sqrt(sum(c**2 for c in v))
        d.say("fn_directional", case="unit" if norm == 1 else "other",
              vec=written_tuple(list(v), exact_or_decimal),
              norm=tex(norm), name=str(name))
        d.chain(Shown(rf"D_{{\mathbf{{v}}}} {name}"), (F.DisplayMatrix(grad).T * v)[0],
                "directional_derivative")
        d.apply("simplify_entries")

    def _say_point(self, d: Derivation, named: dict[sp.Symbol, sp.Expr]) -> None:
        """The sentence that puts the point in: its coordinates, and the names' values."""
        xs, x0 = self.symbols(), self.x0()
        point = rf"{written_tuple(xs)} = {written_tuple(x0, exact_or_decimal)}"
        if not named:
            d.say("fn_at_point", point=point)
            return
        values = N.values_at(named, dict(zip(xs, x0, strict=True)))
        d.say("fn_at_point_named", point=point, values=Listing(
            [f"${tex(n)} = {exact_or_decimal(v)}$" for n, v in values.items()]))

    def _finish(self, d: Derivation, key: str, named: dict[sp.Symbol, sp.Expr]) -> None:
        """The symbolic answer, and, with a point, its value there."""
        if self.point is None:
            d.answer(key)
            return
        if key != "exact":
            d.answer(key)
        self._say_point(d, named)
        d.put(self.at(named), number=_in_place)
        d.then(d.result, "evaluate", display=approximate(d.result, fit=DISPLAY_WIDTH))
        d.answer(key if key == "exact" else key + "_at")

    def quotients(self, f_plus: sp.Expr, f_here: sp.Expr, f_minus: sp.Expr, h: sp.Expr
                  ) -> tuple[sp.Expr, sp.Expr]:
        """The forward and central difference quotients, exact."""
        return sp.expand((f_plus - f_here) / h), sp.expand((f_plus - f_minus) / (2 * h))

    def _differences(self, d: Derivation, name: sp.Symbol) -> None:
        f, xs, x0, v, h = self.function(), self.symbols(), self.x0(), self.v(), self.h()
        exact = d.result

        def value_at(shift: sp.Expr) -> tuple[Shown, sp.Expr]:
            at = [p + shift * c for p, c in zip(x0, v, strict=True)]
            point = Shown(f"{name}({', '.join(exact_or_decimal(c) for c in at)})")
            d.definitions[point] = f.xreplace(dict(zip(xs, at, strict=True)))
            return point, d.definitions[point]

        (plus, f_plus), (here, f_here), (minus, f_minus) = (value_at(s) for s in (h, 0, -h))
        step = Shown(exact_or_decimal(h))
        d.definitions[step] = h
        forward, central = self.quotients(f_plus, f_here, f_minus, h)
        d_exact, d_forward, d_central = (Shown(s) for s in (
            rf"D_{{\mathbf{{v}}}} {name}(\mathbf{{x}}_0)", r"D^{+}_{h}", r"D^{\pm}_{h}"))
        d.definitions |= {d_exact: exact, d_forward: forward, d_central: central}
        shown = {q: float(sp.N(e, 30)) for q, e in ((plus, f_plus), (here, f_here),
                                                     (minus, f_minus))}
        for symbol, lhs_value, key, low, denominator, words in (
                (d_forward, forward, "forward", here, step, "fn_forward"),
                (d_central, central, "central", minus, 2 * step, "fn_central")):
            d.say(words, h=exact_or_decimal(h))
            d.chain(symbol, (plus - low) / denominator, "difference_quotient")
            digits = digits_for(shown[plus] - shown[low])
            d.then(lhs_value, "evaluate", display=(
                rf"\frac{{{significant(shown[plus], digits)} - {significant(shown[low], digits)}}}"
                rf"{{{tex(denominator)}}} \approx {significant(float(sp.N(lhs_value, 30)))}"))
            d.answer(key)
        scale = max(1.0, *(abs(float(sp.N(v, 30))) for v in (exact, forward, central)))
        errors = {key: F.magnitude(value - exact, scale)
                  for key, value in (("forward_error", forward), ("central_error", central))}
        ef, ec = errors["forward_error"], errors["central_error"]
        names = {}
        for symbol, key, label in ((d_forward, "forward_error", "+"),
                                   (d_central, "central_error", r"\pm")):
            error = sp.Abs(d.definitions[symbol] - exact) if errors[key] else sp.Integer(0)
            names[key] = e_name = Shown(rf"e_{{{label}}}")
            d.definitions[e_name] = error
            if key == "forward_error":
                d.say("fn_errors")
            elif ef == 0 or ec == 0:              # said before the error that is 0
                d.say("fn_compare", case="both_exact" if ef == ec else
                      "central_exact" if ec == 0 else "forward_exact", ef=significant(ef, 3))
            d.chain(e_name, sp.Abs(symbol - d_exact), "absolute_error")
            a, b = float(sp.N(d.definitions[symbol], 40)), float(sp.N(exact, 40))
            digits = digits_for(a - b)
            d.then(error, "evaluate", display=(
                rf"\left|{significant(a, digits)} - {significant(b, digits)}\right| "
                + (r"\approx " + significant(errors[key], 3) if errors[key] else "= 0")))
            d.answer(key)
        if ef and ec:
            ratio = ef / ec
            d.say("fn_compare", case="central_better" if ratio >= 1 else "forward_better")
            d.chain(Shown(r"\frac{e_{+}}{e_{\pm}}"),
                    names["forward_error"] / names["central_error"], "definition")
            d.then(sp.Float(ratio, 30), "evaluate", display=(
                rf"{significant(ef, 3)} / {significant(ec, 3)} \approx {significant(ratio, 3)}"))

    # answers -------------------------------------------------------------------------------
    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Numbers only: f lambdified from the parsed expression, differentiated by
        Richardson-extrapolated central differences; estimates as written, in numpy."""
        f = self._numeric()
        names = self.variables or []
        at = np.array([float(data[n]) for n in names])
        out: dict[str, Any] = {}
        points = [("", at)]
        if self.point is not None:
            points.append(("_at", np.array([float(sp.N(c, 30)) for c in self.x0()])))
        v = np.array([float(sp.N(c, 30)) for c in self.v()])       # empty without one
        for suffix, x in points:
            if self.report == "gradient":
                out["gradient" + suffix] = R.gradient(f, x).reshape(-1, 1)
            elif self.report == "hessian":
                out["hessian" + suffix] = R.hessian(f, x)
            elif self.report == "hvp":
                out["hvp" + suffix] = (R.hessian(f, x) @ v).reshape(-1, 1)
            elif self.report == "directional":
                out["directional" + suffix] = R.directional(f, x, v)
        if self.report == "finite_differences":
            x, h = points[1][1], float(self.h())
            exact = R.directional(f, x, v)
            forward = R.forward_difference(f, x, v, h)
            central = R.central_difference(f, x, v, h)
            out |= {"exact": exact, "forward": forward, "central": central,
                    "forward_error": abs(forward - exact), "central_error": abs(central - exact)}
        return out

    def value(self, answers: dict[str, Any]) -> Any:
        """Numbers as numbers, vectors and matrices as nested lists (at the point), the
        expressions otherwise."""
        if self.point is None:                 # wide matrices answer with ∂f/∂x: carried out
            return N.unnamed(pipeline(N.unnamed(next(iter(answers.values())))))
        numbers = {k: _plain(v) for k, v in answers.items() if k.endswith("_at")
                   or self.report == "finite_differences"}
        return next(iter(numbers.values())) if len(numbers) == 1 else numbers


def _in_place(v: sp.Expr) -> str:
    """A value put in a formula: a sum (a name's value, 1 + e², say) in parentheses."""
    return rf"\left({tex(v)}\right)" if isinstance(v, sp.Add) else in_place(v)


def _plain(value: sp.Basic) -> Any:
    if isinstance(value, sp.MatrixBase):
        rows = [[_plain(e) for e in value.row(i)] for i in range(value.rows)]
        return [r[0] for r in rows] if value.cols == 1 else rows
    return int(value) if value.is_Integer else float(sp.N(value, 30))
