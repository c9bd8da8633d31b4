"""∂J/∂Z, ∂J/∂W, ∂J/∂X or ∂J/∂b of a multi-channel convolution layer, as checked steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import sympy as sp
from pydantic import Field, model_validator

from derive.derivation import Derivation, Domain
from derive.models import conv_layer as CL
from derive.models.conv_layer import ConvLayer
from derive.models.symbols import Frozen, PartialOf, relu_prime, sigmoid, sigmoid_prime
from derive.questions.conv_layer import LayerGiven
from derive.questions.declare import Derived, kind
from derive.verify import reference_nd as ref
from derive.verify.reference import finite_difference

FULL_FD_LIMIT = 400
J = sp.Symbol("J")
o1, o2, o3 = sp.symbols("o1 o2 o3", integer=True)        # an output, inside a Σ
P, Q = sp.symbols("p q", integer=True)                   # an output, in the upstream chain
t1, t2, t3 = sp.symbols("k1' k2' n'", integer=True)      # taps inside a definition of Z
def forward_chain(d: Derivation, given: LayerGiven, layer: ConvLayer,
                  at: tuple[sp.Symbol, sp.Symbol, sp.Symbol]) -> None:
    """What the layer computes, shown once for the parts of a question."""
    d.say("layer_forward", case="flip" if given.flip else "plain", pos=sp.Tuple(*at[:2]))
    d.chain(CL.Z[at], layer.forward().xreplace(dict(zip((CL.i, CL.j, CL.m), at, strict=True))),
            "definition", context=True)


EXAMPLE = {"input": [6, 7, 3], "kernel": [3, 3], "out_channels": 4, "activation": "sigmoid"}


@kind("conv_layer.grad",
      "Multi-channel convolution layer: ∂J/∂Z, ∂J/∂W, ∂J/∂X or ∂J/∂b from ∂J/∂U.",
      {**EXAMPLE, "wrt": "X"})
class LayerGrad(LayerGiven, Derived):
    wrt: Literal["Z", "W", "X", "b"] = Field(description="∂J/∂wrt from ∂J/∂U.")
    method: ClassVar[str] = "layer_reference"

    @model_validator(mode="after")
    def _has_bias(self) -> LayerGrad:
        if self.wrt == "b" and not self.bias:
            raise ValueError("∂J/∂b needs a layer with a bias (bias: true)")
        return self

    def model(self) -> ConvLayer:
        """The layer with indices from 0 (pages print them from `index_base`)."""
        return ConvLayer((self.input[0], self.input[1], self.input[2]),
                         (self.kernel[0], self.kernel[1]), self.out_channels,
                         (self.stride,) * 2, (self.padding,) * 2, (self.dilation,) * 2,
                         self.flip, self.bias, self.activation, 0)

    def act(self, z: sp.Expr) -> sp.Expr:
        return {"identity": z, "relu": sp.Max(0, z), "sigmoid": sigmoid(z)}[self.activation]

    def outputs(self) -> tuple[sp.Symbol, sp.Symbol, sp.Symbol]:
        """The indices of an output in the forward and upstream chains (those of the
        answer when it is ∂J/∂Z)."""
        return (CL.i, CL.j, CL.m) if self.wrt == "Z" else (P, Q, CL.m)

    def start(self) -> Derivation:
        layer = self.model()
        u1, u2, u3 = self.outputs()
        out = layer.output_shape
        forward = layer.forward().xreplace({CL.k1: t1, CL.k2: t2, CL.n: t3})

        def z_at(a: sp.Expr, b: sp.Expr, c: sp.Expr) -> sp.Expr:
            return forward.xreplace({CL.i: a, CL.j: b, CL.m: c})

        def dz_at(a: sp.Expr, b: sp.Expr, c: sp.Expr) -> sp.Expr:
            return layer.grad_Z().xreplace({CL.i: a, CL.j: b, CL.m: c})

        domains: dict[Any, Domain] = {
            CL.X: Domain(tuple(self.input)), CL.W: Domain(layer.weight_shape),
            CL.dJdU: Domain(out), CL.Z: Domain(out, "defined"), CL.U: Domain(out, "defined"),
            CL.dJdZ: Domain(out, "defined")}
        if self.bias:
            domains[CL.bias_] = Domain((self.out_channels,))
        free, shape = layer.index_grid(self.wrt)
        grid = {v: (0, size - 1) for v, size in zip(free, shape, strict=True)}
        grid |= {u1: (0, out[0] - 1), u2: (0, out[1] - 1), u3: (0, out[2] - 1)}
        d = Derivation(domains, grid, {
            CL.Z: z_at, CL.U: lambda a, b, c: self.act(CL.Z[a, b, c]), CL.dJdZ: dz_at,
            J: sp.Sum(CL.dJdU[o1, o2, o3] * (CL.U[o1, o2, o3] - Frozen(CL.U[o1, o2, o3])),
                      (o1, 0, out[0] - 1), (o2, 0, out[1] - 1), (o3, 0, out[2] - 1))})
        forward_chain(d, self, layer, (u1, u2, u3))
        return d

    def upstream(self, d: Derivation) -> None:
        """∂J/∂Z through the activation U = act(Z), entry by entry."""
        u1, u2, u3 = self.outputs()
        z, u = CL.Z[u1, u2, u3], CL.U[u1, u2, u3]
        d.say("layer_upstream", case=self.activation)
        lhs = PartialOf(J, z, J)
        d.chain(lhs, lhs, "definition", context=self.wrt != "Z")
        if self.activation == "identity":
            d.then(CL.dJdU[u1, u2, u3], "chain_rule")
        else:
            d.then(CL.dJdU[u1, u2, u3] * PartialOf(u, z, self.act(z)), "chain_rule")
            if self.activation == "relu":
                d.then(CL.dJdU[u1, u2, u3] * relu_prime(z), "relu_prime")
            else:                       # ∂J/∂U · U(1 − U): the given factor first
                d.apply("differentiate")
                d.then(CL.dJdU[u1, u2, u3] * sigmoid_prime(u), "sigma_prime")
        if self.wrt == "Z":
            d.answer("grad")

    def derive(self) -> Derivation:
        layer = self.model()
        d = self.start()
        self.upstream(d)
        if self.wrt == "Z":
            return d
        free, _ = layer.index_grid(self.wrt)
        target = {"W": CL.W, "X": CL.X, "b": CL.bias_}[self.wrt][free]
        out = layer.output_shape
        method = {"W": layer.grad_W, "X": layer.grad_X, "b": layer.grad_b}[self.wrt]
        i, j, n, m, k1, k2 = sp.symbols("i j n m k_1 k_2", integer=True)
        d.say(f"layer_grad_{self.wrt}", entry={     # the entry, in the spec's notation
            "W": sp.IndexedBase("W")[k1, k2, n, m], "X": sp.IndexedBase("X")[i, j, n],
            "b": sp.IndexedBase("b")[m]}[self.wrt],
            case="padded" if self.padding else "valid")   # only padding hides taps
        lhs = PartialOf(J, target, J)
        d.chain(lhs, lhs, "definition")
        d.then(sp.Sum(CL.dJdZ[o1, o2, o3] * PartialOf(CL.Z[o1, o2, o3], target,
                                                       d.definitions[CL.Z](o1, o2, o3)),
                      (o1, 0, out[0] - 1), (o2, 0, out[1] - 1), (o3, 0, out[2] - 1)),
               "chain_rule")
        d.then(method(), "sum_collapse")
        d.say("layer_chained")
        d.then(method(chain=True), "substitute").answer("grad")
        return d

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The gradient by numpy alone: finite differences of J = Σ ∂J/∂U ⊙ act(conv) on
        small layers, the adjoint of the forward walk on large ones."""
        x, w, du = data["X"], data["W"], data["dJ_dU"]
        b = data.get("b")
        geometry = self.geometry()
        z = ref.conv2d_nd(x, w, b, **geometry)
        if self.wrt == "Z":
            return {"grad": ref.activation_backward(du, z, self.activation)}
        arrays = {"X": x, "W": w, "b": b}
        if arrays[self.wrt].size <= FULL_FD_LIMIT and x.size <= FULL_FD_LIMIT:
            def loss(v: np.ndarray) -> float:
                a = {**arrays, self.wrt: v}
                return ref.layer_loss(a["X"], a["W"], a["b"], du, self.activation, **geometry)
            return {"grad": finite_difference(loss, arrays[self.wrt])}
        dz = ref.activation_backward(du, z, self.activation)
        dw, dx, db = ref.conv2d_nd_backward(x, w, dz, **geometry)
        return {"grad": {"W": dw, "X": dx, "b": db}[self.wrt]}
