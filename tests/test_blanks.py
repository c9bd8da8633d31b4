"""The assignment's blanks ("Number of parameters without bias: ___") filled from the answer,
in the page's language; a blank that names nothing of the answer is a located spec error."""

from __future__ import annotations

from pathlib import Path

import pytest

from derive.__main__ import main
from derive.blanks import value_at, written
from derive.latex.environment import strings

SPEC = """\
meta:
  course: Test course
  title: Test
  language: {language}
problems:
  - id: 1
    title: A CNN
    parts:
      - id: 1a
        prompt: Count the parameters.
        kind: architecture
        given:
          input: [8, 8, 3]
          layers: [{{conv: 2, filters: 2}}, {{conv: 3, filters: 4, stride: 2}}]
          report: parameters
        blanks:
          - {{label: "Parameters without bias", value: {first}}}
          - {{label: "Parameters with bias", value: with_bias}}
      - id: 1b
        prompt: Output size.
        kind: conv2d.output_size
        given: {{input: [5, 5], kernel: [3, 3]}}
        blanks:
          - {{label: "Output rows", value: rows}}
"""


def _build(tmp_path: Path, language: str = "en", first: str = "without_bias") -> tuple[int, Path]:
    spec = tmp_path / "blanks.yaml"
    spec.write_text(SPEC.format(language=language, first=first), encoding="utf-8")
    out = tmp_path / "out"
    return main(["build", str(spec), "--out", str(out), "--no-pdf"]), out / "blanks"


def test_blanks_are_filled_with_the_answer(tmp_path: Path) -> None:
    code, out = _build(tmp_path)
    assert code == 0
    tex = (out / "solutions.tex").read_text(encoding="utf-8")
    # 2·2·3·2 = 24 and 3·3·2·4 = 72 weights; with 2 + 4 biases, 102
    # the box is the blank's mark: the margin mark stays on the solution's own answer
    assert "\nParameters without bias: \\fbox{$96$}\\par" in tex
    assert "\nParameters with bias: \\fbox{$102$}\\par" in tex
    assert "\nOutput rows: \\fbox{$3$}\\par" in tex      # 5 − 3 + 1


def test_a_blank_naming_nothing_is_a_located_error(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _build(tmp_path, first="without_biases")
    assert code == 2 and not out.exists()
    err = capsys.readouterr().err
    assert ("blanks.yaml:17: problems[0].parts[0].blanks[0].value: part 1.1a (architecture): "
            "no 'without_biases' in the answer (its keys: without_bias, with_bias)") in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("value", "path", "found"), [
    ({"hessian_shape": [5, 5]}, "hessian_shape.1", 5), ([1, 2, 3], "0", 1), (7, "", 7)])
def test_value_at_reads_keys_and_indices(value: object, path: str, found: object) -> None:
    assert value_at(value, path) == found


@pytest.mark.parametrize(("bad", "message"), [("x", "no 'x'"), ("3", "not an index"),
                                              ("a.b", "single value")])
def test_value_at_refuses_what_is_not_there(bad: str, message: str) -> None:
    with pytest.raises(KeyError, match=message):
        value_at({"a": 1, "x0": [1, 2]} if bad != "3" else [1, 2], bad)


def test_values_are_written_in_the_page_s_language() -> None:
    en, fr = strings("en"), strings("fr")
    assert written(284682, en) == r"$\num{284682}$"
    assert written(0.5, fr) == written(0.5, en) == r"$\num{0.5}$"
    assert written([32, 32, 1], en) == r"$32 \times 32 \times 1$"
    assert written([0.5, 1.5], fr) == r"$(\num{0.5}; \num{1.5})$"
    assert written([0.5, 1.5], en) == r"$(\num{0.5}, \num{1.5})$"
    assert written(True, fr) == "oui"
    assert written(2.220446049250313e-16, en) == r"$\num{2.22045e-16}$"
