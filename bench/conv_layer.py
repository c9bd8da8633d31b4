"""Derive and verify ∂J/∂W and ∂J/∂X of a 48×64×10 → 3×3×10×20 convolution layer.

Index formulas (derive.models.conv_layer) are derived as SymPy `Sum`s, evaluated with
`evaluate_fast` on random data and compared with the independent numpy reference. The
naive alternative expands every output Z[i,j,m] into its 90 products, forms
J = Σ G[i,j,m]·Z[i,j,m] and lets SymPy differentiate J by every weight and input entry.
That takes days at this size, so it is timed on a random fraction of the outputs and a few
variables and extrapolated linearly (cost ∝ outputs × variables, which the script checks on
two sample sizes and, for a small layer, against a full naive run).

    python bench/conv_layer.py [--outputs 570] [--variables 8] [--repeats 5]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from derive.models import conv_layer as CL
from derive.models.conv_layer import ConvLayer
from derive.verify import reference_nd as R
from derive.verify.fast_eval import evaluate_fast


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Median wall time of `repeats` calls, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def index_formulas(layer: ConvLayer, repeats: int, seed: int = 0) -> dict[str, float]:
    """Seconds to derive (first call), evaluate (median) and check ∂J/∂W and ∂J/∂X."""
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=layer.input_shape), rng.normal(size=layer.weight_shape)
    dz = rng.normal(size=layer.output_shape)
    values = {"X": x, "W": w, str(CL.dJdZ): dz}
    conf = (layer.stride, layer.padding, layer.dilation, layer.flip)
    t_ref, (dw_ref, dx_ref, _) = timed(lambda: R.conv2d_nd_backward(x, w, dz, *conf), repeats)
    out: dict[str, float] = {"reference": t_ref}
    for quantity, derive, reference in (("W", layer.grad_W, dw_ref), ("X", layer.grad_X, dx_ref)):
        t_derive, formula = timed(derive, 1)  # first call: SymPy's cache would hide the cost
        free, shape = layer.index_grid(quantity)
        t_eval, got = timed(lambda f=formula, fr=free, sh=shape:
                            evaluate_fast(f, fr, sh, layer.base, values), repeats)
        if not np.allclose(got, reference, rtol=1e-10, atol=1e-10):
            raise SystemExit(f"∂J/∂{quantity}: index formula disagrees with the reference")
        out[f"derive_{quantity}"], out[f"eval_{quantity}"] = t_derive, t_eval
    return out


def naive(layer: ConvLayer, n_outputs: int, n_variables: int, seed: int = 0
          ) -> dict[str, float]:
    """Time the naive expansion + differentiation on a sample; per-unit costs."""
    rng = np.random.default_rng(seed)
    (s1, s2), (d1, d2), (kk1, kk2, cin, _) = layer.stride, layer.dilation, layer.weight_shape
    assert layer.padding == (0, 0), "the naive expansion below has no padding"
    start = time.perf_counter()
    xs = np.array(sp.symbols(f"x0:{math.prod(layer.input_shape)}"), dtype=object)
    ws = np.array(sp.symbols(f"w0:{math.prod(layer.weight_shape)}"), dtype=object)
    gs = np.array(sp.symbols(f"g0:{math.prod(layer.output_shape)}"), dtype=object)
    xs, ws = xs.reshape(layer.input_shape), ws.reshape(layer.weight_shape)
    gs = gs.reshape(layer.output_shape)
    t_symbols = time.perf_counter() - start
    total = math.prod(layer.output_shape)
    picked = rng.choice(total, size=min(n_outputs, total), replace=False)
    start = time.perf_counter()
    terms = []
    for flat in picked:
        r, c, m = np.unravel_index(flat, layer.output_shape)
        z = sp.Add(*(ws[a, b, n, m] * xs[r * s1 + a * d1, c * s2 + b * d2, n]
                     for a in range(kk1) for b in range(kk2) for n in range(cin)))
        terms.append(gs[r, c, m] * z)
    loss = sp.Add(*terms)
    t_expand = time.perf_counter() - start
    result = {"symbols": t_symbols, "expand_per_output": t_expand / len(picked),
              "outputs": float(len(picked))}
    for name, entries in (("W", ws), ("X", xs)):
        chosen = entries.reshape(-1)[rng.choice(entries.size, size=min(n_variables,
                                                                        entries.size),
                                                replace=False)]
        start = time.perf_counter()
        for v in chosen:
            sp.diff(loss, v)
        result[f"diff_{name}_per_pair"] = (time.perf_counter() - start) / (
            len(chosen) * len(picked))
    return result


def naive_full(layer: ConvLayer) -> float:
    """Seconds for the complete naive expansion + every derivative (small layers only)."""
    start = time.perf_counter()
    costs = naive(layer, math.prod(layer.output_shape), 10**9)
    del costs
    return time.perf_counter() - start


def extrapolate(layer: ConvLayer, costs: dict[str, float]) -> dict[str, float]:
    outputs = math.prod(layer.output_shape)
    expand = costs["symbols"] + costs["expand_per_output"] * outputs
    return {"expand": expand,
            "W": costs["diff_W_per_pair"] * outputs * math.prod(layer.weight_shape),
            "X": costs["diff_X_per_pair"] * outputs * math.prod(layer.input_shape)}


def human(seconds: float) -> str:
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds * 1e3:.3g} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outputs", type=int, default=570, help="sampled outputs (of 57040)")
    parser.add_argument("--variables", type=int, default=8, help="sampled variables per kind")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    layer = ConvLayer((48, 64, 10), (3, 3), 20, bias=False)
    print(f"layer: input {layer.input_shape}, kernel {layer.weight_shape}, "
          f"output {layer.output_shape}, {layer.operation_counts()['mult']:,} multiplications")

    fast = index_formulas(layer, args.repeats)
    ours = {q: fast[f"derive_{q}"] + fast[f"eval_{q}"] + fast["reference"] for q in "WX"}

    # Linearity check of the naive cost model: half and full sample.
    half = naive(layer, args.outputs // 2, args.variables, seed=1)
    costs = naive(layer, args.outputs, args.variables, seed=2)
    slow = extrapolate(layer, costs)
    naive_total = {q: slow["expand"] + slow[q] for q in "WX"}

    # Validate the extrapolation on a layer small enough to run the naive way completely.
    small = ConvLayer((8, 8, 2), (3, 3), 4, bias=False)
    small_costs = naive(small, math.prod(small.output_shape) // 2, 4 * args.variables, seed=3)
    small_pred = extrapolate(small, small_costs)
    small_measured = naive_full(small)

    print()
    print("| step | ∂J/∂W | ∂J/∂X |")
    print("|---|---:|---:|")
    print(f"| derive: SymPy index formula | {human(fast['derive_W'])} "
          f"| {human(fast['derive_X'])} |")
    print(f"| verify: evaluate_fast on all entries | {human(fast['eval_W'])} "
          f"| {human(fast['eval_X'])} |")
    print(f"| verify: numpy reference (both gradients, counted in each column) "
          f"| {human(fast['reference'])} | {human(fast['reference'])} |")
    print(f"| **index formulas, derive + verify** | **{human(ours['W'])}** "
          f"| **{human(ours['X'])}** |")
    print(f"| naive: expand all Z (shared, extrapolated) | {human(slow['expand'])} "
          f"| {human(slow['expand'])} |")
    print(f"| naive: diff J by every entry (extrapolated) | {human(slow['W'])} "
          f"| {human(slow['X'])} |")
    print(f"| **naive SymPy expand + diff (extrapolated)** | **{human(naive_total['W'])}** "
          f"| **{human(naive_total['X'])}** |")
    print(f"| **ratio naive / index formulas** | **{naive_total['W'] / ours['W']:.2g}×** "
          f"| **{naive_total['X'] / ours['X']:.2g}×** |")
    print()
    pct = 100 * costs["outputs"] / math.prod(layer.output_shape)
    print(f"Naive figures are EXTRAPOLATED, not run: timed on {int(costs['outputs'])} random "
          f"outputs ({pct:.2g}% of {math.prod(layer.output_shape)}) and {args.variables} "
          f"random variables per kind, then scaled by outputs × variables "
          f"({math.prod(layer.weight_shape)} weights, {math.prod(layer.input_shape)} inputs). "
          "Symbolic-to-numeric substitution of the naive results is not counted (that "
          "favours the naive approach).")
    for q in "WX":
        ratio = costs[f"diff_{q}_per_pair"] / half[f"diff_{q}_per_pair"]
        print(f"Cost model check, ∂J/∂{q}: per (output × variable) cost at "
              f"{int(costs['outputs'])} vs {int(half['outputs'])} sampled outputs: "
              f"{ratio:.2f} (1.00 = linear).")
    small_total = sum(small_pred.values())
    print(f"Extrapolation check on {small.input_shape} / {small.weight_shape}: predicted "
          f"{human(small_total)} from half of the outputs, full naive run measured "
          f"{human(small_measured)}.")
    total_ours = fast["derive_W"] + fast["derive_X"] + fast["eval_W"] + fast["eval_X"] + fast[
        "reference"]
    print(f"Index formulas, both gradients derived and verified: {human(total_ours)} "
          f"(target < 1 s).")
    kinds = {q: as_a_kind(q, args.repeats) for q in "WX"}
    print(f"The conv_layer.grad kind (sigmoid, bias): derivation with every step checked "
          f"and the answer checked on every entry: ∂J/∂W {human(kinds['W'])}, ∂J/∂X "
          f"{human(kinds['X'])}, both {human(kinds['W'] + kinds['X'])} (target < 1 s).")


def as_a_kind(wrt: str, repeats: int) -> float:
    """Median time of the whole kind: derive the steps, check each, check the answer."""
    from derive.questions import KINDS

    kind = KINDS["conv_layer.grad"]
    given = kind.given.model_validate({"input": [48, 64, 10], "kernel": [3, 3],
                                       "out_channels": 20, "activation": "sigmoid",
                                       "wrt": wrt})

    def run() -> object:
        check = kind.solve(given).verify()
        assert check.passed, check
        return check

    return timed(run, repeats)[0]


if __name__ == "__main__":
    main()
