"""Facts shared by several parts are shown once (derive.shared): no table or display twice in a
document, every reference pointing to a part that exists; answers marked once where asked;
the verification appendix grouped by method; lists in the page's language."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from ruamel.yaml import YAML

from derive.appendix import grouped_checks, method_text
from derive.build import build, load_all, solve, verify
from derive.derivation.page import ANSWER_TAG, ANSWER_TEXT
from derive.latex.environment import strings
from derive.listing import Listing, listing
from derive.questions.base import Check
from derive.render import render
from derive.typeset import available

ROOT = Path(__file__).resolve().parent.parent
needs_tex = pytest.mark.skipif(not available(), reason="needs a TeX installation")

# --- reading a .tex: its displays, its references -------------------------------------------
_ENV = re.compile(r"\\begin\{(align\*?|equation\*?|gather\*?|multline\*?|tabular)\}(.*?)"
                  r"\\end\{\1\}", re.S)
_PART = re.compile(r"% derive-part: (\S+)\n")
NONTRIVIAL = 12          # a display line shorter than this (x = 1) may well recur


def _rows(body: str) -> list[str]:
    """The rows of an align body, split at its own `\\\\` (not those inside a matrix or a
    brace), tags removed, a broken expression's `&\\quad` pieces joined to their row."""
    rows, current, depth, env, i = [], "", 0, 0, 0
    while i < len(body):
        if body.startswith(r"\begin{", i):
            env += 1
        elif body.startswith(r"\end{", i):
            env -= 1
        if body[i] in "{}":
            depth += 1 if body[i] == "{" else -1
        if body.startswith("\\\\", i) and depth == 0 and env == 0:
            rows.append(current)
            current, i = "", i + 2 + body.startswith("*", i + 2)    # \\* keeps the page
            spacing = re.match(r"\[[^\]]*\]", body[i:])
            i += spacing.end() if spacing else 0
            continue
        current += body[i]
        i += 1
    rows.append(current)
    steps: list[str] = []
    for row in rows:
        row = " ".join(re.sub(r"\\tag\*\{.*$", "", row, flags=re.S).split())
        if row.startswith(r"&\quad") and steps:
            steps[-1] += " " + row
        else:
            steps.append(row)
    return steps


def displays(tex: str) -> tuple[Counter[str], Counter[str]]:
    """(whole environments, display lines): each line as a statement `lhs = rhs`, the left
    side of a continued line being that of the row above it."""
    body = tex.split(r"\begin{document}", 1)[1]
    envs: Counter[str] = Counter()
    lines: Counter[str] = Counter()
    for match in _ENV.finditer(body):
        envs[" ".join(match.group(2).split())] += 1
        if match.group(1) == "tabular":
            continue
        lhs = ""
        for row in _rows(match.group(2)):
            left, _, right = row.partition("&")
            lhs = left.strip() or lhs
            if len(right.strip()) >= NONTRIVIAL:
                lines[f"{lhs} & {right.strip()}"] += 1
    return envs, lines


def assert_nothing_repeated(tex: str) -> None:
    envs, lines = displays(tex)
    assert not [e for e, n in envs.items() if n > 1], "an environment is shown twice"
    twice = [line for line, n in lines.items() if n > 1]
    assert not twice, f"shown twice: {twice[:3]}"


def assert_references_exist(tex: str) -> list[str]:
    """Every `\\partref{id}` names a part the page anchors, shown before the reference."""
    anchors = re.findall(r"\\partanchor\{([^}]*)\}", tex)
    refs = re.findall(r"\\partref\{([^}]*)\}", tex.split(r"\begin{document}", 1)[1])
    assert len(anchors) == len(set(anchors))
    for ref in refs:
        assert ref in anchors, ref
    body = tex.split(r"\section*{Verification}")[0].split(r"\section*{Vérification}")[0]
    pieces = _PART.split(body)
    order = pieces[1::2]
    for n, (fid, text) in enumerate(zip(pieces[1::2], pieces[2::2], strict=True)):
        for ref in re.findall(r"\\partref\{([^}]*)\}", text):
            assert ref in order[:n + 1], f"{fid} refers to {ref}, which is not above it"
    return refs


_SEE = re.compile(r"^(?P<names>\$.*?) ?: (?:see|voir (?:la|les)) questions? .*$", re.M)


def assert_references_are_used(tex: str) -> None:
    """A display named by reference ("$n'$: see question 4.1.") is one the part goes on to
    use: its name is written elsewhere in the part, or a display follows at once (the
    formula's substitutions). An answer restated by reference is exempt: it is asked."""
    body = tex.split(r"\section*{Verification}")[0].split(r"\section*{Vérification}")[0]
    pieces = _PART.split(body)
    for fid, text in zip(pieces[1::2], pieces[2::2], strict=True):
        for match in _SEE.finditer(text):
            if ANSWER_TEXT.strip() in match.group(0):
                continue
            after = re.sub(r"\\par(?![a-z])", "", text[match.end():].lstrip()).lstrip()
            rest = text[:match.start()] + text[match.end():]
            for name in re.findall(r"\$([^$]+)\$", match.group("names")):
                num, slash, den = name.partition("/")            # ∂L/∂v is \frac{∂L}{∂v}
                written = {name} | ({rf"\frac{{{num}}}{{{den}}}"} if slash else set())
                assert any(w in rest for w in written) or after.startswith(r"\begin{align"), (
                    f"{fid} names ${name}$ by reference but never uses it")


# --- specs with many parts on one network -----------------------------------------------------
def _spec(tmp: Path, problems: list[dict[str, Any]], language: str = "en",
          name: str = "shared") -> Path:
    data = {"meta": {"course": "C", "title": "Shared facts", "language": language,
                     "numbering": "problem.question"}, "problems": problems}
    path = tmp / f"{name}.yaml"
    with path.open("w", encoding="utf-8") as fh:
        YAML().dump(data, fh)
    return path


def _tex(path: Path) -> tuple[str, dict[str, Any]]:
    (loaded,) = load_all([path])
    solutions = solve(loaded)
    verify(solutions, loaded)
    return render(loaded, solutions), solutions


def _parts(kind: str, givens: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": str(n), "prompt": "Answer.", "kind": kind, "given": g}
            for n, g in enumerate(givens, 1)]


LAYERS = [{"conv": 3, "filters": 4, "padding": 1}, {"conv": 3, "filters": 4, "stride": 2},
          {"maxpool": 2, "stride": 2}, {"conv": 2, "filters": 2}]
ARCH_REPORTS = ["output_shape", "parameters", "receptive_field", "same_size", "table",
                "corner_reach"]
X = [[0, 1, 2, 0], [3, 1, 0, 2], [1, 0, 2, 1], [2, 2, 0, 1]]
W = [[1, -1], [0, 2]]


@st.composite
def networks(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Three problems on one network each: backpropagation (several weights and reports),
    architecture reports, convolution arrays."""
    widths = draw(st.sampled_from([[2, 3, 2], [3, 2, 2], [2, 2, 3]]))
    weights = [f"v_{i}{j}" for i in range(1, widths[0] + 1) for j in range(1, widths[1] + 1)]
    mlp = [{"widths": widths, "weight": draw(st.sampled_from(weights)),
            "report": draw(st.sampled_from(["chain", "factors", "gradient", "update"])),
            **({"target": 1} if draw(st.booleans()) else {})}
           for _ in range(draw(st.integers(3, 5)))]
    size = draw(st.sampled_from([12, 16]))
    layers = LAYERS[:draw(st.integers(2, 4))]
    reports = draw(st.lists(st.sampled_from(ARCH_REPORTS), min_size=3, max_size=5,
                            unique=True))
    arch = [{"input": [size, size, 1], "layers": layers, "report": r} for r in reports]
    conv = [{"x": X, "w": W, "report": r, "index_base": 0}
            for r in draw(st.lists(st.sampled_from(["limits", "output", "max", "min", "zeros"]),
                                   min_size=3, max_size=5, unique=True))]
    return [{"id": 1, "title": "Backpropagation", "parts": _parts("mlp.backprop", mlp)},
            {"id": 2, "title": "A CNN", "parts": _parts("architecture", arch)},
            {"id": 3, "title": "Convolution", "parts": _parts("conv2d.arrays", conv)}]


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(problems=networks(), language=st.sampled_from(["en", "fr"]))
def test_no_table_or_display_twice_and_every_reference_exists(
        tmp_path: Path, problems: list[dict[str, Any]], language: str) -> None:
    tex, _ = _tex(_spec(tmp_path, problems, language))
    assert_nothing_repeated(tex)
    assert_references_exist(tex)
    assert_references_are_used(tex)
    assert_every_colon_opens_a_display(tex)


@pytest.mark.parametrize("spec", sorted(p.name for p in (ROOT / "specs").glob("*.yaml")))
def test_the_shipped_specs_name_only_displays_they_use(spec: str) -> None:
    tex, _ = _tex(ROOT / "specs" / spec)
    assert_references_are_used(tex)
    assert_every_colon_opens_a_display(tex)


def test_the_usc_backprop_problem_shows_its_network_once(tmp_path: Path) -> None:
    """The nine parts of the shipped backpropagation problem (one tanh network)."""
    tex, _ = _tex(ROOT / "specs" / "usc-ml-problem-1.yaml")
    assert_nothing_repeated(tex)
    refs = assert_references_exist(tex)
    assert "4.1" in refs and "1.1" in refs                 # the loss; the architecture table
    body = tex.split(r"\begin{document}", 1)[1]
    assert body.count("The network computes") <= 2          # 4.1; 4.3 with its one-hot label
    # 1.1 asks for the counts, 1.2 for the output's size: two tables with their own columns
    assert body.count(r"\begin{tabular}") == 2
    # matrices too long to name are referred to at once: 4.9 repeats 4.5's softmax matrix
    assert r"Same steps as in question \partref{4.5}." in body.split("% derive-part: 4.9")[1]
    assert not re.search(r"Same steps as in [^\n]*\n\s*Same steps", body)


def test_a_repeated_answer_is_stated_and_marked_where_it_is_asked(tmp_path: Path) -> None:
    arch = {"input": [8, 8, 1], "layers": LAYERS[:2]}
    problems = [{"id": 1, "title": "P", "parts": [
        {"id": "1", "prompt": "Size?", "kind": "conv2d.output_size",
         "given": {"input": [6, 6], "kernel": [3, 3]}},
        {"id": "2", "prompt": "Size again?", "kind": "conv2d.output_size",
         "given": {"input": [6, 6], "kernel": [3, 3]}},
        {"id": "3", "prompt": "Output?", "kind": "architecture",
         "given": {**arch, "report": "output_shape"}},
        {"id": "4", "prompt": "Parameters?", "kind": "architecture",
         "given": {**arch, "report": "parameters", "columns": ["output"]}}]}]
    tex, _ = _tex(_spec(tmp_path, problems))
    part = dict(zip(*[iter(_PART.split(tex.split("Verification}")[0])[1:])] * 2, strict=True))
    assert (ANSWER_TEXT + r"As in question \partref{1.1}, $I = J = 4$.") in part["1.2"]
    assert r"The output is $4 \times 4$." in part["1.2"]
    assert r"\begin{align" not in part["1.2"]
    for fid in ("1.1", "1.2", "1.3", "1.4"):
        assert part[fid].count(ANSWER_TAG) + part[fid].count(ANSWER_TEXT) == 1, fid
    assert (ANSWER_TEXT + "The final output is") in part["1.3"]
    assert (ANSWER_TEXT + "The network has") in part["1.4"]
    assert "Same table as in question \\partref{1.3}." in part["1.4"]


def test_answers_json_keeps_every_value_of_a_part_that_refers_to_another(
        tmp_path: Path) -> None:
    """A part's values do not depend on the parts shown before it."""
    both = [{"widths": [2, 3, 2], "weight": "v_12", "report": "chain"},
            {"widths": [2, 3, 2], "weight": "v_12", "report": "update", "target": 1}]
    together = _spec(tmp_path, [{"id": 1, "title": "P", "parts": _parts("mlp.backprop", both)}],
                     name="together")
    alone = _spec(tmp_path, [{"id": 1, "title": "P", "parts": [
        {**_parts("mlp.backprop", both)[1], "id": "2"}]}], name="alone")
    out = tmp_path / "out"
    for path in (together, alone):
        (loaded,) = load_all([path])
        build(loaded, out, pdf=False)
    read = {name: {p["id"]: p for p in json.loads(
        (out / name / "answers.json").read_text(encoding="utf-8"))["parts"]}
        for name in ("together", "alone")}
    assert read["together"]["1.2"]["answer"] == read["alone"]["1.2"]["answer"]
    assert read["together"]["1.2"]["steps"] == read["alone"]["1.2"]["steps"]
    tex = (out / "together" / "solutions.tex").read_text(encoding="utf-8")
    assert r"\partref{1.1}" in tex


@needs_tex
def test_references_print_the_part_s_number_on_the_pdf(tmp_path: Path) -> None:
    spec = ROOT / "specs" / "usc-ml-problem-1.yaml"
    (loaded,) = load_all([spec])
    build(loaded, tmp_path, pdf=True)
    text = " ".join(" ".join((page.extract_text() or "").split())
                    for page in PdfReader(tmp_path / spec.stem / "solutions.pdf").pages)
    assert "see question 1.1" in text and "see question 4.1" in text and "??" not in text


# --- the verification appendix, grouped by method ---------------------------------------------
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_appendix_describes_each_method_once_and_lists_every_part(language: str) -> None:
    words = strings(language)
    checks = [("1.1", Check("arch_output_shape", True, 0.0, 51)),
              ("1.2", Check("mlp_fd", True, 2.5e-10, 36)),
              ("1.3", Check("mlp_fd", True, 1.5e-9, 1)),
              ("1.4", Check("mlp_fd", True, 0.0, 57082))]
    groups = grouped_checks(checks, words)
    assert len(groups) == 2
    first, second = groups
    assert first["parts"] == r"\partref{1.1}"
    assert r"\partref" not in first["results"]             # one part: no need to name it
    et = {"en": ", and ", "fr": " et "}[language]
    assert second["parts"] == rf"\partref{{1.2}}, \partref{{1.3}}{et}\partref{{1.4}}"
    assert r"\partref{1.2}" in second["results"] and r"$\num{2.5e-10}$" in second["results"]
    assert "36" in second["results"] and r"\num{57082}" in second["results"]   # grouped
    assert second["results"].count(r"\partref") == 3
    method = words["checks"].get("mlp_fd") or words["methods"]["mlp_fd"]
    assert second["method"].lower().startswith(method[:20].lower())
    assert second["method"].endswith(".")


def test_the_shipped_appendix_has_one_entry_per_method(tmp_path: Path) -> None:
    tex, solutions = _tex(ROOT / "specs" / "usc-ml-problem-1.yaml")
    appendix = tex.split(r"\section*{Verification}")[1]
    words = strings("en")
    methods = {method_text(s.check, words) for s in solutions.values()}   # worded alike: one
    assert appendix.count(r"\item[") == len(methods) < len(solutions)
    for fid in solutions:
        assert rf"\partref{{{fid}}}" in appendix


# --- lists in the page's language -------------------------------------------------------------
@pytest.mark.parametrize(("language", "items", "expected"), [
    ("en", ["1"], "1"), ("en", ["1", "2"], "1 and 2"), ("en", ["1", "2", "3"], "1, 2, and 3"),
    ("fr", ["1", "2"], "1 et 2"), ("fr", ["1", "2", "3"], "1, 2 et 3"),
    ("fr", ["$a$", "$b$", "$c$", "$d$"], "$a$, $b$, $c$ et $d$")])
def test_lists_are_joined_as_the_language_writes_them(language: str, items: list[str],
                                                      expected: str) -> None:
    assert listing(items, strings(language)) == expected


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_sentence_value_that_is_a_list_is_joined_in_the_page_s_language(language: str
                                                                          ) -> None:
    import sympy as sp

    from derive.derivation import Derivation
    from derive.derivation.page import sentence
    from derive.derivation.steps import Sentence

    words = {**strings(language), "sentences": {"listed": "Sizes {sizes}."}}
    said = sentence(Sentence("listed", {"sizes": Listing([sp.Integer(1), sp.Rational(1, 2),
                                                          sp.Integer(3)])}),
                    words, Derivation(), 0)
    assert said == {"en": r"Sizes 1, \frac{1}{2}, and 3.",
                    "fr": r"Sizes 1, \frac{1}{2} et 3."}[language]


@pytest.mark.parametrize(("language", "said"), [("en", "Notation as in question"),
                                                  ("fr", "Mêmes notations qu'à la question")])
def test_notation_stated_in_an_earlier_part_is_referred_to(tmp_path: Path, language: str,
                                                           said: str) -> None:
    """Two parts on one sigmoid layer: the second does not restate a_j and z_j; a layer of
    another size states its own."""
    layer = {"inputs": 2, "outputs": 2}
    problems = [{"id": 1, "title": "P", "parts": [
        *_parts("dense_sigmoid.grad_input", [layer]),
        {**_parts("dense_sigmoid.grad_weight", [layer])[0], "id": "2"},
        {**_parts("dense_sigmoid.grad_weight", [{"inputs": 3, "outputs": 2}])[0], "id": "3"}]}]
    tex, _ = _tex(_spec(tmp_path, problems, language))
    part = dict(zip(*[iter(_PART.split(tex.split(r"\section*{V")[0])[1:])] * 2, strict=True))
    setup = r"$a_j = "
    assert setup in part["1.1"] and setup not in part["1.2"]
    assert rf"{said} \partref{{1.1}}." in part["1.2"]
    assert setup in part["1.3"] and said not in part["1.3"]       # n = 3: new notation


def test_the_first_steps_of_a_chain_shown_before_are_stated_in_its_sentence(
        tmp_path: Path) -> None:
    """Part 2's P = S/B was shown in part 1: its sentence states it inline, with where, and
    goes on to the substitutions; no bare reference line stands before the sentence."""
    storage = [{"weights_size": 40, "unit": "MB", "bytes_per_number": 4},
               {"weights_size": 3, "unit": "MiB", "bytes_per_number": 2}]
    tex, _ = _tex(_spec(tmp_path, [{"id": 1, "title": "P",
                                    "parts": _parts("storage.derivatives", storage)}]))
    second = tex.split("% derive-part: 1.2")[1].split(r"\section*{Verification}")[0]
    assert (r"they hold $P$ numbers, $P = \frac{S}{B}$ (see question \partref{1.1}), and:"
            "\n" r"\begin{align*}" "\n" r"P &= \frac{\num{3145728}}{2}") in second
    assert "$P$: see" not in second
    assert_references_are_used(tex)


_COLON_END = re.compile(r"(\\par|\\nopagebreak|\\\\\*?|\s)+$")


def assert_every_colon_opens_a_display(tex: str) -> None:
    """A sentence of the body that ends with a colon is followed by what it announces."""
    body = re.split(r"\\section\*\{V[ée]rification\}", tex.split(r"\begin{document}", 1)[1])[0]
    lines = body.split("\n")
    for n, line in enumerate(lines):
        text = _COLON_END.sub("", line)
        if text.endswith(":") and "&" not in text and not text.lstrip().startswith("%"):
            after = next((x for x in lines[n + 1:] if x.strip()), "")
            assert after.lstrip().startswith(("\\begin{", "\\[")), f"announces nothing: {text}"


def _block(sentence: str, lhs: str, rhs: str) -> dict[str, Any]:
    return {"sentence": sentence, "key": "x", "answer": False,
            "lines": [{"lhs": lhs, "rel": "=", "rhs": rhs, "rule": "chain rule"}]}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_sentence_whose_display_is_left_out_says_where_it_is(language: str) -> None:
    """Part 2 announces, in its own words, a display part 1 showed: the display is left out and
    the sentence, no longer ending in a colon, points to part 1."""
    from derive.shared import SharedFacts

    facts = SharedFacts(strings(language))
    shown = _block("The chain:", r"\frac{\partial L}{\partial v}", r"a b c")
    facts.share("1.1", {"blocks": [shown]})
    out = facts.share("1.2", {"blocks": [_block("Each factor, by its rule:", *(
        shown["lines"][0][k] for k in ("lhs", "rhs"))), _block("Then:", "y", "2 x + 1")]})
    first, second = out["blocks"]
    said = strings(language)["shared"]["shown"].replace("{ref}", r"\partref{1.1}")
    assert first == {**first, "sentence": "Each factor, by its rule" + said, "lines": []}
    assert second["sentence"] == "Then:" and second["lines"]


def test_references_name_the_problem_when_two_problems_share_a_question_number(
        tmp_path: Path) -> None:
    """Numbering 'question': problems 1 and 2 both have a question 1, so a reference (and the
    appendix) says 'question 1.1', not a bare 'question 1' that could be either."""
    size = {"input": [6, 6], "kernel": [3, 3]}
    part = {"id": "1", "prompt": "Size?", "kind": "conv2d.output_size", "given": size}
    data = {"meta": {"course": "C", "title": "T"}, "problems": [
        {"id": 1, "title": "A", "parts": [part]},
        {"id": 2, "title": "B", "parts": [part, {**part, "id": "2"}]}]}
    path = tmp_path / "twice.yaml"
    with path.open("w", encoding="utf-8") as fh:
        YAML().dump(data, fh)
    tex, _ = _tex(path)
    anchors = re.findall(r"\\partanchor\{([^}]*)\}\{([^}]*)\}", tex)
    assert anchors == [("1.1", "1.1"), ("2.1", "2.1"), ("2.2", "2.2")]
    assert r"\subsection*{1.}" in tex                  # the page keeps the assignment's "1."
    del data["problems"][0]
    with path.open("w", encoding="utf-8") as fh:
        YAML().dump(data, fh)
    tex, _ = _tex(path)
    assert re.findall(r"\\partanchor\{([^}]*)\}\{([^}]*)\}", tex) == [("2.1", "1"), ("2.2", "2")]


def test_a_sentence_is_not_continued_into_a_display_that_is_left_out(tmp_path: Path) -> None:
    """Part 3's counts: N_l shown in part 2 is stated inline only when the display after it
    is shown; here P_l (next) was shown in part 2 too, so no sentence ends 'and:' before it."""
    arch = [{"input": [16, 16, 1], "layers": LAYERS[:2], "report": r}
            for r in ("output_shape", "parameters", "table")]
    tex, _ = _tex(_spec(tmp_path, [{"id": 1, "title": "A",
                                    "parts": _parts("architecture", arch)}]))
    assert_every_colon_opens_a_display(tex)
    assert_references_exist(tex)


def test_a_partial_derivative_named_in_a_sentence_is_written_with_a_slash() -> None:
    from derive.shared import _slashed

    assert _slashed(r"\frac{\partial L}{\partial {v}_{1,2}}") == r"\partial L/\partial {v}_{1,2}"
    assert _slashed(r"\frac{\partial^{2} f}{\partial x^{2}}") == r"\partial^{2} f/\partial x^{2}"
    for kept in (r"\frac{\partial L}{\partial v} x", r"\frac{1}{2}", r"\frac{\partial L}{2}"):
        assert _slashed(kept) == kept                  # a product, or not a derivative
