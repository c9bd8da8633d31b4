"""Independent counts for the size of a Hessian and the cost of solving with it.

Nothing here uses a size formula: the entries and bytes are what numpy reports for an array
of shape (P, P) (a broadcast view: nothing is allocated), the distinct entries of a
symmetric matrix are counted row by row (row i holds P − i entries on or above the
diagonal), and the operations of a Cholesky factorisation are counted by walking its loops.

>>> counts(3)
{'entries': 9, 'bytes_32': 36, 'bytes_64': 72, 'distinct': 6}
>>> cholesky_operations(3), cholesky_operations_by_running(3)
(14, 14)
"""

from __future__ import annotations

import numpy as np

CHUNK = 1 << 24


def _row_lengths_sum(count: int, length: int) -> int:
    """Σ over rows i = 0 … count − 1 of (length − i), in chunks (exact integers)."""
    total = 0
    for start in range(0, count, CHUNK):
        rows = np.arange(start, min(count, start + CHUNK), dtype=np.int64)
        total += int((length - rows).sum())
    return total


def counts(parameters: int) -> dict[str, int]:
    """Entries and bytes of a P × P array as numpy reports them, and the entries on or
    above its diagonal counted row by row."""
    out: dict[str, int] = {}
    for bits, dtype in ((32, np.float32), (64, np.float64)):
        view = np.broadcast_to(np.zeros((), dtype=dtype), (parameters, parameters))
        out["entries"] = int(view.size)
        out[f"bytes_{bits}"] = int(view.nbytes)
    out["distinct"] = _row_lengths_sum(parameters, parameters)
    return out


def cholesky_operations(n: int) -> int:
    """Operations of the column Cholesky factorisation of an n × n matrix, walked loop by
    loop: column j computes its diagonal entry (j products, j subtractions, one square
    root) and the n − 1 − j entries below it (j products, j subtractions, one division
    each)."""
    total = 0
    exact = n <= 2 * 10**6       # int64 while n³/3 fits in it; float64 beyond (1e-6 relative)
    for start in range(0, n, CHUNK):
        j = np.arange(start, min(n, start + CHUNK), dtype=np.int64)
        if exact:
            total += int(((2 * j + 1) + (n - 1 - j) * (2 * j + 1)).sum())
        else:
            jf = j.astype(np.float64)
            total += int(((2 * jf + 1) + (n - 1 - jf) * (2 * jf + 1)).sum())
    return total


def cholesky_operations_by_running(n: int, seed: int = 0) -> int:
    """The same count by running the algorithm on a random SPD matrix and counting every
    arithmetic operation it performs (small n only); the factor is checked against numpy."""
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((n, n))
    a = m @ m.T + n * np.eye(n)
    lower = np.zeros((n, n))
    ops = 0
    for j in range(n):
        s = a[j, j]
        for k in range(j):
            s -= lower[j, k] * lower[j, k]
            ops += 2
        lower[j, j] = np.sqrt(s)
        ops += 1
        for i in range(j + 1, n):
            s = a[i, j]
            for k in range(j):
                s -= lower[i, k] * lower[j, k]
                ops += 2
            lower[i, j] = s / lower[j, j]
            ops += 1
    if not np.allclose(lower, np.linalg.cholesky(a)):
        raise AssertionError("the walked Cholesky factor differs from numpy's")
    return ops
