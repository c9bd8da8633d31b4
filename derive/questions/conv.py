"""Question kinds on a one-channel 2-D convolution layer, as checked derivations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import sympy as sp
from pydantic import Field, model_validator

from derive.derivation import Derivation, Domain
from derive.models import conv as C
from derive.models.conv import Conv2D
from derive.models.symbols import Frozen, PartialOf, relu_prime
from derive.questions.base import PADDED, IndexBase, NonNegInt, PosInt, Size2, padded_input
from derive.questions.declare import Derived, kind
from derive.verify import reference as ref
from derive.verify.counting import walk_conv2d
from derive.verify.reference_nd import conv2d_nd_backward

# Above this many entries, the reference gradient is the numpy adjoint instead of finite
# differences (each finite difference costs a forward pass).
FULL_FD_LIMIT = 400
u, v = sp.symbols("u v", integer=True)          # summation indices of the loss


class ConvGiven(Derived):
    input: Size2 = Field(description="Input rows and columns (or one number for a square).")
    kernel: Size2 = Field(description="Kernel rows and columns (or one number).")
    stride: PosInt = 1
    padding: NonNegInt = 0
    index_base: IndexBase = 1
    activation: Literal["identity", "relu"] = "identity"
    seed: NonNegInt = 0
    method: ClassVar[str] = "conv_reference"
    limits: ClassVar[dict[str, int]] = PADDED

    def measures(self) -> dict[str, int]:
        return padded_input(self.input[0], self.input[1], self.padding)

    @model_validator(mode="after")
    def _fits(self) -> ConvGiven:
        for axis, n, k in zip(("rows", "columns"), self.input, self.kernel, strict=True):
            if k > n + 2 * self.padding:
                raise ValueError(
                    f"kernel {axis} ({k}) exceed the padded input {axis} "
                    f"({n} + 2·{self.padding} = {n + 2 * self.padding})")
        return self

    def layer(self) -> Conv2D:
        """The layer with indices from 0 (pages print them from `index_base`)."""
        return Conv2D((self.input[0], self.input[1]), (self.kernel[0], self.kernel[1]),
                      (self.stride, self.stride), (self.padding, self.padding), 0)

    def grid(self, *pairs: tuple[sp.Symbol, int]) -> dict[sp.Symbol, tuple[int, int]]:
        return {sym: (0, size - 1) for sym, size in pairs}

    def derivation(self, free: dict[sp.Symbol, tuple[int, int]]) -> Derivation:
        layer = self.layer()
        act = ((lambda t: sp.Max(0, t)) if self.activation == "relu" else (lambda t: t))
        upstream = ((lambda a, b: C.dLdz[a, b] * relu_prime(C.y[a, b]))
                    if self.activation == "relu" else (lambda a, b: C.dLdz[a, b]))
        domains = {C.x: Domain(tuple(self.input)), C.w: Domain(tuple(self.kernel)),
                   C.dLdz: Domain(layer.output_shape),
                   C.y: Domain(layer.output_shape, "defined"),
                   C.dLdy: Domain(layer.output_shape, "defined")}
        definitions = {C.y: layer.forward_at_output, C.dLdy: upstream,
                       C.x_padded: layer.padded_input, C.w_extended: layer.extended_kernel}
        d = Derivation(domains, free, definitions)
        out_r, out_c = layer.output_shape
        d.definitions[C.L] = sp.Sum(C.dLdz[u, v] * (act(C.y[u, v]) - Frozen(act(C.y[u, v]))),
                                    (u, 0, out_r - 1), (v, 0, out_c - 1))
        return d

    def data(self, data: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return data["x"], data["w"], data["dL_dz"]

    def conv(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        s, p = (self.stride,) * 2, (self.padding,) * 2
        return ref.conv2d(x, w, s, p) if x.size <= FULL_FD_LIMIT else ref.conv2d_windows(
            x, w, s, p)

    def gradients(self, data: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """∂L/∂x and ∂L/∂w of L = Σ ∂L/∂z ⊙ act(conv(x, w)), by numpy alone."""
        x, w, g = self.data(data)
        relu = self.activation == "relu"

        def loss(xs: np.ndarray, ws: np.ndarray) -> float:
            y = self.conv(xs, ws)
            return float(np.sum(g * (np.maximum(y, 0.0) if relu else y)))

        if x.size <= FULL_FD_LIMIT:
            return {"grad_x": ref.finite_difference(lambda t: loss(t, w), x),
                    "grad_w": ref.finite_difference(lambda t: loss(x, t), w)}
        gate = (self.conv(x, w) > 0).astype(float) if relu else 1.0
        dw, dx, _ = conv2d_nd_backward(x[:, :, None], w[:, :, None, None],
                                       (g * gate)[:, :, None], (self.stride,) * 2,
                                       (self.padding,) * 2)
        return {"grad_x": dx[:, :, 0], "grad_w": dw[:, :, 0, 0]}

    def given_upstream(self, d: Derivation) -> None:
        """Through a ReLU, the answer once more with ∂L/∂y written through the given ∂L/∂z
        (∂L/∂z · 𝟙[y > 0]): the answer in the quantities the question gives."""
        if self.activation != "relu":
            return
        d.then(d.result.replace(
            lambda e: isinstance(e, sp.Indexed) and e.base == C.dLdy,
            lambda e: C.dLdz[e.indices] * relu_prime(C.y[e.indices])), "substitute")

    def upstream_chain(self, d: Derivation) -> None:
        """∂L/∂y through the activation, for every output (r, c)."""
        if self.activation != "relu":
            return
        d.say("conv_relu")
        lhs = PartialOf(C.L, C.y[C.r, C.c], C.L)
        d.chain(lhs, lhs, "definition", context=True)
        d.then(C.dLdz[C.r, C.c] * PartialOf(C.z[C.r, C.c], C.y[C.r, C.c], sp.Max(0, C.y[C.r, C.c])),
               "chain_rule")
        d.then(C.dLdz[C.r, C.c] * relu_prime(C.y[C.r, C.c]), "relu_prime")


EXAMPLE = {"input": [5, 5], "kernel": [3, 3], "stride": 1, "padding": 0}


@kind("conv2d.grad_input", "∂L/∂x through an activation, given ∂L/∂z.", EXAMPLE)
class GradInput(ConvGiven):
    def derive(self) -> Derivation:
        layer = self.layer()
        out_r, out_c = layer.output_shape
        d = self.derivation(self.grid((C.i, self.input[0]), (C.j, self.input[1]),
                                      (C.r, out_r), (C.c, out_c)))
        self.upstream_chain(d)
        d.say("conv_grad_x", n=self.stride)
        lhs = PartialOf(C.L, C.x[C.i, C.j], C.L)
        d.chain(lhs, lhs, "definition")
        d.then(sp.Sum(C.dLdy[C.r, C.c] * PartialOf(C.y[C.r, C.c], C.x[C.i, C.j],
                                                   layer.forward_at_output(C.r, C.c)),
                      (C.r, 0, out_r - 1), (C.c, 0, out_c - 1)), "chain_rule")
        d.then(layer.grad_input_guarded(), "sum_collapse")
        d.then(layer.grad_input(), "tighten_sum_limits")
        self.given_upstream(d)
        return d.answer("grad_x")

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"grad_x": self.gradients(data)["grad_x"]}


@kind("conv2d.grad_weights", "∂L/∂w through an activation, given ∂L/∂z.", EXAMPLE)
class GradWeights(ConvGiven):
    def derive(self) -> Derivation:
        layer = self.layer()
        out_r, out_c = layer.output_shape
        d = self.derivation(self.grid((C.k, self.kernel[0]), (C.l, self.kernel[1]),
                                      (C.r, out_r), (C.c, out_c)))
        self.upstream_chain(d)
        d.say("conv_grad_w", case=("padded" if self.padding else "valid")
              + ("_relu" if self.activation == "relu" else ""))
        lhs = PartialOf(C.L, C.w[C.k, C.l], C.L)
        d.chain(lhs, lhs, "definition")
        d.then(sp.Sum(C.dLdy[C.i, C.j] * PartialOf(C.y[C.i, C.j], C.w[C.k, C.l],
                                                   layer.forward_at_output(C.i, C.j)),
                      (C.i, 0, out_r - 1), (C.j, 0, out_c - 1)), "chain_rule")
        if self.padding:
            d.then(layer.grad_weights_padded(), "sum_collapse")
            d.then(layer.grad_weights(), "tighten_sum_limits")
        else:
            d.then(layer.grad_weights(), "sum_collapse")
        self.given_upstream(d)
        return d.answer("grad_w")

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return {"grad_w": self.gradients(data)["grad_w"]}


@kind("conv2d.forward", "Index formula of an output pixel, and one pixel written out.", EXAMPLE)
class Forward(ConvGiven):
    def derive(self) -> Derivation:
        layer = self.layer()
        out_r, out_c = layer.output_shape
        d = self.derivation(self.grid((C.i, out_r), (C.j, out_c)))
        d.say("conv_forward", case="padded" if self.padding else "valid")
        if self.padding:
            d.chain(C.y[C.i, C.j], layer.forward_padded(), "definition")
            d.then(layer.forward(), "tighten_sum_limits").answer("y")
        else:
            d.chain(C.y[C.i, C.j], layer.forward(), "definition").answer("y")
        total = out_r * out_c
        d.say("conv_first_pixel", others=total - 1,
              case="only" if total == 1 else "two" if total == 2 else "many")
        d.chain(C.y[0, 0], layer.forward().xreplace({C.i: 0, C.j: 0}), "substitute")
        d.apply("expand_sum")
        if self.activation == "relu":         # the activation the question names, written
            d.say("conv_forward_relu")
            d.chain(C.z[C.i, C.j], sp.Max(0, C.y[C.i, C.j]), "definition")
        return d

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        x, w, _ = self.data(data)
        return {"y": self.conv(x, w)}


N, K, P, S = sp.symbols("N K p s", integer=True, positive=True)


class _Padded:
    """A check method worded for the input the window walks over: `<name>_padded` when the
    input is padded (a walk over zeros), `<name>` otherwise."""

    def __init__(self, name: str):
        self.name = name

    def __get__(self, given: Any, cls: type | None = None) -> str:
        return self.name + ("_padded" if given is not None and given.padding else "")


I, J, KR, KC = sp.symbols("I J K_1 K_2", integer=True, positive=True)


@kind("conv2d.output_size",
      "Output size of a 2-D convolution from input, kernel, stride and padding.", EXAMPLE)
class OutputSize(ConvGiven):
    output: str | None = Field(
        None, pattern=r"^[A-Za-z](_\{?[A-Za-z0-9]+\}?)?$",
        description="The output's name in the assignment (Z, Y): the answer says `Z is "
                    "4 × 4`; without it, `the output is 4 × 4`.")
    method: ClassVar[str] = _Padded("window_positions")     # type: ignore[assignment]

    def derive(self) -> Derivation:
        d = Derivation()                 # numbers only: every step is checked at the givens
        (n1, n2), (k1, k2) = self.input, self.kernel
        square = (n1, k1) == (n2, k2)
        d.say("conv_size", n=n1, k=k1, n2=n2, k2=k2, p=self.padding, s=self.stride,
              case=("square" if square else "rect") + ("_padded" if self.padding else ""))
        axes: list[tuple[sp.Basic, tuple[str, ...], int, int]] = [
                (I, ("rows",), n1, k1), (J, ("cols",), n2, k2)]
        if square:
            axes = [(sp.Eq(I, J, evaluate=False), ("rows", "cols"), n1, k1)]
        for name, keys, n, k in axes:
            d.chain(name, sp.floor((N + 2 * P - K) / S) + 1, "definition")
            d.put({N: n, K: k, P: self.padding, S: self.stride}).answer(*keys)
        # the sizes are marked where they are computed (a later part with the same givens
        # states them as in this one); the sentence names the output's size
        rows, cols = self.layer().output_shape
        d.say("conv_size_result", name=self.output or "", r=rows, c=cols,
              case="named" if self.output else "unnamed")
        d.chain(sp.Symbol(r"\text{size}"), sp.Integer(rows), "read_off")
        d.steps[-1].shown = False
        return d

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        shape, _, _ = walk_conv2d((self.input[0], self.input[1]), (self.kernel[0], self.kernel[1]),
                                  (self.stride,) * 2, (self.padding,) * 2)
        return {"rows": shape[0], "cols": shape[1]}


@kind("conv2d.operations", "Multiplications and additions of the forward pass.", EXAMPLE)
class Operations(ConvGiven):
    method: ClassVar[str] = _Padded("window_walk")          # type: ignore[assignment]

    def derive(self) -> Derivation:
        out_r, out_c = self.layer().output_shape
        d = Derivation()
        given = {I: out_r, J: out_c, KR: self.kernel[0], KC: self.kernel[1]}
        d.say("conv_ops", r=out_r, c=out_c, k1=self.kernel[0], k2=self.kernel[1],
              case=("padded" if self.padding else "valid")
              + ("_one" if out_r * out_c == 1 else "_other"))
        d.chain(sp.Symbol(r"\text{multiplications}"), I * J * KR * KC, "definition")
        d.put(given).answer("multiplications")
        d.chain(sp.Symbol(r"\text{additions}"), I * J * (KR * KC - 1), "definition")
        d.put(given).answer("additions")
        return d

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        _, mults, adds = walk_conv2d((self.input[0], self.input[1]),
                                     (self.kernel[0], self.kernel[1]),
                                     (self.stride,) * 2, (self.padding,) * 2)
        return {"multiplications": mults, "additions": adds}
