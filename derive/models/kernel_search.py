"""A search for a counterexample to "k is p.d." or "k is c.p.d.": points and coefficients
with Σ a_i a_j k(x_i, x_j) < 0 (and Σ a_i = 0 for c.p.d.), found numerically, then made exact.

Point sets are tried in a fixed order, with a deterministic seed: single points (p.d.: a
negative k(x, x)), then pairs, triples and quadruples of small structured points (0, ±1, ±2,
½, 3), then random sets of 2 to 8 points at several scales, rounded to one decimal. For each
set, numpy's eigenvalues of K (or of K on 1^⊥) point to a coefficient vector; it is rounded
to small integers and the quadratic form is recomputed exactly by SymPy. Only an exact
negative value counts: what the search returns is a proof, and `derive.verify` checks it
again by another route. Nothing found is reported as nothing found, never as a proof.

>>> from derive.models.kernels import Kernel
>>> found = search(Kernel.parse("-(x - y)**2"), "pd").found
>>> found.points, found.coefficients, found.form
([0, 1], [1, 1], -2)
>>> search(Kernel.parse("-(x - y)**2"), "cpd").found is None
True
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from math import lcm
from typing import Any, Literal

import numpy as np
import sympy as sp

from derive.models.kernels import Kernel, Point, eigenvalues, projector, quadratic_form

Property = Literal["pd", "cpd"]
STRUCTURED = (0, 1, -1, 2, -2, Fraction(1, 2), 3)
SCALES = (0.5, 1.0, 2.0, 4.0)
RANDOM_SETS = 160
MAX_POINTS = 8


@dataclass
class Counterexample:
    """Points, coefficients, the Gram matrix, aᵀKa < 0 (exact) and the smallest eigenvalue
    of K (p.d.) or of P K P, P = I − 11ᵀ/n (c.p.d.)."""

    points: list[Point]
    coefficients: list[int]
    gram: sp.Matrix
    form: sp.Expr
    eigenvalue: sp.Expr


@dataclass
class Search:
    """What was tried, and what was found (None: nothing, which proves nothing)."""

    found: Counterexample | None
    sets: int = 0
    sizes: tuple[int, int] = (1, MAX_POINTS)
    scales: tuple[float, ...] = SCALES
    structured: list[Any] = field(default_factory=lambda: list(STRUCTURED))


def _structured_points(dim: int) -> list[Point]:
    if dim == 1:
        return [sp.Rational(v) for v in STRUCTURED]
    out: list[Point] = [tuple(sp.Integer(0) for _ in range(dim))]
    for c in range(dim):
        for v in (1, -1, 2):
            out.append(tuple(sp.Integer(v if q == c else 0) for q in range(dim)))
    out.append(tuple(sp.Integer(1) for _ in range(dim)))
    return out


def _candidates(dim: int, prop: Property, rng: np.random.Generator) -> Iterator[list[Point]]:
    pts = _structured_points(dim)
    for n in range(1 if prop == "pd" else 2, 5):
        for combo in itertools.combinations(pts, n):
            yield list(combo)
    for _ in range(RANDOM_SETS):
        n = int(rng.integers(2, MAX_POINTS + 1))
        scale = float(rng.choice(SCALES))
        values = np.round(rng.normal(scale=scale, size=(n, dim)), 1)
        if dim == 1:
            yield [sp.Rational(str(v[0])) for v in values]
        else:
            yield [tuple(sp.Rational(str(c)) for c in v) for v in values]


def _as_array(points: list[Point], dim: int) -> np.ndarray:
    return np.array([[float(c) for c in (p if isinstance(p, tuple) else (p,))]
                     for p in points]).reshape(len(points), dim)


def _direction(K: np.ndarray, prop: Property) -> np.ndarray | None:
    """A coefficient vector along which aᵀKa < 0 (numerically), if there is one."""
    n = len(K)
    if prop == "cpd":
        Q, _ = np.linalg.qr(np.eye(n)[:, :-1] - np.eye(n)[:, -1:])   # orthonormal 1^⊥
        values, vectors = np.linalg.eigh(Q.T @ K @ Q)
        vec = Q @ vectors[:, 0]
    else:
        values, vectors = np.linalg.eigh(K)
        vec = vectors[:, 0]
    scale = max(1.0, float(np.max(np.abs(K))))
    return vec if values[0] < -1e-9 * scale else None


def _integers(vec: np.ndarray, prop: Property, denominator: int) -> list[int]:
    """`vec` scaled and rounded to small integers (summing to 0 for c.p.d.)."""
    v = vec / np.max(np.abs(vec))
    fractions = [Fraction(float(c)).limit_denominator(denominator) for c in v]
    if prop == "cpd":
        fractions[-1] = -sum(fractions[:-1], Fraction(0))
    common = lcm(*(f.denominator for f in fractions))
    ints = [int(f * common) for f in fractions]
    g = int(np.gcd.reduce([abs(c) for c in ints if c])) if any(ints) else 1
    sign = -1 if next((c for c in ints if c), 1) < 0 else 1      # first one positive
    return [sign * c // g for c in ints]


def exact(kernel: Kernel, points: list[Point], vec: np.ndarray, prop: Property
          ) -> Counterexample | None:
    """The counterexample with integer coefficients near `vec`, if its exact quadratic form
    is negative."""
    K = kernel.gram(points)
    for denominator in (1, 2, 4, 10, 100, 1000):
        a = _integers(vec, prop, denominator)
        if not any(a):
            continue
        form = quadratic_form(K, a)
        value = sp.N(form, 40)
        if value.is_real and value < -sp.Float(10) ** -25:
            P = projector(K.rows)
            low = eigenvalues(P * K * P if prop == "cpd" else K)[0]
            return Counterexample(points, a, K, form, low)
    return None


def search(kernel: Kernel, prop: Property, seed: int = 0) -> Search:
    """The first counterexample found (see the module's docstring), and what was tried."""
    rng = np.random.default_rng(seed)
    k = kernel.numpy()
    tried = 0
    for points in _candidates(kernel.dim, prop, rng):
        tried += 1
        X = _as_array(points, kernel.dim)
        with np.errstate(all="ignore"):
            K = k(X[:, None, :], X[None, :, :])
        if not np.all(np.isfinite(K)):
            continue
        vec = _direction((K + K.T) / 2, prop)
        if vec is None:
            continue
        found = exact(kernel, points, vec, prop)
        if found is not None:
            return Search(found, tried)
    return Search(None, tried)
