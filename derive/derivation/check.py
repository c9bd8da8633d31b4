"""Numeric checks of a derivation: every step against the one before, answers against a
reference, all at random points of each symbol's domain.

One evaluator serves scalars, Indexed/Σ formulas and matrices: definitions are expanded,
every ∂f/∂v is carried out by SymPy, and the result is evaluated by numpy over the grid of
the free indices (`derive.verify.fast_eval`). A step that cannot be evaluated fails.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import NDArray
from sympy.core.function import AppliedUndef

from derive.derivation.steps import Derivation, Domain, Step, StepCheck
from derive.models.symbols import PartialOf
from derive.verify.fast_eval import evaluate_fast, evaluate_points

DRAWS = 2
TOLERANCE = 1e-8
# Above this many index tuples, steps are compared at a sample of them (corners included).
GRID_LIMIT = 256
SAMPLE = 24
# With arrays this large (realistic layers), one random draw per step and fewer random
# points besides the corners: each point may be a Σ over a whole layer.
LARGE = 10_000
SAMPLE_LARGE = 6
Data = dict[str, Any]


def draw(domain: Domain, rng: np.random.Generator) -> Any:
    """Random values for one symbol or array."""
    shape = domain.shape
    if domain.kind == "positive":
        return rng.uniform(0.2, 2.0, size=shape)
    if domain.kind == "unit":
        return rng.uniform(0.05, 0.95, size=shape)
    if domain.kind == "binary":
        return rng.integers(0, 2, size=shape).astype(float)
    values = rng.normal(size=shape)
    if domain.kind == "symmetric":
        values = (values + values.T) / 2
    return values


def sample(d: Derivation, rng: np.random.Generator) -> Data:
    """One draw of every symbol and array, keyed by name; defined arrays computed from it."""
    return complete(d, drawn(d, rng))


def drawn(d: Derivation, rng: np.random.Generator) -> Data:
    """The random part of one draw (every symbol and array that is not defined)."""
    return {str(name): draw(dom, rng) for name, dom in d.domains.items()
            if dom.kind != "defined"}


def complete(d: Derivation, data: Data) -> Data:
    """`data` with the defined arrays computed from it (a layer's outputs, say)."""
    for name, dom in d.domains.items():
        if dom.kind == "defined":
            data[str(name)] = _computed(d, name, dom, data)
    return data


def _computed(d: Derivation, name: Any, dom: Domain, data: Data) -> NDArray[np.float64]:
    """The values of a defined array over its whole shape, from the data drawn so far."""
    idx = sp.symbols(f"_q0:{len(dom.shape)}", integer=True)
    expr = sum_out_deltas(d.expand_definitions(d.definitions[name](*idx), computed=True))
    arrays = {k: v for k, v in data.items() if np.ndim(v) > 0}
    scalars = {s: float(data[str(s)]) for s in expr.free_symbols
               if isinstance(s, sp.Symbol) and s not in idx and np.ndim(data[str(s)]) == 0}
    return evaluate_fast(expr, idx, dom.shape, d.base, arrays, scalars=scalars)


def free_of(d: Derivation, expr: sp.Basic) -> list[sp.Symbol]:
    symbols = expr.free_symbols
    return [v for v in d.free if v in symbols]


def sample_points(d: Derivation, free: list[sp.Symbol], rng: np.random.Generator,
                  count: int = 0) -> NDArray[np.int64] | None:
    """None when the whole grid of `free` is small enough, else a sample of index tuples
    (every corner of the grid, then random points)."""
    ranges = [d.free[v] for v in free]
    if np.prod([hi - lo + 1 for lo, hi in ranges]) <= GRID_LIMIT:
        return None
    corners = np.array(np.meshgrid(*ranges, indexing="ij")).reshape(len(free), -1).T
    randoms = np.stack([rng.integers(lo, hi + 1, size=count or SAMPLE) for lo, hi in ranges],
                       axis=1)
    return np.concatenate([corners, randoms])


def evaluate(d: Derivation, expr: sp.Basic, data: Data, free: list[sp.Symbol] | None = None,
             points: NDArray[np.int64] | None = None) -> NDArray[np.float64]:
    """`expr` at every point of its free indices' grid (or at `points` only), with `data`
    for everything else."""
    expr = prepared(d, expr)
    free = free_of(d, expr) if free is None else free
    shape = tuple(d.free[v][1] - d.free[v][0] + 1 for v in free)
    if isinstance(expr, sp.MatrixBase):            # each distinct entry evaluated once
        entries = expr.tolist()
        values = {e: evaluate(d, e, data, free, points)
                  for e in set(itertools.chain.from_iterable(entries))}
        return np.array([[values[e] for e in row] for row in entries])
    symbols = {s for s in expr.free_symbols if isinstance(s, sp.Symbol) and s not in d.free}
    unknown = {s for s in symbols if str(s) not in data}
    unknown |= {b for b in expr.atoms(sp.IndexedBase) if str(b) not in data}
    if unknown:
        raise KeyError(f"no domain for {', '.join(sorted(map(str, unknown)))}")
    scalars = {s: float(data[str(s)]) for s in symbols if np.ndim(data[str(s)]) == 0}
    arrays = {k: v for k, v in data.items() if np.ndim(v) > 0}
    if points is not None:
        return evaluate_points(expr, free, points, d.base, arrays, scalars=scalars)
    return evaluate_fast(expr, free, shape, d.base, arrays, scalars=scalars)


def prepared(d: Derivation, expr: sp.Basic) -> sp.Basic:
    """`expr` ready for numbers: partials carried out, names expanded (once per expression)."""
    cache = d.__dict__.setdefault("_prepared", {})
    if expr not in cache:
        expanded = d.expand_definitions(carry_out_partials(d, expr), computed=True)
        if isinstance(expanded, sp.MatrixExpr) and not isinstance(expanded, sp.MatrixBase):
            expanded = expanded.doit()        # Aᵀv, u ⊙ v, diag(u) of defined matrices
        cache[expr] = sum_out_deltas(expanded)
    return cache[expr]


def sum_out_deltas(expr: sp.Basic) -> sp.Basic:
    """Σ_v δ(v, e) f(v) = f(e) where lo ≤ e ≤ hi, else 0: how the checker evaluates the
    Kronecker deltas that differentiating an index formula leaves (a Σ over a whole layer
    would otherwise be walked term by term for every point)."""
    def collapse(total: sp.Sum) -> sp.Basic:
        body, limits = total.function, list(total.limits)
        conditions: list[sp.Basic] = []
        progress = True
        while progress:
            progress = False
            factors = body.args if isinstance(body, sp.Mul) else (body,)
            for delta in (f for f in factors if isinstance(f, sp.KroneckerDelta)):
                gap = delta.args[0] - delta.args[1]
                for n, (v, lo, hi) in enumerate(limits):
                    slope = sp.diff(gap, v)
                    others = [b for k, lim in enumerate(limits) if k != n for b in lim[1:]]
                    if slope not in (1, -1) or any(b.has(v) for b in others):
                        continue
                    at = sp.expand(v - gap / slope)
                    if at.has(v):
                        continue
                    conditions = [c.xreplace({v: at}) for c in conditions]
                    conditions.append(sp.And(at >= lo, at <= hi))
                    body = body.xreplace({delta: 1}).xreplace({v: at})
                    limits.pop(n)
                    progress = True
                    break
                if progress:
                    break
        if conditions:
            body = sp.Piecewise((body, sp.And(*conditions)), (0, True))
        return sp.Sum(body, *limits) if limits else body

    return expr.replace(lambda e: isinstance(e, sp.Sum) and e.has(sp.KroneckerDelta), collapse)


class Via(sp.Function):
    """A computed name n with its meaning e: differentiated as e, valued as n (read from the
    arrays computed per draw), so a layer's outputs are not re-summed at every point."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Integer(0 if argindex == 1 else 1)


def _through(d: Derivation, expr: sp.Basic, keep: sp.Basic) -> sp.Basic:
    """`expr` with every defined name but `keep` expanded; computed ones as Via(name, …)."""
    computed = {n for n, dom in d.domains.items() if dom.kind == "defined"}
    kept = {keep, getattr(keep, "base", None)}

    def walk(e: sp.Basic) -> sp.Basic:
        if isinstance(e, Via):
            return e.func(e.args[0], walk(e.args[1]))
        name = e.base if isinstance(e, sp.Indexed) else e
        if (isinstance(e, sp.Indexed | sp.Symbol) and name in d.definitions
                and not kept & {e, name}):
            meaning = d.definitions[name]
            value = walk(meaning(*e.indices) if isinstance(e, sp.Indexed) else meaning)
            return Via(e, value) if name in computed else value
        if not e.args or isinstance(e, sp.IndexedBase):
            return e
        return e.func(*(walk(a) for a in e.args))

    return walk(expr)


def carry_out_partials(d: Derivation, expr: sp.Basic) -> sp.Basic:
    """Every ∂f/∂v by SymPy, f's meaning expanded down to v (other names kept as v's
    functions only through their definitions)."""
    def carry(e: PartialOf) -> sp.Basic:
        _name, var, meaning = e.args
        derivative = sp.diff(_through(d, meaning, var), var)
        return derivative.replace(lambda t: isinstance(t, Via), lambda t: t.args[0])

    return expr.replace(lambda e: isinstance(e, PartialOf), carry)


def holds(d: Derivation, free: list[sp.Symbol], points: NDArray[np.int64] | None = None
          ) -> NDArray[np.bool_] | None:
    """Where on the grid of `free` (or at `points`) the condition on the indices holds."""
    if d.where == sp.true:
        return None
    indicator = sp.Piecewise((1, d.where), (0, True))
    if points is not None:
        return evaluate_points(indicator, free, points, d.base, {}).astype(bool)
    shape = tuple(d.free[v][1] - d.free[v][0] + 1 for v in free)
    return evaluate_fast(indicator, free, shape, d.base, {}).astype(bool)


def compare(derived: Any, reference: Any, tolerance: float = TOLERANCE,
            mask: Any = None) -> tuple[bool, float, int, str]:
    a, b = np.asarray(derived, dtype=float), np.asarray(reference, dtype=float)
    if a.shape != b.shape:
        return False, float("inf"), 0, f"shape {a.shape} differs from {b.shape}"
    if mask is not None:
        a, b = a[mask], b[mask]
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return False, float("inf"), a.size, "a value is not finite"
    err = float(np.max(np.abs(a - b))) if a.size else 0.0
    scale = max(1.0, float(np.max(np.abs(b))) if b.size else 1.0)
    ok = err <= tolerance * scale
    return ok, err, a.size, "" if ok else f"error {err:.3g} above {tolerance * scale:.3g}"


def _drawn(d: Derivation) -> bool:
    """Whether any of the derivation's data is random (else one draw says it all)."""
    return any(dom.kind != "defined" for dom in d.domains.values())


def _large(data: Data) -> bool:
    return any(np.size(v) > LARGE for v in data.values())


def check_steps(d: Derivation, rng: np.random.Generator, draws: int = DRAWS) -> None:
    """Set `check` on every step after the first of its chain."""
    datas = [sample(d, rng)]
    large = _large(datas[0])
    for _ in range(1, draws if _drawn(d) else 1):    # large layers: one draw is used, but
        more = drawn(d, rng)                          # every draw is taken from rng (the
        if not large:                                 # same data as ever after it)
            datas.append(complete(d, more))
    for chain in d.chains():
        for before, step in itertools.pairwise(chain):
            step.check = _compare_steps(d, before, step, datas, rng,
                                        SAMPLE_LARGE if large else SAMPLE)


def _compare_steps(d: Derivation, before: Step, step: Step, datas: list[Data],
                   rng: np.random.Generator, sample: int = 0) -> StepCheck:
    free = sorted(set(free_of(d, before.rhs)) | set(free_of(d, step.rhs)),
                  key=list(d.free).index)
    worst, count = 0.0, 0
    earlier = before.rhs.xreplace({k: sp.sympify(v) for k, v in step.bindings.items()})
    if not free and _constant(earlier) and _constant(step.rhs):   # numbers: compared once, in
        try:                                                        # 30 digits, no data needed
            value = complex(sp.N(step.rhs, 30))
            err = abs(complex(sp.N(earlier - step.rhs, 30)))
        except (TypeError, ValueError) as exc:
            return StepCheck(False, float("inf"), 0, f"{type(exc).__name__}: {exc}")
        ok = err <= TOLERANCE * max(1.0, abs(value))
        return StepCheck(ok, err, 1, "" if ok else "differs from the step before")
    try:
        points = sample_points(d, free, rng, sample or SAMPLE)
        mask = holds(d, free, points)
        for data in datas:
            ok, err, n, detail = compare(evaluate(d, step.rhs, data, free, points),
                                         evaluate(d, earlier, data, free, points), mask=mask)
            worst, count = max(worst, err), count + n
            if not ok:
                return StepCheck(False, err, count, detail or "differs from the step before")
    except Exception as exc:  # an expression that cannot be evaluated fails its check
        return StepCheck(False, float("inf"), count, f"{type(exc).__name__}: {exc}")
    return StepCheck(True, worst, count)


def _constant(expr: sp.Basic) -> bool:
    """A number SymPy itself can evaluate: no symbols or arrays, and only SymPy's own
    functions (ours, like an extreme read off given arrays, take their meaning from data)."""
    return (isinstance(expr, sp.Expr) and not isinstance(expr, sp.MatrixBase)
            and not expr.free_symbols and not expr.atoms(sp.IndexedBase)
            and all(type(f).__module__.startswith("sympy.") and not isinstance(f, AppliedUndef)
                    for f in expr.atoms(sp.Function)))


def check_answers(d: Derivation, reference: Callable[[Data], Mapping[str, Any]],
                  rng: np.random.Generator, draws: int = DRAWS,
                  tolerance: float = TOLERANCE) -> dict[str, StepCheck]:
    """Every answer of `d` against `reference(data)` on the same random data."""
    results: dict[str, StepCheck] = {}
    answers = d.answers()
    large = False
    for draw_number in range(draws if _drawn(d) else 1):      # nothing random: one draw
        if draw_number and large:               # large layers: one draw, every entry
            drawn(d, rng)                        # (taken from rng all the same)
            break
        data = sample(d, rng)
        large = _large(data)
        expected = reference({k: np.copy(v) for k, v in data.items()})
        missing = set(answers) - set(expected)
        if missing:
            raise KeyError(f"the reference does not compute {sorted(missing)}")
        for key, step in answers.items():
            try:
                free = free_of(d, step.rhs)
                ok, err, n, detail = compare(evaluate(d, step.rhs, data, free), expected[key],
                                             tolerance, holds(d, free))
            except Exception as exc:
                ok, err, n, detail = False, float("inf"), 0, f"{type(exc).__name__}: {exc}"
            old = results.get(key, StepCheck(True, 0.0, 0))
            results[key] = StepCheck(old.passed and ok, max(old.max_abs_error, err),
                                     old.samples + n, old.detail or detail)
    return results
