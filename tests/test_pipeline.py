"""The whole pipeline on the shipped specs: golden .tex, answers.json, PDF, failures."""

from __future__ import annotations

import difflib
import json
import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from derive.__main__ import main
from derive.build import build, load_all
from derive.errors import TypesetError, VerificationError
from derive.models.conv import Conv2D

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
GOLDEN = ROOT / "tests" / "golden"
NUMERIC_ERROR = re.compile(r"(error |erreur absolue (?:max\. )?)\$[^$]*\$")
SPEC_FILES = sorted(SPECS.glob("*.yaml"))


@pytest.mark.parametrize("spec", SPEC_FILES, ids=lambda p: p.stem)
def test_golden_tex(spec: Path, tmp_path: Path, update_golden: bool) -> None:
    (loaded,) = load_all([spec])
    build(loaded, tmp_path, pdf=False)
    # measured errors depend on floating-point details of the machine: not part of the layout
    got = NUMERIC_ERROR.sub(r"\1$ε$", (tmp_path / spec.stem / "solutions.tex").read_text())
    golden = GOLDEN / f"{spec.stem}.tex"
    if update_golden:
        golden.write_text(got)
    assert golden.exists(), f"no golden file {golden}: run pytest --update-golden"
    want = golden.read_text()
    diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                        str(golden), "generated"))
    assert not diff, f"solutions.tex changed (rerun with --update-golden if intended):\n{diff}"


def test_answers_json_lists_every_part_with_a_passed_check(tmp_path: Path) -> None:
    spec = SPECS / "alm-2019-hw1.yaml"
    assert main(["build", str(spec), "--out", str(tmp_path), "--no-pdf"]) == 0
    doc = json.loads((tmp_path / "alm-2019-hw1" / "answers.json").read_text())
    ids = [p["id"] for p in doc["parts"]]
    assert ids == ["1.1a", "1.1b", "1.1c", "1.2a", "1.2b", "1.3a", "1.3b",
                   "1.4a", "1.4b", "1.4c", "1.4d", "1.4e",
                   "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8a", "2.8b"]
    assert all(p["check"]["passed"] for p in doc["parts"])
    assert all(p["check"]["max_abs_error"] < 1e-6 for p in doc["parts"])
    by_id = {p["id"]: p for p in doc["parts"]}
    assert json.loads(by_id["1.1a"]["answer"]["text"]) == {"rows": 3, "cols": 3}
    assert json.loads(by_id["1.1c"]["answer"]["text"]) == {"rows": 7, "cols": 7}
    assert json.loads(by_id["1.2b"]["answer"]["text"]) == {"multiplications": 81,
                                                           "additions": 72}
    storage = json.loads(by_id["1.4e"]["answer"]["text"])
    assert storage["gradient_bytes"] == 40 * 10**6
    assert storage["hessian_bytes"] == 4 * 10**14
    assert by_id["1.3a"]["answer"]["srepr"].startswith("Sum(")
    assert "Max(1, i - 2)" in by_id["1.3a"]["answer"]["text"]      # indices from 1, as asked
    steps = by_id["1.3a"]["steps"]
    # the chain, the δ-sum collapsed, the limits tightened, then ∂L/∂y through the ReLU
    assert [s["rule"] for s in steps][-4:] == ["chain_rule", "sum_collapse",
                                                "tighten_sum_limits", "substitute"]
    assert all(s["check"]["passed"] for s in steps if s["check"] is not None)


def test_a_broken_formula_fails_the_build_and_names_the_part(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    right = Conv2D.grad_input

    def off_by_one(self: Conv2D):  # type: ignore[no-untyped-def]
        s = right(self)
        (k, lo, hi), rest = s.limits[0], s.limits[1:]
        return type(s)(s.function, (k, lo + 1, hi), *rest)

    monkeypatch.setattr(Conv2D, "grad_input", off_by_one)
    (loaded,) = load_all([SPECS / "alm-2019-hw1.yaml"])
    with pytest.raises(VerificationError, match=r"part 1\.3a \(conv2d\.grad_input\)"):
        build(loaded, tmp_path, pdf=False)
    assert not (tmp_path / "alm-2019-hw1").exists()


def test_missing_tex_gives_the_install_command(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    (loaded,) = load_all([SPECS / "alm-2019-hw1.yaml"])
    with pytest.raises(TypesetError, match=r"(?s)apt-get install.*latexmk.*--no-pdf"):
        build(loaded, tmp_path, pdf=True)


@pytest.fixture(scope="module")
def built_pdf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("out")
    (loaded,) = load_all([SPECS / "alm-2019-hw1.yaml"])
    result = build(loaded, out, pdf=True)
    assert result.warnings == [], result.warnings          # no overfull lines
    pdf = out / "alm-2019-hw1" / "solutions.pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    return pdf, text


def test_pdf_contains_the_answers(built_pdf: tuple[Path, str]) -> None:
    _, text = built_pdf
    for words in ["Advanced Learning Models", "Neural Networks", "Due: 10 January 2020",
                  "81", "72", "400", "TB", "Remark", "Verification", "ReLU",
                  "cross-correlation", "finite differences"]:
        assert words in text, words


def test_failed_build_leaves_previous_outputs_untouched(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = SPECS / "alm-2019-hw1.yaml"
    assert main(["build", str(spec), "--out", str(tmp_path), "--no-pdf"]) == 0
    before = (tmp_path / "alm-2019-hw1" / "answers.json").read_bytes()
    monkeypatch.setattr(Conv2D, "grad_weights", lambda self: Conv2D.forward(self))
    assert main(["build", str(spec), "--out", str(tmp_path), "--no-pdf"]) == 1
    assert (tmp_path / "alm-2019-hw1" / "answers.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alm-2019-hw1"]


def test_latex_failure_names_the_part_and_shows_the_log_line(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text((SPECS / "usc-ml-problem-1.yaml").read_text().replace(
        "What are the dimensions of the network's final output?",
        r"What are the dimensions $\frac{1}$ of the output?"))
    (loaded,) = load_all([spec])
    with pytest.raises(TypesetError) as info:
        build(loaded, tmp_path / "out", pdf=True)
    message = str(info.value)
    assert "(in part 1.2)" in message and "solutions.tex:" in message
    assert "\\frac{1}" in message
    assert not (tmp_path / "out" / "broken").exists()


@pytest.mark.parametrize("checks", ["appendix", "inline", "off"])
def test_meta_checks_places_the_verification(checks: str, tmp_path: Path) -> None:
    """By default one Verification section at the end; inline, a line under each answer;
    off, neither. The body carries no tool footer either way."""
    text = (SPECS / "alm-2019-hw1.yaml").read_text(encoding="utf-8")
    spec = tmp_path / "hw.yaml"
    spec.write_text(text.replace("meta:\n", f"meta:\n  checks: {checks}\n", 1), encoding="utf-8")
    assert main(["build", str(spec), "--out", str(tmp_path / "out"), "--no-pdf"]) == 0
    tex = (tmp_path / "out" / "hw" / "solutions.tex").read_text(encoding="utf-8")
    assert tex.count("\\section*{Verification}") == (checks == "appendix")
    parts = text.count("\n        kind: ")
    assert tex.count("\\checknote{") == (parts if checks == "inline" else 0)
    assert "Generated by derive" not in tex
