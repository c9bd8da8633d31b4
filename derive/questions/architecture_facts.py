"""Facts an `architecture` part reads off the network's structure rather than computes in a
formula: which input positions a window reaches (followed back through the layers), which
layer decides whether the input size may vary, and sizes written for a table or a sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from derive.latex.printer import grouped
from derive.models import architecture as A


def compact(shape: tuple[int, ...] | list[int]) -> str:
    """A size in a table's compact form: 7×7×2."""
    return "×".join(map(str, shape))


def in_math(shape: tuple[int, ...] | list[int]) -> str:
    """A size as a sentence writes it, in math: 7 \\times 7 \\times 2."""
    return r" \times ".join(grouped(n) for n in shape)


def square_layer(layer: Mapping[str, Any]) -> bool:
    """Whether a layer (plain data) has the same window, stride, padding, dilation on both
    axes (an int stands for a square pair)."""
    return all(not isinstance(v, list | tuple) or v[0] == v[1] for v in layer.values())


def variable_reason(layers: list[A.Layer], rows: list[A.Row], input_text: str
                     ) -> dict[str, Any]:
    """Which layer decides whether the input size may vary (the case of the sentence)."""
    flatten = None
    for index, layer in enumerate(layers):
        if isinstance(layer, A.GlobalAvgPool):
            dense_after = any(isinstance(later, A.Dense) for later in layers[index:])
            return {"case": "global_pool_dense" if dense_after else "global_pool",
                    "layer": index + 1}
        if isinstance(layer, A.Flatten) and flatten is None:
            flatten = index + 1
        if isinstance(layer, A.Dense):
            if flatten is None:
                return {"case": "dense_on_map", "layer": index + 1}
            before = in_math(rows[flatten - 2].output_shape) if flatten > 1 else input_text
            mlp = not any(isinstance(earlier, A.Conv | A.MaxPool | A.AvgPool)
                          for earlier in layers[:flatten])
            return {"case": "flatten_dense_mlp" if mlp else "flatten_dense", "layer": flatten,
                    "dense": index + 1, "from": before,
                    "features": in_math(rows[flatten - 1].output_shape)}
    return {"case": "flatten_only" if flatten else "conv_only"}


def _params(layer: A.Layer) -> tuple[A.Pair, A.Pair, A.Pair, A.Pair] | None:
    """Kernel, stride, padding and dilation of a conv or pooling layer, else None."""
    if isinstance(layer, A.Conv):
        return layer.kernel_size, layer.strides, layer.paddings, layer.dilations
    if isinstance(layer, A.MaxPool | A.AvgPool):
        return layer.window_size, layer.strides, layer.paddings, (1, 1)
    return None


def windows_back(layers: list[A.Layer], sizes: list[int], axis: int,
          start: set[int] | None = None) -> tuple[set[int], int, int]:
    """Input indices (along `axis`) that the outputs `start` (output 0 by default) depend
    on, following each window back through the layers (padded positions carry nothing),
    and the ends lo, hi of the span output 0 would cover if there were no border.
    `sizes[l]` is the input length of layer l."""
    seen, lo, hi = start or {0}, 0, 0
    for layer, n_in in zip(reversed(layers), reversed(sizes), strict=True):
        params = _params(layer)
        if params is None:
            continue
        k, s, p, d = (v[axis] for v in params)
        seen = {o * s - p + d * t for o in seen for t in range(k)} & set(range(n_in))
        lo, hi = lo * s - p, hi * s - p + d * (k - 1)
    return seen, lo, hi


def index_set(values: set[int]) -> str:
    """{0, 1, …, 4} as LaTeX, all values when there are few."""
    v = sorted(values)
    shown = [str(n) for n in v] if len(v) <= 6 else [*map(str, v[:3]), r"\dots", str(v[-1])]
    return r"\{" + ", ".join(shown) + r"\}"
