"""Spec text that would subvert TeX is refused at validation, located; Unicode that TeX can
typeset is typeset, the rest refused naming the character — never a LaTeX error."""

from __future__ import annotations

from pathlib import Path

import pytest

from derive.__main__ import main
from derive.typeset import available

from .test_spec_files import GOOD


def _spec(prompt: str) -> str:
    """The well-formed spec of the file tests, with `prompt` (YAML) as the part's prompt."""
    return GOOD.replace("prompt: Output size.", f"prompt: {prompt}")

# (prompt as YAML, the message expected after "9: problems[0].parts[0].prompt: ")
REFUSED = {
    "caret_escape_input": (r"'$^^5cinput{~/secret}$'", "'^^' is not allowed in math"),
    "caret_escape_def": (r"'$^^5cdef^^5cx{1}$'", "'^^' is not allowed in math"),
    "caret_write18": (r"'$^^5cwrite18{rm -rf}$'", "'^^' is not allowed in math"),
    "caret_pdfinfo": (r"'$^^5cpdfinfo{/Author (x)}$'", "'^^' is not allowed in math"),
    "mathcode": (r"'$\mathcode`0=`1$'", "'\\mathcode' is not allowed in math"),
    "globaldefs": (r"'$\globaldefs=1$'", "'\\globaldefs' is not allowed in math"),
    "catcode": (r"'$\catcode`\^=12$'", "'\\catcode' is not allowed in math"),
    "loop": (r"'$\loop x \repeat$'", "'\\loop' is not allowed in math"),
    "includegraphics": (r"'$\includegraphics{/root/x.png}$'",
                        "'\\includegraphics' is not allowed in math"),
    "input": (r"'$\input{/etc/passwd}$'", "'\\input' is not allowed in math"),
    "csname": (r"'$\csname input\endcsname$'", "'\\csname' is not allowed in math"),
    "renewcommand": (r"'$\renewcommand{\times}{+}$'", "'\\renewcommand' is not allowed"),
    "let": (r"'$\let\cdot\relax$'", "'\\let' is not allowed in math"),
    "expandafter": (r"'$\expandafter\x$'", "'\\expandafter' is not allowed in math"),
    "comment": (r"'$a % b$'", "'%' starts a TeX comment"),
    "parameter": (r"'$#1$'", "'#' is not allowed in math"),
    "verbatim_env": (r"'$\begin{verbatim}x\end{verbatim}$'",
                     "environment 'verbatim' is not allowed in math"),
    "filecontents": (r"'$\begin{filecontents}{x}\end{filecontents}$'",
                     "environment 'filecontents' is not allowed"),
    "text_hides_command": (r"'$\text{\input{x}}$'", "'\\input' is not allowed in math"),
    "control_symbol": (r"'$\@$'", "'\\@' is not allowed in math"),
    "cjk": ("中文", "character '中' (U+4E2D CJK UNIFIED IDEOGRAPH-4E2D) cannot be typeset"),
    "hebrew": ("ש", "character 'ש' (U+05E9 HEBREW LETTER SHIN) cannot be typeset"),
    "emoji": ("'ok 😀'", "character '😀' (U+1F600 GRINNING FACE) cannot be typeset"),
    "zero_width_space": ("'a\u200bb'", "character U+200B (ZERO WIDTH SPACE) is invisible"),
    "bidi_override": ("'a\u202eb'", "character U+202E (RIGHT-TO-LEFT OVERRIDE) is invisible"),
    "cjk_in_math": ("'$中$'", "character '中' (U+4E2D"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_subversive_or_untypesettable_text_is_refused_located(
        case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prompt, message = REFUSED[case]
    spec = tmp_path / "hostile.yaml"
    spec.write_text(_spec(prompt), encoding="utf-8")
    assert main(["build", str(spec), "--out", str(tmp_path / "out"), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{spec}:9: problems[0].parts[0].prompt: {message}" in err, err
    assert not (tmp_path / "out").exists()


# Prose a mathematician or a French speaker writes: all of it must typeset.
ACCEPTED = [
    "Le réseau « très » profond — à l’œuvre, ça coûte 5 € à 20 °C.",
    "Greek in text: α, β, Σ, ∇; arrows → ←; ≤ ≥ ≠ ≈ ∞ ∈ ∀ ∃.",
    "In math: $α + β ≤ γ → 0$, $x ∈ ℝ^n$, $2 × 3 · 4$, $f′(x)$, $a − b$.",
    "Combining accents: e\u0301te\u0301 and an NBSP\u00a0here; Łódź, Straße, Ærø, ñ.",
    "Questions? `quoted' and ?` and !` stay as written.",
    r"Allowed math: $\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}$, $\frac{\partial L}"
    r"{\partial w_{ij}}$, $\lVert x \rVert_2$, $\operatorname{softmax}(o)_k$, $50\%$.",
]


@pytest.mark.skipif(not available(), reason="needs latexmk")
def test_unicode_and_allowed_math_typeset(tmp_path: Path) -> None:
    from pypdf import PdfReader

    spec = tmp_path / "unicode.yaml"
    prompt = " ".join(ACCEPTED).replace("'", "''")
    spec.write_text(_spec(f"'{prompt}'"), encoding="utf-8")
    assert main(["build", str(spec), "--out", str(tmp_path / "out")]) == 0
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "out/unicode/solutions.pdf")
                   .pages)
    for word in ("réseau", "Straße", "Łódź", "été", "5 €"):
        assert word in text, word
    assert "¿" not in text and "¡" not in text
