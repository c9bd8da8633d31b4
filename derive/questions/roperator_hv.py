"""Exact Hessian-vector products by the R-operator: Hv = R_v{∇L(w)}.

`generic`: (Hv)_i = Σ_j ∂²f/∂w_i∂w_j v_j = R_v{∂f/∂w_i} from the definition. The networks
(`logistic`, `sigmoid_layer`, `mlp`): the forward and backward passes, then the R-forward
and R-backward passes (𝓡 of each quantity, rule by rule), then Hv. The answers are compared
with numpy: the loss's Hessian by differences of its values, times v, and central
differences of a numpy gradient along v (`derive.verify.second_order_reference`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import sympy as sp
from pydantic import Field, model_validator

from derive.derivation import Derivation, Domain
from derive.derivation.rules import simplify
from derive.derivation.second_order_rules import rop_known
from derive.models.function import Shown
from derive.models.roperator import r
from derive.models.roperator_nets import NETS, Net
from derive.models.roperator_symbols import AtZero, Dr, Moving, generic
from derive.questions import roperator_numbers as numbers
from derive.questions.base import NonNegInt
from derive.questions.declare import Derived, kind
from derive.questions.roperator_steps import any_n, known_from, r_pass
from derive.verify import second_order_reference as ref

Model = Literal["generic", "logistic", "sigmoid_layer", "mlp"]
w, v = sp.IndexedBase("w", real=True), sp.IndexedBase("v", real=True)
i, j = sp.symbols("i j", integer=True, nonnegative=True)
HV = sp.IndexedBase(r"(H\mathbf{v})", real=True)


@kind("roperator.hv", "Exact Hv = R_v{∇L}: generic f, logistic regression, a sigmoid layer, "
      "a small MLP (R-forward and R-backward passes).", {"model": "logistic", "features": 3})
class ROperatorHv(Derived):
    model: Model = Field("logistic", description="What L is.")
    dim: int = Field(3, ge=1, le=6, strict=True, description="generic: the length of w.")
    features: int = Field(3, ge=1, le=12, strict=True, description="logistic: the length of x.")
    inputs: int = Field(2, ge=1, le=6, strict=True, description="sigmoid_layer: inputs n.")
    outputs: int = Field(2, ge=1, le=6, strict=True, description="sigmoid_layer: outputs m.")
    widths: list[int] = Field([2, 2, 2], min_length=3, max_length=3,
                              description="mlp: inputs, hidden units, outputs.")
    x: list[float] | None = Field(None, description="Numbers (optional; not for generic): the "
                                  "input x, with w, b, y, v (logistic) or weights, y, v.")
    w: list[float] | None = Field(None, description="logistic: the weights w.")
    b: float | None = Field(None, description="logistic: the bias b.")
    weights: dict[str, list[list[float]]] | None = Field(
        None, description="sigmoid_layer: {w: inputs × outputs}; mlp: {w1: inputs × hidden, "
        "w2: hidden × outputs}; row by row, rows for inputs (as in mlp.backprop).")
    y: float | list[float] | None = Field(
        None, description="logistic: the label, 0 or 1; sigmoid_layer, mlp: the target, one "
        "number per output.")
    v: list[float] | dict[str, list[list[float]]] | None = Field(
        None, description="The direction, shaped as the weights: a list (logistic), or "
        "{w: …} (sigmoid_layer), {w1: …, w2: …} (mlp).")
    index_base: Literal[0, 1] = 1
    seed: NonNegInt = 0
    # The reference forms the whole Hessian by differences of the loss's values.
    limits: ClassVar[dict[str, int]] = {"number of weights": 30}

    @model_validator(mode="before")
    @classmethod
    def _sizes_of_numbers(cls, data: Any) -> Any:
        return numbers.fill_sizes(data)

    @model_validator(mode="after")
    def _widths(self) -> ROperatorHv:
        if any(not isinstance(n, int) or n < 1 or n > 6 for n in self.widths):
            raise ValueError(f"widths: three integers from 1 to 6, got {self.widths}")
        numbers.validate(self)
        return self

    def has_numbers(self) -> bool:
        return self.x is not None

    @property
    def method(self) -> str:  # type: ignore[override]
        """The check's words: a generic f (its values only), a loss with its numpy gradient,
        and with numbers, Hv also compared at the given numbers."""
        if self.model == "generic":
            return "rop_hv_reference_generic"
        return "rop_hv_numbers_reference" if self.has_numbers() else "rop_hv_reference"

    def measures(self) -> dict[str, int]:
        return {"number of weights": self.net().weights if self.model != "generic"
                else self.dim}

    def net(self) -> Net:
        if self.model == "logistic":
            return NETS["logistic"](self.features)
        if self.model == "sigmoid_layer":
            return NETS["sigmoid_layer"](self.inputs, self.outputs)
        return NETS["mlp"](*self.widths)

    # the derivation ------------------------------------------------------------------------
    def derive(self) -> Derivation:
        return self._generic() if self.model == "generic" else self._net(self.net())

    def _generic(self) -> Derivation:
        n = self.dim
        d = Derivation({w: Domain((n,)), v: Domain((n,)), r: Domain()}, {i: (0, n - 1)})
        m = Moving({w: v})
        point = [w[k] for k in range(n)]
        moved = [m.shift(p) for p in point]
        d.say("rop_hv_generic", n=n)
        entry = sp.Sum(generic("f", n, 2)(i, j, *point) * v[j], (j, 0, n - 1))
        d.chain(HV[i], entry, "definition")
        if n > 1:                                    # to n: it holds in any dimension
            d.steps[-1].display = any_n(entry, self.index_base)
        first = generic("f", n, 1)(i, *moved)
        d.then(AtZero(Dr(first, r, first)), "rop_r_chain")
        d.then(m.of(generic("f", n, 1)(i, *point)), "rop_definition").answer("hv")
        return d

    def _net(self, net: Net) -> Derivation:
        d = Derivation(dict(net.domains), dict(net.free), dict(net.definitions))
        m = Moving(net.moves, d.expand_definitions)
        d.say(f"rop_hv_{net.model}", **net.sizes)
        for name, meaning in net.forward_shown:
            d.chain(name, meaning, "definition")
        d.say("rop_hv_backward")
        for name, partial, formula in net.backward_shown:
            d.chain(name, partial, "definition")
            d.then(formula, "chain_rule")
        derived: dict[sp.Basic, sp.Basic] = {}     # 𝓡 of each name, from the passes
        for key, passes in (("rop_hv_r_forward", net.forward),
                            ("rop_hv_r_backward", net.backward)):
            d.say(key)
            for step in passes:
                derived[step.name] = r_pass(d, m, step)
        d.say("rop_hv_result", case="closed" if net.gradients[0].closed else "passes")
        for g in net.gradients:
            lhs = sp.IndexedBase(g.lhs.name, real=True)[g.entry.indices]
            d.chain(lhs, g.hessian_v, "definition")
            d.then(m.of(g.entry), "rop_hessian")
            if g.closed:                     # substituted and tidied in one step
                d.then(simplify(rop_known(d.result, known_from(derived))), "rop_known")
            else:
                d.apply("rop_known", known=known_from({g.entry: derived[g.entry]}))
            d.answer(g.key)
        if self.has_numbers():
            numbers.put_numbers(d, net, self, derived, m)
        return d

    def value(self, answers: dict[str, Any]) -> Any:
        """With numbers, Hv as numbers (answers.json); otherwise the formulas."""
        if self.has_numbers():
            return numbers.plain(self.model, answers)
        return super().value(answers)

    # the check -----------------------------------------------------------------------------
    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Hv from numpy losses: the Hessian by differences of the loss's values, times v
        (and, for the networks, central differences of a numpy gradient along v); with
        numbers, the same at the given numbers."""
        out = self._reference(data)
        return out | numbers.reference_at(self) if self.has_numbers() else out

    def _reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        if self.model == "generic":
            f_ = generic("f", self.dim)._imp_
            hv = ref.hessian_vector_product(lambda x: float(f_(*x)), None, data["w"], data["v"])
            return {"hv": hv}
        if self.model == "logistic":
            loss, grad = ref.logistic(data["x"], float(data["b"]), float(data["y"]))
            return {"hv": ref.hessian_vector_product(loss, grad, data["w"], data["v"])}
        if self.model == "sigmoid_layer":
            shape = (self.inputs, self.outputs)
            loss, grad = ref.sigmoid_layer(data["x"], data["y"], shape)
            hv = ref.hessian_vector_product(loss, grad, data["w"].reshape(-1),
                                            data["v"].reshape(-1))
            return {"hv": hv.reshape(shape)}
        n, h, c = self.widths
        loss, grad = ref.mlp(data["x"], data["y"], (n, h, c))
        flat = np.concatenate([data["w^{(1)}"].reshape(-1), data["w^{(2)}"].reshape(-1)])
        dv = np.concatenate([data["v^{(1)}"].reshape(-1), data["v^{(2)}"].reshape(-1)])
        hv = ref.hessian_vector_product(loss, grad, flat, dv)
        return {"hv1": hv[:n * h].reshape(n, h), "hv2": hv[n * h:].reshape(h, c)}


__all__ = ["ROperatorHv", "Shown"]
