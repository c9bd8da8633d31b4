"""Question kinds on a fully connected sigmoid layer, and storage of derivatives."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
import sympy as sp
from pydantic import Field

from derive.latex.printer import tex, tex_lines
from derive.models import dense as D
from derive.models.dense import DenseSigmoid
from derive.models.symbols import NUMERIC, expand_sigmoid_prime
from derive.questions.base import Check, Given, Kind, NonNegInt, PosInt, Solution
from derive.verify import reference as ref
from derive.verify.evaluate import evaluate_grid


class DenseGiven(Given):
    inputs: PosInt = Field(description="Number of inputs n.")
    outputs: PosInt = Field(description="Number of outputs m.")
    seed: NonNegInt = 0


class _Probe:
    """A concrete layer and loss L(z) = cᵀz + ½zᵀQz + Σ sin z_j, with exact derivatives."""

    def __init__(self, g: DenseGiven):
        rng = np.random.default_rng(g.seed)
        self.n, self.m = g.inputs, g.outputs
        self.x = rng.normal(size=self.n)
        self.w = rng.normal(size=(self.n, self.m))
        self.c = rng.normal(size=self.m)
        q = rng.normal(size=(self.m, self.m))
        self.q = q + q.T

    def z(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(x @ w)))

    def loss(self, z: np.ndarray) -> float:
        return float(self.c @ z + 0.5 * z @ self.q @ z + np.sum(np.sin(z)))

    def values(self) -> dict[str, object]:
        z = self.z(self.x, self.w)
        grad = self.c + self.q @ z + np.cos(z)
        hess = self.q - np.diag(np.sin(z))
        return {"x": self.x, "w": self.w, "z": z, "d1Ldz": grad, "d2Ldz": hess}


def _check(expr: sp.Expr, g: DenseGiven,
           numeric: Callable[[_Probe], np.ndarray], index_sets: list[dict[sp.Symbol, int]],
           method: str) -> Check:
    probe = _Probe(g)
    reference = numeric(probe)
    free = tuple(index_sets[0])
    sizes = {D.i: g.inputs, D.i2: g.inputs, D.j: g.outputs, D.j2: g.outputs}
    grid = evaluate_grid(expand_sigmoid_prime(expr), free, tuple(sizes[v] for v in free), 1,
                         probe.values(), NUMERIC)
    derived = np.array([grid[tuple(s[v] - 1 for v in free)] for s in index_sets])
    return Check.compare(method, derived, reference, tol=1e-5, samples=len(index_sets))


def _pairs(n: int, m: int) -> list[tuple[int, int]]:
    return [(a, b) for a in range(1, n + 1) for b in range(1, m + 1)]


def solve_grad_input(g: DenseGiven) -> Solution:
    layer = DenseSigmoid(g.inputs, g.outputs)
    expr = layer.grad_input()

    def numeric(p: _Probe) -> np.ndarray:
        return ref.finite_difference(lambda v: p.loss(p.z(v, p.w)), p.x)

    return Solution(
        answer=expr,
        answer_latex=rf"\frac{{\partial L}}{{\partial x_i}} = {tex(expr)}",
        context={"term": tex(layer.grad_input_term()), "sum": tex(expr), "given": g},
        verify=lambda: _check(expr, g, numeric, [{D.i: a} for a in range(1, g.inputs + 1)],
                              "finite differences on a random layer and a concrete L"))


def solve_grad_weight(g: DenseGiven) -> Solution:
    expr = DenseSigmoid(g.inputs, g.outputs).grad_weight()

    def numeric(p: _Probe) -> np.ndarray:
        return ref.finite_difference(lambda v: p.loss(p.z(p.x, v)), p.w).reshape(-1)

    return Solution(
        answer=expr,
        answer_latex=rf"\frac{{\partial L}}{{\partial w_{{ij}}}} = {tex(expr)}",
        context={"expr": tex(expr), "given": g},
        verify=lambda: _check(expr, g, numeric,
                              [{D.i: a, D.j: b} for a, b in _pairs(g.inputs, g.outputs)],
                              "finite differences on a random layer and a concrete L"))


def _weight_hessian(p: _Probe) -> np.ndarray:
    return ref.hessian_fd(lambda v: p.loss(p.z(p.x, v)), p.w)


def solve_hessian_diagonal(g: DenseGiven) -> Solution:
    expr = DenseSigmoid(g.inputs, g.outputs).hessian_diagonal()
    pairs = _pairs(g.inputs, g.outputs)

    def numeric(p: _Probe) -> np.ndarray:
        return np.diag(_weight_hessian(p))

    return Solution(
        answer=expr,
        answer_latex=rf"\frac{{\partial^2 L}}{{\partial w_{{ij}}^2}} = {tex(expr)}",
        context={"expr": tex(expr), "lines": tex_lines(expr, 1), "given": g},
        notes=["second_derivatives_of_L"],
        verify=lambda: _check(expr, g, numeric, [{D.i: a, D.j: b} for a, b in pairs],
                              "second differences on a random layer and a concrete L"))


def solve_hessian_cross(g: DenseGiven) -> Solution:
    expr = DenseSigmoid(g.inputs, g.outputs).hessian_cross()
    pairs = _pairs(g.inputs, g.outputs)
    flat = {pq: n for n, pq in enumerate(pairs)}
    cross = [(a, b) for a in pairs for b in pairs if a[0] != b[0] and a[1] != b[1]]

    def numeric(p: _Probe) -> np.ndarray:
        h = _weight_hessian(p)
        return np.array([h[flat[a], flat[b]] for a, b in cross])

    return Solution(
        answer=expr,
        answer_latex=(r"\frac{\partial^2 L}{\partial w_{ij}\,\partial w_{i'j'}} = " + tex(expr)),
        context={"expr": tex(expr), "given": g},
        notes=["second_derivatives_of_L"],
        verify=lambda: _check(
            expr, g, numeric,
            [{D.i: a[0], D.j: a[1], D.i2: b[0], D.j2: b[1]} for a, b in cross],
            "second differences on a random layer and a concrete L"))


UNITS = {"B": 1, "kB": 10**3, "MB": 10**6, "GB": 10**9, "KiB": 2**10, "MiB": 2**20,
         "GiB": 2**30}


class StorageGiven(Given):
    weights_size: PosInt = Field(description="Storage of the weights, in `unit`.")
    unit: Literal["B", "kB", "MB", "GB", "KiB", "MiB", "GiB"] = "MB"
    bytes_per_number: Literal[2, 4, 8] = 4


def _grouped(n: int) -> str:
    """10000000 → 10\\,000\\,000 (thin spaces between groups of three digits)."""
    return f"{n:,}".replace(",", r"\,")


def _human(nbytes: int) -> tuple[str, str]:
    """Exact bytes in LaTeX, and a decimal-prefix reading of it (math mode)."""
    for unit, size in (("PB", 10**15), ("TB", 10**12), ("GB", 10**9), ("MB", 10**6),
                       ("kB", 10**3)):
        if nbytes >= size:
            return _grouped(nbytes), rf"{nbytes / size:g}\,\mathrm{{{unit}}}"
    return str(nbytes), rf"{nbytes}\,\mathrm{{B}}"


def solve_storage(g: StorageGiven) -> Solution:
    total = g.weights_size * UNITS[g.unit]
    if total % g.bytes_per_number:
        raise ValueError("weights_size is not a whole number of numbers")
    count = total // g.bytes_per_number
    p = sp.Symbol("P", integer=True, positive=True)
    b = sp.Symbol("b", integer=True, positive=True)
    hessian_formula = b * p**2
    hessian = int(hessian_formula.subs({p: count, b: g.bytes_per_number}))
    symmetric = int((b * p * (p + 1) / 2).subs({p: count, b: g.bytes_per_number}))

    def verify() -> Check:
        dtype = {2: np.float16, 4: np.float32, 8: np.float64}[g.bytes_per_number]
        gradient_bytes = np.empty(count, dtype=dtype).nbytes
        hessian_bytes = math.prod((count, count)) * np.dtype(dtype).itemsize
        return Check.compare("nbytes of a numpy gradient array; Hessian shape × itemsize",
                             [total, hessian], [gradient_bytes, hessian_bytes], tol=0)

    return Solution(
        answer={"gradient_bytes": total, "hessian_bytes": hessian,
                "hessian_symmetric_bytes": symmetric, "weights": count},
        answer_latex=rf"\text{{gradient: }} {_human(total)[1]},\quad "
                     rf"\text{{Hessian: }} {_human(hessian)[1]}",
        context={"count": _grouped(count), "total": _human(total),
                 "hessian": _human(hessian), "symmetric": _human(symmetric), "given": g,
                 "formula": tex(hessian_formula)},
        notes=["storage_units"],
        verify=verify)


KINDS = {
    k.name: k
    for k in [
        Kind("dense_sigmoid.grad_input", DenseGiven, solve_grad_input,
             "∂L/∂x_i of a bias-free sigmoid layer, given ∂L/∂z.",
             {"inputs": 2, "outputs": 2}),
        Kind("dense_sigmoid.grad_weight", DenseGiven, solve_grad_weight,
             "∂L/∂w_ij of a bias-free sigmoid layer, given ∂L/∂z.",
             {"inputs": 2, "outputs": 2}),
        Kind("dense_sigmoid.hessian_diagonal", DenseGiven, solve_hessian_diagonal,
             "∂²L/∂w_ij² of a bias-free sigmoid layer.",
             {"inputs": 2, "outputs": 2}),
        Kind("dense_sigmoid.hessian_cross", DenseGiven, solve_hessian_cross,
             "∂²L/∂w_ij∂w_i'j' (i ≠ i', j ≠ j') of a bias-free sigmoid layer.",
             {"inputs": 2, "outputs": 2}),
        Kind("storage.derivatives", StorageGiven, solve_storage,
             "Storage of the gradient and the Hessian, given the storage of the weights.",
             {"weights_size": 40, "unit": "MB", "bytes_per_number": 4}),
    ]
}
