"""Hv by finite differences of the gradient: the forward and central estimates, their errors
O(r) and O(r²) proved from the Taylor expansion along w + r v, then measured in float64 for
r = 10⁻¹ … 10⁻¹² and plotted (truncation, then round-off: the V shape).

The proof is made of checked steps on the question's own function: φ(r) = g(w₀ + r v) and
its derivatives at 0 (SymPy, in r) are compared with Hv from the Hessian and with the
contracted third and fourth derivatives of f (the chain rule); the expansion's remainder
R₅(r) is named, and the leading error terms are compared with the actual difference
quotients computed from f alone in 60-digit arithmetic (`derive.verify.hvp_reference`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import sympy as sp
from pydantic import Field, model_validator

from derive.derivation import Derivation, Domain
from derive.derivation.rules import register
from derive.latex.decimals import significant
from derive.latex.printer import tex
from derive.models import function as F
from derive.models.function import Shown
from derive.models.matrix_calculus import Named
from derive.questions import hvp_measured as measured
from derive.questions import hvp_numbers as N
from derive.questions.base import NonNegInt
from derive.questions.declare import Derived, kind
from derive.questions.function_numbers import exact_or_decimal, written_tuple
from derive.questions.hvp_line import Line, line_of, logistic_loss, logistic_names, r

Coordinate = float | str
MAX_VARIABLES = 5
# The Taylor expansion along the line, to this order; its remainder is R₅(r) = O(r⁵).
ORDER = 4
for _rule in ("hvp_chain_rule", "hvp_taylor", "hvp_substitute", "hvp_order", "hvp_measured"):
    register(_rule)


def _vec(name: str, n: int) -> Named:
    return Named(name, n, 1)


@kind("hvp.finite_difference",
      "Hv by forward and central differences of the gradient: the errors O(r) and O(r²) "
      "from the Taylor expansion, then measured in float64 and plotted against r.",
      {"examples": [[1, 2], [-1, 0.5], [0.5, -1.5]], "labels": [1, 0, 1],
       "point": [0.5, -0.5, 0.25], "direction": [1, -1, 0.5]},
      template="parts/hvp.tex.j2")
class HvpFiniteDifference(Derived):
    report: Literal["estimate", "error"] = Field(
        "error", description="estimate: the two difference quotients and Hv at the point; "
                             "error: also their errors from Taylor, measured and plotted.")
    expression: str | None = Field(
        None, description="f in SymPy syntax (read through an allow-list, never eval); "
                          "default: the mean logistic loss on `examples` and `labels`.")
    variables: list[str] | None = Field(
        None, description="f's variables in order (default: the expression's, sorted; "
                          "w_1 … w_d, b for the logistic loss).")
    examples: list[list[float]] = Field(
        default_factory=lambda: [[1.0, 2.0], [-1.0, 0.5], [0.5, -1.5]],
        description="Logistic loss: one row of features per example.")
    labels: list[int] = Field(default_factory=lambda: [1, 0, 1],
                              description="Logistic loss: the label of each example, 0 or 1.")
    point: list[Coordinate] | None = Field(
        None, description="w₀, one number (or formula such as '1/3') per variable "
                          "(default 1/2, −1/2, 1/2, …).")
    direction: list[Coordinate] | None = Field(
        None, description="v, not zero (default 1, −1, 1, …, then 1/2).")
    r_exponents: list[int] = Field(
        default_factory=lambda: [1, 12], min_length=2, max_length=2,
        description="r runs from 10^-first down to 10^-last (1 ≤ first < last ≤ 15).")
    per_decade: int = Field(2, ge=1, le=4, description="Values of r per power of ten.")
    seed: NonNegInt = 0
    index_base_default: ClassVar[int] = 0
    limits: ClassVar[dict[str, int]] = {"number of variables": MAX_VARIABLES,
                                        "number of examples": 20}

    @property
    def method(self) -> str:  # type: ignore[override]
        """The check's words: Hv only, or Hv and the leading error terms."""
        return "hvp_reference" if self.report == "error" else "hvp_reference_estimate"

    def measures(self) -> dict[str, int]:
        count = len(self.variables or []) if self.expression is not None else \
            len(self.examples[0]) + 1 if self.examples else 0
        return {"number of variables": count, "number of examples": len(self.examples)}

    @model_validator(mode="before")
    @classmethod
    def _variables_of_expression(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("expression") is None:
            return data
        if data.get("variables") is None and isinstance(data["expression"], str):
            try:
                used = F.variables_of(F.parse(data["expression"]))
            except F.ExpressionError as exc:
                raise ValueError(f"expression: {exc}") from None
            return {**data, "variables": [str(s) for s in used]}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> HvpFiniteDifference:
        first, last = self.r_exponents
        if not 1 <= first < last <= 15:
            raise ValueError(f"r_exponents: expected 1 ≤ first < last ≤ 15, got {first}, {last}")
        if self.expression is None:
            widths = {len(row) for row in self.examples}
            if not self.examples or len(widths) != 1 or 0 in widths:
                raise ValueError("examples: expected rows of the same positive length")
            if widths.pop() > 4:
                raise ValueError("examples: at most 4 features (the fourth derivatives of the "
                                 "loss are written out)")
            if len(self.labels) != len(self.examples) or set(self.labels) - {0, 1}:
                raise ValueError(f"labels: expected one label 0 or 1 per example "
                                 f"({len(self.examples)}), got {self.labels}")
            if self.variables is not None:
                raise ValueError("variables: only with an expression (the logistic loss has "
                                 "w_1 … w_d and b)")
        else:
            self._check_expression()
        names = self.names()
        for key, value in (("point", self.point), ("direction", self.direction)):
            if value is not None and len(value) != len(names):
                raise ValueError(f"{key}: expected {len(names)} coordinates, one per variable "
                                 f"({', '.join(names)}), got {len(value)}")
            if value is not None:
                F.exact_numbers(value, key)
        if all(c == 0 for c in self.line().v):
            raise ValueError("direction: the zero vector")
        self._check_segment()
        return self

    def _check_expression(self) -> None:
        assert self.expression is not None
        try:
            f = F.parse(self.expression, self.variables)
        except F.ExpressionError as exc:
            raise ValueError(f"expression: {exc}") from None
        names = self.variables or []
        if not names or len(set(names)) < len(names):
            raise ValueError(f"variables: expected distinct names, at least one, got {names}")
        if len(names) > MAX_VARIABLES:
            raise ValueError(f"variables: at most {MAX_VARIABLES}, got {len(names)}")
        if all(sp.expand(e) == 0 for e in F.hessian(f, F.symbols(names))):
            raise ValueError("expression: f is affine, so H = 0 and both estimates are exact: "
                             "there is no error to study")
        if f.has(sp.Abs):
            raise ValueError("expression: |·| is not differentiable at 0, and the errors are "
                             "proved for a smooth f")
        if self.point is None or self.direction is None:
            raise ValueError("an expression needs a point and a direction")

    def _check_segment(self) -> None:
        """f and its gradient finite and real on w₀ + r v, |r| ≤ 1 (where the steps are
        checked and the Taylor expansion is taken)."""
        line = self.line()
        fn = sp.lambdify(line.xs, [line.f, *line.gradient], modules="numpy")
        w0 = N.floats(sp.ImmutableMatrix(line.w0))
        v = N.floats(sp.ImmutableMatrix(line.v))
        with np.errstate(all="ignore"):
            for t in np.linspace(-1.0, 1.0, 81):
                values = np.array(fn(*(w0 + t * v)), dtype=complex)
                if not np.all(np.isfinite(values)) or np.any(np.abs(values.imag) > 0):
                    raise ValueError(f"f or its gradient is not a finite real number at w₀ + "
                                     f"{t:g} v: take a point and direction where f is smooth "
                                     "on w₀ + r v for |r| ≤ 1")

    # what the kind works with ------------------------------------------------------------
    def names(self) -> list[str]:
        if self.expression is not None:
            return list(self.variables or [])
        return logistic_names(len(self.examples[0]))

    def function(self) -> sp.Expr:
        if self.expression is not None:
            return F.parse(self.expression, self.variables)
        return logistic_loss(self.examples, self.labels)

    def line(self) -> Line:
        n = len(self.names())
        point = self.point or [(-1) ** j / 2 for j in range(n - 1)] + [0.25]
        direction = self.direction or [float((-1) ** j) for j in range(n - 1)] + [0.5]
        return line_of(self.function(), tuple(self.names()),
                     tuple(F.exact_numbers([float(c) if isinstance(c, int) else c
                                            for c in point], "point")),
                     tuple(F.exact_numbers([float(c) if isinstance(c, int) else c
                                            for c in direction], "direction")))

    def measured(self) -> N.Measured:
        first, last = self.r_exponents
        return N.measured_of(self.line(), first, last, self.per_decade)

    # the derivation ----------------------------------------------------------------------
    def derive(self) -> Derivation:
        line = self.line()
        d = Derivation({r: Domain(kind="unit")})
        names = self._names(len(line.xs))
        d.definitions |= self._meanings(line, names)
        # what is asked is marked where it is stated (`states`), not the numbers around it
        d.marked = frozenset()
        self._function(d, line)
        self._estimates(d, line, names)
        if self.report == "estimate":
            d.say("hvp_limit")
            d.chain(names["p1"], names["p1"], "definition").then(names["hv"], "hvp_chain_rule")
            self._say_point(d, line, "hvp_values")
            self._values(d, line, names, ("hv",))
            return d
        self._line_derivatives(d, names)
        self._taylor(d, names)
        self._errors(d, names)
        self._at_point(d, line, names)
        self._measurements(d)
        return d

    @staticmethod
    def _names(n: int) -> dict[str, Named]:
        w, v = r"\mathbf{w}", r"\mathbf{v}"
        phi = r"\boldsymbol{\varphi}"
        table = {
            "g0": rf"g({w})", "gp": rf"g({w} + r{v})", "gm": rf"g({w} - r{v})",
            "hv": rf"H{v}", "p1": rf"{phi}'(0)", "p2": rf"{phi}''(0)", "p3": rf"{phi}'''(0)",
            "p4": rf"{phi}^{{(4)}}(0)",
            "t3": rf"D^{{3}} f({w})[{v}, {v}, \cdot]",
            "t4": rf"D^{{4}} f({w})[{v}, {v}, {v}, \cdot]",
            "rp": r"\mathbf{R}_{5}(r)", "rm": r"\mathbf{R}_{5}(-r)",
            "df": r"\mathbf{D}^{+}_{r}", "dc": r"\mathbf{D}^{\pm}_{r}",
            "ef": r"\mathbf{e}^{+}(r)", "ec": r"\mathbf{e}^{\pm}(r)",
            "of": r"O(r^{2})", "oc": r"O(r^{4})",
            "lf": rf"\tfrac{{1}}{{2}} D^{{3}} f({w})[{v}, {v}, \cdot]",
            "lc": rf"\tfrac{{1}}{{6}} D^{{4}} f({w})[{v}, {v}, {v}, \cdot]",
        }
        return {key: _vec(name, n) for key, name in table.items()}

    @staticmethod
    def _taylor_terms(line: Line, shift: sp.Expr) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix(sum((shift**k / math.factorial(k) * line.along(k)
                                       for k in range(ORDER + 1)), sp.zeros(len(line.xs), 1)))

    def _meanings(self, line: Line, m: dict[str, Named]) -> dict[Any, Any]:
        """Every name's value: the line route for φ and its derivatives, the Hessian and the
        contracted derivatives of f for Hv and D^k f[v, …]."""
        phi, phi_minus = line.phi, line.phi.xreplace({r: -r})
        rp = phi - self._taylor_terms(line, r)
        rm = phi_minus - self._taylor_terms(line, -r)
        p = [line.along(k) for k in range(ORDER + 1)]
        return {
            m["g0"]: p[0], m["gp"]: phi, m["gm"]: phi_minus, m["hv"]: line.hv(),
            m["p1"]: p[1], m["p2"]: p[2], m["p3"]: p[3], m["p4"]: p[4],
            m["t3"]: line.contracted(2), m["t4"]: line.contracted(3),
            m["rp"]: rp, m["rm"]: rm,
            m["df"]: (phi - p[0]) / r, m["dc"]: (phi - phi_minus) / (2 * r),
            m["ef"]: (phi - p[0]) / r - line.hv(), m["ec"]: (phi - phi_minus) / (2 * r) - line.hv(),
            m["of"]: r**2 / 6 * p[3] + r**3 / 24 * p[4] + rp / r,
            m["oc"]: (rp - rm) / (2 * r),
            m["lf"]: line.contracted(2) / 2, m["lc"]: line.contracted(3) / 6,
        }

    def _function(self, d: Derivation, line: Line) -> None:
        xs = line.xs
        lhs = Shown(rf"f{written_tuple(xs)}" if len(xs) > 1 else rf"f\left({tex(xs[0])}\right)")
        if self.expression is None:
            # every example in one formula: its tuples are all written alike (with ';' in
            # French as soon as one holds a decimal)
            rows = r",\quad ".join(
                rf"\mathbf{{x}}_{{{k + 1}}} = {written_tuple(row, exact_or_decimal)}"
                for k, row in enumerate([[sp.Rational(repr(c)) for c in row]
                                         for row in self.examples]))
            labels = r",\ ".join(f"y_{{{k + 1}}} = {y}" for k, y in enumerate(self.labels))
            d.say("hvp_logistic", n=len(self.examples), rows=rows, labels=labels,
                  weights=", ".join(tex(v) for v in xs[:-1]))
        else:
            d.say("hvp_expression", n=len(xs), variables=written_tuple(xs))
        d.chain(lhs, line.f, "definition")

    def _estimates(self, d: Derivation, line: Line, m: dict[str, Named]) -> None:
        """The two quotients, after naming f's variable w (weights and bias for the
        logistic loss), its dimension and H's."""
        n = len(line.xs)
        d.say("hvp_estimate", n=n, variables=written_tuple(line.xs),
              case="logistic" if self.expression is None else "one" if n == 1 else "other")
        d.chain(m["df"], (m["gp"] - m["g0"]) / r, "definition")
        d.steps[-1].display = rf"\frac{{{tex(m['gp'])} - {tex(m['g0'])}}}{{r}}"
        d.steps[-1].states = self.report == "estimate"        # the estimate asked
        d.say("hvp_central")
        d.chain(m["dc"], (m["gp"] - m["gm"]) / (2 * r), "definition")
        d.steps[-1].display = rf"\frac{{{tex(m['gp'])} - {tex(m['gm'])}}}{{2r}}"

    def _line_derivatives(self, d: Derivation, m: dict[str, Named]) -> None:
        d.say("hvp_line")
        for phi, tensor in (("p1", "hv"), ("p2", "t3"), ("p3", "t4")):
            d.chain(m[phi], m[phi], "definition").then(m[tensor], "hvp_chain_rule")

    def _series(self, m: dict[str, Named], sign: int) -> tuple[sp.MatrixExpr, str]:
        """g(w) ± r φ′(0) + r²/2 φ″(0) ± … + R₅(±r), and its LaTeX in that order."""
        keys = ("g0", "p1", "p2", "p3", "p4")
        expr = m["g0"] + sum(((sign * r) ** k / math.factorial(k) * m[keys[k]]
                              for k in range(1, ORDER + 1)), sp.ZeroMatrix(m["g0"].rows, 1))
        text = tex(m["g0"])
        for k in range(1, ORDER + 1):
            op = "-" if sign < 0 and k % 2 else "+"
            coefficient = "r" if k == 1 else rf"\frac{{r^{{{k}}}}}{{{math.factorial(k)}}}"
            text += rf" {op} {coefficient} {tex(m[keys[k]])}"
        rest = m["rp"] if sign > 0 else m["rm"]
        return expr + rest, text + rf" + {tex(rest)}"

    def _taylor(self, d: Derivation, m: dict[str, Named]) -> None:
        d.say("hvp_taylor", order=ORDER, next=ORDER + 1)
        for key, sign in (("gp", 1), ("gm", -1)):
            expr, text = self._series(m, sign)
            d.chain(m[key], m[key], "definition").then(expr, "hvp_taylor", display=text)

    def _errors(self, d: Derivation, m: dict[str, Named]) -> None:
        t = tex
        d.say("hvp_forward_error")
        d.chain(m["ef"], m["df"] - m["p1"], "definition")
        d.steps[-1].display = rf"{t(m['df'])} - {t(m['p1'])}"
        d.then(r / 2 * m["p2"] + r**2 / 6 * m["p3"] + r**3 / 24 * m["p4"] + m["rp"] / r,
               "hvp_substitute", display=(
                   rf"\frac{{r}}{{2}} {t(m['p2'])} + \frac{{r^{{2}}}}{{6}} {t(m['p3'])} + "
                   rf"\frac{{r^{{3}}}}{{24}} {t(m['p4'])} + \frac{{{t(m['rp'])}}}{{r}}"))
        d.then(r / 2 * m["t3"] + m["of"], "hvp_order",
               display=rf"\frac{{r}}{{2}} {t(m['t3'])} + {t(m['of'])}")
        d.steps[-1].states = True                              # O(r): asked
        d.say("hvp_central_error")
        d.chain(m["ec"], m["dc"] - m["p1"], "definition")
        d.steps[-1].display = rf"{t(m['dc'])} - {t(m['p1'])}"
        d.then(r**2 / 6 * m["p3"] + (m["rp"] - m["rm"]) / (2 * r), "hvp_substitute", display=(
            rf"\frac{{r^{{2}}}}{{6}} {t(m['p3'])} + "
            rf"\frac{{{t(m['rp'])} - {t(m['rm'])}}}{{2r}}"))
        d.then(r**2 / 6 * m["t4"] + m["oc"], "hvp_order",
               display=rf"\frac{{r^{{2}}}}{{6}} {t(m['t4'])} + {t(m['oc'])}")
        d.steps[-1].states = True                              # O(r²): asked

    def _at_point(self, d: Derivation, line: Line, m: dict[str, Named]) -> None:
        """The errors' orders in words, the leading coefficients at the point, then Hv there
        (the display of the estimate's part, shown once on a page that has both)."""
        third, fourth = (any(F.magnitude(e) for e in line.contracted(k)) for k in (2, 3))
        case = {(True, True): "both", (False, True): "no_third", (True, False): "no_fourth",
                (False, False): "none"}[(third, fourth)]
        self._say_point(d, line, "hvp_at_point", case=case)
        self._values(d, line, m, ("lf", "lc"))
        self._say_point(d, line, "hvp_values")
        self._values(d, line, m, ("hv",))

    @staticmethod
    def _say_point(d: Derivation, line: Line, sentence: str, **values: Any) -> None:
        """A sentence that names the point and the direction, in one formula (one way of
        writing tuples in it)."""
        d.say(sentence, point=rf"\mathbf{{w}}_0 = {written_tuple(line.w0, exact_or_decimal)}",
              vec=written_tuple(line.v, exact_or_decimal), **values)

    @staticmethod
    def _values(d: Derivation, line: Line, m: dict[str, Named], keys: tuple[str, ...]) -> None:
        """Hv or the leading error coefficients at the point, six digits."""
        table = {"hv": (line.hv(), "hvp"),
                 "lf": (line.contracted(2) / 2, "forward_leading"),
                 "lc": (line.contracted(3) / 6, "central_leading")}
        for key in keys:
            value, answer = table[key]
            shown = r"\left[\begin{matrix}" + r" \\ ".join(
                significant(float(sp.N(e, 30))) for e in value) + r"\end{matrix}\right]"
            d.chain(m[key], m[key], "definition").then(value, "evaluate", display=shown)
            d.answer(answer)

    def _measurements(self, d: Derivation) -> None:
        measured.steps(d, self.measured(), self.r_exponents)

    # answers -----------------------------------------------------------------------------
    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Hv and the two leading error terms from f alone: mpmath's numerical derivatives in
        60 digits, the error terms as the actual difference quotients' errors over r, r²."""
        out = N.line_errors_of(self.function(), tuple(self.line().xs), tuple(self.line().w0),
                         tuple(self.line().v))
        keys = ("hvp",) if self.report == "estimate" else tuple(out)
        return {k: np.array(out[k]).reshape(-1, 1) for k in keys}

    def value(self, answers: dict[str, Any]) -> Any:
        plain = {k: [float(sp.N(e, 30)) for e in v] for k, v in answers.items()}
        if self.report == "estimate":
            return plain
        meas = self.measured()

        def scheme(s: N.Scheme, estimate: float) -> dict[str, Any]:
            regime = s.regime(meas.rs)
            return {"errors": list(s.errors), "slope": s.slope,
                    "fitted_r": list(regime) if regime else None,
                    "best_r": meas.rs[s.best], "best_error": s.errors[s.best],
                    "usual_estimate": estimate, "leading_norm": s.leading}

        return plain | {"r": list(meas.rs), "epsilon": N.EPS,
                        "forward": scheme(meas.forward, meas.estimates["forward"]),
                        "central": scheme(meas.central, meas.estimates["central"])}

    def page(self, d: Derivation) -> dict[str, Any]:
        if self.report == "estimate":
            return {"plot": None}
        return {"plot": N.plot(self.measured())}
