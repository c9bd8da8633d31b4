"""Every field of a spec that reaches the page is validated as prose: TeX outside math and
unsafe math are refused wherever they are written, located by line and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from derive.__main__ import main

SPEC = """\
meta:
  course: {course}
  title: {title}
  term: {term}
  authors: [{authors}]
  instructions: {instructions}
  source: {source}
problems:
  - id: 1
    title: {ptitle}
    intro: {intro}
    parts:
      - id: 1a
        stem: {stem}
        prompt: {prompt}
        kind: conv2d.output_size
        given: {{input: 5, kernel: 3}}
        assumptions: [{assumptions}]
"""
FIELDS = {"course": (2, "meta.course"), "title": (3, "meta.title"), "term": (4, "meta.term"),
          "authors": (5, "meta.authors[0]"), "instructions": (6, "meta.instructions"),
          "source": (7, "meta.source"), "ptitle": (10, "problems[0].title"),
          "intro": (11, "problems[0].intro"), "stem": (14, "problems[0].parts[0].stem"),
          "prompt": (15, "problems[0].parts[0].prompt"),
          "assumptions": (18, "problems[0].parts[0].assumptions[0]")}
PAYLOADS = {
    "command_outside_math": (r"'a \input{/etc/passwd}'", "TeX command '\\input' outside math"),
    "caret_escape_in_math": (r"'$^^5cinput{x}$'", "'^^' is not allowed in math"),
    "write18_in_math": (r"'$\immediate\write18{id}$'", "'\\immediate' is not allowed in math"),
    "unbalanced_dollar": ("'costs $5'", "unbalanced '$'"),
}


@pytest.mark.parametrize("field", sorted(FIELDS))
@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_every_prose_field_is_checked(field: str, payload: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    text, message = PAYLOADS[payload]
    values = {name: "Plain words" for name in FIELDS} | {field: text}
    spec = tmp_path / "fields.yaml"
    spec.write_text(SPEC.format(**values), encoding="utf-8")
    assert main(["build", str(spec), "--out", str(tmp_path / "out"), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    line, path = FIELDS[field]
    assert f"{spec}:{line}: {path}: {message}" in err, err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_the_same_spec_with_plain_words_builds(tmp_path: Path) -> None:
    spec = tmp_path / "fields.yaml"
    spec.write_text(SPEC.format(**{name: "Plain words, $x^2$ é α" for name in FIELDS}),
                    encoding="utf-8")
    assert main(["build", str(spec), "--out", str(tmp_path / "out"), "--no-pdf"]) == 0
