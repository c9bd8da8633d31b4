"""Ambiguities in how answers are matched to parts are spec errors, and every defect of a
spec is reported at once, across structure and given parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

from derive.__main__ import main

from .test_spec_files import GOOD

SECOND = """\
  - id: {id}
    title: Q
    parts:
      - id: {part}
        prompt: Output size.
        kind: conv2d.output_size
        given: {{input: [9, 9], kernel: [3, 3]}}
"""


def _run(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    assert main(["build", str(spec), "--out", str(tmp_path / "out"), "--no-pdf"]) == 2
    assert not (tmp_path / "out").exists()
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_two_problems_with_one_id_are_refused(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    err = _run(tmp_path, GOOD + SECOND.format(id=1, part="1a"), capsys)
    assert "spec.yaml:12: problems[1].id: problem id 1 is already used by problems[0]; ids " \
           "must be unique" in err


def test_two_parts_with_one_id_are_refused(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    text = GOOD + GOOD[GOOD.index("      - id: 1a"):]
    err = _run(tmp_path, text, capsys)
    assert "part ids must be unique within a problem, repeated: ['1a']" in err


def test_structure_and_given_errors_are_reported_together(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (GOOD.replace("title: T\n", "titel: T\n")
            .replace("kernel: [3, 3]", "kernel: [3, 3], stride: -1")
            + SECOND.format(id=2, part="1a").replace("        prompt: Output size.\n", "")
            .replace("[9, 9]", "[9, x]"))
    err = _run(tmp_path, text, capsys)
    expected = ["spec.yaml:3: meta.titel: unknown key, did you mean 'title'?",
                "problems[1].parts[0].prompt: required key is missing",
                "spec.yaml:11: problems[0].parts[0].given.stride: expected greater than 0",
                "spec.yaml:17: problems[1].parts[0].given.input[1]: expected a valid integer"]
    for line in expected:
        assert line in err, err
