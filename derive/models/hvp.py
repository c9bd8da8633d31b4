"""The exact Hessian-vector product of an MLP's loss, by the R-operator, in numpy.

Pearlmutter (1994): R_v{·} = ∂/∂r (·)(w + r v) at r = 0 is a derivative, so it obeys
linearity, the product rule and the chain rule, and R_v{w} = v. Applied to every line of
the forward pass and of backpropagation, it gives a second forward pass (R{a}, R{z}) and
a second backward pass (R{δ}, R{∂L/∂W}) whose last lines are the entries of Hv. The cost
is a small multiple of one gradient; no Hessian is ever formed.

The network, a batch of B rows (inputs X, labels y), layers l = 1 … L:

    z₀ = X,   a_l = z_{l−1} W_l + b_l,   z_l = h(a_l)  (l < L),   o = a_L,
    p = softmax(o) row by row,   ℒ = −(1/B) Σ_n log p_{n, y_n}.

Backpropagation (δ_l = ∂ℒ/∂a_l, row n for example n):

    δ_L = (p − Y)/B,   ∂ℒ/∂W_l = z_{l−1}ᵀ δ_l,   ∂ℒ/∂b_l = 1ᵀ δ_l,
    ∂ℒ/∂z_{l−1} = δ_l W_lᵀ,   δ_{l−1} = ∂ℒ/∂z_{l−1} ⊙ h′(a_{l−1}).

The R-operator applied to each line (the rule used is named on each):

    R{z₀} = 0                                          (X is data, not a parameter)
    R{a_l} = R{z_{l−1}} W_l + z_{l−1} V_l + V_{b_l}    (product rule, R{W_l} = V_l)
    R{z_l} = h′(a_l) ⊙ R{a_l}                          (chain rule)
    R{p} = p ⊙ (R{o} − (p ⊙ R{o}) 1)                   (softmax Jacobian diag(p) − ppᵀ)
    R{δ_L} = R{p}/B                                    (Y is data)
    R{∂ℒ/∂W_l} = R{z_{l−1}}ᵀ δ_l + z_{l−1}ᵀ R{δ_l}     (product rule)
    R{∂ℒ/∂b_l} = 1ᵀ R{δ_l}                             (linearity)
    R{∂ℒ/∂z_{l−1}} = R{δ_l} W_lᵀ + δ_l V_lᵀ            (product rule)
    R{δ_{l−1}} = R{∂ℒ/∂z_{l−1}} ⊙ h′(a_{l−1})
                 + ∂ℒ/∂z_{l−1} ⊙ h″(a_{l−1}) ⊙ R{a_{l−1}}   (product and chain rules)

and Hv = (R{∂ℒ/∂W_l}, R{∂ℒ/∂b_l})_l. Pairs of products sharing a factor are computed as
one matrix product on stacked operands ([z; R{z}] W, [R{z}; z]ᵀ[δ; R{δ}]): the same
arithmetic, fewer and larger BLAS calls.

>>> rng = np.random.default_rng(0)
>>> net = MLP((3, 4, 2), "tanh")
>>> params = net.init(rng)
>>> X, y = rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
>>> v = net.init(rng)
>>> hv = net.hvp(params, v, X, y)
>>> step = 1e-5
>>> plus = net.gradient(net.add(params, v, step), X, y)
>>> minus = net.gradient(net.add(params, v, -step), X, y)
>>> fd = [(a - b) / (2 * step) for a, b in zip(net.flat(plus), net.flat(minus))]
>>> bool(np.allclose(net.flat(hv), fd, atol=1e-8))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Activation = Literal["tanh", "sigmoid", "relu"]
Params = list[tuple[Array, Array]]         # (W_l, b_l) per layer, W_l of shape (in, out)


def softmax(o: Array) -> Array:
    """Row-wise softmax, shifted by each row's maximum."""
    e = np.exp(o - o.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def derivatives(name: Activation, a: Array) -> tuple[Array, Array, Array]:
    """h(a), h′(a), h″(a), written through z = h(a) where that is shorter."""
    if name == "tanh":
        z = np.tanh(a)
        d1 = 1.0 - z * z
        return z, d1, -2.0 * z * d1
    if name == "sigmoid":
        z = 0.5 * (1.0 + np.tanh(0.5 * a))        # σ(a), without overflow
        d1 = z * (1.0 - z)
        return z, d1, d1 * (1.0 - 2.0 * z)
    if name == "relu":
        d1 = (a > 0).astype(a.dtype)
        return a * d1, d1, np.zeros_like(a)       # h″ = 0 wherever h′ exists
    raise ValueError(f"unknown activation {name!r} (tanh, sigmoid, relu)")


@dataclass(frozen=True)
class MLP:
    """Widths (input, hidden…, classes), one hidden activation, softmax + cross-entropy."""

    widths: tuple[int, ...]
    activation: Activation = "tanh"
    # h″ of each line of R{δ}; False drops it (a deliberately wrong pass, for the tests)
    second_derivative: bool = True

    def __post_init__(self) -> None:
        if len(self.widths) < 2 or any(w < 1 for w in self.widths):
            raise ValueError(f"widths must be at least two positive sizes, got {self.widths}")

    # parameters ---------------------------------------------------------------------------
    def init(self, rng: np.random.Generator, scale: float = 1.0) -> Params:
        """Random weights (variance scale²/fan-in) and biases."""
        return [(rng.normal(size=(m, n)) * scale / np.sqrt(m), rng.normal(size=n) * 0.1 * scale)
                for m, n in zip(self.widths[:-1], self.widths[1:], strict=True)]

    @property
    def size(self) -> int:
        """The number of parameters, biases included."""
        return sum((m + 1) * n for m, n in zip(self.widths[:-1], self.widths[1:], strict=True))

    @staticmethod
    def flat(params: Params) -> Array:
        return np.concatenate([np.concatenate([w.ravel(), b]) for w, b in params])

    def unflat(self, vector: Array) -> Params:
        out, at = [], 0
        for m, n in zip(self.widths[:-1], self.widths[1:], strict=True):
            w = vector[at:at + m * n].reshape(m, n)
            at += m * n
            out.append((w, vector[at:at + n]))
            at += n
        return out

    @staticmethod
    def add(params: Params, v: Params, r: float) -> Params:
        """params + r v."""
        return [(w + r * dw, b + r * db) for (w, b), (dw, db) in zip(params, v, strict=True)]

    # the loss and its gradient --------------------------------------------------------------
    def _forward(self, params: Params, X: Array) -> tuple[list[Array], list[Array], Array]:
        """z_0 … z_{L−1}, the h′ and h″ of each hidden layer packed as pairs, and p."""
        z, local = [np.asarray(X, dtype=float)], []
        for w, b in params[:-1]:
            h, d1, d2 = derivatives(self.activation, z[-1] @ w + b)
            z.append(h)
            local.append(np.stack([d1, d2]))
        w, b = params[-1]
        return z, local, softmax(z[-1] @ w + b)

    @staticmethod
    def _onehot(y: Array, p: Array) -> Array:
        out = np.zeros_like(p)
        out[np.arange(len(y)), np.asarray(y, dtype=int)] = 1.0
        return out

    def loss(self, params: Params, X: Array, y: Array) -> float:
        p = self._forward(params, X)[2]
        return float(-np.mean(np.log(p[np.arange(len(y)), np.asarray(y, dtype=int)])))

    def gradient(self, params: Params, X: Array, y: Array) -> Params:
        """∂ℒ/∂W_l, ∂ℒ/∂b_l by backpropagation."""
        z, local, p = self._forward(params, X)
        delta = (p - self._onehot(y, p)) / len(y)
        out: Params = []
        for layer in range(len(params) - 1, -1, -1):
            out.append((z[layer].T @ delta, delta.sum(axis=0)))
            if layer:
                delta = (delta @ params[layer][0].T) * local[layer - 1][0]
        return out[::-1]

    # Hv by the R-operator ----------------------------------------------------------------------
    def hvp(self, params: Params, v: Params, X: Array, y: Array) -> Params:
        """H v, exactly (to rounding), by one R-forward and one R-backward pass."""
        X = np.asarray(X, dtype=float)
        B = len(y)
        z, local, rz = [X], [], [np.zeros_like(X)]      # R{z₀} = 0: X is data
        for n, ((w, b), (vw, vb)) in enumerate(zip(params, v, strict=True)):
            # a_l and R{a_l} = R{z}W + zV + V_b in one product on [z; R{z}]
            both = np.concatenate([z[-1], rz[-1]]) @ w
            a, ra = both[:B] + b, both[B:] + z[-1] @ vw + vb
            if n == len(params) - 1:
                p = softmax(a)
                rp = p * (ra - np.sum(p * ra, axis=1, keepdims=True))   # softmax Jacobian
                break
            h, d1, d2 = derivatives(self.activation, a)
            z.append(h)
            local.append((d1, d2, ra))
            rz.append(d1 * ra)                                   # R{z} = h′(a) ⊙ R{a}
        delta, rdelta = (p - self._onehot(y, p)) / B, rp / B
        out: Params = []
        for layer in range(len(params) - 1, -1, -1):
            w, vw = params[layer][0], v[layer][0]
            # R{∂ℒ/∂W} = R{z}ᵀδ + zᵀR{δ} = [R{z}; z]ᵀ [δ; R{δ}] (R{z₀} = 0: one product)
            rgw = (np.concatenate([rz[layer], z[layer]]).T @ np.concatenate([delta, rdelta])
                   if layer else z[0].T @ rdelta)
            out.append((rgw, rdelta.sum(axis=0)))
            if not layer:
                break
            # ∂ℒ/∂z and R{∂ℒ/∂z} = R{δ}Wᵀ + δVᵀ in one product on [δ; R{δ}]
            both = np.concatenate([delta, rdelta]) @ w.T
            gz, rgz = both[:B], both[B:] + delta @ vw.T
            d1, d2, ra = local[layer - 1]
            rdelta = rgz * d1 + (gz * d2 * ra if self.second_derivative else 0.0)
            delta = gz * d1
        return out[::-1]


def explicit_size(widths: Sequence[int]) -> int:
    """Parameters of an MLP of these widths (for a Hessian's side)."""
    return MLP(tuple(widths)).size
