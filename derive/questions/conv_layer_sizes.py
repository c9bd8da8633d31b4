"""Shapes, channels, operation counts and parameters of a multi-channel convolution layer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar, Literal

import numpy as np
import sympy as sp

from derive.derivation import Derivation
from derive.latex.printer import tex
from derive.models import conv_layer as CL
from derive.questions.conv_layer import LayerGiven, _parameter_arrays
from derive.questions.conv_layer_grad import EXAMPLE, forward_chain
from derive.questions.declare import Derived, kind
from derive.verify import reference_nd as ref
from derive.verify.counting import walk_conv_layer

N, K, P, S, D = sp.symbols("N K p s d", integer=True, positive=True)
# The output is H′ × W′ × C′ from C input channels: symbols of no language (not H_out, a
# word), and none of them the kernel's W; the kernel has K₁ rows and K₂ columns.
H, Wd, C_IN, C_OUT, K1, K2 = sp.symbols("H' W' C C' K_1 K_2", integer=True, positive=True)
MULTS, ADDS, PARAMS = sp.symbols("M A P", integer=True, positive=True)


def _in_order(*factors: sp.Expr) -> sp.Expr:
    """A product kept in the order a reader counts it (positions, channels, then taps)."""
    return sp.Mul(*factors, evaluate=False)


# The formulas, as data: a test breaks each of them and expects the check to fail.
FORMULAS: dict[str, sp.Expr] = {
    "size": sp.floor((N + 2 * P - K) / S) + 1,
    "size_dilated": sp.floor((N + 2 * P - (D * (K - 1) + 1)) / S) + 1,
    "multiplications": _in_order(H, Wd, C_OUT, K1, K2, C_IN),
    "additions": H * Wd * C_OUT * (K1 * K2 * C_IN - 1),
    "additions_bias": H * Wd * C_OUT * K1 * K2 * C_IN,
    "with_bias": sp.Add(_in_order(K1, K2, C_IN, C_OUT), C_OUT, evaluate=False),
    "without_bias": _in_order(K1, K2, C_IN, C_OUT),
}


def _formula(d: Derivation, lhs: sp.Symbol, key: str) -> None:
    """lhs = FORMULAS[key], its factors printed in the order they are written (the page's
    index base would otherwise rebuild the product in SymPy's order)."""
    d.chain(lhs, FORMULAS[key], "definition")
    d.steps[-1].display = tex(FORMULAS[key])


class _PerReport:
    """The check method: each report's own words (`layer_sizes_<report>`, `_padded` when
    the operations are counted on a padded input)."""

    def __get__(self, given: Any, cls: type | None = None) -> str:
        if given is None:
            return "layer_sizes_shapes"
        padded = "_padded" if given.report == "multiplications" and given.padding else ""
        return f"layer_sizes_{given.report}{padded}"


@kind("conv_layer.sizes", "Multi-channel convolution layer: output shapes, channels, "
      "multiplications or trainable parameters.", {**EXAMPLE, "report": "parameters"})
class LayerSizes(LayerGiven, Derived):
    report: Literal["shapes", "channels", "multiplications", "parameters"] = "shapes"
    method: ClassVar[str] = _PerReport()        # type: ignore[assignment]

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
        """Rows, columns and channels, then the shape of Z and U in one sentence (marked)."""
        dilated = self.dilation > 1
        formula = FORMULAS["size_dilated" if dilated else "size"]
        axes = [(H, "rows", self.input[0], self.kernel[0]),
                (Wd, "cols", self.input[1], self.kernel[1])]
        if axes[0][2:] == axes[1][2:]:
            axes = [(sp.Eq(H, Wd, evaluate=False), "rows", self.input[0], self.kernel[0])]
        d.say("layer_shapes", case="dilated" if dilated else "plain")
        for name, key, n, k in axes:
            d.chain(name, formula, "definition")
            d.put({N: n, K: k, P: self.padding, S: self.stride, D: self.dilation})
            d.answer(*(("rows", "cols") if len(axes) == 1 else (key,)))
        d.say("layer_out_channels")
        d.chain(C_OUT, sp.Integer(sizes[C_OUT]), "definition").answer("channels")
        d.say("layer_shapes_result", h=sizes[H], w=sizes[Wd], m=sizes[C_OUT],
              case="identity" if self.activation == "identity" else "act")
        d.chain(sp.Symbol(r"\text{shape}"), sp.Integer(sizes[H]), "read_off")
        d.steps[-1].shown, d.steps[-1].states = False, True
        d.marked = frozenset()

    def _channels(self, d: Derivation, sizes: dict[sp.Symbol, int]) -> None:
        d.say("layer_channels")
        d.chain(C_IN, sp.Integer(sizes[C_IN]), "definition").answer("in")
        d.chain(C_OUT, sp.Integer(sizes[C_OUT]), "definition").answer("out")

    def _multiplications(self, d: Derivation, sizes: dict[sp.Symbol, int]) -> None:
        """The multiplications, as asked; the additions are checked, not shown."""
        d.say("layer_mults", case="bias" if self.bias else "plain", h=sizes[H], w=sizes[Wd],
              m=sizes[C_OUT], k1=sizes[K1], k2=sizes[K2], n=sizes[C_IN])
        _formula(d, MULTS, "multiplications")
        d.put(sizes).answer("multiplications")
        self._hidden(d, ADDS, FORMULAS["additions_bias" if self.bias else "additions"], sizes,
                     "additions")
        d.marked = frozenset({"multiplications"})

    def _parameters(self, d: Derivation, sizes: dict[sp.Symbol, int]) -> None:
        """The trainable parameters of this layer, as asked (with its biases when it has
        them); the other count is checked, not shown."""
        asked, other = ("with_bias", "without_bias") if self.bias else ("without_bias",
                                                                         "with_bias")
        d.say("layer_params", case="bias" if self.bias else "plain", k1=sizes[K1],
              k2=sizes[K2], n=sizes[C_IN], m=sizes[C_OUT])
        _formula(d, PARAMS, asked)
        d.put(sizes).answer(asked)
        self._hidden(d, PARAMS, FORMULAS[other], sizes, other)
        d.marked = frozenset({asked})

    @staticmethod
    def _hidden(d: Derivation, lhs: sp.Symbol, formula: sp.Expr,
                sizes: dict[sp.Symbol, int], key: str) -> None:
        """A count the question does not ask for: checked (answers.json gives it), not shown."""
        start = len(d.steps)
        d.chain(lhs, formula, "definition")
        d.put(sizes).answer(key)
        for step in d.steps[start:]:
            step.shown = False

    def value(self, answers: dict[str, Any]) -> Any:
        if self.report == "shapes":
            return [int(answers["rows"]), int(answers["cols"]), int(answers["channels"])]
        if self.report == "multiplications":
            return int(answers["multiplications"])
        if self.report == "parameters":       # the other count: checked, not shown, not given
            asked = "with_bias" if self.bias else "without_bias"
            return {asked: int(answers[asked])}
        return {k: int(v) for k, v in answers.items()}

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Sizes read off numpy arrays, operations counted in a walk of the kernel over the
        (padded) input, parameters as entries of numpy gradient arrays: only what the report
        asks."""
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
