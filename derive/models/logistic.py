"""Logistic regression on one example: a = Σ_j w_j x_j + b, p = σ(a), cross-entropy loss.

Indices start at 0 (numpy's reading); pages print them in the spec's base.

>>> m = LogisticRegression(3)
>>> m.grad_w()
(p - y)*x[j]
>>> m.grad_b()
p - y
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from derive.derivation.rules import collapse_deltas, sigma_prime, simplify
from derive.derivation.steps import Domain
from derive.latex.notation import indexed
from derive.models.symbols import sigmoid


class Updated(sp.IndexedBase):
    """The weights after one step, w′: entries print w'_{j} (prime and index stacked), not
    {w'}_{j}, whose index TeX sets after the prime, apart from the letter. The label is the
    LaTeX of the name: "w'", or "{b'}^{v}" for a bias of layer v.

    >>> from derive.latex.printer import tex
    >>> tex(Updated("w'")[sp.Symbol("j")]), tex(Updated("{b'}^{v}")[1])
    ("w'_{j}", "{b'}^{v}_{1}")
    """

    def __getitem__(self, indices: Any, **kw_args: Any) -> UpdatedEntry:
        indices = indices if isinstance(indices, tuple) else (indices,)
        return UpdatedEntry(self, *indices)


class UpdatedEntry(sp.Indexed):
    """One entry of `Updated`."""

    is_real = True

    def _latex(self, printer: Any) -> str:
        return indexed(str(self.base.label), [printer._print(a) for a in self.indices])

i, j = sp.symbols("i j", integer=True, nonnegative=True)
w, x = sp.IndexedBase("w", real=True), sp.IndexedBase("x", real=True)
w_new = Updated("w'", real=True)
b, y, eta = sp.Symbol("b", real=True), sp.Symbol("y", real=True), sp.Symbol("eta", positive=True)
a, p, L = sp.Symbol("a", real=True), sp.Symbol("p", positive=True), sp.Symbol("L")
k = sp.Symbol("k", integer=True, nonnegative=True)
u = sp.IndexedBase("u", real=True)      # x before it is scaled to length 1 (checks only)
step = sp.Symbol(r"\lVert w' - w \rVert", nonnegative=True)


class Norm(sp.Function):
    """‖v‖ of a named vector (its value comes from the derivation's definitions)."""

    is_nonnegative = True

    def _latex(self, printer: Any) -> str:
        return rf"\lVert {printer._print(self.args[0])} \rVert"


x_norm = Norm(x)


@dataclass(frozen=True)
class LogisticRegression:
    """n features; the label y may be any number in [0, 1] (0 or 1 for a hard label)."""

    n: int

    def score(self) -> sp.Expr:
        return sp.Sum(w[i] * x[i], (i, 0, self.n - 1)) + b

    def loss(self) -> sp.Expr:
        """L(p) = −(y log p + (1 − y) log(1 − p)), kept in that textbook form."""
        return sp.Mul(-1, sp.Add(y * sp.log(p), (1 - y) * sp.log(1 - p)), evaluate=False)

    def definitions(self) -> dict[Any, Any]:
        return {p: sigmoid(a), a: self.score()}

    def domains(self) -> dict[Any, Domain]:
        return {x: Domain((self.n,)), w: Domain((self.n,)), b: Domain(), y: Domain(kind="unit"),
                eta: Domain(kind="positive")}

    def _through(self, var: sp.Expr) -> sp.Expr:
        dloss = sp.diff(self.loss(), p)
        dscore = collapse_deltas(sp.diff(self.score(), var))
        return simplify(sigma_prime(dloss * sp.diff(sigmoid(a), a) * dscore,
                                    names={sigmoid(a): p}))

    def grad_w(self) -> sp.Expr:
        """∂L/∂w_j = (p − y) x_j."""
        return self._through(w[j])

    def grad_b(self) -> sp.Expr:
        """∂L/∂b = p − y."""
        return self._through(b)

    def sgd_update(self) -> sp.Expr:
        """w_j − η ∂L/∂w_j."""
        return w[j] - eta * self.grad_w()

    def step_definitions(self, normalized: bool) -> dict[Any, Any]:
        """For the length of an SGD step: w′ by SymPy's own derivative of the loss, the norms,
        L, and (normalised examples) x = u/‖u‖."""
        full = self.loss().xreplace({p: sigmoid(self.score())})
        out: dict[Any, Any] = {
            **self.definitions(), L: self.loss(),
            w_new: lambda at: w[at] - eta * sp.diff(full, w[at]),
            step: sp.sqrt(sp.Sum((w_new[k] - w[k]) ** 2, (k, 0, self.n - 1))),
            x_norm: sp.sqrt(sp.Sum(x[k] ** 2, (k, 0, self.n - 1)))}
        if normalized:
            out[x] = lambda at: u[at] / sp.sqrt(sp.Sum(u[k] ** 2, (k, 0, self.n - 1)))
        return out

    def step_domains(self, normalized: bool) -> dict[Any, Domain]:
        """Labels 0 or 1; x drawn through u when the examples are normalised."""
        out = {**self.domains(), y: Domain(kind="binary")}
        if normalized:
            out[u] = out.pop(x)
        return out

    def step_length(self) -> sp.Expr:
        """‖w′ − w‖ = η|p − y| ‖x‖."""
        return eta * sp.Abs(p - y) * x_norm
