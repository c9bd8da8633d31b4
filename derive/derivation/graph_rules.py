"""Rules of the graph-distance kernels (shortest paths, the edge-cut embedding of a tree,
c.p.d. forms). Each is stated by the kind and worded in
templates/strings/<language>/graph.yaml under `rules:`; the checker compares each step with
the one before on the graph's own tables and random coefficients with Σ a_i = 0."""

from __future__ import annotations

from derive.derivation.rules import register

_STATED = (
    "graph_shortest_path",    # distances by breadth-first search
    "graph_edge_cut",         # the path from u to v crosses e iff e separates them
    "graph_binary_square",    # |t| = t² for t ∈ {−1, 0, 1}
    "graph_by_cut",           # d_ij = Σ_e (Φ_ie − Φ_je)², shown just above
    "graph_expand_square",    # (x − y)² = x² − 2xy + y²
    "graph_split_sums",       # sums split, factors taken out, i and j renamed
    "graph_as_above",         # the expansion just shown, for these coefficients
    "graph_sum_zero",         # Σ_j a_j = 0
    "graph_base_point",       # a_1 = −Σ_{i≥2} a_i and d(v, v) = 0
    "graph_charpoly",         # det(tI − K̃), expanded
    "graph_search",           # the first failure of the search
    "graph_witness",          # the coefficients found along the eigenvector
)

for _name in _STATED:
    register(_name)
