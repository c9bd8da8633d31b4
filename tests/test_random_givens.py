"""Random valid givens for every question kind, built through the real pipeline.

For each kind of `derive.questions.KINDS`, hypothesis varies the kind's example within what
its given model accepts, writes a one-part spec (language en or fr, with or without
meta.index_base), loads it and builds it. The build must succeed (every check passes) and no
sentence of `solutions.tex` may refer to something that does not exist: a count of 0 or a
plural after 1, a "location(s)" hedge, an empty display or environment, a colon followed by
nothing it announces, an unformatted `{placeholder}`, a Python `None`, a `nan`, an `inf`, or
a written-out entry x_{a,b} or w_{a,b} outside the given sizes. A smaller test compiles the
PDF (two examples per kind) and requires no overfull box.

Parameters are drawn by NAME (`PARAMS`, overridden per kind in `KIND_PARAMS`); a Literal or
bool parameter is drawn from its values; any other parameter keeps the example's value. So a
new kind is covered as soon as it is registered.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from pdf_values import missing_values
from pydantic import ValidationError

from derive.build import Built, build, load_all
from derive.questions import KINDS
from derive.typeset import available

KIND_NAMES = sorted(KINDS)
LANGUAGES = ("en", "fr")

OMIT: Any = object()    # a drawn value meaning "leave the parameter out of the spec"
Draw = Callable[[Any], st.SearchStrategy[Any]]   # the example's value (or None) → strategy


# --- parameter strategies, by name ---------------------------------------------------------

def _sizes(example: Any) -> st.SearchStrategy[Any]:
    """`input`: rows, columns in 1..8 (and channels in 1..4 when the example has them)."""
    n = len(example) if isinstance(example, list) else 2
    dims = [st.integers(1, 8)] * 2 + [st.integers(1, 4)] * (n - 2)
    return st.tuples(*dims).map(list)


def _kernel(example: Any) -> st.SearchStrategy[Any]:
    """`kernel`: [rows, columns] in 1..5, or one int for a square kernel (where accepted)."""
    pair = st.tuples(st.integers(1, 5), st.integers(1, 5)).map(list)
    return st.one_of(pair, pair, st.integers(1, 5))


def _between(lo: int, hi: int) -> Draw:
    return lambda example: st.integers(lo, hi)


PARAMS: dict[str, Draw] = {
    "input": _sizes,
    "kernel": _kernel,
    "stride": _between(1, 3),
    "padding": _between(0, 2),
    "dilation": _between(1, 2),
    "features": _between(1, 6),
    "inputs": _between(1, 6),
    "outputs": _between(1, 6),
    "out_channels": _between(1, 4),
    "seed": _between(0, 10_000),
    # left out (the spec's meta.index_base or the kind's default applies), or set on the part
    "index_base": lambda example: st.sampled_from([OMIT, 0, 1]),
}


def _layer() -> st.SearchStrategy[Any]:
    size = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)).map(list))
    conv = st.fixed_dictionaries(
        {"conv": size, "filters": st.integers(1, 4)},
        optional={"stride": st.integers(1, 2), "padding": st.integers(0, 1),
                  "dilation": st.integers(1, 2)})
    pool = st.sampled_from(["maxpool", "avgpool"]).flatmap(lambda key: st.fixed_dictionaries(
        {key: size}, optional={"stride": st.integers(1, 2), "padding": st.integers(0, 1)}))
    activation = st.fixed_dictionaries({"activation": st.sampled_from(
        ["relu", "sigmoid", "tanh", "identity", "leaky_relu"])})
    return st.one_of(conv, pool, conv, activation)   # conv first: what hypothesis shrinks to


def _layers(example: Any) -> st.SearchStrategy[Any]:
    """`layers` of an architecture: 1..3 conv/pool/activation layers, then maybe a head."""
    dense = st.integers(1, 5).map(lambda n: {"dense": n})
    head: st.SearchStrategy[list[Any]] = st.one_of(
        st.just([]), st.just(["global_avg_pool"]),
        st.tuples(st.just("flatten"), dense).map(list),
        st.tuples(st.just("global_avg_pool"), dense).map(list))
    return st.tuples(st.lists(_layer(), min_size=1, max_size=3), head).map(
        lambda body_head: body_head[0] + body_head[1])


@st.composite
def _graph_edges(draw: st.DrawFn) -> list[list[int]]:
    """A random tree on 2..7 vertices (each vertex after the first joined to an earlier one),
    plus up to 3 other edges, numbered from 0 or 1."""
    n, first = draw(st.integers(2, 7)), draw(st.sampled_from([0, 1]))
    edges = {(draw(st.integers(0, v - 1)), v) for v in range(1, n)}
    others = [(u, v) for v in range(n) for u in range(v) if (u, v) not in edges]
    if others:
        edges |= set(draw(st.lists(st.sampled_from(others), max_size=3, unique=True)))
    return [[u + first, v + first] for u, v in sorted(edges)]


@st.composite
def _hv_given(draw: st.DrawFn) -> dict[str, Any]:
    """roperator.hv: a model, its sizes, and (or not) an input, weights, target and v."""
    model = draw(st.sampled_from(["generic", "logistic", "sigmoid_layer", "mlp"]))
    if model == "generic":
        return {"model": model, "dim": draw(st.integers(1, 4))}
    n, m, c = (draw(st.integers(1, 3)) for _ in range(3))
    if model == "logistic":
        n = draw(st.integers(1, 5))
        sizes: dict[str, Any] = {"features": n}
        numbers = {"x": _array((n,)), "w": _array((n,)), "b": _entry(),
                   "y": st.sampled_from([0, 1]), "v": _array((n,))}
    else:
        shapes = {"w": (n, m)} if model == "sigmoid_layer" else {"w1": (n, m), "w2": (m, c)}
        out = m if model == "sigmoid_layer" else c
        sizes = {"inputs": n, "outputs": m} if model == "sigmoid_layer" else {
            "widths": [n, m, c]}
        matrices = st.fixed_dictionaries({k: _array(s) for k, s in shapes.items()})
        numbers = {"x": _array((n,)), "weights": matrices, "y": _array((out,)), "v": matrices}
    if not draw(st.booleans()):
        return {"model": model, **sizes}
    given_ = {"model": model, **{k: draw(s) for k, s in numbers.items()}}
    return given_ if draw(st.booleans()) else given_ | sizes


_HV_GIVEN = st.shared(_hv_given(), key="roperator.hv given")


def _hv_field(field: str) -> Draw:
    return lambda example: _HV_GIVEN.map(lambda g: g.get(field, OMIT))


# Per kind, by name: where the generic range does not fit the kind.
KIND_PARAMS: dict[str, dict[str, Draw]] = {
    # Backpropagation: small networks, a weight of the first or the last layers, a one-hot
    # class or none (givens that do not fit the network are rejected, and redrawn).
    "mlp.backprop": {
        # Up to three weight layers (u, v, w from the first): a weight of any of them.
        "widths": lambda example: st.lists(st.integers(1, 3), min_size=2, max_size=4),
        "weight": lambda example: st.sampled_from(
            ["w_11", "w_21", "v_11", "v_12", "u_11", "u_21"]),
        "target": lambda example: st.sampled_from([OMIT, 1, 2]),
    },
    "softmax.cross_entropy_grad": {"classes": _between(2, 6),
                                   "target": lambda example: st.sampled_from([OMIT, 1, 2])},
    "softmax.jacobian": {"classes": _between(2, 6)},
    "architecture": {
        "input": lambda example: st.one_of(
            st.tuples(st.integers(3, 16), st.integers(3, 16), st.integers(1, 4)).map(list),
            st.integers(1, 40).map(lambda n: [n])),         # a flat input: dense layers only
        "layers": lambda example: st.one_of(_layers(example), st.lists(st.one_of(
            st.integers(1, 64).map(lambda n: {"dense": n}),
            st.just({"activation": "relu"})), min_size=1, max_size=4)),
    },
    # Saddle examples: 2 × 2 symmetric, a negative eigenvalue; the cost over small networks.
    "newton.step": {
        "indefinite_hessian": lambda example: st.sampled_from(
            [[[1.0, 2.0], [2.0, 1.0]], [[-2.0, 0.0], [0.0, -1.0]], [[0.0, 1.0], [1.0, 0.0]],
             [[-1.0, 0.5], [0.5, 2.0]]]),
        "network": lambda example: st.one_of(st.just(OMIT), st.lists(
            st.integers(1, 600), min_size=2, max_size=4)),
    },
    "mixture.logistic_network": {"components": _between(1, 6)},
    # The storage reference counts the Hessian's upper triangle row by row: its time grows
    # with the number of weights (about 4 s per 10^9). Sizes stay at most 200 MiB to keep this
    # test fast; widen them once the check no longer grows with the size.
    "matrix_calculus.grad": {"m": _between(1, 4), "n": _between(1, 4)},
    "max.identity": {"n": _between(2, 6)},
    "storage.derivatives": {
        "weights_size": _between(1, 200),
        "unit": lambda example: st.sampled_from(["B", "kB", "MB", "KiB", "MiB"]),
    },
    # Any f(x, y) (report drawn from its values); point, direction and step present or not:
    # the combinations a report refuses are filtered out by the given model.
    "function.derivatives": {
        "expression": lambda example: st.sampled_from([
            "x**2*y + exp(x*y)", "sin(x)*cos(y)", "log(1 + exp(-x - 2*y))", "x*y - 3*x + y**2/2",
            "sigmoid(x*y) + x**3", "sqrt(x**2 + y**2 + 1)", "tanh(x - y)*y"]),
        "point": lambda example: st.one_of(st.just(OMIT), st.lists(
            st.sampled_from([-2, -1, 0, 0.5, 1, 2]), min_size=2, max_size=2)),
        "direction": lambda example: st.one_of(st.just(OMIT), st.lists(
            st.sampled_from([-1, 0, 0.5, 1, 2]), min_size=2, max_size=2)),
        "step": lambda example: st.sampled_from([OMIT, 0.5, 0.1, 0.01]),
    },
    # Hv by finite differences: the logistic loss on 1 to 4 examples of 1 or 2 features, or a
    # smooth f(x, y); point and direction drawn to fit either (the others are filtered out).
    "hvp.finite_difference": {
        "expression": lambda example: st.sampled_from([
            OMIT, OMIT, "x**2*y + exp(x*y)", "sin(x)*cos(y)", "log(1 + exp(-x - 2*y))",
            "x*y**2 + y**4/12", "x**2 + 3*y**2"]),
        "examples": lambda example: st.integers(1, 2).flatmap(lambda d: st.lists(
            st.lists(st.sampled_from([-2, -1, -0.5, 0.5, 1, 2]), min_size=d, max_size=d),
            min_size=1, max_size=4)),
        "labels": lambda example: st.lists(st.integers(0, 1), min_size=1, max_size=4),
        "point": lambda example: st.one_of(st.just(OMIT), st.lists(
            st.sampled_from([-1, -0.5, 0, 0.25, 0.5, 1]), min_size=2, max_size=3)),
        "direction": lambda example: st.one_of(st.just(OMIT), st.lists(
            st.sampled_from([-1, -0.5, 0.5, 1, 2]), min_size=2, max_size=3)),
    },
    # A connected graph on 2 to 7 vertices (a random tree, maybe with extra edges), numbered
    # from 1 or 0; or none, with graph: tree (the default tree) or graph: search.
    "kernel.graph_distance": {
        "edges": lambda example: st.one_of(st.just(OMIT), _graph_edges()),
        "graph": lambda example: st.sampled_from([OMIT, "tree", "search"]),
    },
    # Kernels written by a user (p.d., not p.d., not symmetric, undecided), on ℝ or on a
    # finite set of points; `kernel` is an expression here, not a convolution's size.
    "kernel.check": {
        "kernel": lambda example: st.sampled_from([
            "exp(-(x - y)**2)", "-(x - y)**2", "(x*y + 1)**2", "sin(x - y)", "x*y - 1",
            "cos(x - y)", "exp(-Abs(x - y))", "-Abs(x - y)**3", "2 + x*y"]),
        "points": lambda example: st.one_of(st.just(OMIT), st.lists(
            st.sampled_from([-2, -1, 0, 0.5, 1, 2, 3]), min_size=1, max_size=4, unique=True)),
    },
    # The R-operator: which rules to prove (a non-empty subset, in any order); small networks
    # (the reference forms the whole Hessian by differences of the loss's values).
    "roperator.rules": {
        "dim": _between(1, 4),
        "proofs": lambda example: st.lists(st.sampled_from(
            ["sum", "scalar_multiple", "product", "chain"]), min_size=1, max_size=4,
            unique=True),
    },
    # Hv by the R-operator: a model and its sizes, half the time with numbers that fit them
    # (one draw shared by all these fields, so that they agree; sizes sometimes left to be
    # read off the numbers).
    "roperator.hv": {field: _hv_field(field) for field in (
        "model", "dim", "features", "inputs", "outputs", "widths", "x", "w", "b", "weights",
        "y", "v")},
    # Activations: values of β (some negative, 0), slopes and breakpoints (β > α is refused
    # and redrawn), score vectors around float64's exp limits (±709.78, −745.13) and ordinary.
    "activation.swish_limits": {
        "betas": lambda example: st.lists(st.sampled_from([-5, -1, 0, 0.25, 1, 3, 20]),
                                          min_size=1, max_size=4, unique=True),
        "x_max": lambda example: st.sampled_from([1, 2.5, 6]),
    },
    "activation.relu_construction": {
        name: lambda example: st.integers(-12, 12).map(lambda n: n / 4)
        for name in ("a", "b", "alpha", "beta")
    },
    "softmax.stability": {
        "vectors": lambda example: st.integers(2, 4).flatmap(lambda n: st.lists(st.lists(
            st.sampled_from([-1000, -745.2, -700, -2.5, 0, 1, 709.7, 709.9, 1001]),
            min_size=n, max_size=n), min_size=1, max_size=3)),
    },
    # A table of 1 to 8 samples on the example's two attributes, binary values, two labels.
    "decision_tree.split": {
        "rows": lambda example: st.lists(st.tuples(
            st.integers(0, 1), st.integers(0, 1), st.sampled_from(["+", "-"])).map(list),
            min_size=1, max_size=8),
    },
}


def _entry() -> st.SearchStrategy[float | int]:
    """Small integers (ties, zeros) and one-decimal numbers (inexact in binary)."""
    return st.one_of(st.integers(-3, 3), st.integers(-3, 3),
                     st.integers(-30, 30).map(lambda v: v / 10))


def _array(shape: tuple[int, ...]) -> st.SearchStrategy[Any]:
    if not shape:
        return _entry()
    return st.lists(_array(shape[1:]), min_size=shape[0], max_size=shape[0])


def _depth(value: Any) -> int:
    return 1 + _depth(value[0]) if isinstance(value, list) and value else 0


@st.composite
def _arrays(draw: st.DrawFn, example: dict[str, Any]) -> dict[str, Any]:
    """x and w (and b for a multi-channel layer) together, their shapes consistent."""
    h, w, k1, k2 = (draw(st.integers(lo, hi)) for lo, hi in ((1, 6), (1, 6), (1, 3), (1, 3)))
    if _depth(example["x"]) == 2:
        return {"x": draw(_array((h, w))), "w": draw(_array((k1, k2)))}
    c, m = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    out = {"x": draw(_array((h, w, c))), "w": draw(_array((k1, k2, c, m)))}
    out["b"] = draw(st.one_of(st.just(OMIT), _array((m,))))
    return out


def _generic(annotation: Any) -> st.SearchStrategy[Any] | None:
    """A Literal parameter takes any of its values, a bool either; others keep the example's."""
    if get_origin(annotation) is Literal:
        return st.sampled_from(get_args(annotation))
    if annotation is bool:
        return st.booleans()
    return None


@st.composite
def givens(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """A `given` mapping that the kind's model accepts, varied from the kind's example."""
    kind = KINDS[name]
    fields = kind.given.model_fields
    out = dict(kind.example)
    joint = {"x", "w"} <= fields.keys() and "x" in kind.example   # arrays of a convolution
    if joint:
        out.update(draw(_arrays(kind.example)))
    table = {**PARAMS, **KIND_PARAMS.get(name, {})}
    for field, info in fields.items():
        if joint and field in {"x", "w", "b"}:
            continue
        strategy = (table[field](kind.example.get(field)) if field in table
                    else _generic(info.annotation))
        if strategy is not None:
            out[field] = draw(strategy, label=field)
    out = {key: value for key, value in out.items() if value is not OMIT}
    try:
        kind.given.model_validate(out)
    except ValidationError:
        assume(False)
    return out


# --- building a one-part spec --------------------------------------------------------------

def spec_for(name: str, given: dict[str, Any], language: str,
             index_base: int | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"course": "Random Givens", "title": f"Kind {name}",
                            "language": language, "layout": "homework"}
    if index_base is not None:
        meta["index_base"] = index_base
    part = {"id": "1a", "prompt": "Answer the question for the given parameters.",
            "kind": name, "given": given}
    return {"meta": meta, "problems": [{"id": 1, "title": "Random", "parts": [part]}]}


def build_spec(spec: dict[str, Any], *, pdf: bool
               ) -> tuple[str, dict[str, Any], Built, list[str]]:
    """solutions.tex, the part's given as answers.json records it (defaults and the index
    base filled in), the build result of `spec`, written as YAML (JSON is YAML), and with a
    PDF the numbers of answers.json that its text does not show."""
    with tempfile.TemporaryDirectory(prefix="derive-random-") as tmp:
        path = Path(tmp) / "random.yaml"
        path.write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
        (loaded,) = load_all([path])
        built = build(loaded, Path(tmp) / "out", pdf=pdf)
        answers = json.loads((built.out / "answers.json").read_text(encoding="utf-8"))
        return ((built.out / "solutions.tex").read_text(encoding="utf-8"),
                answers["parts"][0]["given"], built, missing_values(built.out) if pdf else [])


# --- sentences that refer to something that does not exist --------------------------------

_DOLLAR = re.compile(r"(?<!\\)\$")
_ENV = r"(align\*?|equation\*?|gather\*?|multline\*?|itemize|enumerate|tabular|pmatrix|matrix)"
_NUMBER = re.compile(r"^\s*-?\d+(?:[.,]\d+)?\s*$")
# what a page counts (plural forms, English and French): a count of 0 refers to nothing, and
# a count of 1 takes the singular
_PLURALS = ("locations", "positions", "emplacements", "entries", "entrées", "coefficients",
            "zeros", "zéros", "values", "valeurs", "elements", "éléments", "pixels",
            "multiplications", "additions", "products", "produits", "filters", "filtres",
            "outputs", "sorties", "inputs", "features", "variables", "bytes", "octets",
            "channels", "canaux", "layers", "couches", "weights", "rows", "lignes", "columns",
            "colonnes", "numbers", "nombres", "parameters", "paramètres", "steps", "étapes",
            "terms", "termes", "times", "others", "autres")
_SINGULARS = tuple(word[:-1] for word in _PLURALS if word.endswith("s"))
_COUNT = r"(?<![\d.,\-\\{])\b"
_BETWEEN = r"\s+(?:(?:other|output|input|more|autres|de plus)\s+)?"
# in prose, where inline math holding a lone number reads as that number
PROSE: list[tuple[str, re.Pattern[str]]] = [
    ("a zero count", re.compile(
        _COUNT + "0" + _BETWEEN + "(" + "|".join(_PLURALS + _SINGULARS) + r")\b",
        re.IGNORECASE)),
    ("a zero count", re.compile(r"\b(?:other|autres)\s+0(?![\d]|[.,]\d)", re.IGNORECASE)),
    ("a count of one with a plural noun", re.compile(
        _COUNT + "1" + _BETWEEN + "(" + "|".join(_PLURALS) + r")\b", re.IGNORECASE)),
    ("a plural hedge", re.compile(r"(?<![\\A-Za-z])[A-Za-zéèà]{2,}\((?:s|es|x)\)")),
]
# anywhere in the body
SOURCE: list[tuple[str, re.Pattern[str]]] = [
    ("an empty display", re.compile(r"\\\[\s*[.,;:]?\s*\\\]")),
    ("an empty environment", re.compile(
        r"\\begin\{" + _ENV + r"\}(?:\{[^}]*\})?[\s&.,;:]*(?:\\\\)?[\s&.,;:]*\\end\{\1\}")),
    # `{name}` not an argument of a command, a sub/superscript, nor a braced symbol `{x}_{i}`
    ("an unformatted placeholder", re.compile(
        r"(?<![\\A-Za-z_^}\]*{])\{[A-Za-z_][A-Za-z_0-9]*\}(?![_^'{])")),
    ("a template left over", re.compile(r"\\VAR\{|\\BLOCK\{|\\#\{|^%%|^%#", re.MULTILINE)),
    ("a Python value", re.compile(r"\bNone\b|\bTrue\b|\bFalse\b|object at 0x|Traceback")),
    ("a nan", re.compile(r"\bnan\b", re.IGNORECASE)),
    ("an inf", re.compile(r"(?<!\\)\binf\b|\binfinity\b", re.IGNORECASE)),
]


def body(tex: str) -> str:
    """The solutions proper: from the first part to the end of the document."""
    start = tex.find("% derive-part:")
    assert start >= 0, "no part in solutions.tex"
    return tex[start:tex.rfind(r"\end{document}")]


def _line_of(text: str, at: int) -> str:
    lo, hi = text.rfind("\n", 0, at) + 1, text.find("\n", at)
    return text[lo:hi if hi >= 0 else len(text)].strip()[:300]


def defects(tex: str) -> list[str]:
    """Each offending piece of `tex`, with the line it is on and what is wrong with it."""
    text = body(tex)
    found = [f"{what}: {m.group(0)!r} in: {_line_of(text, m.start())}"
             for what, pattern in SOURCE for m in pattern.finditer(text)]
    # inline math: `$…$` pieces, paired in order; an empty one, or prose around lone numbers
    pieces = _DOLLAR.split(text)
    if len(pieces) % 2 == 0:
        found.append("an unpaired $ in the body")
    prose = []
    for n, piece in enumerate(pieces):
        if n % 2 == 0:
            prose.append(piece)
        elif not piece.strip(" \t\n.,;:"):
            found.append(f"an empty inline math: {'$' + piece + '$'!r} after: "
                         f"{pieces[n - 1][-120:].strip()!r}")
        else:
            prose.append(piece.strip() if _NUMBER.match(piece) else " $…$ ")
    flat = "".join(prose)
    found += [f"{what}: {m.group(0)!r} in: {_line_of(flat, m.start())}"
              for what, pattern in PROSE for m in pattern.finditer(flat)]
    # a sentence ending with a colon announces what follows: a display, a list, a figure
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("%")]
    for line, after in pairwise(lines):
        if line.endswith(":") and not line.startswith("\\") and not after.startswith(
                ("\\[", "\\begin", "\\item")):
            found.append(f"a colon that introduces nothing: {line[-160:]!r} is followed by "
                         f"{after[:160]!r}")
    return found


_SUBSCRIPT = re.compile(r"(?<![A-Za-z\\])\{?([xw])\}?_\{(-?\d+),\s*(-?\d+)\}")


def index_defects(tex: str, given: dict[str, Any]) -> list[str]:
    """Written-out entries x_{a,b} and w_{a,b} must exist: indices within the given sizes.

    Only for kinds whose effective given (as answers.json records it) has a two-axis `input`
    and `kernel`, x being the input and w the kernel.
    """
    sizes: dict[str, list[int]] = {}
    for name, key in (("x", "input"), ("w", "kernel")):
        size = given.get(key)
        if not (isinstance(size, list) and len(size) == 2):
            return []
        sizes[name] = size
    base = int(given.get("index_base", 0))
    found = []
    for m in _SUBSCRIPT.finditer(body(tex)):
        name, index = m.group(1), (int(m.group(2)), int(m.group(3)))
        if not all(base <= i < n + base for i, n in zip(index, sizes[name], strict=True)):
            found.append(f"an entry that does not exist: {m.group(0)!r} ({name} is "
                         f"{sizes[name][0]}×{sizes[name][1]}, indices from {base}) in: "
                         f"{_line_of(body(tex), m.start())}")
    return list(dict.fromkeys(found))


def _describe(name: str, spec: dict[str, Any]) -> str:
    part = spec["problems"][0]["parts"][0]
    return (f"kind {name}, language {spec['meta']['language']}, meta.index_base "
            f"{spec['meta'].get('index_base')}, given {json.dumps(part['given'])}")


def _draw_spec(data: st.DataObject, name: str) -> dict[str, Any]:
    given_ = data.draw(givens(name), label="given")
    language = data.draw(st.sampled_from(LANGUAGES), label="language")
    index_base = data.draw(st.sampled_from([None, 0, 1]), label="meta.index_base")
    kind = KINDS[name]
    if index_base is not None and "index_base" in kind.given.model_fields:
        try:           # a given written for one base (a weight v_11, say) may not fit the other
            kind.given.model_validate({"index_base": index_base, **given_})
        except ValidationError:
            assume(False)
    return spec_for(name, given_, language, index_base)


# --- the tests -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", KIND_NAMES)
@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_random_givens_build_and_every_sentence_is_true(name: str, data: st.DataObject) -> None:
    spec = _draw_spec(data, name)
    tex, effective, _, _ = build_spec(spec, pdf=False)
    found = defects(tex) + index_defects(tex, effective)
    assert not found, f"{_describe(name, spec)}:\n" + "\n".join(found)


@pytest.mark.tex
@pytest.mark.skipif(not available(), reason="needs a TeX installation (latexmk, pdflatex)")
@pytest.mark.parametrize("name", KIND_NAMES)
@settings(max_examples=2, deadline=None,
          phases=[Phase.explicit, Phase.generate],     # no shrinking: each try is a TeX run
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_random_givens_typeset_without_overfull_boxes(name: str, data: st.DataObject) -> None:
    spec = _draw_spec(data, name)
    tex, effective, built, missing = build_spec(spec, pdf=True)
    assert built.warnings == [], f"{_describe(name, spec)}:\n" + "\n".join(built.warnings)
    found = defects(tex) + index_defects(tex, effective) + [
        f"not on the page: {m}" for m in missing]     # every answer a script reads, shown
    assert not found, f"{_describe(name, spec)}:\n" + "\n".join(found)
