"""The `mixture.logistic_network` kind: p(y = 1 | x) of a mixture of K logistic regressions
by the sum and product rules, the same number as the output of a network (x → K sigmoid
units with weights W⁽¹⁾ = [w_1 … w_K], no bias → a linear output with weights π), why it
lies in (0, 1), optionally a softmax gating π = softmax(θ), and given numbers; the network
drawn with TikZ (`parts/mixture.tex.j2`).

Steps are checked at random x, W and π = softmax(θ) (on the simplex); the answers against
numpy (`derive.verify.mixture_reference`): the joint table of (y, z) summed over z, and a
forward pass of the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import sympy as sp
from pydantic import Field, model_validator

from derive.derivation import Derivation
from derive.derivation.indices import in_base
from derive.derivation.rules import register
from derive.latex.decimals import significant
from derive.latex.printer import tex
from derive.models import mixture as M
from derive.models.symbols import sigmoid
from derive.questions.base import IndexBase, NonNegInt, PosInt
from derive.questions.declare import Derived, kind
from derive.verify import mixture_reference as R

for _rule in ("mixture_sum_rule", "mixture_product_rule", "mixture_independent",
              "mixture_model",
              "mixture_output_layer", "mixture_hidden_layer", "mixture_simplex",
              "mixture_sigmoid_symmetry", "mixture_softmax_sum"):
    register(_rule)

# The number of components and features as the page writes the general network.
K_ANY, D_ANY = sp.Symbol("K", integer=True, positive=True), sp.Symbol("d", integer=True,
                                                                       positive=True)


def _any_k(expr: sp.Basic, base: int) -> str:
    """`expr` as the page prints it, every sum over the components running to K: the
    formulas hold for any K, the steps are checked at the given one."""
    shown = in_base(expr, base)
    return tex(shown.replace(lambda e: isinstance(e, sp.Sum), lambda e: sp.Sum(
        e.function, *((v, lo, K_ANY - 1 + base if v in (M.k, M.q) else hi)
                      for v, lo, hi in e.limits))))


@kind("mixture.logistic_network",
      "p(y = 1 | x) of a mixture of K logistic regressions, by the sum and product rules, "
      "as the output of a network with one sigmoid hidden layer (drawn), in (0, 1).",
      {"features": 3, "components": 3}, template="parts/mixture.tex.j2")
class MixtureNetwork(Derived):
    features: PosInt = Field(3, description="d, the length of x.")
    components: PosInt = Field(3, description="K, the number of logistic regressions.")
    gating: Literal["simplex", "softmax"] = Field(
        "simplex", description="π given on the simplex, or π = softmax(θ), θ free.")
    x: list[float] | None = Field(None, description="An input (with w and pi or theta).")
    w: list[list[float]] | None = Field(None, description="w_1 … w_K, one list per component.")
    pi: list[float] | None = Field(None, description="π (non-negative, summing to 1).")
    theta: list[float] | None = Field(None, description="θ, with gating: softmax.")
    index_base: IndexBase = 1
    seed: NonNegInt = 0
    method: ClassVar[str] = "mixture_reference"
    limits: ClassVar[dict[str, int]] = {"number of weights": 400}

    def measures(self) -> dict[str, int]:
        return {"number of weights": self.features * self.components}

    @model_validator(mode="after")
    def _numbers_fit(self) -> MixtureNetwork:
        given = [n for n in ("x", "w", "pi", "theta") if getattr(self, n) is not None]
        if not given:
            return self
        weights = "theta" if self.gating == "softmax" else "pi"
        other = "pi" if weights == "theta" else "theta"
        if set(given) != {"x", "w", weights}:
            raise ValueError(f"numbers need x, w and {weights} (gating {self.gating}), not "
                             f"{other}; got {', '.join(given)}")
        d, K = self.features, self.components
        if len(self.x or []) != d or len(self.w or []) != K or any(
                len(row) != d for row in self.w or []):
            raise ValueError(f"x needs {d} entries and w {K} lists of {d} (features {d}, "
                             f"components {K})")
        if d > 4 or K > 4:
            raise ValueError(f"numbers are written out for at most 4 features and 4 "
                             f"components, got {d} and {K}")
        if len(getattr(self, weights)) != K:
            raise ValueError(f"{weights} needs {K} entries, one per component")
        if self.pi is not None:
            if any(p < 0 for p in self.pi):
                raise ValueError(f"pi holds probabilities: no entry below 0, got {self.pi}")
            if sum(map(sp.Rational, map(repr, self.pi))) != 1:
                raise ValueError(f"pi must sum to 1 exactly, got {self.pi}")
        return self

    def model(self) -> M.Mixture:
        return M.Mixture(self.features, self.components)

    # derivation ----------------------------------------------------------------------------
    def derive(self) -> Derivation:
        m, k = self.model(), M.k
        d = Derivation(m.domains(), {}, m.definitions())
        base = self.display_base()

        def chain(lhs: sp.Basic, rhs: sp.Basic, rule: str) -> Derivation:
            d.chain(lhs, rhs, rule)
            d.steps[-1].display = _any_k(rhs, base)
            return d

        def then(rhs: sp.Basic, rule: str) -> Derivation:
            return d.then(rhs, rule, display=_any_k(rhs, base))

        # asked: p(y = 1 | x) and the network that outputs it (and, with numbers, its value)
        d.marked = frozenset({"marginal", "network", "given_marginal"})
        lhs = M.Prob(sp.Symbol(r"y = 1 \mid x"))
        d.say("mixture_setup", d=self.features, K=self.components)
        chain(lhs, m.total(M.joint[k]), "mixture_sum_rule")
        then(m.total(M.prior_given_x[k] * M.likelihood[k]), "mixture_product_rule")
        then(m.total(M.prior[k] * M.likelihood[k]), "mixture_independent")
        then(m.marginal(), "mixture_model").answer("marginal")
        if self.gating == "softmax":
            d.say("mixture_gating", K=self.components)
            chain(sp.Symbol(r"\sum_{k} \pi_{k}"), m.total(M.pi[k]), "definition")
            then(m.total(sp.exp(M.theta[k]) / sp.Sum(sp.exp(M.theta[M.q]),
                                                    (M.q, 0, self.components - 1))),
                 "definition")
            d.then(sp.Integer(1), "mixture_softmax_sum")
        d.say("mixture_network", d=self.features, K=self.components,
              case=self.gating)
        out = sp.Symbol(r"\hat{y}")
        chain(out, m.total(M.pi[k] * M.h[k]), "mixture_output_layer")
        then(m.marginal(), "mixture_hidden_layer").answer("network")
        d.say("mixture_range")
        chain(sp.Symbol(r"1 - p\left(y = 1 \mid x\right)"), 1 - m.marginal(), "definition")
        then(m.total(M.pi[k]) - m.marginal(), "mixture_simplex")
        then(m.total(M.pi[k] * (1 - sigmoid(M.score[k]))), "linearity")
        then(m.total(M.pi[k] * sigmoid(-M.score[k])), "mixture_sigmoid_symmetry")
        d.answer("complement")
        if self.x is not None:
            self._numbers(d, m)
        return d

    def _numbers(self, d: Derivation, m: M.Mixture) -> None:
        """The given numbers in p(y = 1 | x) written out."""
        assert self.x is not None and self.w is not None
        values: dict[Any, Any] = {M.x[i]: sp.Rational(repr(v)) for i, v in enumerate(self.x)}
        values |= {M.W[i, c]: sp.Rational(repr(row[i])) for c, row in enumerate(self.w)
                   for i in range(self.features)}
        weights = self.pi if self.pi is not None else list(R.softmax(np.array(self.theta)))
        values |= {M.pi[c]: sp.Rational(repr(float(p))) if self.pi is not None else
                   sp.Float(p, 17) for c, p in enumerate(weights)}
        d.say("mixture_numbers", case=self.gating)
        hidden: dict[Any, Any] = {}
        for c in range(self.components):
            d.chain(M.h[c], sigmoid(m.score(c)), "mixture_hidden_layer").apply("expand_sum")
            value = float(sp.N(d.result.xreplace(values).rewrite(sp.exp), 30))
            d.put(values, rf" \approx {value:.4f}", number=_short).answer(f"given_h_{c}")
            hidden[M.h[c]] = d.result
        d.chain(sp.Symbol(r"\hat{y}"), m.total(M.pi[M.k] * M.h[M.k]), "mixture_output_layer")
        d.apply("expand_sum")
        total = float(sp.N(d.result.xreplace(values).xreplace(hidden).rewrite(sp.exp), 30))
        d.put({**{M.pi[c]: values[M.pi[c]] for c in range(self.components)}, **hidden},
              rf" \approx {total:.4f}", number=_short).answer("given_marginal")

    # the figure -----------------------------------------------------------------------------
    def figure(self) -> dict[str, Any]:
        """Node labels of the general network (any d and K): the first two units of each
        layer, "…", then the last one (x_d, σ(w_Kᵀx), π_K), indices from the page's base."""
        base = self.display_base()

        def labels(last: sp.Symbol, label: str) -> list[str]:
            numbers = [str(base), str(base + 1), "", tex(last - 1 + base)]
            return [label.replace("#", n) if n else "" for n in numbers]

        return {"inputs": labels(D_ANY, "x_{#}"),
                "hidden": labels(K_ANY, r"\sigma(w_{#}^\top x)"),
                "weights": labels(K_ANY, r"\pi_{#}")}

    # answers ---------------------------------------------------------------------------
    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        x, W = np.asarray(data["x"], dtype=float), np.asarray(data["W"], dtype=float)
        pi = R.softmax(np.asarray(data[r"\theta"], dtype=float))
        one, zero = R.by_enumeration(x, W, pi)
        out = {"marginal": one, "complement": zero, "network": R.network_forward(x, W, pi)}
        if self.x is not None and self.w is not None:
            xs, Ws = np.array(self.x, dtype=float), np.array(self.w, dtype=float).T
            ps = (np.array(self.pi, dtype=float) if self.pi is not None else
                  R.softmax(np.array(self.theta, dtype=float)))
            out["given_marginal"] = R.by_enumeration(xs, Ws, ps)[0]
            out |= {f"given_h_{c}": 1 / (1 + np.exp(-(xs @ Ws[:, c])))
                    for c in range(self.components)}
        return out

    def value(self, answers: dict[str, Any]) -> Any:
        out: dict[str, Any] = {"p(y=1|x)": "sum_k pi_k sigmoid(w_k^T x)"}
        if "given_marginal" in answers:
            out["value"] = float(answers["given_marginal"])
        return out


def _short(v: Any) -> str:
    """A given number in a formula: exact when short, else 4 significant digits."""
    f = float(v)
    text = significant(f, 4, fixed=(1e-4, 1e4)) if f != int(f) else str(int(f))
    return f"({text})" if f < 0 else text
