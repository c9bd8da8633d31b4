"""Shortest-path distances as kernels: −d is c.p.d. on trees (edge-cut embedding), d never
is, and the smallest graph on which −d is not c.p.d. (kernel.graph_distance)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import networkx as nx
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from derive.models import graph_kernel as G
from derive.questions import kernel_graph as Q
from derive.questions.declare import verify_derivation
from derive.questions.kernel_graph import GraphDistance
from derive.verify import graph_reference as ref

K23 = [[1, 3], [1, 4], [1, 5], [2, 3], [2, 4], [2, 5]]


def _checked(**values: object) -> tuple[GraphDistance, dict[str, sp.Basic]]:
    g = GraphDistance.model_validate(values)
    d = g.derive()
    check = verify_derivation(d, g)
    assert check.passed, check.detail
    return g, {k: s.rhs for k, s in d.answers().items()}


def _tree(n: int, seed: int) -> list[list[int]]:
    return [[u + 1, v + 1] for u, v in sorted(nx.random_labeled_tree(n, seed=seed).edges)]


@settings(max_examples=12, deadline=None)
@given(n=st.integers(2, 10), seed=st.integers(0, 10_000))
def test_random_trees_pass_the_proof_and_are_never_refuted(n: int, seed: int) -> None:
    edges = _tree(n, seed)
    kind, answers = _checked(graph="tree", edges=edges)
    assert set(answers) == {"distances", "d_form", "embedding", "minus_d_form"}
    assert answers["d_form"] == -2
    assert G.cpd_test(G.distances(kind.the_graph())).passes
    assert ref.negative_type(ref.floyd_warshall(edges))
    # d(u, v) = ‖Φ(u) − Φ(v)‖² for every pair, against distances found without networkx
    phi = np.array(answers["embedding"].tolist(), dtype=float)
    squared = ((phi[:, None, :] - phi[None, :, :]) ** 2).sum(axis=-1)
    np.testing.assert_array_equal(squared, ref.floyd_warshall(edges))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 12), seed=st.integers(0, 10_000),
       a=st.lists(st.integers(-5, 5), min_size=12, max_size=12))
def test_the_tree_form_is_twice_a_squared_norm(n: int, seed: int, a: list[int]) -> None:
    """Σ a_i a_j (−d_ij) = 2‖Σ a_i Φ(i)‖² exactly, for integer a centred to Σ a = 0."""
    g = G.graph(_tree(n, seed))
    coeffs = np.array(a[:n]) * n - sum(a[:n])                     # Σ = 0, still integers
    D, phi = G.distances(g), G.edge_cut_embedding(g)
    assert -G.quadratic_form(D, tuple(int(c) for c in coeffs)) == 2 * int(
        ((coeffs @ phi) ** 2).sum())


@pytest.mark.parametrize("n", [2, 3, 6, 10])
def test_the_expansion_identity_is_proved_symbolically(n: int) -> None:
    assert G.expansion_residual(n) == 0


def test_the_search_finds_k23_and_its_form_is_exactly_negative() -> None:
    found = G.smallest_counterexample()
    g = found.graph
    assert (g.n, g.m) == (5, 6) and found.ties == 1
    assert G.name(g) == ("complete_bipartite", "K_{2,3}")
    assert nx.is_isomorphic(g.nx, nx.complete_bipartite_graph(2, 3))
    test = G.cpd_test(G.distances(g))
    assert test.witness is not None and not test.passes
    D = sp.Matrix(ref.floyd_warshall(list(g.edges)).astype(int))       # distances without networkx
    a = sp.Matrix([sp.Rational(v) for v in test.witness])
    assert sum(a) == 0
    form = -(a.T * D * a)[0, 0]
    assert form == test.form == -12
    assert sorted(test.witness) == [-2, -2, -2, 3, 3]


def _brute_force_fails(n: int, edges: tuple[tuple[int, int], ...]) -> bool:
    """−d not c.p.d.: the largest eigenvalue of the centred distance matrix is positive."""
    d = np.full((n, n), np.inf)
    np.fill_diagonal(d, 0)
    for p, q in edges:
        d[p, q] = d[q, p] = 1
    for k in range(n):
        d = np.minimum(d, d[:, [k]] + d[[k], :])
    if not np.all(np.isfinite(d)):
        return False                                              # not connected
    centre = np.eye(n) - 1 / n
    return bool(np.linalg.eigvalsh(centre @ d @ centre)[-1] > 1e-9)


def test_no_smaller_graph_is_a_counterexample() -> None:
    """Every connected graph with fewer vertices, or 5 vertices and fewer edges, has −d
    c.p.d.; with 5 vertices and 6 edges exactly the labelled copies of K_{2,3} fail."""
    found = G.smallest_counterexample().graph
    for n in range(2, found.n + 1):
        pairs = list(combinations(range(n), 2))
        for m in range(n - 1, len(pairs) + 1):
            if (n, m) >= (found.n, found.m):
                break
            assert not any(_brute_force_fails(n, edges) for edges in combinations(pairs, m))
    pairs = list(combinations(range(found.n), 2))
    failing = [edges for edges in combinations(pairs, found.m)
               if _brute_force_fails(found.n, edges)]
    assert len(failing) == 10                                    # C(5, 2) ways to pick the pair
    assert all(nx.is_isomorphic(nx.Graph(edges), nx.complete_bipartite_graph(2, 3))
               for edges in failing)
    assert ref.smallest_failure() == (5, 6, 10)


def test_the_search_part_is_checked_and_reports_both_verdicts() -> None:
    kind, answers = _checked(graph="search")
    assert answers["witness_form"] == -12 and answers["d_form"] == -2
    value = kind.value(answers)
    assert (value["d_cpd"], value["minus_d_cpd"], value["tree"]) == (False, False, False)
    assert value["name"] == "K_{2,3}" and value["witness"]["form"] == -12


@pytest.mark.parametrize(("edges", "cpd"), [
    ([[1, 2], [2, 3], [3, 4], [4, 1]], True),                         # C_4
    ([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]], True),         # K_4, numbered from 0
    ([[1, 2], [2, 3], [3, 4], [4, 5], [5, 1]], True),                 # C_5
    (K23, False),
    ([[1, 2], [1, 3], [1, 4], [2, 5], [3, 5], [4, 5], [5, 6]], False),
])
def test_other_graphs_get_a_proof_or_a_witness(edges: list[list[int]], cpd: bool) -> None:
    _, answers = _checked(edges=edges)
    assert ("charpoly" in answers) == cpd and ("witness_form" in answers) == (not cpd)
    D = ref.floyd_warshall(edges)
    assert ref.negative_type(D) == cpd
    if not cpd:
        assert answers["witness_form"] < 0


def test_the_charpoly_criterion_agrees_with_the_eigenvalues() -> None:
    t = sp.Symbol("t")
    for edges, psd in (([[1, 2], [2, 3], [3, 4], [4, 1]], True), (K23, False)):
        K = G.base_point_matrix(G.distances(G.graph(edges)))
        assert G.charpoly(sp.Matrix(K), t)[1] == psd
        assert (np.linalg.eigvalsh(np.array(K.tolist(), dtype=float)).min() >= -1e-9) == psd


def test_witnesses_are_exact_on_every_failing_atlas_graph() -> None:
    failures = 0
    for g in nx.graph_atlas_g()[:209]:                           # up to 6 vertices
        if g.number_of_nodes() < 2 or not nx.is_connected(g):
            continue
        graph = G.graph([(u + 1, v + 1) for u, v in g.edges])
        D = G.distances(graph)
        test = G.cpd_test(D)
        assert test.passes == ref.negative_type(D.astype(float))
        if not test.passes:
            failures += 1
            assert test.witness is not None and sum(test.witness) == 0
            assert test.form is not None and test.form < 0
            assert ref.form(-D.astype(float), np.array(test.witness, float)) == test.form
    assert failures > 5


# --- deliberate breakages ----------------------------------------------------------------------
def _flipped_entry(g: G.Graph) -> np.ndarray:
    phi = np.array(REAL_EMBEDDING(g))
    phi[0, 0] = 1 - phi[0, 0]                                     # vertex 1 on the wrong side
    return phi


def _flipped_column(g: G.Graph) -> np.ndarray:
    phi = np.array(REAL_EMBEDDING(g))
    phi[:, 0] = 1 - phi[:, 0]                                     # edge e_1 sides swapped
    return phi


REAL_EMBEDDING = G.edge_cut_embedding


@pytest.mark.parametrize("broken", [_flipped_entry, _flipped_column])
def test_a_wrong_embedding_fails_the_check(monkeypatch: pytest.MonkeyPatch,
                                          broken: Callable[[G.Graph], np.ndarray]) -> None:
    """One vertex on the wrong side of an edge breaks d = Σ|ΔΦ| at some pair (a step check);
    an edge whose two sides are swapped keeps every distance but not the embedding's
    definition (the answer against the sides read from distances)."""
    monkeypatch.setattr(G, "edge_cut_embedding", broken)
    kind = GraphDistance.model_validate({"graph": "tree"})
    d = kind.derive()
    check = verify_derivation(d, kind)
    assert not check.passed
    failed_steps = [s.rule for s in d.steps if s.check is not None and not s.check.passed]
    if broken is _flipped_entry:
        assert "graph_edge_cut" in failed_steps
    else:
        assert failed_steps == [] and "answer embedding" in check.detail


def test_a_lost_factor_two_fails_the_last_step() -> None:
    kind = GraphDistance.model_validate({"graph": "tree"})
    d = kind.derive()
    (last,) = [s for s in d.steps if "minus_d_form" in s.answer]
    last.rhs = last.rhs / 2
    assert not verify_derivation(d, kind).passed
    assert last.check is not None and not last.check.passed


def test_a_wrong_distance_table_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    real = G.distances

    def off_by_one(g: G.Graph) -> np.ndarray:
        D = real(g).copy()
        D[0, -1] += 1
        D[-1, 0] += 1
        return D

    monkeypatch.setattr(G, "distances", off_by_one)
    kind = GraphDistance.model_validate({"graph": "tree"})
    assert not verify_derivation(kind.derive(), kind).passed


def test_a_witness_that_does_not_sum_to_zero_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    real = G.cpd_test

    def shifted(D: np.ndarray) -> G.CpdTest:
        t = real(D)
        assert t.witness is not None
        return G.CpdTest(False, t.top, (t.witness[0] + 1, *t.witness[1:]), t.form)

    monkeypatch.setattr(G, "cpd_test", shifted)
    kind = GraphDistance.model_validate({"edges": K23})
    assert not verify_derivation(kind.derive(), kind).passed


# --- givens ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("bad", "message"), [
    ({"edges": [[1, 1], [1, 2]]}, r"edge \[1, 1\] is a loop"),
    ({"edges": [[1, 2], [2, 1]]}, r"edge \[2, 1\] is given twice"),
    ({"edges": [[1, 2], [3, 4]]}, "not connected: no path from 1 to 3"),
    ({"edges": [[1, 2], [2, 4]]}, "vertex 3 has no edge"),
    ({"edges": []}, "at least one edge"),
    ({"graph": "tree", "edges": [[1, 2], [2, 3], [3, 1]]}, "not a tree"),
    ({"graph": "search", "edges": [[1, 2]]}, "leave out edges"),
    ({}, "give edges"),
    ({"edges": [[k, k + 1] for k in range(1, 12)]}, "vertices would be 12"),
    ({"edges": [[1, 2, 3]]}, "at most 2 items"),
    ({"graph": "cycle"}, "'tree' or 'search'"),
])
def test_bad_givens_are_rejected(bad: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        GraphDistance.model_validate(bad)


def test_the_default_tree_and_labels_from_zero() -> None:
    kind, _ = _checked(graph="tree")
    assert [list(e) for e in kind.the_graph().edges] == [list(e) for e in Q.DEFAULT_TREE]
    zero, _ = _checked(edges=[[0, 1], [1, 2]])
    assert zero.display_base() == 0 and zero.the_graph().labels == [0, 1, 2]


def test_a_wrong_coefficient_on_the_vanishing_term_fails() -> None:
    """The expansion is checked at coefficients drawn freely, so an error in the term that
    Σ a_i = 0 removes is caught too."""
    kind = GraphDistance.model_validate({"graph": "tree"})
    d = kind.derive()
    (split,) = [s for s in d.steps if s.rule == "graph_split_sums"]
    total = [t for t in split.rhs.args if t.has(sp.Sum(Q.a[Q.j], (Q.j, 1, Q.n_)))]
    assert len(total) == 1
    split.rhs = split.rhs + total[0] / 2                          # −2 (Σ a) … → −3 (Σ a) …
    assert not verify_derivation(d, kind).passed
    assert split.check is not None and not split.check.passed


# --- the page: what the sentences say ----------------------------------------------------

def _notes(d: object) -> dict[str, dict[str, object]]:
    return {s.note.key: dict(s.note.values) for s in d.steps if s.note is not None}


def test_the_tree_expansion_is_shown_once() -> None:
    """The expansion of the form of −d is displayed for any a; for Σ a_i = 0 it is checked
    again but not printed a second time."""
    g = GraphDistance.model_validate({"graph": "tree", "edges": [list(e) for e in Q.DEFAULT_TREE]})
    d = g.derive()
    again = [s for s in d.steps if s.rule == "graph_as_above"]
    assert len(again) == 1 and not again[0].shown
    assert verify_derivation(d, g).passed


def test_the_k23_witness_is_an_exact_eigenvector() -> None:
    """λ = 2/5 exactly and (3, 3, −2, −2, −2) is an eigenvector: the page says so, without
    "rounded", and both facts are checked against numpy."""
    g = GraphDistance.model_validate({"graph": "search"})
    d = g.derive()
    notes = _notes(d)
    assert notes["graph_witness"]["case"] == "eigenvector"
    assert notes["graph_witness"]["top"] == r"= \frac{2}{5}"
    assert "graph_d_never" in notes and "graph_d_fails" not in notes      # said in words
    d_form = next(s for s in d.steps if "d_form" in s.answer)
    assert not d_form.shown
    answers = {k: s.rhs for k, s in d.answers().items()}
    assert answers["witness_top"] == sp.Rational(2, 5)
    assert list(answers["witness_eigenvector"]) == [sp.Rational(2, 5) * v
                                                   for v in (3, 3, -2, -2, -2)]
    assert verify_derivation(d, g).passed


def test_an_irrational_eigenvalue_gives_a_rounded_witness() -> None:
    edges = [[1, 2], [1, 3], [1, 4], [2, 5], [3, 5], [4, 5], [5, 6]]
    D = G.distances(G.graph(edges))
    test = G.cpd_test(D)
    assert test.witness is not None and G.top_eigen(D, test.witness) == G.TopEigen(None, False)
    g = GraphDistance.model_validate({"edges": edges})
    d = g.derive()
    notes = _notes(d)
    assert notes["graph_witness"]["case"] == "rounded"
    assert str(notes["graph_witness"]["top"]).startswith(r"\approx")
    assert verify_derivation(d, g).passed


def test_the_search_sentence_names_no_tool_and_follows_its_referent() -> None:
    from derive.latex.environment import strings

    for language in ("en", "fr"):
        sentences = strings(language)["sentences"]
        for text in sentences["graph_search"].values():
            assert "networkx" not in text and "atlas" not in text
            assert "isomorphism" in text or "isomorphisme" in text
        for text in sentences["graph_search_count"].values():
            assert text.index("{before}") < text.index("{same}")


# --- the page: a proof for every tree, the asked verdicts marked, the figure where it is used ---

def _proof_tex(edges: list[list[int]]) -> list[str]:
    """The displayed lines of the tree proof (from the cut identity to the last form)."""
    from derive.latex.printer import tex

    d = GraphDistance.model_validate({"graph": "tree", "edges": edges}).derive()
    start = next(n for n, s in enumerate(d.steps) if s.rule == "graph_edge_cut") - 1
    end = next(n for n, s in enumerate(d.steps) if "minus_d_form" in s.answer)
    return [tex(s.rhs) for s in d.steps[start:end + 1] if s.shown]


def test_the_tree_proof_is_written_for_any_tree() -> None:
    """The proof does not depend on the given tree: the same displays, in n and m, for the
    six-vertex tree of the question and for a path of three vertices, each checked on its
    own tables; edges are summed by k (e_k is an edge), never by e."""
    six, path = _proof_tex([list(e) for e in Q.DEFAULT_TREE]), _proof_tex([[1, 2], [2, 3]])
    assert six == path
    assert all("6" not in line and "5" not in line for line in six)
    assert any(r"\sum_{k=1}^{m}" in line for line in six)
    assert any(r"\sum_{i=1}^{n}" in line for line in six)
    assert not any(r"\sum_{e" in line for line in six)
    _checked(graph="tree", edges=[[1, 2], [2, 3]])


def test_a_tree_numbered_from_zero_sums_from_zero() -> None:
    lines = _proof_tex([[0, 1], [1, 2], [1, 3]])
    assert any(r"\sum_{i=0}^{n - 1}" in line for line in lines)
    _checked(edges=[[0, 1], [1, 2], [1, 3]])


@pytest.mark.parametrize(("given", "marked"), [
    ({"graph": "tree"}, ["graph_claim_false", "graph_tree_verdict"]),
    ({"graph": "search"}, ["graph_search_verdict"]),
    ({"edges": [[1, 2], [2, 3], [3, 4], [4, 1]]}, ["graph_verdict"]),
    ({"edges": K23}, ["graph_verdict"]),
])
def test_only_the_verdicts_are_marked(given: dict[str, object], marked: list[str]) -> None:
    """The distances, Φ and the forms are evidence: the page marks the sentences that answer
    the question (false as stated, then −d c.p.d. on every tree; neither d nor −d)."""
    from derive.derivation.page import marks

    d = GraphDistance.model_validate(given).derive()
    shown = [s for s in d.steps if marks(d, s)]
    assert [s.note.key for s in shown if s.note is not None] == marked
    assert len(shown) == len(marked)


def _page(language: str, **given: object) -> str:
    """The part as the page renders it (indices as the kind prints them)."""
    from types import SimpleNamespace

    from derive.derivation.page import blocks
    from derive.latex.environment import environment, strings
    from derive.questions import KINDS

    kind = KINDS["kernel.graph_distance"]
    solution = kind.solve(kind.given.model_validate(given))
    assert solution.derivation is not None
    context = {**solution.context, "blocks": blocks(solution.derivation, strings(language), 0)}
    return environment().get_template(kind.template).render(
        c=context, S=strings(language), part=SimpleNamespace(first=True))


def test_the_tree_is_drawn_before_its_tables_and_the_witness_graph_after_it() -> None:
    for language in ("en", "fr"):
        tree = _page(language, graph="tree")
        figure, example = tree.index(r"\begin{tikzpicture}"), tree.index(r"e_{5} = \{3, 6\}")
        assert tree.index(r"\sum_{k=1}^{m}") < figure < example < tree.index(r"\Phi &= \left[")
        search = _page(language, graph="search")
        assert search.index("-12") < search.index(r"\begin{tikzpicture}")


def test_the_search_counts_are_stated_and_checked_by_brute_force() -> None:
    """17 connected graphs (up to isomorphism) with fewer vertices or edges pass; of the 5
    with 5 vertices and 6 edges, only K_{2,3} fails: counted again without networkx."""
    found = G.smallest_counterexample()
    assert (found.before, found.same, found.ties) == (17, 5, 1)
    assert ref.counts_before(5, 6) == (17, 5)
    assert [ref.connected_classes(4, m) for m in range(3, 7)] == [2, 2, 1, 1]
    kind, answers = _checked(graph="search")
    assert list(answers["search_counts"]) == [17, 5]
    d = kind.derive()
    count = _notes(d)["graph_search_count"]
    assert (count["before"], count["same"], count["case"]) == (17, 5, "one")


def test_each_case_is_checked_as_its_method_says() -> None:
    """The appendix describes what was done for the part: K̃ only where the page defines
    it, the search only for the search."""
    from derive.latex.environment import strings

    cases = {"graph_tree": {"graph": "tree"}, "graph_search": {"graph": "search"},
             "graph_witness": {"edges": K23},
             "graph_charpoly": {"edges": [[1, 2], [2, 3], [3, 4], [4, 1]]}}
    for method, values in cases.items():
        kind = GraphDistance.model_validate(values)
        assert kind.method == method
        notes = _notes(kind.derive())
        for language in ("en", "fr"):
            text = strings(language)["checks"][method]
            assert ("tilde K" in text) == ("graph_ktilde" in notes)
            assert ("brute" in text) == ("graph_search" in notes)
            assert (r"\Phi" in text) == ("graph_embedding" in notes)


def test_french_verdicts_read_naturally() -> None:
    import yaml

    from derive.latex.environment import TEMPLATES

    text = (TEMPLATES / "strings" / "fr" / "graph.yaml").read_text(encoding="utf-8")
    sentences = yaml.safe_load(text)["sentences"]
    assert sentences["graph_search_verdict"].startswith(
        "Non : ni $d$ ni $-d$ n'est c.d.p. sur tous les graphes connexes")
    flat = repr(sentences)
    assert "exactement quand" not in flat and "ne sont c.d.p." not in flat
