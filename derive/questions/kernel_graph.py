"""kernel.graph_distance: is the shortest-path distance d on a graph's vertices c.p.d., and
is −d? d never is once there is an edge (a = (1, −1) on its ends gives −2). On every tree, −d
is c.p.d., proved for any tree with n vertices and m edges through the edge-cut embedding Φ:
d(u, v) = ‖Φ(u) − Φ(v)‖², so the form of −d is 2‖Σ a_i Φ(i)‖²; the given tree is the worked
example on which each step is checked. On another graph, either a witness a (Σ a = 0,
Σ a_i a_j (−d_ij) < 0, found along an eigenvector of Π D Π), or the proof that −d is c.p.d.
there: the form equals cᵀK̃c and det(tI − K̃) has coefficients of alternating signs.
`graph: search` finds the smallest graph on which −d is not c.p.d. The graph is drawn
(parts/kernel_graph.tex.j2).

Indices are the vertices' own labels (from 0 or 1: the derivation's `base`) and edges are
numbered from 1, so the page prints indices as they are (`display_base` 0); a table read at
labels (`table`) has empty rows in front of the first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import sympy as sp
from numpy.typing import NDArray
from pydantic import Field, model_validator

import derive.derivation.graph_rules  # noqa: F401  (registers the family's rules)
from derive.derivation import Derivation, Domain
from derive.models import graph_kernel as G
from derive.models.function import Shown
from derive.questions.base import NonNegInt
from derive.questions.declare import Derived, kind
from derive.questions.kernel_evidence import conclude, note, setup
from derive.questions.kernel_graph_figure import figure
from derive.verify import graph_reference as ref

DEFAULT_TREE = ((1, 2), (1, 3), (2, 4), (2, 5), (3, 6))
Edge = Annotated[list[NonNegInt], Field(min_length=2, max_length=2)]

i, j, k, l_ = sp.symbols("i j k l", integer=True, nonnegative=True)
p_, q_ = sp.symbols("p q", integer=True, nonnegative=True)     # the ends of an edge
n_, m_ = sp.symbols("n m", integer=True, positive=True)        # vertices, edges of any tree
a, b = sp.IndexedBase("a", real=True), sp.IndexedBase("b", real=True)
dist, phi = sp.IndexedBase("d", real=True), sp.IndexedBase(r"\Phi", real=True)
t = sp.Symbol("t", real=True)


class Centred(sp.Symbol):
    """The name of coefficients drawn with Σ a_i = 0 next to free ones: printed a as well."""

    def _latex(self, printer: Any) -> str:
        return "a"


a0 = sp.IndexedBase(Centred("a_centred", real=True))


class Table(sp.Function):
    """Entries of a fixed array by position: the numeric meaning of the graph's distances,
    embedding or coefficients, from which the checker computes d, Φ or a."""


def table(tag: str, values: Any) -> type[sp.Function]:
    array = np.asarray(values, dtype=float)

    def lookup(*idx: Any) -> NDArray[np.float64]:
        return array[tuple(np.asarray(v).astype(np.int64) for v in idx)]

    return type(f"graph_{tag}_table", (Table,), {"_imp_": staticmethod(lookup)})


def _pad(values: Any, rows: int, cols: int = 0) -> NDArray[np.float64]:
    """`values` with `rows` empty rows (and `cols` empty columns) in front, so that entry
    [u, v] sits at the labels u, v."""
    array = np.asarray(values, dtype=float)
    return np.pad(array, [(rows, 0)] + ([(cols, 0)] if array.ndim > 1 else []))


def _tuple(values: tuple[int, ...]) -> str:
    return r"\left(" + ", ".join(str(v) for v in values) + r"\right)"


def _edges(g: G.Graph, named: bool) -> str:
    return ", ".join((rf"$e_{{{n + 1}}} = \{{{p}, {q}\}}$" if named else rf"$\{{{p}, {q}\}}$")
                     for n, (p, q) in enumerate(g.edges))


@kind("kernel.graph_distance",
      "Shortest-path distance on a graph: is d c.p.d., is −d? Tree proof or counterexample.",
      {"edges": [list(edge) for edge in DEFAULT_TREE]}, template="parts/kernel_graph.tex.j2")
class GraphDistance(Derived):
    graph: Literal["tree", "search"] | None = Field(
        None, description="tree: a tree (the given edges, or a 6-vertex one); search: the "
                          "smallest graph on which −d is not c.p.d.")
    edges: list[Edge] | None = Field(
        None, description="Edges [u, v] of a connected simple graph, vertices numbered 1, …, n "
                          "(or 0, …, n − 1).")
    seed: NonNegInt = 0
    limits: ClassVar[dict[str, int]] = {"vertices": 10}

    def measures(self) -> dict[str, int]:
        if self.edges:
            labels = [x for edge in self.edges for x in edge]
            return {"vertices": max(labels) - min(labels) + 1}
        return {"vertices": 6}

    @model_validator(mode="after")
    def _a_graph(self) -> GraphDistance:
        if self.graph == "search" and self.edges is not None:
            raise ValueError("graph: search finds its own graph; leave out edges")
        if self.graph is None and self.edges is None:
            raise ValueError("give edges ([[1, 2], [2, 3], …]), or graph: tree or graph: search")
        if self.edges is not None:
            wrong = G.problems(self.edges)
            if wrong:
                raise ValueError("; ".join(wrong))
            g = G.graph(self.edges)
            if self.graph == "tree" and not G.is_tree(g):
                raise ValueError(f"graph: tree, but these {g.m} edges on {g.n} vertices are "
                                 f"not a tree (a tree has n − 1 = {g.n - 1} edges and no cycle)")
        return self

    # the graph --------------------------------------------------------------------------
    def the_graph(self) -> G.Graph:
        if self.graph == "search":
            return G.smallest_counterexample().graph
        return G.graph(self.edges if self.edges is not None else list(DEFAULT_TREE))

    def display_base(self) -> int:
        return 0                        # indices are the vertices' own labels

    @property
    def method(self) -> str:  # type: ignore[override]
        """The check's words: what the tree proof, the search or the other graph compute."""
        g = self.the_graph()
        if self.graph == "search":
            return "graph_search"
        if G.is_tree(g):
            return "graph_tree"
        return "graph_charpoly" if G.cpd_test(G.distances(g)).passes else "graph_witness"

    # the derivation ---------------------------------------------------------------------
    def derive(self) -> Derivation:
        g = self.the_graph()
        D = G.distances(g)
        f, last = g.first, g.first + g.n - 1
        d = Derivation({dist: Domain((g.n, g.n), "defined")}, {i: (f, last), j: (f, last)},
                       {dist: table("distance", _pad(D, f, f))}, base=f, marked=frozenset())
        p, q = G.edge_witness(g)
        d.definitions |= {p_: sp.Integer(p), q_: sp.Integer(q)}
        setup(d)
        if self.graph == "search":
            self.search(d, g)
            self.witness(d, g, G.cpd_test(D))
        elif G.is_tree(g):
            conclude(d, "graph_claim_false")
            d.say("graph_d_fails")
            self.d_fails(d)
            self.tree_proof(d, g)
            self.tree_example(d, g, D)
        else:
            d.say("graph_given", vertices=self._labels(g), edges=_edges(g, named=False))
            d.chain(sp.MatrixSymbol("D", g.n, g.n), sp.ImmutableMatrix(D.tolist()),
                    "graph_shortest_path").answer("distances")
            d.say("graph_d_fails")
            self.d_fails(d)
            test = G.cpd_test(D)
            if test.passes:
                self.base_point_proof(d, g, D)
            else:
                self.witness(d, g, test)
            conclude(d, "graph_verdict", case="minus_d" if test.passes else "neither")
        return d

    @staticmethod
    def _labels(g: G.Graph) -> str:
        return "$" + ", ".join(str(v) for v in g.labels) + "$"

    def d_fails(self, d: Derivation, shown: bool = True) -> None:
        """a = (1, −1) on the ends p, q of an edge: Σ a_i a_j d(x_i, x_j) = −2 (d(v, v) = 0,
        d(p, q) = d(q, p) = 1, said in words), checked at the graph's first edge."""
        d.chain(sp.Symbol(r"\sum_{i=1}^{2} \sum_{j=1}^{2} a_i a_j\, d(x_i, x_j)"),
                dist[p_, p_] - dist[p_, q_] - dist[q_, p_] + dist[q_, q_], "definition")
        d.steps[-1].display = "d(p, p) - d(p, q) - d(q, p) + d(q, q)"
        d.then(sp.Integer(-2), "evaluate").answer("d_form")
        for step in d.steps[-2:]:
            step.shown = shown

    def _centred(self, d: Derivation, g: G.Graph, centred: sp.IndexedBase,
                 drawn: sp.IndexedBase) -> None:
        """Random coefficients with Σ = 0: centred_v = drawn_v − mean(drawn) on the labels."""
        f = g.first
        d.domains[drawn] = Domain((g.n,))
        d.domains[centred] = Domain((g.n,), "defined")
        d.definitions[centred] = lambda r: drawn[r] - sp.Sum(drawn[l_], (l_, f, f + g.n - 1)) / g.n

    @staticmethod
    def _form(coeff: sp.IndexedBase, lo: int, hi: sp.Expr) -> sp.Expr:
        return -sp.Sum(coeff[i] * coeff[j] * dist[i, j], (i, lo, hi), (j, lo, hi))

    def tree_proof(self, d: Derivation, g: G.Graph) -> None:
        """For any tree (n vertices, m edges), checked on this one: Φ; d_ij = Σ_k |Φ_ik − Φ_jk|
        = Σ_k (Φ_ik − Φ_jk)²; the form of −d expanded for any a (checked at a drawn freely),
        then, when Σ a_i = 0 (checked at a centred), 2‖Σ a_i Φ_i‖²."""
        n, m, f = g.n, g.m, g.first
        if G.expansion_residual(n) != 0:
            raise ArithmeticError(f"the expansion identity fails symbolically for n = {n}")
        d.domains[phi] = Domain((n, m + 1 - f), "defined")      # edges k = 1, …, m
        d.definitions |= {phi: table("embedding", _pad(G.edge_cut_embedding(g), f, 1)),
                          n_: sp.Integer(n), m_: sp.Integer(m)}
        self._centred(d, g, a0, a)
        last = n_ + f - 1
        note(d, "graph_tree_claim")
        d.say("graph_embedding", vertices=r"1, \dots, n" if f == 1 else r"0, \dots, n - 1")
        diff = phi[i, k] - phi[j, k]
        square = sp.Sum(diff ** 2, (k, 1, m_))
        d.chain(dist[i, j], dist[i, j], "definition")
        d.then(sp.Sum(sp.Abs(diff), (k, 1, m_)), "graph_edge_cut")
        d.then(square, "graph_binary_square")

        def split(c: sp.IndexedBase) -> sp.Expr:
            along = sp.Sum(c[i] * phi[i, k], (i, f, last))
            return (2 * sp.Sum(along * sp.Sum(c[j] * phi[j, k], (j, f, last)), (k, 1, m_))
                    - 2 * sp.Sum(c[j], (j, f, last)) * sp.Sum(c[i] * phi[i, k] ** 2,
                                                              (i, f, last), (k, 1, m_)))

        d.say("graph_tree_expand")
        d.chain(self._form(a, f, last), self._form(a, f, last), "definition")
        d.then(-sp.Sum(a[i] * a[j] * square, (i, f, last), (j, f, last)), "graph_by_cut")
        d.then(-sp.Sum(a[i] * a[j] * (phi[i, k] ** 2 - 2 * phi[i, k] * phi[j, k]
                                      + phi[j, k] ** 2), (k, 1, m_), (i, f, last), (j, f, last)),
               "graph_expand_square")
        d.then(split(a), "graph_split_sums")
        d.say("graph_tree_form")
        d.chain(self._form(a0, f, last), self._form(a0, f, last), "definition")
        d.then(split(a0), "graph_as_above")
        d.steps[-1].shown = False           # the expansion just shown: checked, not repeated
        d.then(2 * sp.Sum(sp.Sum(a0[i] * phi[i, k], (i, f, last)) ** 2, (k, 1, m_)),
               "graph_sum_zero").answer("minus_d_form")
        conclude(d, "graph_tree_verdict")

    def tree_example(self, d: Derivation, g: G.Graph, D: G.IntArray) -> None:
        """The given tree: its edges named, its distances and its Φ (the figure goes first)."""
        d.say("graph_tree_example", case="tree_edge" if g.m == 1 else "tree", n=g.n, m=g.m,
              edges=_edges(g, named=True))
        d.chain(sp.MatrixSymbol("D", g.n, g.n), sp.ImmutableMatrix(D.tolist()),
                "graph_shortest_path").answer("distances")
        d.say("graph_tree_phi")
        d.chain(sp.MatrixSymbol(r"\Phi", g.n, g.m),
                sp.ImmutableMatrix(G.edge_cut_embedding(g).tolist()), "definition"
                ).answer("embedding")

    def search(self, d: Derivation, g: G.Graph) -> None:
        """The verdict, d never c.p.d. (in words), how the search found the graph (in words,
        checked by brute force), the graph and its distances."""
        found = G.smallest_counterexample()
        family, name = G.name(g)
        conclude(d, "graph_search_verdict")
        note(d, "graph_d_never")
        self.d_fails(d, shown=False)
        note(d, "graph_search", case=family, name=name, n=g.n, m=g.m)
        d.chain(sp.Symbol(r"(|V|, |E|)"), sp.ImmutableMatrix([[g.n, g.m]]),
                "graph_search").answer("search_size")
        d.chain(sp.Symbol("counts"), sp.ImmutableMatrix([[found.before, found.same]]),
                "graph_search").answer("search_counts")
        for step in d.steps[-2:]:
            step.shown = False              # said in words, checked by brute force
        note(d, "graph_search_count", case="one" if found.ties == 1 else "several",
             before=found.before, same=found.same, ties=found.ties, n=g.n, m=g.m)
        d.say("graph_search_graph", vertices=self._labels(g), edges=_edges(g, named=False))
        d.chain(sp.MatrixSymbol("D", g.n, g.n), sp.ImmutableMatrix(G.distances(g).tolist()),
                "graph_shortest_path").answer("distances")

    def witness(self, d: Derivation, g: G.Graph, test: G.CpdTest) -> None:
        """Integer coefficients summing to 0 on which the form of −d is negative: an exact
        eigenvector of Π D Π for its largest eigenvalue when there is an integer one, else
        the eigenvector rounded (the page says which, and λ exactly when it is rational)."""
        assert test.witness is not None and test.form is not None
        f, last = g.first, g.first + g.n - 1
        d.domains[a] = Domain((g.n,), "defined")
        d.definitions[a] = table("witness", _pad(test.witness, f))
        top = G.top_eigen(G.distances(g), test.witness)
        shown = (f"= {sp.latex(top.value)}" if top.value is not None
                 else rf"\approx {test.top:.2f}")
        lam = Shown(r"\lambda_{\max}(\Pi D \Pi)")
        d.chain(lam, top.value if top.value is not None else sp.Float(test.top, 15),
                "graph_witness").answer("witness_top")
        d.steps[-1].shown = False           # said in words, checked against numpy
        if top.eigenvector:
            assert top.value is not None
            d.chain(Shown(r"\Pi D \Pi a"),
                    sp.ImmutableMatrix([[top.value * v for v in test.witness]]),
                    "graph_witness").answer("witness_eigenvector")
            d.steps[-1].shown = False
        d.say("graph_witness", top=shown, a=_tuple(test.witness),
              case="eigenvector" if top.eigenvector else "rounded")
        total = sp.Sum(a[i], (i, f, last))
        d.chain(total, total, "definition").then(sp.Integer(0), "evaluate")
        for step in d.steps[-2:]:
            step.shown = False              # said in words
        d.chain(self._form(a, f, last), self._form(a, f, last), "definition")
        d.then(sp.Integer(test.form), "evaluate").answer("witness_form")

    def base_point_proof(self, d: Derivation, g: G.Graph, D: G.IntArray) -> None:
        """Σ a_i a_j (−d_ij) = Σ_{i,j ≠ first} a_i a_j K̃_ij, and K̃ is p.s.d. (Descartes)."""
        f, last = g.first, g.first + g.n - 1
        self._centred(d, g, a, b)
        d.say("graph_base_point", first=f)
        d.chain(self._form(a, f, last), self._form(a, f, last), "definition")
        d.then(sp.Sum(a[i] * a[j] * (dist[i, f] + dist[f, j] - dist[i, j]),
                      (i, f + 1, last), (j, f + 1, last)), "graph_base_point")
        K = G.base_point_matrix(D)
        poly, alternates = G.charpoly(sp.Matrix(K), t)
        if not alternates:
            raise ArithmeticError("Π D Π has no positive eigenvalue, but det(tI − K̃) "
                                  "does not alternate in sign")
        d.domains[t] = Domain()
        d.say("graph_ktilde", first=f, second=f + 1)
        d.chain(sp.MatrixSymbol(r"\tilde K", g.n - 1, g.n - 1), K, "definition")
        d.say("graph_charpoly")
        d.chain(sp.Symbol(r"\det(t I - \tilde K)"), poly, "graph_charpoly").answer("charpoly")
        note(d, "graph_charpoly_done")

    # the page and answers.json ----------------------------------------------------------
    def page(self, d: Derivation) -> dict[str, Any]:
        """The figure, and the sentence it goes before (None: after the derivation)."""
        g = self.the_graph()
        if G.is_tree(g):
            return {"figure": {"case": "tree", "before": "graph_tree_example",
                               **figure(g, edge_names=True)}}
        test = G.cpd_test(G.distances(g))
        if test.passes:
            return {"figure": {"case": "plain", "before": None, **figure(g)}}
        return {"figure": {"case": "witness", "before": None, **figure(g, test.witness)}}

    def value(self, answers: dict[str, Any]) -> Any:
        """Verdicts for d and −d, and the evidence: distances, embedding or witness."""
        g = self.the_graph()
        D = G.distances(g)
        tree = G.is_tree(g)
        test = G.cpd_test(D)
        family, name = G.name(g)
        out: dict[str, Any] = {
            "vertices": g.labels, "edges": [list(edge) for edge in g.edges],
            "name": name, "family": family, "tree": tree, "d_cpd": False,
            "minus_d_cpd": test.passes, "distances": D.tolist(),
            "d_counterexample": {"points": list(G.edge_witness(g)), "a": [1, -1],
                                 "form": int(answers["d_form"])},
            "largest_eigenvalue_PDP": round(test.top, 12) + 0.0}
        if tree:
            out["embedding"] = G.edge_cut_embedding(g).tolist()
        elif test.passes:
            out["charpoly"] = str(answers["charpoly"])
        else:
            out["witness"] = {"a": list(test.witness or ()), "form": test.form}
        if self.graph == "search":
            found = G.smallest_counterexample()
            out["search"] = {"before": found.before, "same": found.same,
                             "ties": found.ties}                         # as on the page
        return out

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        edges = [list(edge) for edge in self.the_graph().edges]
        first, n = ref.vertices(edges)
        D = ref.floyd_warshall(edges)
        (p, q), unit = edges[0], np.eye(n)
        out: dict[str, Any] = {"distances": D,
                               "d_form": ref.form(D, unit[p - first] - unit[q - first])}
        method = self.method
        if method == "graph_tree":
            out["embedding"] = ref.sides(edges)
            out["minus_d_form"] = ref.form(-D, np.asarray(data["a_centred"]))
        elif method == "graph_charpoly":
            K = D[1:, [0]] + D[[0], 1:] - D[1:, 1:]
            out["charpoly"] = float(np.polyval(np.poly(K), float(data["t"])))
        else:
            a = np.asarray(data["a"], dtype=float)
            out["witness_form"] = ref.form(-D, a)
            P = np.eye(n) - np.ones((n, n)) / n
            out["witness_top"] = float(np.linalg.eigvalsh(P @ D @ P)[-1])
            out["witness_eigenvector"] = (P @ D @ P @ a)[None, :]
        if method == "graph_search":
            size = ref.smallest_failure()
            out["search_size"] = np.array([size[:2]], dtype=float)
            out["search_counts"] = np.array([ref.counts_before(*size[:2])], dtype=float)
        return out
