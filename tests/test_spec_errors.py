"""Bad specs: located errors (file:line: key.path: message), exit 2, no traceback, no output."""

from __future__ import annotations

from pathlib import Path

import pytest

from derive.__main__ import main

GOOD = """\
meta:
  course: Test course
  title: Test
problems:
  - id: 1
    title: Convolution
    parts:
      - id: 1a
        prompt: Output size.
        kind: conv2d.output_size
        given: {input: [5, 5], kernel: [3, 3], stride: 1, padding: 0}
"""

CASES = {
    "typo_key": (GOOD.replace("prompt:", "promt:"),
                 ["9: problems[0].parts[0].promt: unknown key",
                  "problems[0].parts[0].prompt: required key is missing"]),
    "wrong_type": (GOOD.replace("stride: 1", "stride: two"),
                   ["11: problems[0].parts[0].given.stride: expected a valid integer, got 'two'"]),
    "string_number": (GOOD.replace("stride: 1", "stride: '1'"),
                      ["11: problems[0].parts[0].given.stride: expected a valid integer"]),
    "unknown_kind": (GOOD.replace("conv2d.output_size", "conv2d.outptu_size"),
                     ["10: problems[0].parts[0].kind: unknown question kind 'conv2d.outptu_size'"
                      " (expected one of: "]),
    "negative_stride": (GOOD.replace("stride: 1", "stride: -1"),
                        ["11: problems[0].parts[0].given.stride: expected greater than 0, got -1"]),
    "kernel_too_large": (GOOD.replace("kernel: [3, 3]", "kernel: [9, 3]").replace("padding: 0",
                                                                                 "padding: 1"),
                         ["11: problems[0].parts[0].given: kernel rows (9) exceed the padded "
                          "input rows (5 + 2·1 = 7)"]),
    "tex_in_prose": (GOOD.replace("prompt: Output size.", r"prompt: Output \textbf{size}."),
                     ["9: problems[0].parts[0].prompt: TeX command '\\textbf' outside math"]),
    "dangerous_math": (GOOD.replace("prompt: Output size.", r"prompt: 'Size $\input{x}$'"),
                       ["9: problems[0].parts[0].prompt: '\\input' is not allowed in math"]),
    "unknown_meta": (GOOD.replace("title: Test\n", "title: Test\n  lang: fr\n"),
                     ["4: meta.lang: unknown key"]),
    "bad_language": (GOOD.replace("title: Test\n", "title: Test\n  language: de\n"),
                     ["4: meta.language: expected 'en' or 'fr', got 'de'"]),
    "malformed": (GOOD.replace("kind: conv2d", "kind: [conv2d"), ["malformed YAML"]),
    "not_a_mapping": ("- just\n- a list\n", ["expected a mapping"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_spec_is_located_and_nothing_is_written(case: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    text, expected = CASES[case]
    spec = tmp_path / "bad.yaml"
    spec.write_text(text)
    out = tmp_path / "out"
    assert main(["build", str(spec), "--out", str(out), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for fragment in expected:
        assert fragment in err, err
    assert err.startswith(str(spec))
    assert not out.exists()


def test_errors_of_all_specs_are_collected(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    for name, (text, _) in (("a", CASES["typo_key"]), ("b", CASES["negative_stride"])):
        (tmp_path / f"{name}.yaml").write_text(text)
    assert main(["build", str(tmp_path), "--out", str(tmp_path / "out"), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "a.yaml:9" in err and "b.yaml:11" in err


def test_missing_spec_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(tmp_path / "nope.yaml")]) == 2
    assert "no spec found" in capsys.readouterr().err


def test_good_spec_builds(tmp_path: Path) -> None:
    spec = tmp_path / "good.yaml"
    spec.write_text(GOOD)
    assert main(["build", str(spec), "--out", str(tmp_path / "out"), "--no-pdf"]) == 0
    assert (tmp_path / "out" / "good" / "answers.json").exists()
