"""Question kinds on a one-channel 2-D convolution layer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import sympy as sp
from pydantic import Field, model_validator

from derive.latex.printer import tex, tex_lines
from derive.models import conv as C
from derive.models.conv import Conv2D
from derive.questions.base import Check, Given, Kind, NonNegInt, PosInt, Solution
from derive.verify import reference as ref
from derive.verify.fast_eval import evaluate_fast
from derive.verify.reference_nd import conv2d_nd_backward

# Above this many entries, finite differences are taken on a sample (each costs a forward pass).
FULL_FD_LIMIT = 400

Pair = list[PosInt]


class ConvGiven(Given):
    input: Pair = Field(min_length=2, max_length=2, description="Input rows and columns.")
    kernel: Pair = Field(min_length=2, max_length=2, description="Kernel rows and columns.")
    stride: PosInt = 1
    padding: NonNegInt = 0
    index_base: Literal[0, 1] = 1
    activation: Literal["relu", "identity"] = "relu"
    seed: NonNegInt = 0

    @model_validator(mode="after")
    def _fits(self) -> ConvGiven:
        for axis, n, k in zip(("rows", "columns"), self.input, self.kernel, strict=True):
            if k > n + 2 * self.padding:
                raise ValueError(
                    f"kernel {axis} ({k}) exceed the padded input {axis} "
                    f"({n} + 2·{self.padding} = {n + 2 * self.padding})")
        return self

    def layer(self) -> Conv2D:
        return Conv2D(tuple(self.input), tuple(self.kernel),  # type: ignore[arg-type]
                      (self.stride, self.stride), (self.padding, self.padding), self.index_base)


def _random(g: ConvGiven) -> tuple[np.ndarray, np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(g.seed)
    return rng.normal(size=g.input), rng.normal(size=g.kernel), rng


def solve_output_size(g: ConvGiven) -> Solution:
    layer = g.layer()
    formula, s = C.output_size_formula()
    rows = [formula.subs({s["N"]: n, s["K"]: k, s["p"]: g.padding, s["s"]: g.stride},
                         simultaneous=True) for n, k in zip(g.input, g.kernel, strict=True)]
    shape = layer.output_shape

    def verify() -> Check:
        x, w, _ = _random(g)
        out = ref.conv2d(x, w, (g.stride,) * 2, (g.padding,) * 2)
        return Check.compare("shape of a numpy reference convolution on random data",
                             shape, out.shape, samples=1)

    substituted = [
        rf"\left\lfloor \frac{{{n} + 2\cdot {g.padding} - {k}}}{{{g.stride}}} \right\rfloor + 1"
        for n, k in zip(g.input, g.kernel, strict=True)
    ]
    return Solution(
        answer=list(shape),
        answer_latex=rf"I \times J = {shape[0]} \times {shape[1]}",
        context={"formula": tex(formula), "substituted": substituted, "out": shape,
                 "given": g, "rows": [tex(v) for v in rows]},
        verify=verify)


def solve_forward(g: ConvGiven) -> Solution:
    layer = g.layer()
    expr = layer.forward()
    b = g.index_base
    first = layer.forward_at(b, b)

    def verify() -> Check:
        x, w, _ = _random(g)
        derived = evaluate_fast(expr, (C.i, C.j), layer.output_shape, b, {"x": x, "w": w})
        reference = ref.conv2d(x, w, (g.stride,) * 2, (g.padding,) * 2)
        return Check.compare(
            "index formula against a numpy reference convolution (random $x$, $w$)",
            derived, reference, samples=derived.size)

    return Solution(
        answer=expr, answer_latex=rf"y_{{i,j}} = {tex(expr)}",
        context={"sum": tex(expr), "first_lines": tex_lines(first, 3),
                 "first_index": (b, b), "shape": layer.output_shape, "given": g},
        verify=verify)


def solve_operations(g: ConvGiven) -> Solution:
    counts = g.layer().operation_counts()

    def verify() -> Check:
        mults, adds = ref.conv2d_counting(tuple(g.input), tuple(g.kernel),  # type: ignore[arg-type]
                                          (g.stride,) * 2, (g.padding,) * 2)
        return Check.compare("operations counted one by one in a naive loop",
                             [counts["mult"], counts["add"]], [mults, adds], samples=1)

    return Solution(
        answer={"multiplications": counts["mult"], "additions": counts["add"]},
        answer_latex=rf"{counts['mult']} \text{{ multiplications}},\ "
                     rf"{counts['add']} \text{{ additions}}",
        context={"c": counts, "given": g, "shape": g.layer().output_shape},
        verify=verify)


def _gradient_check(g: ConvGiven, expr: sp.Expr, free: tuple[sp.Symbol, sp.Symbol],
                    wrt: str) -> Check:
    """Finite differences of L = Σ G ⊙ act(conv(x, w)) against the index formula."""
    x, w, rng = _random(g)
    layer = g.layer()
    upstream = rng.normal(size=layer.output_shape)
    act = (lambda v: np.maximum(v, 0.0)) if g.activation == "relu" else (lambda v: v)
    pre = ref.conv2d(x, w, (g.stride,) * 2, (g.padding,) * 2)
    gate = (pre > 0).astype(float) if g.activation == "relu" else np.ones_like(pre)

    conv = ref.conv2d if x.size <= FULL_FD_LIMIT else ref.conv2d_windows

    def loss_x(v: np.ndarray) -> float:
        return float(np.sum(upstream * act(conv(v, w, (g.stride,) * 2, (g.padding,) * 2))))

    def loss_w(v: np.ndarray) -> float:
        return float(np.sum(upstream * act(conv(x, v, (g.stride,) * 2, (g.padding,) * 2))))

    target = x if wrt == "x" else w
    loss = loss_x if wrt == "x" else loss_w
    derived = evaluate_fast(expr, free, target.shape, g.index_base,
                            {"x": x, "w": w, "d1Ldy": upstream * gate})
    if target.size <= FULL_FD_LIMIT:
        method = (f"finite differences of a numpy loss in ${wrt}$ "
                  r"(random $x$, $w$, $\partial L/\partial z$)")
        return Check.compare(method, derived, ref.finite_difference(loss, target), tol=1e-6,
                             samples=derived.size)
    # large layers: the numpy adjoint on every entry, finite differences on a sample
    dw, dx, _ = conv2d_nd_backward(x[:, :, None], w[:, :, None, None],
                                   (upstream * gate)[:, :, None], (g.stride,) * 2,
                                   (g.padding,) * 2)
    adjoint = Check.compare("adjoint", derived,
                            dx[:, :, 0] if wrt == "x" else dw[:, :, 0, 0])
    picks = [tuple(int(rng.integers(0, n)) for n in target.shape) for _ in range(25)]
    sampled = Check.compare("fd", [derived[p] for p in picks],
                            [_partial_difference(loss, target, p) for p in picks], tol=1e-6)
    method = (f"numpy adjoint of the forward walk (every entry) and finite differences "
              f"(25 random entries) in ${wrt}$ (random $x$, $w$, $\\partial L/\\partial z$)")
    return Check(method, adjoint.passed and sampled.passed,
                 max(adjoint.max_abs_error, sampled.max_abs_error), derived.size + len(picks))


def _partial_difference(loss: Callable[[np.ndarray], float], at: np.ndarray,
                        index: tuple[int, ...], h: float = 1e-6) -> float:
    step = np.zeros_like(at)
    step[index] = h
    return (loss(at + step) - loss(at - step)) / (2 * h)


def solve_grad_input(g: ConvGiven) -> Solution:
    layer = g.layer()
    expr = layer.grad_input()
    return Solution(
        answer=expr, answer_latex=rf"\frac{{\partial L}}{{\partial x_{{i,j}}}} = {tex(expr)}",
        context={"upstream": tex(layer.upstream(g.activation)), "sum": tex(expr),
                 "forward": tex(layer.forward()), "given": g, "shape": layer.output_shape},
        notes=["relu_at_zero"] if g.activation == "relu" else [],
        verify=lambda: _gradient_check(g, expr, (C.i, C.j), "x"))


def solve_grad_weights(g: ConvGiven) -> Solution:
    layer = g.layer()
    expr = layer.grad_weights()
    return Solution(
        answer=expr, answer_latex=rf"\frac{{\partial L}}{{\partial w_{{k,l}}}} = {tex(expr)}",
        context={"upstream": tex(layer.upstream(g.activation)), "sum": tex(expr),
                 "forward": tex(layer.forward()), "given": g, "shape": layer.output_shape},
        notes=["relu_at_zero"] if g.activation == "relu" else [],
        verify=lambda: _gradient_check(g, expr, (C.k, C.l), "w"))


EX = {"input": [5, 5], "kernel": [3, 3], "stride": 1, "padding": 0}

KINDS = {
    k.name: k
    for k in [
        Kind("conv2d.output_size", ConvGiven, solve_output_size,
             "Output size of a 2-D convolution from input, kernel, stride and padding.", EX),
        Kind("conv2d.forward", ConvGiven, solve_forward,
             "Index formula of an output pixel, and one pixel written out.", EX),
        Kind("conv2d.operations", ConvGiven, solve_operations,
             "Multiplications and additions of the forward pass.", EX),
        Kind("conv2d.grad_input", ConvGiven, solve_grad_input,
             "∂L/∂x through an activation, given ∂L/∂z.", EX),
        Kind("conv2d.grad_weights", ConvGiven, solve_grad_weights,
             "∂L/∂w through an activation, given ∂L/∂z.", EX),
    ]
}
