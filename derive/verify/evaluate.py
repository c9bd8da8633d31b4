"""Numeric evaluation of index-form SymPy results (Σ with limits) on concrete arrays."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import sympy as sp


class Shifted:
    """An array read with indices that start at `base` (the assignment's convention)."""

    def __init__(self, array: Any, base: int):
        self.array, self.base = np.asarray(array, dtype=float), base

    def __getitem__(self, idx: Any) -> float:
        idx = idx if isinstance(idx, tuple) else (idx,)
        shifted = tuple(int(v) - self.base for v in idx)
        if any(v < 0 or v >= n for v, n in zip(shifted, self.array.shape, strict=True)):
            raise IndexError(f"index {idx} outside an array of shape {self.array.shape}")
        return float(self.array[shifted])

    def __call__(self, *idx: Any) -> float:
        return self[idx]


def evaluate_grid(expr: sp.Expr, free: tuple[sp.Symbol, ...], shape: tuple[int, ...],
                  base: int, values: Mapping[str, Any],
                  functions: Mapping[str, Callable[..., Any]] | None = None) -> np.ndarray:
    """Evaluate `expr` at every index tuple of `shape` (indices start at `base`).

    `values` maps IndexedBase and function names to arrays (read with `base`);
    `functions` adds plain callables such as an activation's derivative.
    """
    bases = sorted(expr.atoms(sp.IndexedBase), key=str)
    arrays = [Shifted(values[str(b)], base) for b in bases]
    namespace: dict[str, Any] = {name: Shifted(v, base) for name, v in values.items()
                                 if name not in {str(b) for b in bases}}
    namespace.update(functions or {})
    fn = sp.lambdify([*free, *bases], expr, modules=[namespace, "math"])
    out = np.empty(shape)
    for idx in np.ndindex(*shape):
        out[idx] = fn(*(v + base for v in idx), *arrays)
    return out
