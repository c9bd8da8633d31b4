"""Shapes, channels, operation counts and parameters of a multi-channel convolution layer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar, Literal

import numpy as np
import sympy as sp

from derive.derivation import Derivation
from derive.models import conv_layer as CL
from derive.questions.conv_layer import LayerGiven, _parameter_arrays
from derive.questions.conv_layer_grad import EXAMPLE, forward_chain
from derive.questions.declare import Derived, kind
from derive.verify import reference_nd as ref
from derive.verify.counting import walk_conv_layer

N, K, P, S, D = sp.symbols("n k p s d", integer=True, positive=True)
H, Wd, C_IN, C_OUT, K1, K2 = sp.symbols(r"H W C_\text{in} C_\text{out} K_1 K_2", integer=True,
                                         positive=True)


def text(name: str) -> sp.Symbol:
    return sp.Symbol(rf"\text{{{name}}}")


# The formulas, as data: a test breaks each of them and expects the check to fail.
FORMULAS: dict[str, sp.Expr] = {
    "size": sp.floor((N + 2 * P - K) / S) + 1,
    "size_dilated": sp.floor((N + 2 * P - (D * (K - 1) + 1)) / S) + 1,
    "multiplications": H * Wd * C_OUT * K1 * K2 * C_IN,
    "additions": H * Wd * C_OUT * (K1 * K2 * C_IN - 1),
    "additions_bias": H * Wd * C_OUT * K1 * K2 * C_IN,
    "with_bias": K1 * K2 * C_IN * C_OUT + C_OUT,
    "without_bias": K1 * K2 * C_IN * C_OUT,
}


@kind("conv_layer.sizes", "Multi-channel convolution layer: output shapes, channels, "
      "multiplications or trainable parameters.", {**EXAMPLE, "report": "parameters"})
class LayerSizes(LayerGiven, Derived):
    report: Literal["shapes", "channels", "multiplications", "parameters"] = "shapes"
    method: ClassVar[str] = "layer_sizes"

    def derive(self) -> Derivation:
        layer = self.layer()
        d = Derivation()
        forward_chain(d, self, replace(layer, base=0), (CL.i, CL.j, CL.m))
        rows, cols, out = layer.output_shape
        sizes = {H: rows, Wd: cols, C_IN: self.input[2], C_OUT: out, K1: self.kernel[0],
                 K2: self.kernel[1]}
        getattr(self, f"_{self.report}")(d, sizes)
        return d

    def _shapes(self, d: Derivation, sizes: dict[sp.Symbol, int]) -> None:
        dilated = self.dilation > 1
        formula = FORMULAS["size_dilated" if dilated else "size"]
        axes = [("H", "rows", self.input[0], self.kernel[0]),
                ("W", "cols", self.input[1], self.kernel[1])]
        if axes[0][2:] == axes[1][2:]:
            axes = [("H = W", "rows", self.input[0], self.kernel[0])]
        d.say("layer_shapes", case="dilated" if dilated else "plain")
        for name, key, n, k in axes:
            d.chain(sp.Symbol(name), formula, "definition")
            d.put({N: n, K: k, P: self.padding, S: self.stride, D: self.dilation})
            d.answer(*(("rows", "cols") if name == "H = W" else (key,)))
        d.say("layer_shapes_result", h=sizes[H], w=sizes[Wd], m=sizes[C_OUT])
        d.chain(C_OUT, sp.Integer(sizes[C_OUT]), "definition").answer("channels")

    def _channels(self, d: Derivation, sizes: dict[sp.Symbol, int]) -> None:
        d.say("layer_channels")
        d.chain(C_IN, sp.Integer(sizes[C_IN]), "definition").answer("in")
        d.chain(C_OUT, sp.Integer(sizes[C_OUT]), "definition").answer("out")

    def _multiplications(self, d: Derivation, sizes: dict[sp.Symbol, int]) -> None:
        d.say("layer_mults", case="bias" if self.bias else "plain")
        d.chain(text("multiplications"), FORMULAS["multiplications"], "definition")
        d.put(sizes).answer("multiplications")
        d.say("layer_adds", case="bias" if self.bias else "plain")
        d.chain(text("additions"), FORMULAS["additions_bias" if self.bias else "additions"],
                "definition")
        d.put(sizes).answer("additions")

    def _parameters(self, d: Derivation, sizes: dict[sp.Symbol, int]) -> None:
        d.say("layer_params", case="bias" if self.bias else "plain")
        chains = [("with_bias", FORMULAS["with_bias"]),
                  ("without_bias", FORMULAS["without_bias"])]
        for key, formula in chains if self.bias else chains[::-1]:
            d.chain(text("parameters" + (" without bias" if key == "without_bias" else
                                         " with a bias" if not self.bias else "")),
                    formula, "definition")
            d.put(sizes).answer(key)

    def value(self, answers: dict[str, Any]) -> Any:
        if self.report == "shapes":
            return [int(answers["rows"]), int(answers["cols"]), int(answers["channels"])]
        if self.report == "multiplications":
            return int(answers["multiplications"])
        return {k: int(v) for k, v in answers.items()}

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Sizes read off numpy arrays, operations counted in a walk over the padded input,
        parameters as entries of numpy gradient arrays: only what the report asks."""
        if self.report in ("shapes", "channels"):
            rng = np.random.default_rng(self.seed)
            x = rng.normal(size=self.input)
            w = rng.normal(size=(*self.kernel, self.input[2], self.out_channels))
            z = ref.conv2d_nd(x, w, None, **self.geometry())
            return {"rows": z.shape[0], "cols": z.shape[1], "channels": z.shape[2],
                    "in": x.shape[2], "out": w.shape[3]}
        if self.report == "multiplications":
            _, mults, adds = walk_conv_layer(
                (self.input[0], self.input[1], self.input[2]), (self.kernel[0], self.kernel[1]),
                self.out_channels, (self.stride,) * 2, (self.padding,) * 2,
                (self.dilation,) * 2, self.bias)
            return {"multiplications": mults, "additions": adds}
        with_bias, without_bias = _parameter_arrays(self)
        return {"with_bias": with_bias, "without_bias": without_bias}
