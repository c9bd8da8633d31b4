"""Plain numpy multi-channel convolution layer, written from the definition.

Nothing here reads a derived SymPy formula. Arrays are 0-based numpy arrays: input
x[H, W, C_in], kernel w[K1, K2, C_in, C_out], output z[H_out, W_out, C_out]. The forward
pass walks over the output positions; the backward pass is the adjoint of that walk,
vectorised over output positions and looped over the kernel taps.

>>> import numpy as np
>>> x, w = np.arange(16.0).reshape(4, 4, 1), np.ones((2, 2, 1, 1))
>>> conv2d_nd(x, w)[:, :, 0]
array([[10., 14., 18.],
       [26., 30., 34.],
       [42., 46., 50.]])
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from derive.verify.counting import walk_conv2d
from derive.verify.reference import finite_difference

Array = NDArray[np.float64]
Pair = tuple[int, int]

__all__ = ["activate", "activation_backward", "conv2d_nd", "conv2d_nd_backward",
           "finite_difference", "layer_loss"]


def _sizes(x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: Pair, padding: Pair,
           dilation: Pair) -> Pair:
    """Output rows and columns: the window positions counted by sliding it (no formula)."""
    (rows, cols), _, _ = walk_conv2d((x_shape[0], x_shape[1]), (w_shape[0], w_shape[1]),
                                     stride, padding, dilation)
    if rows < 1 or cols < 1:
        raise ValueError("the dilated kernel does not fit the padded input")
    return rows, cols


def conv2d_nd(x: Array, w: Array, bias: Array | None = None, stride: Pair = (1, 1),
              padding: Pair = (0, 0), dilation: Pair = (1, 1), flip: bool = False) -> Array:
    """z[r, c, m] = Σ w[a, b, n, m] x_padded[r·s1 + a·d1, c·s2 + b·d2, n] (+ bias[m]).

    With `flip` the kernel is first rotated by 180° in its two spatial axes (a true
    convolution). Computed one output position at a time from the padded input.
    """
    (s1, s2), (p1, p2), (d1, d2) = stride, padding, dilation
    k1, k2, cin, cout = w.shape
    if x.shape[2] != cin:
        raise ValueError(f"input has {x.shape[2]} channels, kernel expects {cin}")
    kernel = w[::-1, ::-1] if flip else w
    xp = np.pad(x, ((p1, p1), (p2, p2), (0, 0)))
    rows, cols = _sizes(x.shape, w.shape, stride, padding, dilation)
    out = np.empty((rows, cols, cout))
    for row in range(rows):
        for col in range(cols):
            window = xp[row * s1: row * s1 + d1 * (k1 - 1) + 1: d1,
                        col * s2: col * s2 + d2 * (k2 - 1) + 1: d2, :]
            out[row, col] = np.tensordot(window, kernel, axes=3)
    if bias is not None:
        out += bias
    return out


def conv2d_nd_backward(x: Array, w: Array, dz: Array, stride: Pair = (1, 1),
                       padding: Pair = (0, 0), dilation: Pair = (1, 1),
                       flip: bool = False) -> tuple[Array, Array, Array]:
    """(∂J/∂w, ∂J/∂x, ∂J/∂bias) from ∂J/∂z, as the adjoint of the forward walk.

    For each kernel tap (a, b) the input entries it meets form a strided slice of the
    padded input; its weight gradient contracts that slice with ∂J/∂z, and it scatters
    ∂J/∂z·w[a, b] back into the same slice. Padding is cropped off at the end.
    """
    (s1, s2), (p1, p2), (d1, d2) = stride, padding, dilation
    k1, k2, _, _ = w.shape
    kernel = w[::-1, ::-1] if flip else w
    xp = np.pad(x, ((p1, p1), (p2, p2), (0, 0)))
    rows, cols = _sizes(x.shape, w.shape, stride, padding, dilation)
    if dz.shape[:2] != (rows, cols):
        raise ValueError(f"dz has shape {dz.shape}, the output is {(rows, cols)}")
    dkernel = np.zeros_like(kernel, dtype=float)
    dxp = np.zeros_like(xp, dtype=float)
    for a in range(k1):
        for b in range(k2):
            window = (slice(a * d1, a * d1 + s1 * (rows - 1) + 1, s1),
                      slice(b * d2, b * d2 + s2 * (cols - 1) + 1, s2))
            dkernel[a, b] = np.einsum("rcn,rcm->nm", xp[window], dz)
            dxp[window] += np.einsum("rcm,nm->rcn", dz, kernel[a, b])
    dw = dkernel[::-1, ::-1] if flip else dkernel
    dx = dxp[p1: p1 + x.shape[0], p2: p2 + x.shape[1]]
    return np.array(dw), np.array(dx), dz.sum(axis=(0, 1))


def activate(z: Array, activation: str) -> Array:
    """identity, relu = max(0, z) or sigmoid = 1/(1 + e^{−z}), entry by entry."""
    if activation == "identity":
        return z.copy()
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "sigmoid":
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    raise ValueError(f"unknown activation {activation!r}")


def activation_backward(du: Array, z: Array, activation: str) -> Array:
    """∂J/∂z from ∂J/∂u through u = act(z)."""
    if activation == "identity":
        return du.copy()
    if activation == "relu":
        return du * (z > 0)
    if activation == "sigmoid":
        u = activate(z, "sigmoid")
        return du * u * (1.0 - u)
    raise ValueError(f"unknown activation {activation!r}")


def layer_loss(x: Array, w: Array, bias: Array | None, g: Array, activation: str = "identity",
               stride: Pair = (1, 1), padding: Pair = (0, 0), dilation: Pair = (1, 1),
               flip: bool = False) -> float:
    """J = Σ g ⊙ act(conv(x, w) + bias), so that ∂J/∂u = g (for finite differences)."""
    z = conv2d_nd(x, w, bias, stride, padding, dilation, flip)
    return float(np.sum(g * activate(z, activation)))
