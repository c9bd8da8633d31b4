"""Numeric evaluation of index formulas for every value of the free indices at once.

numpy broadcasting over the free indices; Python loops only over summation ranges too large
to broadcast. Same contract as `derive.verify.evaluate.evaluate_grid`, orders of magnitude
faster at the sizes of real layers (48×64×10 inputs and beyond).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike, NDArray

# SymPy's own functions; ours carry their numpy meaning as `_imp_` (as for sympy.lambdify).
NUMPY_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "Heaviside": lambda v, *_: np.where(np.asarray(v) > 0, 1.0, 0.0),
    "exp": np.exp, "log": np.log, "tanh": np.tanh, "sin": np.sin, "cos": np.cos,
    "sqrt": np.sqrt, "Abs": np.abs, "sign": np.sign, "cosh": np.cosh, "sinh": np.sinh,
    "tan": np.tan, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
    "KroneckerDelta": lambda a, b: np.equal(a, b).astype(float),
    "floor": np.floor, "ceiling": np.ceil, "Max": np.maximum, "Min": np.minimum,
}

_RELATIONS: dict[type, Callable[[Any, Any], Any]] = {
    sp.Eq: np.equal, sp.Ne: np.not_equal, sp.Lt: np.less, sp.Le: np.less_equal,
    sp.Gt: np.greater, sp.Ge: np.greater_equal,
}


def _as_int(v: Any) -> Any:
    a = np.asarray(v)
    if a.dtype.kind in "iub":
        return a.astype(np.int64)
    rounded = np.rint(a)
    if not np.array_equal(rounded, a):
        raise ValueError("an index expression took a non-integer value")
    return rounded.astype(np.int64)


def _lift(a: Any, depth: int) -> Any:
    """Append unit axes so that `a` has `depth` axes (scalars stay scalars)."""
    a = np.asarray(a)
    return a if a.ndim in (0, depth) else a.reshape(a.shape + (1,) * (depth - a.ndim))


@dataclass
class _Context:
    """Index values as arrays over the axes so far (free indices, then vectorised Σ's)."""

    env: dict[sp.Symbol, Any]
    lengths: list[int]
    active: Any
    base: int
    arrays: Mapping[str, NDArray[np.float64]]
    functions: Mapping[str, Callable[..., Any]]
    budget: int

    def with_axis(self, var: sp.Symbol, values: Any, length: int, active: Any) -> _Context:
        """A context with one more axis (of `length`), along which `var` takes `values`."""
        depth = len(self.lengths) + 1
        env = {s: _lift(v, depth) for s, v in self.env.items()}
        env[var] = values
        return _Context(env, [*self.lengths, length], active, self.base, self.arrays,
                        self.functions, self.budget)

    def with_active(self, env: dict[sp.Symbol, Any], active: Any) -> _Context:
        return _Context(env, self.lengths, active, self.base, self.arrays, self.functions,
                        self.budget)


def _gather(name: str, indices: Sequence[Any], ctx: _Context, expr: sp.Expr) -> Any:
    if name not in ctx.arrays:
        raise KeyError(f"no values given for {name!r} (in {expr})")
    array = ctx.arrays[name]
    if len(indices) != array.ndim:
        raise IndexError(f"{expr} has {len(indices)} indices, {name} has {array.ndim} axes")
    idx, valid = [], np.asarray(True)
    for v, size in zip(indices, array.shape, strict=True):
        k = _as_int(v) - ctx.base
        valid = valid & (k >= 0) & (k < size)
        idx.append(np.clip(k, 0, size - 1))
    if np.any(~valid & ctx.active):
        raise IndexError(f"{expr} reads outside {name} (shape {array.shape}) within its limits")
    return array[tuple(idx)]


def _eval(expr: sp.Basic, ctx: _Context) -> Any:
    if isinstance(expr, sp.Symbol):
        return ctx.env[expr]
    if expr.is_Integer:
        return int(expr)
    if expr.is_Number or expr.is_number:
        return float(expr)
    if expr is sp.true or expr is sp.false:
        return bool(expr)
    if isinstance(expr, sp.Add):
        total = _eval(expr.args[0], ctx)
        for a in expr.args[1:]:
            total = total + _eval(a, ctx)
        return total
    if isinstance(expr, sp.Mul):
        prod = _eval(expr.args[0], ctx)
        for a in expr.args[1:]:
            prod = prod * _eval(a, ctx)
        return prod
    if isinstance(expr, sp.Pow):
        return np.power(np.asarray(_eval(expr.base, ctx), dtype=float), _eval(expr.exp, ctx))
    if isinstance(expr, sp.Max | sp.Min):
        op = np.maximum if isinstance(expr, sp.Max) else np.minimum
        out = _eval(expr.args[0], ctx)
        for a in expr.args[1:]:
            out = op(out, _eval(a, ctx))
        return out
    if isinstance(expr, sp.Mod):
        a, s = (_as_int(_eval(v, ctx)) for v in expr.args)
        return np.mod(a, s)
    if isinstance(expr, sp.Indexed):
        return _gather(str(expr.base), [_eval(v, ctx) for v in expr.indices], ctx, expr)
    if isinstance(expr, sp.Sum):
        return _sum(expr.function, list(expr.limits), ctx)
    if isinstance(expr, sp.Piecewise):
        return _piecewise(expr, ctx)
    if isinstance(expr, sp.core.relational.Relational) and type(expr) in _RELATIONS:
        return _RELATIONS[type(expr)](_eval(expr.lhs, ctx), _eval(expr.rhs, ctx))
    if isinstance(expr, sp.And | sp.Or):
        logical = np.logical_and if isinstance(expr, sp.And) else np.logical_or
        truth = _eval(expr.args[0], ctx)
        for a in expr.args[1:]:
            truth = logical(truth, _eval(a, ctx))
        return truth
    if isinstance(expr, sp.Not):
        return np.logical_not(_eval(expr.args[0], ctx))
    if isinstance(expr, sp.Function):
        name = expr.func.__name__
        args = [_eval(a, ctx) for a in expr.args]
        if name in ctx.arrays:
            return _gather(name, args, ctx, expr)
        if name in ctx.functions:
            return ctx.functions[name](*args)
        imp = getattr(expr.func, "_imp_", None)
        if imp is not None:
            return imp(*args)
        if name in NUMPY_FUNCTIONS:
            return NUMPY_FUNCTIONS[name](*args)
    raise TypeError(f"cannot evaluate {type(expr).__name__} {expr} numerically")


def _piecewise(expr: sp.Piecewise, ctx: _Context) -> Any:
    taken = np.asarray(False)
    choices, conditions = [], []
    for piece, cond in expr.args:
        here = np.asarray(_eval(cond, ctx), dtype=bool) & ~taken
        sub = ctx.with_active(ctx.env, ctx.active & here)
        choices.append(_eval(piece, sub) if np.any(sub.active) else 0.0)
        conditions.append(here)
        taken = taken | here
    shape = np.broadcast_shapes(*(np.shape(v) for v in [*choices, *conditions]))
    return np.select([np.broadcast_to(v, shape) for v in conditions],
                     [np.broadcast_to(v, shape) for v in choices], 0.0)


def _sum(body: sp.Expr, limits: list[tuple[sp.Expr, ...]], ctx: _Context) -> Any:
    """Σ over `limits` (innermost first), outermost variable first.

    The variable runs as lo + t for offsets t = 0 … max(hi − lo), so a range that moves
    with the free indices costs only its own length. The offsets become a new broadcast
    axis if the arrays stay under ctx.budget entries, and a Python loop otherwise.
    """
    if not limits:
        return _eval(body, ctx)
    *inner, (var, lo_expr, hi_expr) = limits
    lo, hi = _as_int(_eval(lo_expr, ctx)), _as_int(_eval(hi_expr, ctx))
    span = hi - lo
    active = ctx.active & (span >= 0)
    if not np.any(active):
        return 0.0
    length = int(np.broadcast_to(span, np.shape(active))[active].max()) + 1
    if math.prod(ctx.lengths) * length <= ctx.budget:
        depth = len(ctx.lengths) + 1
        offsets = np.arange(length).reshape((1,) * (depth - 1) + (length,))
        here = _lift(active, depth) & (offsets <= _lift(span, depth))
        sub = ctx.with_axis(var, _lift(lo, depth) + offsets, length, here)
        return np.where(here, _sum(body, inner, sub), 0.0).sum(axis=-1)
    total: Any = 0.0
    for offset in range(length):
        here = active & (offset <= span)
        if np.any(here):
            sub = ctx.with_active({**ctx.env, var: lo + offset}, here)
            total = total + np.where(here, _sum(body, inner, sub), 0.0)
    return total


def evaluate_fast(expr: sp.Expr, free: Sequence[sp.Symbol], shape: Sequence[int], base: int,
                  values: Mapping[str, ArrayLike],
                  functions: Mapping[str, Callable[..., Any]] | None = None,
                  budget: int = 1 << 22,
                  scalars: Mapping[sp.Symbol, float] | None = None) -> NDArray[np.float64]:
    """Evaluate an index formula at every index tuple of `shape` at once (indices from base).

    Same contract as `derive.verify.evaluate.evaluate_grid`: `values` maps IndexedBase
    names and function names (such as ``d1JdZ``) to arrays read with `base`; `functions`
    adds numpy-vectorised callables. Nothing is expanded symbolically: the free indices
    are numpy index grids, each Σ adds one broadcast axis (or, beyond `budget` entries, a
    Python loop over its range), terms outside a point's limits are masked out, and any
    read outside an array *within* the limits raises IndexError.

    >>> from derive.models.conv_layer import ConvLayer
    >>> layer = ConvLayer((4, 4, 1), (2, 2), 1, bias=False)
    >>> free, shape = layer.index_grid("Z")
    >>> evaluate_fast(layer.forward(), free, shape, 1,
    ...               {"X": np.ones((4, 4, 1)), "W": np.ones((2, 2, 1, 1))})[:, :, 0]
    array([[4., 4., 4.],
           [4., 4., 4.],
           [4., 4., 4.]])
    """
    depth = len(free)
    env = {sym: np.arange(base, base + size).reshape(
        tuple(size if a == axis else 1 for a in range(depth)))
        for axis, (sym, size) in enumerate(zip(free, shape, strict=True))}
    env.update({sym: np.asarray(float(v)) for sym, v in (scalars or {}).items()})
    arrays = {name: np.asarray(v, dtype=float) for name, v in values.items()}
    ctx = _Context(env, list(shape), np.ones((1,) * depth, dtype=bool), base, arrays,
                   functions or {}, budget)
    out = np.broadcast_to(np.asarray(_eval(expr, ctx), dtype=float), tuple(shape))
    return np.array(out)


def evaluate_points(expr: sp.Expr, free: Sequence[sp.Symbol], points: ArrayLike, base: int,
                    values: Mapping[str, ArrayLike],
                    scalars: Mapping[sp.Symbol, float] | None = None,
                    budget: int = 1 << 22) -> NDArray[np.float64]:
    """`expr` at the given index tuples only (rows of `points`, indices from `base`): for
    checks on layers too large to evaluate every entry of, when each entry is a long Σ.

    >>> i = sp.Symbol("i", integer=True)
    >>> x = sp.IndexedBase("x")
    >>> evaluate_points(2 * x[i], [i], [[0], [2]], 0, {"x": np.arange(3.0)})
    array([0., 4.])
    """
    pts = np.asarray(points, dtype=np.int64).reshape(-1, len(free))
    env: dict[sp.Symbol, Any] = {sym: pts[:, a] for a, sym in enumerate(free)}
    env.update({sym: np.asarray(float(v)) for sym, v in (scalars or {}).items()})
    arrays = {name: np.asarray(v, dtype=float) for name, v in values.items()}
    ctx = _Context(env, [len(pts)], np.ones(len(pts), dtype=bool), base, arrays, {}, budget)
    return np.array(np.broadcast_to(np.asarray(_eval(expr, ctx), dtype=float), (len(pts),)))
