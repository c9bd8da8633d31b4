"""numpy references for distances on graphs, written from the definitions and independent
of `derive.models.graph_kernel` (no networkx): distances by Floyd–Warshall on the adjacency
matrix, the side of an edge read from distances, quadratic forms summed term by term, and a
brute-force search over every edge set of a few vertices, and graphs counted up to
isomorphism by relabelling them every way."""

from __future__ import annotations

from functools import cache
from itertools import combinations, permutations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def vertices(edges: list[list[int]] | list[tuple[int, int]]) -> tuple[int, int]:
    """(first label, number of vertices) of an edge list numbered without gaps."""
    labels = [int(x) for e in edges for x in e]
    return min(labels), max(labels) - min(labels) + 1


def floyd_warshall(edges: list[list[int]] | list[tuple[int, int]]) -> Array:
    """Shortest-path distances: d_ij = 1 on edges, then d_ij = min(d_ij, d_ik + d_kj)."""
    first, n = vertices(edges)
    d = np.full((n, n), np.inf)
    np.fill_diagonal(d, 0.0)
    for u, v in edges:
        d[u - first, v - first] = d[v - first, u - first] = 1.0
    for k in range(n):
        d = np.minimum(d, d[:, [k]] + d[[k], :])
    return d


def sides(edges: list[list[int]] | list[tuple[int, int]]) -> Array:
    """Φ_e(v) = 1 when v is closer to the second end q of e = {p, q} than to p (on a tree,
    exactly the vertices on q's side once e is removed)."""
    first, _ = vertices(edges)
    d = floyd_warshall(edges)
    return np.stack([(d[:, q - first] < d[:, p - first]).astype(float) for p, q in edges],
                    axis=1)


def form(d: Array, a: Array) -> float:
    """Σ_i Σ_j a_i a_j d_ij, term by term."""
    n = len(a)
    return float(sum(a[i] * a[j] * d[i, j] for i in range(n) for j in range(n)))


def negative_type(d: Array) -> bool:
    """Whether aᵀ d a ≤ 0 for every a with Σ a = 0: the largest eigenvalue of the matrix
    restricted to an orthonormal basis of that hyperplane (QR of the differences e_i − e_0)."""
    n = d.shape[0]
    if n < 2:
        return True
    basis, _ = np.linalg.qr(np.eye(n)[:, 1:] - np.eye(n)[:, [0]])
    return bool(np.linalg.eigvalsh(basis.T @ d @ basis)[-1] <= 1e-9)


def _connected(n: int, edges: tuple[tuple[int, int], ...]) -> bool:
    seen, todo = {0}, [0]
    while todo:
        u = todo.pop()
        for p, q in edges:
            for x, y in ((p, q), (q, p)):
                if x == u and y not in seen:
                    seen.add(y)
                    todo.append(y)
    return len(seen) == n


@cache
def smallest_failure(max_vertices: int = 5) -> tuple[int, int, int]:
    """(vertices, edges, how many labelled graphs of that size fail): the smallest connected
    graph, by vertices then edges, whose −d is not c.p.d., over every edge set."""
    for n in range(2, max_vertices + 1):
        pairs = list(combinations(range(1, n + 1), 2))
        for m in range(n - 1, len(pairs) + 1):
            failing = sum(1 for edges in combinations(pairs, m) if _connected_from_one(n, edges)
                          and not negative_type(floyd_warshall(list(edges))))
            if failing:
                return n, m, failing
    raise LookupError(f"no failure with at most {max_vertices} vertices")


def _connected_from_one(n: int, edges: tuple[tuple[int, int], ...]) -> bool:
    labels = {x for e in edges for x in e}
    return labels == set(range(1, n + 1)) and _connected(
        n, tuple((p - 1, q - 1) for p, q in edges))


@cache
def connected_classes(n: int, m: int) -> int:
    """How many connected graphs with n vertices and m edges there are up to isomorphism:
    every edge set, kept if connected, in its smallest relabelling."""
    pairs = list(combinations(range(n), 2))
    orders = list(permutations(range(n)))
    seen = set()
    for edges in combinations(pairs, m):
        if _connected(n, edges):
            seen.add(min(tuple(sorted(tuple(sorted((p[u], p[v]))) for u, v in edges))
                         for p in orders))
    return len(seen)


def counts_before(n: int, m: int) -> tuple[int, int]:
    """(connected graphs with 2 to n − 1 vertices, or n vertices and fewer than m edges;
    connected graphs with n vertices and m edges), each up to isomorphism."""
    before = sum(connected_classes(v, e) for v in range(2, n)
                 for e in range(v - 1, v * (v - 1) // 2 + 1))
    before += sum(connected_classes(n, e) for e in range(n - 1, m))
    return before, connected_classes(n, m)
