"""A mixture of K logistic regressions, and the same probability as a neural network.

z ~ Categorical(π₁, …, π_K), y | z ~ Bernoulli(σ(w_zᵀx)), x ∈ ℝ^d. Index form, indices from
0: W[j, k] is entry j of w_k (W⁽¹⁾ = [w_1 … w_K], d × K), a_k = Σ_j W[j, k] x[j] the hidden
pre-activations, h_k = σ(a_k), and the output Σ_k π_k h_k. For the checks π is drawn on the
simplex as softmax(θ), θ random (π_k > 0, Σ_k π_k = 1), which is also the gating option.

>>> m = Mixture(2, 3)
>>> m.marginal()
Sum(sigmoid(w_{#}^{\\top} x[k])*\\pi[k], (k, 0, 2))
>>> from derive.latex.printer import tex
>>> print(tex(m.marginal().function))
{\\pi}_{k} \\sigma\\left(w_{k}^{\\top} x\\right)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from derive.derivation.steps import Domain
from derive.models.symbols import sigmoid

j, k, q = sp.symbols("j k q", integer=True, nonnegative=True)
x, W, theta = (sp.IndexedBase(n, real=True) for n in ("x", "W", r"\theta"))
pi = sp.IndexedBase(r"\pi", real=True)
h = sp.IndexedBase("h", real=True)


class Written(sp.IndexedBase):
    """An indexed name printed as its label with the index in place of `#`: Written(
    r"w_{#}^\\top x")[k] prints w_k^⊤x. Its meaning is the model's (`definitions`)."""

    def __getitem__(self, indices: Any, **kw_args: Any) -> sp.Indexed:
        return WrittenEntry(*super().__getitem__(indices, **kw_args).args)


class WrittenEntry(sp.Indexed):
    def _latex(self, printer: Any) -> str:
        return str(self.base.label).replace("#", printer._print(self.indices[0]))


# p(y = 1, z = k | x), p(z = k), p(z = k | x), p(y = 1 | z = k, x), w_kᵀx: names whose
# meaning the model gives (z is drawn without looking at x: p(z = k | x) = p(z = k))
joint = Written(r"p\left(y = 1, z = # \mid x\right)", real=True)
prior = Written(r"p\left(z = #\right)", real=True)
prior_given_x = Written(r"p\left(z = # \mid x\right)", real=True)
likelihood = Written(r"p\left(y = 1 \mid z = #, x\right)", real=True)
score = Written(r"w_{#}^{\top} x", real=True)


class Prob(sp.Function):
    """p(…), printed as written: Prob(Symbol('y = 1 | x')) is p(y = 1 | x)."""

    def _latex(self, printer: Any) -> str:
        return rf"p\left({self.args[0].name}\right)"


@dataclass(frozen=True)
class Mixture:
    d: int
    K: int

    def score(self, comp: sp.Expr) -> sp.Expr:
        """a_comp = w_compᵀx = Σ_j W[j, comp] x[j]."""
        return sp.Sum(W[j, comp] * x[j], (j, 0, self.d - 1))

    def total(self, body: sp.Expr) -> sp.Expr:
        return sp.Sum(body, (k, 0, self.K - 1))

    def marginal(self) -> sp.Expr:
        """Σ_k π_k σ(w_kᵀx), w_kᵀx by name (its meaning: `score`)."""
        return self.total(pi[k] * sigmoid(score[k]))

    def definitions(self) -> dict[Any, Any]:
        K = self.K
        return {
            pi: lambda c: sp.exp(theta[c]) / sp.Sum(sp.exp(theta[q]), (q, 0, K - 1)),
            joint: lambda c: prior_given_x[c] * likelihood[c],
            prior_given_x: lambda c: prior[c],
            prior: lambda c: pi[c],
            likelihood: lambda c: sigmoid(score[c]),
            h: lambda c: sigmoid(score[c]),
            score: self.score,
        }

    def domains(self) -> dict[Any, Domain]:
        return {x: Domain((self.d,)), W: Domain((self.d, self.K)), theta: Domain((self.K,)),
                pi: Domain((self.K,), "defined")}
