"""The page: the assignment's own layout (questions), French typography, answers marked in the
margin, and a spec's own templates."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sympy as sp
from pypdf import PdfReader
from ruamel.yaml import YAML

from derive.__main__ import main
from derive.build import build, load_all
from derive.derivation import Derivation, Domain
from derive.derivation.page import ANSWER_TAG, ANSWER_TEXT, blocks, marks
from derive.errors import SpecError
from derive.latex.environment import environment, strings
from derive.latex.typography import localize, localize_prose
from derive.prose import prose_to_latex
from derive.render import QuestionView, _points, points_list
from derive.typeset import available

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
IFT = SPECS / "ift6135-a2022-cnn.yaml"
ALM = SPECS / "alm-2019-hw1.yaml"
needs_tex = pytest.mark.skipif(not available(), reason="needs a TeX installation")


def _yaml(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return data


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        YAML().dump(data, fh)
    return path


def _tex(spec: Path, out: Path, pdf: bool = False) -> str:
    (loaded,) = load_all([spec])
    build(loaded, out, pdf=pdf)
    return (out / spec.stem / "solutions.tex").read_text(encoding="utf-8")


def _body(tex: str) -> str:
    return tex.split(r"\begin{document}", 1)[1]


@pytest.fixture(scope="module")
def ift_tex(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _tex(IFT, tmp_path_factory.mktemp("ift"))


@pytest.fixture(scope="module")
def alm_fr_tex(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("alm-fr")
    data = _yaml(ALM)
    data["meta"]["language"] = "fr"
    data["meta"]["numbering"] = "problem.question"            # headings "1.3." are labels
    return _tex(_write(folder / "alm-fr.yaml", data), folder / "out")


# --- 1. the assignment's own layout -------------------------------------------------------
def test_questions_layout_heads_each_question_as_the_assignment_does(ift_tex: str) -> None:
    body = _body(ift_tex)
    assert r"\section*{Question 4 (3-5-5-7).\ (Bases de la convolution)}" in body
    assert r"\section*{Question 5 (3-2-3-7).\ (Champ récepteur)}" in body
    assert r"\subsection*{Réponse 4.\ Bases de la convolution}" in body
    assert r"\subsection*{Réponse 5.\ Champ récepteur}" in body
    question_4 = body.split(r"\section*{Question 4", 1)[1].split(r"\subsection*{Réponse 4", 1)[0]
    assert re.findall(r"\\item\[(\d+)\.\]", question_4) == ["1", "2", "3", "4"]
    assert question_4.count(r"\textbf{(a)}") == question_4.count(r"\textbf{(b)}") == 1
    answers_4 = body.split(r"\subsection*{Réponse 4", 1)[1].split(r"\section*{Question 5", 1)[0]
    assert re.findall(r"\\paragraph\*\{([^}]*)\}", answers_4) == [
        "1.", r"2.\enspace(a)", "(b)", "3.", "4."]
    anchors = dict(re.findall(r"\\partanchor\{([^}]*)\}\{([^}]*)\}", body))
    assert {anchors[f] for f in ("4.1", "4.2a", "4.2b", "4.3", "4.4", "5.1", "5.4")} == {
        "4.1", "4.2(a)", "4.2(b)", "4.3", "4.4", "5.1", "5.4"}     # as the assignment numbers
    verification = body.split(r"\section*{Vérification}", 1)[1]
    named = Counter(re.findall(r"\\partref\{([^}]*)\}", verification.split(
        r"\end{description}")[0].split(r"\begin{description}")[1]))
    assert set(named) == set(anchors)                          # every part, ...
    groups = re.findall(r"\\item\[([^\]]*)\]", verification)
    listed = [ref for g in groups for ref in re.findall(r"\\partref\{([^}]*)\}", g)]
    assert sorted(listed) == sorted(anchors)                   # ... in exactly one group


def _question(points: list[float | None]) -> QuestionView:
    q = QuestionView("1", None, "1")
    q.parts = [type("P", (), {"points": p})() for p in points]
    return q


@pytest.mark.parametrize(("questions", "total", "shown"), [
    ([[3], [5, None], [5], [7]], 20, "3-5-5-7"),        # parts' points summed per question
    ([[2, 3], [1]], None, "5-1"),
    ([[3], [None]], 20, "20"),                          # a question without points: the total
    ([[None]], None, ""),
    ([[2.5], [1]], None, r"\num{2.5}-1"),               # a number, set by siunitx
])
def test_points_are_listed_per_question(questions: list[list[float | None]],
                                        total: float | None, shown: str) -> None:
    views = [_question(points) for points in questions]
    assert points_list(views, total, strings("fr")) == shown
    assert points_list(views, total, strings("en")) == shown


@needs_tex
def test_questions_layout_builds_in_english(tmp_path: Path) -> None:
    data = _yaml(IFT)
    data["meta"]["language"] = "en"
    tex = _tex(_write(tmp_path / "ift-en.yaml", data), tmp_path / "out", pdf=True)
    assert r"\section*{Question 4 (3-5-5-7).\ (" in tex
    assert r"\subsection*{Answer 4.\ " in tex
    text = " ".join(p.extract_text() for p in
                    PdfReader(tmp_path / "out" / "ift-en" / "solutions.pdf").pages)
    assert "Question 5 (3-2-3-7)" in text
    assert "Answer 5." in text and "Verification" in text


# --- 2. French typography -----------------------------------------------------------------
_LABELS = re.compile(r"(?<!\\)%[^\n]*|\\item\[[^\]]*\]|\\(?:sub)*section\*\{[\d.]+"
                     r"|\\part(?:anchor|ref)\{[^}]*\}(?:\{[^}]*\})?"
                     r"|derive \d+\.\d+\.\d+|(?:(?<!\\)|(?<=\\\\))\[[^\]\n]*\]"
                     r"|\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}",
                     re.DOTALL)


def _numbers_not_set(tex: str) -> list[str]:
    """Decimal numbers that siunitx does not set, outside labels, comments and options."""
    body = re.sub(r"\\num\{[^{}]*\}", "N", _LABELS.sub("", _body(tex)))
    return re.findall(r".{0,20}\d(?:\.|\{,\})\d.{0,10}", body)


def test_french_pages_set_every_decimal_with_siunitx(ift_tex: str, alm_fr_tex: str) -> None:
    """No decimal is typed with a point or a hand-made {,}: siunitx prints the comma."""
    assert _numbers_not_set(ift_tex) == []
    assert _numbers_not_set(alm_fr_tex) == []
    assert r"\sisetup{locale = FR, group-digits = integer}" in ift_tex
    assert re.search(r"\\num\{\d+\.\d+\}", ift_tex)


_DECIMAL_THEN_COMMA = re.compile(r"\\num\{\d+\.\d+[^}]*\},\s*(?:\\allowbreak\\ )?-?\d")


def test_french_tuples_with_decimals_separate_their_items_by_semicolons(ift_tex: str,
                                                                        alm_fr_tex: str) -> None:
    """(0,5, −0,5) cannot be read; (0,5; −0,5) can. Inline math and displays alike."""
    assert r"\left(\num{0.5}; -\num{0.5}; \num{0.25}\right)" in ift_tex  # the point of Q3.3
    for tex in (ift_tex, alm_fr_tex):
        math = re.findall(r"(?<!\\)\$[^$]*(?<!\\)\$", tex) + re.findall(
            r"\\begin\{align\*?\}.*?\\end\{align\*?\}", tex, re.DOTALL)
        assert [m for m in math if _DECIMAL_THEN_COMMA.search(m)] == []


def test_french_labels_keep_their_points(alm_fr_tex: str, ift_tex: str) -> None:
    assert r"\subsection*{1.3.}" in alm_fr_tex                    # a question, not 1,3
    assert r"\partanchor{1.3a}{1.3(a)}" in alm_fr_tex and "% derive-part: 1.3a" in alm_fr_tex
    assert "derive 0.1.0" in ift_tex


def test_french_checks_and_formulas_take_a_decimal_comma(alm_fr_tex: str) -> None:
    errors = re.findall(r"erreur absolue (?:max\. )?\$([^$]*)\$", alm_fr_tex)
    assert errors and all(e == "0" or re.fullmatch(r"\\num\{[^{}]*\}", e) for e in errors)
    assert any(re.fullmatch(r"\\num\{\d\.\de-\d+\}", e) for e in errors), errors


def test_english_pages_set_numbers_in_their_locale(tmp_path: Path) -> None:
    tex = _tex(ALM, tmp_path)
    assert "{,}" not in tex and r"\sisetup{locale = US, group-digits = integer}" in tex
    errors = re.findall(r"error \$([^$]*)\$", tex)
    assert any(re.fullmatch(r"\\num\{\d\.\de-\d+\}", e) for e in errors), errors


@needs_tex
@pytest.mark.parametrize("language", ["en", "fr"])
def test_siunitx_prints_the_languages_numbers(tmp_path: Path, language: str) -> None:
    """What the reader sees: 2.2 × 10⁻¹⁶ / 2,2 × 10⁻¹⁶, a grouped 12 345, no hand-made comma."""
    data = _yaml(ALM)
    data["meta"]["language"] = language
    _tex(_write(tmp_path / "alm.yaml", data), tmp_path / "out", pdf=True)
    text = " ".join(p.extract_text() for p in
                    PdfReader(tmp_path / "out" / "alm" / "solutions.pdf").pages)
    mark = {"en": r"\.", "fr": ","}[language]
    other = {"en": ",", "fr": r"\."}[language]
    assert re.search(rf"\d{mark}\d\s*×\s*10", text), text[-2000:]
    assert not re.search(rf"\d{other}\d\s*×\s*10", text)


@pytest.mark.parametrize(("latex", "set"), [
    (r"x = 0.5", r"x = \num{0.5}"),
    (r"\left[\begin{matrix}0.25 & 12.5\end{matrix}\right]",
     r"\left[\begin{matrix}\num{0.25} & \num{12.5}\end{matrix}\right]"),
    (r"a \\[1.6ex] b = 3.5", r"a \\[1.6ex] b = \num{3.5}"),                # a length stays
    (r"\hspace{0.5em} 0.5\linewidth", r"\hspace{0.5em} 0.5\linewidth"),
    (r"\begin{tikzpicture}[x=0.4cm] \draw (0.5,1); \end{tikzpicture}",
     r"\begin{tikzpicture}[x=0.4cm] \draw (0.5,1); \end{tikzpicture}"),
    (r"version 0.1.0, then 2.5.", r"version 0.1.0, then \num{2.5}."),
    (r"\num{10000} and 1.5 \times 10^{-3}", r"\num{10000} and \num{1.5e-3}"),
    (r"3 \times 10^{12} and 10^{2}", r"\num{3e12} and 10^{2}"),
    (r"(0.5, 1) and (1, 2)", r"(\num{0.5}, 1) and (1, 2)"),
])
def test_localize(latex: str, set: str) -> None:
    """Numbers are set by siunitx in every language; only a decimal comma changes a tuple's
    separator."""
    assert localize(latex, strings("en")["decimal_mark"]) == set
    assert localize(latex, strings("fr")["decimal_mark"]) == set.replace(
        r"(\num{0.5}, 1) and (1, 2)", r"(\num{0.5}; 1) and (1; 2)")
    assert localize(set, strings("fr")["decimal_mark"]) == localize(latex, ",")    # idempotent


def test_sentences_built_from_values_take_the_decimal_comma() -> None:
    u = sp.Symbol("u")
    d = Derivation(domains={u: Domain()})
    d.say("value", v=sp.Float(0.25, 3), n=12345)
    d.chain(sp.Symbol("f"), u + sp.Rational(1, 2), "definition")
    d.then(u + sp.Float(0.5), "evaluate")
    words = {**strings("fr"), "sentences": {"value": "La valeur ${v}$ et {n} points."}}
    (block,) = blocks(d, words, 0)
    assert block["sentence"] == r"La valeur $\num{0.25}$ et \num{12345} points."
    assert block["lines"][1]["rhs"] == r"u + \num{0.5}"


def test_french_prose_quotes_math_and_addresses() -> None:
    text = 'Le pas "eta" vaut $\\eta = 0.1$ en question 3.5 (voir https://a.org/x_y).'
    french = localize_prose(prose_to_latex(text), strings("fr"))
    assert french == (r"Le pas \og eta\fg{} vaut $\eta = \num{0.1}$ en question 3.5 "
                      r"(voir {\NoAutoSpacing https://a.org/x\_y}).")
    assert localize_prose(prose_to_latex(text), strings("en")) == prose_to_latex(
        text).replace("0.1$", r"\num{0.1}$")


def _texts(words: Any) -> list[str]:
    if isinstance(words, dict):
        return [t for v in words.values() for t in _texts(v)]
    if isinstance(words, list):
        return [t for v in words for t in _texts(v)]
    return [words] if isinstance(words, str) else []


def test_french_strings_leave_the_space_before_punctuation_to_babel() -> None:
    """babel-french replaces a typed space before ; : ! ? by a non-breaking one: a string
    that types its own (~, \\, or U+00A0) would get two."""
    doubled = [t for t in _texts(strings("fr"))
               if re.search(r"(~|\u00a0|\\,|\\ )[;:!?]", re.sub(r"\$[^$]*\$", "", t))]
    assert doubled == []


def test_points_and_filters_follow_the_language() -> None:
    assert _points(2.5, strings("fr")) == r" \hfill(\num{2.5} pts)"
    assert _points(2.5, strings("en")) == r" \hfill(\num{2.5} pts)"
    template = environment().from_string(r"\VAR{x|tex} \VAR{e|sci} \VAR{y|num}")
    shown = template.render(S=strings("fr"), x=sp.Float(0.75, 2), e=3.1e-10, y=1.5)
    assert shown == r"\num{0.75} \num{3.1e-10} \num{1.5}"


# --- 3. answers marked --------------------------------------------------------------------
_WORDS = {"rules": {"definition": "def", "evaluate": "arith", "expand": "exp", "read_off": "r"},
          "sentences": {"said": "It is {n}."}, "decimal_mark": "."}


def test_each_answer_is_marked_once_where_it_is_shown() -> None:
    u, f, g, h = sp.symbols("u f g h")
    d = Derivation(domains={u: Domain()})
    d.chain(f, (u + 1) ** 2, "definition").apply("expand").answer("f")    # shown: its line
    d.chain(g, u, "definition")                                         # no answer: no mark
    d.say("said", n=3)
    d.chain(h, sp.Integer(3), "read_off").answer("h")                  # hidden: its sentence
    d.steps[-1].shown = False
    out = blocks(d, _WORDS, 0)
    lines = [line for b in out for line in b["lines"]]
    assert [line["rule"] for line in lines] == ["def", r"exp\answermark", "def"]
    assert [b["sentence"] for b in out if b["sentence"]] == [r"\answerhere It is 3."]


def test_a_hidden_answer_without_a_sentence_marks_its_block_s_last_line() -> None:
    u, f = sp.symbols("u f")
    d = Derivation(domains={u: Domain()})
    d.chain(f, u + 1, "definition").then(u + 1, "read_off", display="x").answer("f")
    d.steps[-1].shown = False
    (block,) = blocks(d, _WORDS, 0)
    assert [line["rule"] for line in block["lines"]] == [r"def\answermark"]


@pytest.fixture(scope="module")
def usc_tex(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _tex(SPECS / "usc-ml-problem-1.yaml", tmp_path_factory.mktemp("usc"))


def _parts(tex: str) -> dict[str, str]:
    pieces = re.split(r"% derive-part: (\S+)\n", _body(tex).split(r"\section*{Verification}")[0])
    return dict(zip(pieces[1::2], pieces[2::2], strict=True))


def test_long_backprop_derivations_mark_each_answer_once(usc_tex: str) -> None:
    (loaded,) = load_all([SPECS / "usc-ml-problem-1.yaml"])
    from derive.build import solve

    solutions = solve(loaded)
    parts = _parts(usc_tex)
    backprop = [fid for fid, p in loaded.parts() if p.kind == "mlp.backprop"]
    assert len(backprop) >= 5
    for fid in backprop:
        d = solutions[fid].derivation
        assert d is not None
        answers = [s for s in d.steps if marks(d, s)]      # what the part asks for
        assert all(s.shown or s.states for s in answers)     # a display, or a sentence
        shown = parts[fid].count(ANSWER_TAG) + parts[fid].count(ANSWER_TEXT.strip())
        assert shown == len(answers) >= 1, fid


def test_architecture_answers_stated_in_words_are_marked(ift_tex: str) -> None:
    parts = _parts(ift_tex.replace(r"\section*{Vérification}", r"\section*{Verification}"))
    assert parts["4.2b"].count(ANSWER_TEXT) == 1
    assert ANSWER_TEXT + "Non. " in parts["4.2b"]
    # 4.1 asks for the output's size: the sentence stating it is marked, not the layers' sizes
    assert parts["4.1"].count(ANSWER_TEXT) == 1 and parts["4.1"].count(ANSWER_TAG) == 0
    assert all(parts[fid].count(ANSWER_TAG) + parts[fid].count(ANSWER_TEXT) >= 1
               for fid in parts)


def test_the_marks_are_macros_of_the_page_in_its_language(ift_tex: str, usc_tex: str) -> None:
    assert r"\textsf{réponse}" in ift_tex and r"\textsf{answer}" in usc_tex
    assert r"\newcommand{\answermark}" in usc_tex and r"\newcommand{\answerhere}" in usc_tex


# --- 4. a spec's own templates ------------------------------------------------------------
OWN_LAYOUT = r"""\BLOCK{extends "base.tex.j2"}
\BLOCK{block header}
\section*{\VAR{meta.title|prose}: our own layout}
\BLOCK{endblock}
\BLOCK{block body}
%% for problem in problems
%% for q in problem.questions
%% for part in q.parts
\paragraph{\VAR{q.number}\VAR{part.label}} \VAR{part.prompt|prose}
\BLOCK{with c = part.c}\BLOCK{include part.template}\BLOCK{endwith}
%% endfor
%% endfor
%% endfor
\BLOCK{endblock}
"""


def _own(folder: Path, meta: dict[str, Any] | None = None) -> Path:
    data = {"meta": {"course": "C", "title": "Sizes", "language": "fr", **(meta or {})},
            "problems": [{"id": 1, "title": "P", "parts": [
                {"id": "1a", "prompt": "Output size?", "kind": "conv2d.output_size",
                 "given": {"input": [5, 5], "kernel": [3, 3]}}]}]}
    return _write(folder / "own.yaml", data)


@pytest.mark.parametrize("named", [None, "mine"])
def test_a_spec_s_templates_override_a_layout_and_strings(tmp_path: Path,
                                                          named: str | None) -> None:
    templates = tmp_path / (named or "templates")
    (templates / "layouts").mkdir(parents=True)
    (templates / "layouts" / "homework.tex.j2").write_text(OWN_LAYOUT)
    (templates / "strings").mkdir()
    (templates / "strings" / "fr.yaml").write_text(
        "answer_mark: rép.\nrules:\n  evaluate: arithmétique\n")
    spec = _own(tmp_path, {"templates": named} if named else None)
    tex = _tex(spec, tmp_path / "out")
    assert r"\section*{Sizes: our own layout}" in tex
    assert r"\paragraph{1(a)}" in tex and r"\textsf{rép.}" in tex
    # the computed size is the marked answer, the sentence after it restates it
    assert r"\tag*{\footnotesize arithmétique\answermark}" in tex
    assert "La sortie est de taille" in tex
    assert r"\section*{Vérification}" not in tex                 # the package's layout unused
    assert r"\tag*{\footnotesize substitution}" in tex           # other strings unchanged


def test_without_templates_the_package_s_layout_is_used(tmp_path: Path) -> None:
    tex = _tex(_own(tmp_path), tmp_path / "out")
    assert r"\section*{Vérification}" in tex


@pytest.mark.parametrize("where", ["../elsewhere", "/tmp", "a/../../b", "~/t", "C:templates"])
def test_meta_templates_must_stay_in_the_spec_s_folder(tmp_path: Path, where: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    spec = _own(tmp_path, {"templates": where})
    assert main(["build", str(spec), "--out", str(tmp_path / "out"), "--no-pdf"]) == 2
    assert "meta.templates: expected a folder inside the spec's folder" in capsys.readouterr().err


def test_a_link_out_of_the_spec_s_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "layouts").mkdir(parents=True)
    (outside / "layouts" / "homework.tex.j2").write_text(OWN_LAYOUT)
    home = tmp_path / "home"
    home.mkdir()
    (home / "templates").symlink_to(outside)
    with pytest.raises(SpecError, match="leads outside the spec's folder"):
        _tex(_own(home), home / "out")
    (home / "templates").unlink()
    (home / "templates" / "layouts").mkdir(parents=True)
    (home / "templates" / "layouts" / "homework.tex.j2").symlink_to(
        outside / "layouts" / "homework.tex.j2")
    tex = _tex(_own(home), home / "out")                # the link is ignored: the package's
    assert "our own layout" not in tex


@pytest.mark.parametrize(("layout", "message"), [
    (r"\VAR{''.__class__.__mro__}", "SecurityError"),
    (r"\VAR{nothing_here}", "UndefinedError"),
    ("\\BLOCK{if}", "TemplateSyntaxError"),
])
def test_a_broken_or_unsafe_template_is_a_located_error(tmp_path: Path, layout: str,
                                                        message: str) -> None:
    (tmp_path / "templates" / "layouts").mkdir(parents=True)
    (tmp_path / "templates" / "layouts" / "homework.tex.j2").write_text(layout + "\n")
    with pytest.raises(SpecError, match=rf"in the spec's templates .*{message}"):
        _tex(_own(tmp_path), tmp_path / "out")


def test_an_unknown_string_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "templates" / "strings").mkdir(parents=True)
    (tmp_path / "templates" / "strings" / "fr.yaml").write_text("answer_mrak: rép.\n")
    with pytest.raises(SpecError, match="answer_mrak: unknown string, did you mean 'answer_mark'"):
        _tex(_own(tmp_path), tmp_path / "out")


# --- data shown as the assignment shows it -------------------------------------------------
def test_prose_displays_a_matrix_between_double_dollars() -> None:
    from derive.prose import check_prose

    text = r"Here $$X = \begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}$$ and $W$ is given."
    assert check_prose(text) == text
    assert prose_to_latex(text) == (r"Here \[X = \begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}\]"
                                    r" and $W$ is given.")
    with pytest.raises(ValueError, match="input"):           # the same math policy as $…$
        check_prose(r"$$\input{secret}$$")


def test_a_step_the_page_would_print_twice_is_printed_once() -> None:
    """σ′ = σ(1 − σ) and the simplification after it print alike for σ(u) (terms reordered):
    the line is shown once, with the later step's answer mark."""
    from derive.questions import KINDS

    given = KINDS["function.derivatives"].given.model_validate(
        {"expression": "sigmoid(x + 2*y - 3*z + w/2)", "report": "gradient"})
    d = given.derive()
    raw = [tex_ for s in d.steps if s.lhs is None for tex_ in [s.rhs]]
    shown = blocks(d, strings("en"), 0)
    rows = [(line["lhs"], line["rhs"]) for b in shown for line in b["lines"]]
    assert all(a[1] != b[1] or b[0] for a, b in itertools.pairwise(rows))
    assert len(raw) > len([r for r in rows if not r[0]])       # a step was not printed
    assert sum(line["rule"].endswith(ANSWER_TAG) for b in shown for line in b["lines"]) == 1


@pytest.mark.parametrize("style", ["subscript", "brackets"])
def test_indices_are_written_in_the_spec_s_notation(tmp_path: Path, style: str) -> None:
    """meta.indexing: W[k_1, k_2] as the assignment writes it, in displays, sentences and
    answers.json; the default keeps w_{k,l}."""
    data = {"meta": {"course": "C", "title": "T", "index_base": 0, "indexing": style},
            "problems": [{"id": 1, "title": "Layer", "parts": [
                {"id": "1a", "prompt": "dJ/dW.", "kind": "conv_layer.grad",
                 "given": {"input": [5, 5, 2], "kernel": [2, 2], "out_channels": 2,
                           "activation": "sigmoid", "wrt": "W"}},
                {"id": "1b", "prompt": "Zeros.", "kind": "conv2d.arrays",
                 "given": {"x": [[1, 0, 1], [0, 1, 0], [1, 0, 1]], "w": [[1, -1], [-1, 1]],
                           "report": "zeros"}}]}]}
    tex_ = _tex(_write(tmp_path / "notation.yaml", data), tmp_path / "out", pdf=False)
    answers = (tmp_path / "out" / "notation" / "answers.json").read_text(encoding="utf-8")
    brackets = style == "brackets"
    assert (r"The weight $W[k_{1}, k_{2}, n, m]$" in tex_) == brackets
    assert (r"\partial J}{\partial U[i, j, m]}" in tex_) == brackets     # upstream entries
    assert (r"$Z[i, j] \ne 0$ at" in tex_) == brackets                    # a sentence's entry
    assert (r"X[i + k_{1}, j + k_{2}, n]" in answers) == brackets
    if not brackets:
        assert r"{W}_{k_{1},k_{2},n,m}" in tex_ and r"{Z}_{i,j} \ne 0$ at" in tex_
