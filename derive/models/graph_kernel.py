"""Shortest-path distances on graphs as kernels: which sign, if any, is c.p.d.

A kernel k is conditionally positive definite (c.p.d.) on a finite set when
Σ_ij a_i a_j k(x_i, x_j) ≥ 0 for every a with Σ a_i = 0. On the vertices of a connected
graph with distance matrix D, k = −d is c.p.d. exactly when aᵀDa ≤ 0 on the hyperplane
Σ a = 0, that is when P D P (P = I − 11ᵀ/n) has no positive eigenvalue. The distance d
itself is never c.p.d. once there is an edge {p, q}: a = e_p − e_q gives −2.

On a tree, −d is c.p.d.: each edge e cuts the tree in two, Φ_e(v) = 1 on one side, and
d(u, v) = Σ_e |Φ_e(u) − Φ_e(v)| = ‖Φ(u) − Φ(v)‖² (entries 0 or 1), so
Σ a_i a_j (−d_ij) = 2‖Σ a_i Φ(v_i)‖² ≥ 0. On general graphs it fails: `smallest_counterexample`
searches the atlas of small graphs.

>>> g = graph([(1, 2), (2, 3), (2, 4)])
>>> distances(g).tolist()
[[0, 1, 2, 2], [1, 0, 1, 1], [2, 1, 0, 2], [2, 1, 2, 0]]
>>> cpd_test(distances(g)).passes
True
>>> k23 = graph([(1, 3), (1, 4), (1, 5), (2, 3), (2, 4), (2, 5)])
>>> test = cpd_test(distances(k23))
>>> test.passes, test.witness, test.form
(False, (3, 3, -2, -2, -2), -12)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache, cached_property
from math import gcd, lcm

import networkx as nx
import numpy as np
import sympy as sp
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
TOLERANCE = 1e-9          # eigenvalues of P D P above this count as positive


@dataclass(frozen=True)
class Graph:
    """A connected simple graph on the vertices 0, …, n − 1 or 1, …, n (`first`), its edges
    in the order given (edge k is e_{k + first} on the page)."""

    first: int
    n: int
    edges: tuple[tuple[int, int], ...]

    @property
    def m(self) -> int:
        return len(self.edges)

    @property
    def labels(self) -> list[int]:
        return list(range(self.first, self.first + self.n))

    @cached_property
    def nx(self) -> nx.Graph:
        g = nx.Graph()
        g.add_nodes_from(self.labels)
        g.add_edges_from(self.edges)
        return g

    def position(self, label: int) -> int:
        return label - self.first


def problems(edges: list[tuple[int, int]] | list[list[int]]) -> list[str]:
    """What keeps `edges` from being a connected simple graph numbered from 0 or 1."""
    out, seen = [], set()
    for u, v in edges:
        if u == v:
            out.append(f"edge [{u}, {v}] is a loop")
        elif frozenset((u, v)) in seen:
            out.append(f"edge [{u}, {v}] is given twice")
        seen.add(frozenset((u, v)))
    labels = {int(x) for edge in edges for x in edge}
    if not labels:
        return ["a graph needs at least one edge"]
    first = 0 if 0 in labels else 1
    missing = sorted(set(range(first, max(labels) + 1)) - labels)
    if missing:
        out.append(f"vertices are numbered {first}, …, n without gaps: vertex "
                   f"{missing[0]} has no edge")
    elif not out:
        g = nx.Graph([tuple(e) for e in edges])
        if not nx.is_connected(g):
            parts = sorted(sorted(c) for c in nx.connected_components(g))
            out.append(f"the graph is not connected: no path from {parts[0][0]} to "
                       f"{parts[1][0]}, so their distance is not defined")
    return out


def graph(edges: list[tuple[int, int]] | list[list[int]]) -> Graph:
    """The graph of an edge list (checked: simple, connected, vertices numbered from 0 or 1)."""
    wrong = problems(edges)
    if wrong:
        raise ValueError("; ".join(wrong))
    labels = {x for edge in edges for x in edge}
    first = min(labels)
    return Graph(first, max(labels) - first + 1, tuple((int(u), int(v)) for u, v in edges))


def distances(g: Graph) -> IntArray:
    """Shortest-path distances (breadth-first search), rows and columns in vertex order."""
    lengths = dict(nx.all_pairs_shortest_path_length(g.nx))
    return np.array([[lengths[u][v] for v in g.labels] for u in g.labels], dtype=np.int64)


def is_tree(g: Graph) -> bool:
    return bool(nx.is_tree(g.nx))


def edge_cut_embedding(g: Graph) -> IntArray:
    """Φ (n × m): Φ_e(v) = 1 when v is on the side of the second end q of edge e = {p, q}
    once e is removed from the tree (so Φ_e(p) = 0, Φ_e(q) = 1)."""
    if not is_tree(g):
        raise ValueError("the edge-cut embedding is defined on a tree")
    phi = np.zeros((g.n, g.m), dtype=np.int64)
    for k, (p, q) in enumerate(g.edges):
        cut = g.nx.copy()
        cut.remove_edge(p, q)
        for v in nx.node_connected_component(cut, q):
            phi[g.position(v), k] = 1
    return phi


def centred(D: NDArray[np.generic]) -> NDArray[np.float64]:
    """P D P with P = I − 11ᵀ/n: D seen on the hyperplane Σ a = 0."""
    n = D.shape[0]
    P = np.eye(n) - np.ones((n, n)) / n
    return np.asarray(P @ D @ P, dtype=float)


@dataclass(frozen=True)
class CpdTest:
    """Whether k = −d is c.p.d. (no positive eigenvalue of P D P), the largest eigenvalue,
    and when it is not, integer coefficients a (Σ a = 0) with Σ a_i a_j (−d_ij) = form < 0."""

    passes: bool
    top: float
    witness: tuple[int, ...] | None = None
    form: int | None = None


def cpd_test(D: IntArray) -> CpdTest:
    """The c.p.d. test of −d by the eigenvalues of P D P, and a witness when it fails."""
    values, vectors = np.linalg.eigh(centred(D))
    top = float(values[-1])
    if top <= TOLERANCE:
        return CpdTest(True, top)
    a = rational_witness(D, vectors[:, -1])
    return CpdTest(False, top, a, -quadratic_form(D, a))


@dataclass(frozen=True)
class TopEigen:
    """The largest eigenvalue of P D P exactly (`value`, a rational) when it is rational, and
    whether the integer witness is exactly an eigenvector for it (else it was rounded)."""

    value: sp.Rational | None
    eigenvector: bool


def top_eigen(D: IntArray, witness: tuple[int, ...]) -> TopEigen:
    """P D P has rational entries: its rational eigenvalues are the roots of the linear
    factors of its characteristic polynomial over ℚ; the largest eigenvalue is one of them
    when numpy's largest agrees with one. An integer vector can be an eigenvector only for a
    rational eigenvalue; it is one when P D P a = λ a holds exactly.

    >>> k23 = graph([(1, 3), (1, 4), (1, 5), (2, 3), (2, 4), (2, 5)])
    >>> top_eigen(distances(k23), (3, 3, -2, -2, -2))
    TopEigen(value=2/5, eigenvector=True)
    """
    n = D.shape[0]
    P = sp.eye(n) - sp.ones(n, n) / n
    M = P * sp.Matrix(D.tolist()) * P
    top = float(np.linalg.eigvalsh(centred(D))[-1])
    x = sp.Symbol("x")
    factors = sp.Poly(M.charpoly(x).as_expr(), x).factor_list()[1]
    roots = [-f.all_coeffs()[1] / f.all_coeffs()[0] for f, _ in factors if f.degree() == 1]
    exact = [r for r in roots if abs(float(r) - top) < 1e-9]
    if not exact:
        return TopEigen(None, False)
    value = sp.Rational(exact[0])
    a = sp.Matrix(witness)
    return TopEigen(value, M * a == value * a)


def quadratic_form(D: IntArray, a: tuple[int, ...]) -> int:
    """aᵀ D a, exactly (SymPy integers)."""
    A = sp.Matrix([list(map(int, row)) for row in D])
    v = sp.Matrix(a)
    return int((v.T * A * v)[0, 0])


def rational_witness(D: IntArray, v: NDArray[np.float64]) -> tuple[int, ...]:
    """Small integers along the eigenvector v: v / max|v| rounded to fractions of growing
    denominators, centred exactly (Σ = 0), cleared of denominators and common factors; the
    first with aᵀDa > 0 (checked exactly)."""
    v = v / v[np.argmax(np.abs(v))]
    for den in range(1, 1000):
        r = [Fraction(float(x)).limit_denominator(den) for x in v]
        mean = sum(r, Fraction(0)) / len(r)
        r = [x - mean for x in r]
        scale = lcm(*(x.denominator for x in r))
        ints = [int(x * scale) for x in r]
        common = gcd(*ints)
        if common == 0:
            continue
        a = tuple(x // common for x in ints)
        if sum(a) == 0 and quadratic_form(D, a) > 0:
            return a
    raise ArithmeticError("no rational witness found near the eigenvector")


def edge_witness(g: Graph) -> tuple[int, int]:
    """The ends of the first edge: a = e_p − e_q makes Σ a_i a_j d_ij = −2 d(p, q) = −2."""
    return g.edges[0]


def base_point_matrix(D: IntArray) -> sp.ImmutableMatrix:
    """K̃_ij = d(v_i, v_0) + d(v_0, v_j) − d(v_i, v_j) for i, j ≥ 1: with a_0 = −Σ_{i≥1} a_i,
    Σ_ij a_i a_j (−d_ij) = Σ_{i,j≥1} a_i a_j K̃_ij."""
    n = D.shape[0]
    return sp.ImmutableMatrix(n - 1, n - 1, lambda i, j: int(D[i + 1, 0] + D[0, j + 1]
                                                            - D[i + 1, j + 1]))


def charpoly(K: sp.Matrix, t: sp.Symbol) -> tuple[sp.Expr, bool]:
    """det(tI − K) and whether its coefficients alternate in sign (weakly): for a symmetric
    K that is exactly "every eigenvalue ≥ 0", since a real-rooted polynomial has no negative
    root iff its coefficients alternate (Descartes)."""
    poly = K.charpoly(t)
    coeffs = poly.all_coeffs()              # t^k, highest first
    alternates = all(c * (-1) ** k >= 0 for k, c in enumerate(coeffs))
    return poly.as_expr(), alternates


@cache
def expansion_residual(n: int) -> sp.Expr:
    """Σ_ij a_i a_j (−(x_i − x_j)²) − 2(Σ_i a_i x_i)² for n generic numbers x_i once
    a_n = −(a_1 + … + a_{n−1}), expanded by SymPy: 0 proves the identity for n points. In
    R^m both sides are sums over the m coordinates of this very expression, so 0 here
    proves Σ_ij a_i a_j (−‖x_i − x_j‖²) = 2‖Σ_i a_i x_i‖² in every dimension."""
    a = list(sp.symbols(f"a0:{n - 1}"))
    a.append(-sum(a, sp.Integer(0)))
    x = sp.symbols(f"x0:{n}")
    lhs = sum((-a[i] * a[j] * (x[i] - x[j]) ** 2 for i in range(n) for j in range(n)),
              sp.Integer(0))
    return sp.expand(lhs - 2 * sum((a[i] * x[i] for i in range(n)), sp.Integer(0)) ** 2)


# --- the search for the smallest graph on which −d is not c.p.d. -----------------------------
@dataclass(frozen=True)
class Search:
    """The first connected graph, by vertices then edges, on which −d is not c.p.d. Counted up
    to isomorphism among connected graphs with at least two vertices: `before` have fewer
    vertices, or as many and fewer edges (all pass); `same` have its numbers of vertices and
    edges, of which `ties` fail (itself included)."""

    graph: Graph
    atlas_index: int
    before: int
    same: int
    ties: int


def _fails(g: nx.Graph) -> bool:
    D = nx.floyd_warshall_numpy(g, nodelist=sorted(g))
    return bool(np.linalg.eigvalsh(centred(D))[-1] > TOLERANCE)


@cache
def smallest_counterexample() -> Search:
    """Connected graphs of networkx's atlas (every graph up to 7 vertices, once up to
    isomorphism), sorted by (vertices, edges): the first for which P D P has a positive
    eigenvalue. Vertices numbered from 1."""
    atlas = sorted(enumerate(nx.graph_atlas_g()),
                   key=lambda kg: (kg[1].number_of_nodes(), kg[1].number_of_edges(), kg[0]))
    connected = [(k, g) for k, g in atlas
                 if g.number_of_nodes() >= 2 and nx.is_connected(g)]

    def size(g: nx.Graph) -> tuple[int, int]:
        return g.number_of_nodes(), g.number_of_edges()

    for k, g in connected:
        if _fails(g):
            same = [h for _, h in connected if size(h) == size(g)]
            edges = sorted(tuple(sorted((u + 1, v + 1))) for u, v in g.edges)
            return Search(graph(edges), k, sum(1 for _, h in connected if size(h) < size(g)),
                          len(same), sum(1 for h in same if _fails(h)))
    raise LookupError("every connected graph of the atlas passes")


# --- what a graph is called -------------------------------------------------------------------
def name(g: Graph) -> tuple[str, str]:
    """(family, LaTeX name): complete bipartite K_{p,q}, cycle C_n, complete K_n, path P_n,
    star K_{1,q} — recognised by isomorphism — or ("other", "")."""
    n = g.n
    known: list[tuple[str, str, nx.Graph]] = [
        ("path", f"P_{{{n}}}", nx.path_graph(n)),
        ("complete", f"K_{{{n}}}", nx.complete_graph(n)),
        ("cycle", f"C_{{{n}}}", nx.cycle_graph(n)),
    ]
    known += [("complete_bipartite", f"K_{{{p},{n - p}}}", nx.complete_bipartite_graph(p, n - p))
              for p in range(1, n // 2 + 1)]
    for family, tex_name, h in known:
        if h.number_of_edges() == g.m and nx.is_isomorphic(g.nx, h):
            return family, tex_name
    return "other", ""
