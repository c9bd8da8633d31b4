"""∇_x L, ∇_A L or ∇_b L of L = f(h(Ax + b)), h the sigmoid entry by entry, ∇_w f known:
the index form by the chain rule, then the matrix form, proved equal on the given sizes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import sympy as sp
from pydantic import Field

import derive.derivation.calculus_rules  # noqa: F401  (registers the family's rules)
from derive.derivation import Derivation
from derive.models import matrix_calculus as MC
from derive.models.matrix_calculus import AffineSigmoid, Named
from derive.models.softmax import Shown
from derive.models.symbols import PartialOf, sigmoid
from derive.questions.base import IndexBase, NonNegInt, PosInt
from derive.questions.declare import Derived, kind
from derive.verify.calculus_reference import affine_sigmoid_grads

Report = Literal["grad_x", "grad_A", "grad_b"]


@kind("matrix_calculus.grad",
      "∇_x L, ∇_A L or ∇_b L of L = f(σ(Ax + b)) given ∇_w f: index and matrix forms.",
      {"m": 3, "n": 2, "report": "grad_x"})
class AffineSigmoidGrad(Derived):
    m: PosInt = Field(3, description="Rows of A: the length of z = Ax + b and of w = h(z).")
    n: PosInt = Field(2, description="Columns of A: the length of x.")
    report: Report = Field("grad_x", description="The gradient derived: ∇_x L, ∇_A L or ∇_b L.")
    index_base: IndexBase = 1
    seed: NonNegInt = 0
    method: ClassVar[str] = "affine_sigmoid_fd"
    # The matrix form is written out entry by entry and proved equal: about 5 s at 4 × 4.
    limits: ClassVar[dict[str, int]] = {"number of entries of A": 16}

    def measures(self) -> dict[str, int]:
        return {"number of entries of A": self.m * self.n}

    def model(self) -> AffineSigmoid:
        return AffineSigmoid(self.m, self.n)

    def derive(self) -> Derivation:
        g, m, n = self.model(), self.m, self.n
        free = {"grad_x": {MC.j: (0, n - 1)}, "grad_A": {MC.i: (0, m - 1), MC.j: (0, n - 1)},
                "grad_b": {MC.i: (0, m - 1)}}[self.report]
        d = Derivation(g.domains(), free, g.definitions())
        d.say("affine_setup", case="square" if m == n else "rect", m=m, n=n)
        d.chain(MC.z[MC.k], g.pre_activation(MC.k), "definition", context=True)
        self.index_form(d, g)
        self.matrix_form(d, g)
        return d

    def index_form(self, d: Derivation, g: AffineSigmoid) -> None:
        """∂L/∂v by the chain rule through every w_k and z_l, then collapsed: the sum stays
        over k for ∇_x L; ∇_A L and ∇_b L keep the one term k = i."""
        i, k, l, m = MC.i, MC.k, MC.l, self.m
        var = {"grad_x": MC.x[MC.j], "grad_A": MC.A[MC.i, MC.j], "grad_b": MC.b[MC.i]}[
            self.report]
        lhs = PartialOf(MC.L, var, g.loss())
        d.say(f"affine_index_{self.report}")
        d.chain(lhs, lhs, "definition")

        def link(out: sp.Expr, mid: sp.Expr) -> sp.Expr:     # ∂f/∂w_out ∂w_out/∂z_mid ∂z_mid/∂v
            return (MC.dfdw[out] * PartialOf(MC.w[out], MC.z[mid], sigmoid(MC.z[out]))
                    * PartialOf(MC.z[mid], var, g.pre_activation(mid)))

        d.then(sp.Sum(link(k, l), (k, 0, m - 1), (l, 0, m - 1)), "chain_rule")
        d.then(sp.Sum(link(k, k), (k, 0, m - 1)), "elementwise")
        row = k if self.report == "grad_x" else i        # the index of w and z left
        if self.report != "grad_x":
            d.then(link(i, i), "one_dependence")
        d.apply("differentiate")
        # ∂z_row/∂x_j = Σ_q A_row,q δ_jq, ∂z_i/∂A_ij = Σ_q x_q δ_jq, ∂z_i/∂b_i = Σ_q 0 + 1
        d.apply({"grad_x": "delta_sum_A", "grad_A": "delta_sum_x",
                 "grad_b": "expand_sum"}[self.report])
        d.apply("sigma_prime", names={sigmoid(MC.z[row]): MC.w[row]}).answer(self.report)

    def matrix_form(self, d: Derivation, g: AffineSigmoid) -> None:
        """The gradient as a matrix (the partials stacked), its matrix expression, and that
        expression written out on the given sizes."""
        form = {"grad_x": g.grad_x_matrix, "grad_A": g.grad_A_matrix,
                "grad_b": g.grad_b_matrix}[self.report]
        rows, cols = form().shape
        var = {"grad_x": lambda r, s: MC.x[r], "grad_A": lambda r, s: MC.A[r, s],
               "grad_b": lambda r, s: MC.b[r]}[self.report]
        stacked = Shown(rows, cols, lambda r, s: PartialOf(MC.L, var(r, s), g.loss()))
        name = {"grad_x": "x", "grad_A": "A", "grad_b": "b"}[self.report]
        d.say("affine_matrix", case=self.report, rows=int(rows), cols=int(cols))
        d.chain(Named(rf"\nabla_{{{name}}} L", rows, cols), stacked, "definition")
        d.then(form("prime"), "to_matrix_form")
        d.then(form("sigma"), "sigma_prime")
        if self.report != "grad_b":
            d.then(form("diag"), "hadamard")
        d.answer(self.report + "_matrix")
        written = g.explicit(form("gz"))
        d.say("affine_written", case="exact" if self._agrees(g, written) else "numeric",
              m=self.m, n=self.n)
        d.then(form("gz"), "rename")
        d.apply("expand_matrix", names=g.matrix_definitions())

    def _agrees(self, g: AffineSigmoid, written: sp.ImmutableMatrix) -> bool:
        """Whether every entry written out is the index form there, exactly (SymPy)."""
        index = {"grad_x": g.grad_x, "grad_A": g.grad_A, "grad_b": g.grad_b}[self.report]()
        at = {"grad_x": lambda r, s: {MC.j: r}, "grad_A": lambda r, s: {MC.i: r, MC.j: s},
              "grad_b": lambda r, s: {MC.i: r}}[self.report]
        named = {MC.gz[r]: g.upstream(r) for r in range(self.m)}
        return all(sp.expand(written[r, s].xreplace(named) - index.xreplace(at(r, s)).doit())
                   == 0 for r in range(written.rows) for s in range(written.cols))

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        grads = affine_sigmoid_grads(*(np.asarray(data[k], dtype=float)
                                       for k in ("A", "x", "b", "c", "Q")))
        grad = grads[self.report.removeprefix("grad_")]
        matrix = grad.reshape(-1, 1) if grad.ndim == 1 else grad
        return {self.report: grad, self.report + "_matrix": matrix}
