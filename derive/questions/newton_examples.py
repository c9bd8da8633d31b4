"""The numeric sections of `newton.step` (see questions/newton.py): a saddle of the model
when H is indefinite, the step on given numbers, and the cost over P parameters. Every
number is a checked step; `reference` recomputes them with numpy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from derive.derivation import Derivation, Domain
from derive.latex.printer import tex
from derive.listing import Listing
from derive.models.newton import Inv, add, mul, show
from derive.questions.hessian_size import hessian_steps
from derive.verify import hessian_reference
from derive.verify import newton_reference as R

if TYPE_CHECKING:
    from derive.questions.newton import NewtonStep

T_SYMBOL = sp.Symbol("t", real=True)
LAM = sp.Symbol(r"\lambda", positive=True)


def _exact(values: list[float]) -> list[sp.Rational]:
    return [sp.Rational(repr(float(v))) for v in values]


def _matrix(rows: list[list[float]]) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix([_exact(r) for r in rows])


def _column(values: list[float]) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(_exact(values))


def bmatrix(m: sp.MatrixBase) -> str:
    rows = [" & ".join(tex(e) for e in m.row(i)) for i in range(m.rows)]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def inline_matrix(m: sp.MatrixBase) -> str:
    """A matrix for running text: small, so that it does not spread the lines apart."""
    rows = [" & ".join(tex(e) for e in m.row(i)) for i in range(m.rows)]
    return r"\left[\begin{smallmatrix}" + r" \\ ".join(rows) + r"\end{smallmatrix}\right]"


def plain(v: Any) -> Any:
    if isinstance(v, sp.MatrixBase):
        rows = [[plain(e) for e in v.row(i)] for i in range(v.rows)]
        return [r[0] for r in rows] if v.cols == 1 else rows
    if isinstance(v, sp.Basic) and v.is_Integer:
        return int(v)
    if isinstance(v, sp.Basic) and v.free_symbols:
        return str(v)
    return float(sp.N(v, 30))


# --- validation ------------------------------------------------------------------------------
def _square_symmetric(m: list[list[float]], what: str) -> sp.ImmutableMatrix:
    if not m or any(len(row) != len(m) for row in m):
        raise ValueError(f"{what} must be a square matrix, got {m}")
    exact = _matrix(m)
    if exact != exact.T:
        raise ValueError(f"{what} must be symmetric (a Hessian of a twice continuously "
                         f"differentiable f), got {m}")
    return exact


def validate(g: NewtonStep) -> None:
    if (g.hessian is None) != (g.gradient is None):
        raise ValueError("give both hessian and gradient, or neither")
    if g.point is not None and g.gradient is None:
        raise ValueError("point needs hessian and gradient")
    if g.hessian is not None and g.gradient is not None:
        H = _square_symmetric(g.hessian, "hessian")
        if H.rows != len(g.gradient) or (g.point is not None and len(g.point) != H.rows):
            raise ValueError(f"hessian is {H.rows}×{H.rows}: gradient and point need "
                             f"{H.rows} entries")
        if not H.is_positive_definite:
            raise ValueError("hessian must be positive definite for the minimiser of the "
                             "model (an indefinite H goes in indefinite_hessian)")
    He = _square_symmetric(g.indefinite_hessian, "indefinite_hessian")
    if He.rows > 3 or He.rows != len(g.indefinite_gradient):
        raise ValueError("indefinite_hessian is at most 3×3, with one gradient entry per row")
    if He.det() == 0:
        raise ValueError("indefinite_hessian must be invertible (else the model may have no "
                         "stationary point)")
    if np.linalg.eigvalsh(np.array(He, dtype=float)).min() >= 0:
        raise ValueError("indefinite_hessian must have a negative eigenvalue")
    if all(v == 0 for v in g.indefinite_gradient):
        raise ValueError("indefinite_gradient must not be zero")
    if g.parameters is not None and g.network is not None:
        raise ValueError("give parameters or network, not both")


# --- the indefinite example -------------------------------------------------------------------
def _eigen(H: sp.ImmutableMatrix) -> tuple[list[sp.Expr], sp.ImmutableMatrix]:
    """The eigenvalues (exact, increasing) and a unit eigenvector of the smallest."""
    values = sorted((v for v, m in H.eigenvals().items() for _ in range(m)),
                    key=lambda v: float(sp.N(v)))
    smallest = values[0]
    basis = (H - smallest * sp.eye(H.rows)).nullspace()[0]
    unit = basis / sp.sqrt(sum(c**2 for c in basis))
    return values, sp.ImmutableMatrix(sp.simplify(unit))


def indefinite(d: Derivation, g: NewtonStep) -> None:
    """A short remark: without positive definiteness the stationary point may be a saddle
    (or the maximum). Its numbers are checked steps, stated in one sentence, not shown."""
    H, gv = _matrix(g.indefinite_hessian), _column(g.indefinite_gradient)
    n = H.rows
    values, u = _eigen(H)
    nature = "saddle" if float(sp.N(values[-1])) > 0 else "maximum"   # from the signs
    first = len(d.steps)
    d.say("newton_indefinite", case=nature, H=inline_matrix(H),
          values=Listing([f"${tex(v)}$" for v in values]), lmin=values[0])
    d.chain(sp.Symbol(r"\det\left(H - \lambda I\right)"),
            sp.expand((H - LAM * sp.eye(n)).det()), "newton_det_expand")
    d.apply("simplify")
    d.chain(sp.Symbol(r"\lambda_{\min}"), values[0], "newton_char_poly")
    d.answer("indefinite_lambda_min")
    delta = mul(-1, Inv(H), gv)
    d.chain(sp.Symbol(r"w^{*} - w^{(t)}"), delta, "newton_solve")
    value = sp.ImmutableMatrix(-H.inv() * gv)
    d.then(value, "evaluate").answer("indefinite_step")
    quad = sp.expand((T_SYMBOL**2 * (u.T * H * u))[0, 0] / 2)
    d.chain(sp.Symbol(r"m(w^{*} + t v) - m(w^{*})"),
            sp.Rational(1, 2) * T_SYMBOL**2 * sp.MatMul(u.T, H, u, evaluate=False)[0, 0],
            "newton_complete_square")
    d.then(sp.Rational(1, 2) * values[0] * T_SYMBOL**2, "newton_eigen_direction")
    d.then(quad, "simplify").answer("indefinite_curvature")
    d.chain(sp.Symbol(r"g_{t}^\top \left(w^{*} - w^{(t)}\right)"), (gv.T * value)[0, 0],
            "newton_slope_value")
    d.answer("indefinite_slope")
    for step in d.steps[first:]:                  # checked, said in the remark
        step.shown = False
    d.domains.setdefault(T_SYMBOL, Domain())          # t drawn as any real number


# --- given numbers ---------------------------------------------------------------------------
def numbers(d: Derivation, g: NewtonStep) -> None:
    assert g.hessian is not None and g.gradient is not None
    H, gv = _matrix(g.hessian), _column(g.gradient)
    wt = _column(g.point) if g.point is not None else sp.ImmutableMatrix.zeros(H.rows, 1)
    d.say("newton_numbers", H=inline_matrix(H), g=inline_matrix(gv), w=inline_matrix(wt))
    expr = add(wt, mul(-1, Inv(H), gv))
    d.chain(sp.Symbol("w^{*}"), expr, "derived_above")
    d.steps[-1].display = show(expr)
    star = sp.ImmutableMatrix(wt - H.inv() * gv)
    d.then(star, "evaluate", display=bmatrix(star)).answer("given_minimiser")
    d.say("newton_numbers_decrease")
    decrease = mul(-sp.Rational(1, 2), gv.T, Inv(H), gv)
    d.chain(sp.Symbol(r"m(w^{*}) - f(w^{(t)})"), decrease, "newton_value")
    d.steps[-1].display = show(decrease)
    drop = sp.ImmutableMatrix(-(gv.T * H.inv() * gv) / 2)
    d.then(drop, "evaluate", display=tex(drop[0, 0])).answer("given_decrease")


# --- the cost over P parameters --------------------------------------------------------------
def cost(d: Derivation, g: NewtonStep) -> None:
    if g.network is not None:
        widths = g.network
        names = [sp.Symbol(f"n_{{{i}}}", positive=True, integer=True)
                 for i in range(len(widths))]
        formula = sp.Add(*[(names[i - 1] + 1) * names[i] for i in range(1, len(widths))],
                         evaluate=False)
        d.say("newton_cost_network", widths="--".join(map(str, widths)), n=len(widths) - 1)
        d.chain(sp.Symbol("P"), formula, "newton_mlp_parameters")
        d.put(dict(zip(names, widths, strict=True))).answer("cost_parameters")
        parameters = int(d.result)
    else:
        assert g.parameters is not None
        parameters = g.parameters
    hessian_steps(d, parameters, keys="cost_hessian", biases=g.network is not None,
                  summary=False)
    p = sp.Symbol("P", positive=True, integer=True)
    d.say("newton_cholesky")
    d.chain(sp.Symbol("C"), p * (p + 1) * (2 * p + 1) / 6, "newton_cholesky")
    d.put({p: parameters}).answer("cost_cholesky")


# --- numpy --------------------------------------------------------------------------------
def reference(g: NewtonStep, t: float) -> dict[str, Any]:
    """The examples' numbers by numpy (`t`: the drawn value of t)."""
    out: dict[str, Any] = {}
    He = np.array(g.indefinite_hessian, dtype=float)
    ge = np.array(g.indefinite_gradient, dtype=float)
    values, vectors = np.linalg.eigh(He)
    star = -np.linalg.solve(He, ge)
    u = vectors[:, 0]
    zero = np.zeros_like(ge)

    def change(t: float) -> float:       # m(w* + t u) − m(w*), w⁽ᵗ⁾ = 0, f(w⁽ᵗ⁾) = 0
        return R.model(star + t * u, 0.0, ge, He, zero) - R.model(star, 0.0, ge, He, zero)

    out |= {"indefinite_lambda_min": float(values[0]), "indefinite_step": star.reshape(-1, 1),
            "indefinite_curvature": change(t), "indefinite_slope": float(ge @ star)}
    if g.hessian is not None and g.gradient is not None:
        H, gv = np.array(g.hessian, dtype=float), np.array(g.gradient, dtype=float)
        wt = np.array(g.point, dtype=float) if g.point is not None else np.zeros_like(gv)
        best = R.minimiser(H, gv, wt)
        out["given_minimiser"] = best.reshape(-1, 1)
        out["given_decrease"] = np.array([[R.model(best, 0.0, gv, H, wt)]])
    if g.parameters is not None or g.network is not None:
        count = R.parameters_of(g.network) if g.network is not None else int(
            g.parameters or 0)
        out["cost_parameters"] = count
        counted = hessian_reference.counts(count)
        out |= {f"cost_hessian_{k}": v for k, v in counted.items()}
        out["cost_cholesky"] = hessian_reference.cholesky_operations(count)
    return out
