"""Hessian-vector products of the 32-512-512-10 MLP (tanh, softmax + cross-entropy, batch
64, float64): the R-operator pass of `derive.models.hvp` against its own gradient, and,
when torch is importable, torch's double-backward Hv against torch's gradient.

    python bench/hvp.py [--repeats N] [--threads T]

Prints a markdown table of the fastest times and the ratios Hv / gradient, and checks the Hv
against central differences of the gradient (and against torch's Hv). The calls compared are
timed back to back, alternating, and each ratio is the median of the per-round ratios: on a
shared machine the load changes from second to second, and a ratio taken within one round
sees the same load. BLAS and torch use `--threads` threads (default 1), set before numpy loads.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

if __name__ == "__main__":
    _threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
    for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_name, _threads)

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from derive.models.hvp import MLP

WIDTHS = (32, 512, 512, 10)
BATCH = 64


def rounds(fns: Sequence[Callable[[], Any]], repeats: int) -> np.ndarray:
    """Times of each function, called one after the other in every round: (repeats, len)."""
    for fn in fns:
        fn()                                          # warm up (allocations, BLAS threads)
    out = np.empty((repeats, len(fns)))
    for k in range(repeats):
        for n, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            out[k, n] = time.perf_counter() - start
    return out


def ratio(times: np.ndarray, a: int, b: int) -> float:
    """Median over rounds of time a / time b."""
    return float(np.median(times[:, a] / times[:, b]))


def torch_functions(net: MLP, params: Any, v: Any, X: np.ndarray, y: np.ndarray, threads: int
                    ) -> tuple[Callable[[], Any], Callable[[], Any]] | str:
    """torch's gradient and double-backward Hv of the same loss, or why not."""
    try:
        import torch
    except ImportError:
        return "torch is not installed: its row is skipped"
    torch.set_num_threads(threads)
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True)
          for pair in params for a in pair]
    vs = [torch.tensor(a, dtype=torch.float64) for pair in v for a in pair]
    Xt, yt = torch.tensor(X), torch.tensor(y, dtype=torch.long)
    act = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}[net.activation]

    def loss() -> Any:
        h = Xt
        for n in range(0, len(ts) - 2, 2):
            h = act(h @ ts[n] + ts[n + 1])
        return torch.nn.functional.cross_entropy(h @ ts[-2] + ts[-1], yt)

    def grad() -> Any:
        return torch.autograd.grad(loss(), ts)

    def hvp() -> Any:
        g = torch.autograd.grad(loss(), ts, create_graph=True)
        dot = sum((a * b).sum() for a, b in zip(g, vs, strict=True))
        return torch.autograd.grad(dot, ts)

    return grad, hvp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    net = MLP(WIDTHS, "tanh")
    params, v = net.init(rng), net.init(rng)
    X, y = rng.normal(size=(BATCH, WIDTHS[0])), rng.integers(0, WIDTHS[-1], BATCH)

    ours = net.flat(net.hvp(params, v, X, y))
    r = 1e-5                                  # central differences: error O(r²) + ε/r
    fd = (net.flat(net.gradient(net.add(params, v, r), X, y))
          - net.flat(net.gradient(net.add(params, v, -r), X, y))) / (2 * r)
    fd_error = float(np.linalg.norm(ours - fd) / np.linalg.norm(fd))

    fns: list[Callable[[], Any]] = [lambda: net.gradient(params, X, y),
                                    lambda: net.hvp(params, v, X, y)]
    torch_fns = torch_functions(net, params, v, X, y, args.threads)
    if not isinstance(torch_fns, str):
        fns += list(torch_fns)
    times = rounds(fns, args.repeats)
    best = times.min(axis=0) * 1e3
    print(f"MLP {'-'.join(map(str, WIDTHS))}, tanh, batch {BATCH}, {net.size:,} parameters, "
          f"float64, {args.threads} thread(s), {args.repeats} rounds (fastest times; ratios: "
          "median of the per-round ratios)\n")
    print("| implementation | gradient | Hv | Hv / gradient |")
    print("|---|---:|---:|---:|")
    print(f"| numpy R-operator (derive.models.hvp) | {best[0]:.1f} ms | {best[1]:.1f} ms | "
          f"{ratio(times, 1, 0):.2f} |")
    if isinstance(torch_fns, str):
        print(f"\n{torch_fns}.")
    else:
        hv = np.concatenate([a.detach().numpy().ravel() for a in torch_fns[1]()])
        print(f"| torch double backward (grad of grad·v) | {best[2]:.1f} ms | {best[3]:.1f} ms | "
              f"{ratio(times, 3, 2):.2f} |")
        print(f"\nour Hv time / torch's Hv time: {ratio(times, 1, 3):.2f}; relative difference "
              f"of the two Hv: {np.linalg.norm(ours - hv) / np.linalg.norm(hv):.1e}")
    print(f"relative difference from central differences of the gradient (r = {r:g}): "
          f"{fd_error:.1e}")
    if fd_error > 1e-6:
        raise SystemExit("the Hv disagrees with finite differences")


if __name__ == "__main__":
    main()
