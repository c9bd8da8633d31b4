"""kernel.graph_distance: is the shortest-path distance d on a graph's vertices c.p.d., and
is −d? d never is once there is an edge (a = e_p − e_q gives −2). On a tree, −d is c.p.d.,
proved through the edge-cut embedding Φ: d(u, v) = ‖Φ(u) − Φ(v)‖², so the form of −d is
2‖Σ a_i Φ(i)‖². On another graph, either a witness a (Σ a = 0, Σ a_i a_j (−d_ij) < 0, found
along an eigenvector of P D P), or the proof that −d is c.p.d. there: the form equals
cᵀK̃c and det(tI − K̃) has coefficients of alternating signs. `graph: search` finds the
smallest graph on which −d is not c.p.d. The graph is drawn (parts/kernel_graph.tex.j2)."""

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
from derive.questions.kernel_evidence import setup
from derive.questions.kernel_graph_figure import figure
from derive.verify import graph_reference as ref

DEFAULT_TREE = ((1, 2), (1, 3), (2, 4), (2, 5), (3, 6))
Edge = Annotated[list[NonNegInt], Field(min_length=2, max_length=2)]

i, j, e, k = sp.symbols("i j e k", integer=True, nonnegative=True)
a, b = sp.IndexedBase("a", real=True), sp.IndexedBase("b", real=True)
dist, phi = sp.IndexedBase("d", real=True), sp.IndexedBase(r"\Phi", real=True)
t = sp.Symbol("t", real=True)


class Centred(sp.Symbol):
    """The name of coefficients drawn with Σ a_i = 0 next to free ones: printed a as well."""

    def _latex(self, printer: Any) -> str:
        return "a"


a0 = sp.IndexedBase(Centred("a_centred", real=True))


class Table(sp.Function):
    """Entries of a fixed array by 0-based position: the numeric meaning of the graph's
    distances, embedding or coefficients, from which the checker computes d, Φ or a."""


def table(tag: str, values: Any) -> type[sp.Function]:
    array = np.asarray(values, dtype=float)

    def lookup(*idx: Any) -> NDArray[np.float64]:
        return array[tuple(np.asarray(v).astype(np.int64) for v in idx)]

    return type(f"graph_{tag}_table", (Table,), {"_imp_": staticmethod(lookup)})


def _tuple(values: tuple[int, ...]) -> str:
    return r"\left(" + ", ".join(str(v) for v in values) + r"\right)"


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
    method: ClassVar[str] = "graph_reference"
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
        return self.the_graph().first

    # the derivation ---------------------------------------------------------------------
    def derive(self) -> Derivation:
        g = self.the_graph()
        D = G.distances(g)
        d = Derivation({dist: Domain((g.n, g.n), "defined")}, {i: (0, g.n - 1), j: (0, g.n - 1)},
                       {dist: table("distance", D)})
        setup(d)
        self.intro(d, g, D)
        self.d_fails(d, g, D)
        if G.is_tree(g):
            self.tree_proof(d, g)
        else:
            test = G.cpd_test(D)
            if test.passes:
                self.base_point_proof(d, g, D)
            else:
                self.witness(d, g, test)
        return d

    def intro(self, d: Derivation, g: G.Graph, D: G.IntArray) -> None:
        """The graph (or how the search found it) and its distance matrix."""
        labels = r"$" + ", ".join(str(v) for v in g.labels) + r"$"
        edges = ", ".join(rf"$e_{{{n + g.first}}} = \{{{p}, {q}\}}$"
                          for n, (p, q) in enumerate(g.edges))
        if self.graph == "search":
            found = G.smallest_counterexample()
            family, name = G.name(g)
            d.say("graph_search", case=family, name=name, tested=found.tested, n=g.n,
                  m=g.m, vertices=labels, edges=edges)
        else:
            d.say("graph_given", case=("tree_edge" if g.m == 1 else "tree") if G.is_tree(g)
                  else "graph", vertices=labels, edges=edges)
        d.chain(sp.MatrixSymbol("D", g.n, g.n), sp.ImmutableMatrix(D.tolist()),
                "graph_shortest_path").answer("distances")
        if self.graph == "search":
            d.chain(sp.Symbol(r"(|V|, |E|)"), sp.ImmutableMatrix([[g.n, g.m]]),
                    "graph_search").answer("search_size")
            d.steps[-1].shown = False           # said in words, checked by brute force

    def d_fails(self, d: Derivation, g: G.Graph, D: G.IntArray) -> None:
        """a = (1, −1) on the ends of an edge: Σ a_i a_j d(x_i, x_j) = −2 d(p, q) < 0."""
        p, q = G.edge_witness(g)
        where, coeffs = (g.position(p), g.position(q)), (1, -1)
        terms = [(coeffs[r], coeffs[s], int(D[where[r], where[s]]))
                 for r in range(2) for s in range(2)]
        value = sp.Add(*(sp.Mul(x, y, z, evaluate=False) for x, y, z in terms), evaluate=False)
        shown = " + ".join(r" \cdot ".join(f"({v})" if v < 0 else str(v) for v in term)
                           for term in terms)
        d.say("graph_d_fails", p=p, q=q, case="search" if self.graph == "search" else "claim")
        d.chain(sp.Symbol(r"\sum_{i=1}^{2} \sum_{j=1}^{2} a_i a_j\, d(x_i, x_j)"), value,
                "definition")
        d.steps[-1].display = shown
        d.then(sp.Integer(sum(x * y * z for x, y, z in terms)), "evaluate").answer("d_form")

    def _centred(self, d: Derivation, n: int, centred: sp.IndexedBase,
                 drawn: sp.IndexedBase) -> None:
        """Random coefficients with Σ = 0: centred_i = drawn_i − mean(drawn)."""
        d.domains[drawn] = Domain((n,))
        d.domains[centred] = Domain((n,), "defined")
        d.definitions[centred] = lambda r: drawn[r] - sp.Sum(drawn[k], (k, 0, n - 1)) / n

    def _form(self, n: int, coeff: sp.IndexedBase = a) -> sp.Expr:
        return -sp.Sum(coeff[i] * coeff[j] * dist[i, j], (i, 0, n - 1), (j, 0, n - 1))

    def tree_proof(self, d: Derivation, g: G.Graph) -> None:
        """Φ; d_ij = Σ_e |Φ_ie − Φ_je| = Σ_e (Φ_ie − Φ_je)²; the form of −d expanded for any
        a (checked at a drawn freely), then, when Σ a_i = 0 (checked at a centred),
        2‖Σ a_i Φ_i‖²."""
        n, m = g.n, g.m
        if G.expansion_residual(n) != 0:
            raise ArithmeticError(f"the expansion identity fails symbolically for n = {n}")
        Phi = G.edge_cut_embedding(g)
        d.domains[phi] = Domain((n, m), "defined")
        d.definitions[phi] = table("embedding", Phi)
        self._centred(d, n, a0, a)
        d.say("graph_embedding", m=m)
        d.chain(sp.MatrixSymbol(r"\Phi", n, m), sp.ImmutableMatrix(Phi.tolist()),
                "definition").answer("embedding")
        diff = phi[i, e] - phi[j, e]
        square = sp.Sum(diff ** 2, (e, 0, m - 1))
        d.say("graph_cut_identity")
        d.chain(dist[i, j], dist[i, j], "definition")
        d.then(sp.Sum(sp.Abs(diff), (e, 0, m - 1)), "graph_edge_cut")
        d.then(square, "graph_binary_square")
        vertices = ((i, 0, n - 1), (j, 0, n - 1))

        def split(c: sp.IndexedBase) -> sp.Expr:
            along = sp.Sum(c[i] * phi[i, e], vertices[0])
            return (2 * sp.Sum(along * sp.Sum(c[j] * phi[j, e], vertices[1]), (e, 0, m - 1))
                    - 2 * sp.Sum(c[j], vertices[1]) * sp.Sum(c[i] * phi[i, e] ** 2,
                                                               vertices[0], (e, 0, m - 1)))

        d.say("graph_tree_expand")
        d.chain(self._form(n), self._form(n), "definition")
        d.then(-sp.Sum(a[i] * a[j] * square, *vertices), "graph_by_cut")
        d.then(-sp.Sum(a[i] * a[j] * (phi[i, e] ** 2 - 2 * phi[i, e] * phi[j, e]
                                      + phi[j, e] ** 2), (e, 0, m - 1), *vertices),
               "graph_expand_square")
        d.then(split(a), "graph_split_sums")
        d.say("graph_tree_form")
        d.chain(self._form(n, a0), self._form(n, a0), "definition")
        d.then(split(a0), "graph_as_above")
        d.steps[-1].shown = False           # the expansion just shown: checked, not repeated
        d.then(2 * sp.Sum(sp.Sum(a0[i] * phi[i, e], vertices[0]) ** 2, (e, 0, m - 1)),
               "graph_sum_zero").answer("minus_d_form")

    def witness(self, d: Derivation, g: G.Graph, test: G.CpdTest) -> None:
        """Integer coefficients summing to 0 on which the form of −d is negative: an exact
        eigenvector of P D P for its largest eigenvalue when there is an integer one, else
        the eigenvector rounded (the page says which, and λ exactly when it is rational)."""
        assert test.witness is not None and test.form is not None
        d.domains[a] = Domain((g.n,), "defined")
        d.definitions[a] = table("witness", test.witness)
        top = G.top_eigen(G.distances(g), test.witness)
        shown = (f"= {sp.latex(top.value)}" if top.value is not None
                 else rf"\approx {test.top:.2f}")
        lam = Shown(r"\lambda_{\max}(PDP)")
        d.chain(lam, top.value if top.value is not None else sp.Float(test.top, 15),
                "graph_witness").answer("witness_top")
        d.steps[-1].shown = False           # said in words, checked against numpy
        if top.eigenvector:
            assert top.value is not None
            d.chain(Shown("PDPa"), sp.ImmutableMatrix([[top.value * v for v in test.witness]]),
                    "graph_witness").answer("witness_eigenvector")
            d.steps[-1].shown = False
        d.say("graph_witness", top=shown, a=_tuple(test.witness),
              case="eigenvector" if top.eigenvector else "rounded")
        total = sp.Sum(a[i], (i, 0, g.n - 1))
        d.chain(total, total, "definition").then(sp.Integer(0), "evaluate")
        d.say("graph_witness_form")
        d.chain(self._form(g.n), self._form(g.n), "definition")
        d.then(sp.Integer(test.form), "evaluate").answer("witness_form")

    def base_point_proof(self, d: Derivation, g: G.Graph, D: G.IntArray) -> None:
        """Σ a_i a_j (−d_ij) = Σ_{i,j≥2} a_i a_j K̃_ij, and K̃ is p.s.d. (Descartes)."""
        n = g.n
        self._centred(d, n, a, b)
        d.say("graph_base_point", first=g.first)
        d.chain(self._form(n), self._form(n), "definition")
        d.then(sp.Sum(a[i] * a[j] * (dist[i, 0] + dist[0, j] - dist[i, j]),
                      (i, 1, n - 1), (j, 1, n - 1)), "graph_base_point")
        K = G.base_point_matrix(D)
        poly, alternates = G.charpoly(sp.Matrix(K), t)
        if not alternates:
            raise ArithmeticError("P D P has no positive eigenvalue, but det(tI − K̃) "
                                  "does not alternate in sign")
        d.domains[t] = Domain()
        d.say("graph_ktilde", first=g.first, second=g.first + 1)
        d.chain(sp.MatrixSymbol(r"\tilde K", n - 1, n - 1), K, "definition")
        d.say("graph_charpoly")
        d.chain(sp.Symbol(r"\det(t I - \tilde K)"), poly, "graph_charpoly").answer("charpoly")

    # the page and answers.json ----------------------------------------------------------
    def page(self, d: Derivation) -> dict[str, Any]:
        g = self.the_graph()
        if G.is_tree(g):
            return {"figure": {"case": "tree", **figure(g, edge_names=True)}}
        test = G.cpd_test(G.distances(g))
        if test.passes:
            return {"figure": {"case": "plain", **figure(g)}}
        return {"figure": {"case": "witness", **figure(g, test.witness)}}

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
            out["search"] = {"tested": found.tested, "ties": found.ties}   # as on the page
        return out

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        edges = [list(edge) for edge in self.the_graph().edges]
        first, n = ref.vertices(edges)
        D = ref.floyd_warshall(edges)
        (p, q), unit = edges[0], np.eye(n)
        out: dict[str, Any] = {"distances": D, "embedding": ref.sides(edges),
                               "d_form": ref.form(D, unit[p - first] - unit[q - first])}
        if "a" in data:
            out["witness_form"] = ref.form(-D, np.asarray(data["a"]))
            P = np.eye(n) - np.ones((n, n)) / n
            out["witness_top"] = float(np.linalg.eigvalsh(P @ D @ P)[-1])
            out["witness_eigenvector"] = (P @ D @ P @ np.asarray(data["a"], dtype=float))[None, :]
        if "a_centred" in data:
            out["minus_d_form"] = ref.form(-D, np.asarray(data["a_centred"]))
        if "t" in data:
            K = D[1:, [0]] + D[[0], 1:] - D[1:, 1:]
            out["charpoly"] = float(np.polyval(np.poly(K), float(data["t"])))
        if self.graph == "search":
            out["search_size"] = np.array([ref.smallest_failure()[:2]], dtype=float)
        return out
