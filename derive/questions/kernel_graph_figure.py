"""Where each vertex of a graph is drawn (TikZ, `parts/kernel_graph.tex.j2`): deterministic
positions — a tree in layers from its first vertex, a bipartite graph in two rows, any other
graph on a circle — and on which side of its vertex each label goes."""

from __future__ import annotations

import math

import networkx as nx

from derive.models.graph_kernel import Graph

WIDTH = 9.0          # cm, at most
HEIGHT = 5.0         # cm, at most
STEP = 1.6           # cm between neighbouring vertices, at most
ANCHORS = {"above": "north", "below": "south", "left": "west", "right": "east"}


def _tree(g: Graph) -> dict[int, tuple[float, float]]:
    """Leaves left to right in depth-first order, each parent above the middle of its
    children, one layer per depth (layers left to right for a deep, narrow tree)."""
    root = g.labels[0]
    tree = nx.bfs_tree(g.nx, root)
    xs: dict[int, float] = {}
    depth = nx.shortest_path_length(tree, root)

    def place(v: int) -> float:
        children = sorted(tree.successors(v))
        if not children:
            xs[v] = float(len([u for u in xs if not list(tree.successors(u))]))
            return xs[v]
        xs[v] = sum(place(c) for c in children) / len(children)
        return xs[v]

    place(root)
    if max(depth.values()) > max(4.0, max(xs.values())):     # deep and narrow: left to right
        return {v: (float(depth[v]), -xs[v]) for v in g.labels}
    return {v: (xs[v], -float(depth[v])) for v in g.labels}


def _two_rows(g: Graph) -> dict[int, tuple[float, float]]:
    top = sorted(_side(g))
    bottom = sorted(set(g.labels) - set(top))
    width = max(len(top), len(bottom)) - 1
    out: dict[int, tuple[float, float]] = {}
    for y, vs in ((0.0, top), (-1.0, bottom)):
        offset = (width - (len(vs) - 1)) / 2
        out |= {v: (offset + k, y) for k, v in enumerate(vs)}
    return out


def _side(g: Graph) -> set[int]:
    colour = nx.bipartite.color(g.nx)
    return {v for v, c in colour.items() if c == colour[g.labels[0]]}


def _circle(g: Graph) -> dict[int, tuple[float, float]]:
    r = max(1.0, g.n / (2 * math.pi))
    return {v: (r * math.cos(math.pi / 2 - 2 * math.pi * k / g.n),
                r * math.sin(math.pi / 2 - 2 * math.pi * k / g.n))
            for k, v in enumerate(g.labels)}


def _anchor(x: float, y: float, cx: float, cy: float) -> str:
    """The side of a vertex away from the middle of the drawing."""
    dx, dy = x - cx, y - cy
    if abs(dy) >= abs(dx):
        return "above" if dy > 0 else "below"
    return "right" if dx > 0 else "left"


def figure(g: Graph, coefficients: tuple[int, ...] | None = None,
           edge_names: bool = False) -> dict[str, object]:
    """What the template draws: vertices (label, x, y in cm, the side of the coefficient
    and the vertex's anchor on that side, the coefficient), edges (ends, and the number k
    of e_k, from 1, with `edge_names`)."""
    tree = nx.is_tree(g.nx)
    if tree:
        at = _tree(g)
    elif nx.is_bipartite(g.nx):
        at = _two_rows(g)
    else:
        at = _circle(g)
    xs, ys = [p[0] for p in at.values()], [p[1] for p in at.values()]
    span = max(max(xs) - min(xs), 1e-9)
    scale = min(STEP, WIDTH / span)
    rise = min(STEP, HEIGHT / max(max(ys) - min(ys), 1e-9))
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    vertices = [{"label": v, "x": f"{(at[v][0] - cx) * scale:.3f}",
                 "y": f"{(at[v][1] - cy) * rise:.3f}",
                 "side": _anchor(at[v][0], at[v][1], cx, cy),
                 "anchor": ANCHORS[_anchor(at[v][0], at[v][1], cx, cy)],
                 "coefficient": None if coefficients is None else coefficients[k]}
                for k, v in enumerate(g.labels)]
    edges = [{"p": p, "q": q, "name": k + 1 if edge_names else None}
             for k, (p, q) in enumerate(g.edges)]
    return {"vertices": vertices, "edges": edges}
