"""Output sizes and operation counts found by walking a real window over a padded array.

No output-size formula is used anywhere here. The input is padded explicitly with numpy;
a window (the kernel's taps, `dilation` apart) is then slid over it, `stride` at a time,
row by row and position by position, for as long as the numpy slice it reads still has
the kernel's full shape. Every position reads one value per tap (and per input channel),
forms one product per value read, and needs one addition fewer than it has products to
sum them (one more for a bias).

>>> walk_conv2d((5, 5), (3, 3), (1, 1), (0, 0))
((3, 3), 81, 72)
>>> walk_conv2d((32, 32), (5, 5), (2, 2), (2, 2))[0]
(16, 16)
>>> walk_conv_layer((48, 64, 10), (3, 3), 20)
((46, 62, 20), 5133600, 5133600)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Pair = tuple[int, int]


def _windows(padded: NDArray[np.bool_], kernel_hw: Pair, stride: Pair,
             dilation: Pair) -> list[list[int]]:
    """The number of values read at every position, one list per row of positions."""
    (kh, kw), (sh, sw), (dh, dw) = kernel_hw, stride, dilation
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    rows: list[list[int]] = []
    top = 0
    while True:
        row: list[int] = []
        left = 0
        while True:
            window = padded[top: top + span_h: dh, left: left + span_w: dw]
            if window.shape[:2] != (kh, kw):  # the window sticks out: no more positions
                break
            row.append(int(window.size))
            left += sw
        if not row:
            return rows
        rows.append(row)
        top += sh


def walk_conv2d(input_hw: Pair, kernel_hw: Pair, stride: Pair, padding: Pair,
                dilation: Pair = (1, 1)) -> tuple[Pair, int, int]:
    """(output shape, multiplications, additions within windows) of a one-channel 2-D
    convolution (or cross-correlation: the counts are the same) with zero padding.

    The output shape is the number of rows and columns of window positions that fit in
    the padded input; padded zeros are multiplied like any other value (a dense
    implementation). If no window fits, the shape is (0, 0) and both counts are 0.
    """
    (ph, pw) = padding
    padded = np.pad(np.ones(input_hw, dtype=bool), ((ph, ph), (pw, pw)))
    rows = _windows(padded, kernel_hw, stride, dilation)
    if not rows:
        return (0, 0), 0, 0
    reads = [n for row in rows for n in row]
    return (len(rows), len(rows[0])), sum(reads), sum(n - 1 for n in reads)


def walk_conv_layer(input_hwc: tuple[int, int, int], kernel_hw: Pair, out_channels: int,
                    stride: Pair = (1, 1), padding: Pair = (0, 0), dilation: Pair = (1, 1),
                    bias: bool = True) -> tuple[tuple[int, int, int], int, int]:
    """(output shape, multiplications, additions) of a multi-channel layer.

    Each window reads taps × input channels values; each of the `out_channels` kernels
    multiplies every one of them and sums the products (plus its bias, if any).
    """
    (ph, pw) = padding
    padded = np.pad(np.ones(input_hwc, dtype=bool), ((ph, ph), (pw, pw), (0, 0)))
    rows = _windows(padded, kernel_hw, stride, dilation)
    if not rows:
        return (0, 0, out_channels), 0, 0
    reads = [n for row in rows for n in row]
    mults = sum(n * out_channels for n in reads)
    adds = sum((n - 1 + int(bias)) * out_channels for n in reads)
    return (len(rows), len(rows[0]), out_channels), mults, adds
