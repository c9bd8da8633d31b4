"""CLI subcommands, and documents in every language compile with every kind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field
from pypdf import PdfReader
from ruamel.yaml import YAML

from derive.__main__ import _describe, main
from derive.build import build, load_all
from derive.latex.environment import TEMPLATES, strings
from derive.questions import KINDS
from derive.questions.base import Given, IndexBase, NonNegInt, PosInt, Size2


def _keys(d: dict, prefix: str = "") -> set[str]:
    out = set()
    for k, v in d.items():
        out |= _keys(v, f"{prefix}{k}.") if isinstance(v, dict) else {prefix + k}
    return out


def test_languages_define_the_same_strings() -> None:
    tables = ("methods.", "arch.label_words.")      # translation tables, English has none
    french = {k for k in _keys(strings("fr")) if not k.startswith(tables)}
    assert french == {k for k in _keys(strings("en")) if not k.startswith(tables)}


def _methods() -> set[str]:
    """Every check method the kinds produce, over their examples and the shipped specs."""
    methods = set()
    for kind in KINDS.values():
        given = kind.given.model_validate(kind.example)
        reports = kind.given.model_fields.get("report")
        choices = getattr(reports.annotation, "__args__", ()) if reports else ()
        for report in choices or [None]:
            try:
                g = given.model_copy(update={"report": report}) if report else given
                methods.add(kind.solve(g).verify().method)
            except (ValueError, AssertionError):
                continue          # a report this example does not support
    return methods


def test_every_check_method_has_french_wording() -> None:
    missing = _methods() - set(strings("fr")["methods"]) - set(strings("fr")["checks"])
    assert not missing, missing


def test_every_kind_has_a_partial() -> None:
    for kind in KINDS.values():
        assert (TEMPLATES / kind.template).is_file(), kind.template


def test_schema_lists_kinds_and_their_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert set(schema["x-derive-kinds"]) == set(KINDS)
    assert "stride" in schema["x-derive-kinds"]["conv2d.grad_input"]["given"]["properties"]
    assert "meta" in schema["properties"]


def test_kinds_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kinds"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in KINDS)


class _Layer(Given):
    kernel: Size2 = Field(description="Kernel rows and columns.")
    stride: PosInt = 1
    padding: NonNegInt | list[NonNegInt] = 0
    activation: Literal["relu", "identity"] = "relu"
    index_base: IndexBase = 1
    bias: bool = True
    b: list[list[float]] | None = None


def test_kind_parameters_are_described_in_words() -> None:
    text = _describe("toy.layer", "A toy layer.", _Layer.model_json_schema(),
                     {"kernel": 3, "b": [[1.0, 2.0]]})
    assert text == """\
toy.layer: A toy layer.

given:
  kernel      list of 2 positive integers or a positive integer (required)
              Kernel rows and columns.
  stride      positive integer (default 1)
  padding     non-negative integer or a list of non-negative integers (default 0)
  activation  one of relu, identity (default relu)
  index_base  one of 0, 1 (default 1, or meta.index_base when the spec sets it)
  bias        true or false (default true)
  b           list of lists of numbers (default none)

example (a part's kind and given):
  kind: toy.layer
  given:
    kernel: 3
    b: [[1.0, 2.0]]"""


@pytest.mark.parametrize("name", sorted(KINDS))
def test_kinds_name_prints_every_parameter_and_the_example(
        name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kinds", name]) == 0
    out = capsys.readouterr().out
    given, example = out.split("\nexample (a part's kind and given):\n")
    for field, info in KINDS[name].given.model_fields.items():
        row = next(line for line in given.splitlines() if line.startswith(f"  {field} "))
        assert "(required)" in row if info.is_required() else "(default " in row, row
    assert YAML(typ="safe").load(example) == {"kind": name, "given": KINDS[name].example}


@pytest.mark.parametrize(("name", "close"), [("conv2d.grad_inptu", "conv2d.grad_input"),
                                             ("conv2d", "conv2d.output_size")])
def test_kinds_unknown_name_suggests_close_ones(name: str, close: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kinds", name]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: unknown question kind {name!r} (close matches: ")
    assert close in err and "`derive kinds` lists them all" in err


def test_help_does_not_import_sympy() -> None:
    code = ("import sys; from derive.__main__ import _parser; _parser(); "
            "print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _spec_with_every_kind(language: str) -> dict:
    parts = [{"id": f"{n + 1}", "prompt": f"Kind {name}.", "kind": name, "points": 2,
              "given": KINDS[name].example} for n, name in enumerate(sorted(KINDS))]
    return {"meta": {"course": "Cours", "title": "Tous les types", "language": language,
                     "due": "2022-10-17", "authors": ["A. B."]},
            "problems": [{"id": 1, "title": "Tout", "parts": parts}]}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_kind_compiles_in_every_language(language: str, tmp_path: Path) -> None:
    spec = tmp_path / f"all-{language}.yaml"
    data = _spec_with_every_kind(language)
    with spec.open("w") as fh:
        YAML().dump(data, fh)
    (loaded,) = load_all([spec])
    result = build(loaded, tmp_path / "out", pdf=True)
    assert result.warnings == []
    text = " ".join(p.extract_text() for p in
                    PdfReader(tmp_path / "out" / spec.stem / "solutions.pdf").pages)
    assert ("Vérification" if language == "fr" else "Verification") in text
    assert ("octobre" if language == "fr" else "October") in text


@pytest.mark.parametrize(("language", "label", "due", "line"), [
    ("fr", "Prof.", "2022-10-17 23:00", "Date de remise: 17 octobre 2022, 23~h~05"),
    ("en", "Instructor", "2022-10-17 09:05", "Due: 17 October 2022, 9:05"),
    ("en", None, "2022-10-17", "Due: 17 October 2022\\par"),
])
def test_the_header_has_the_assignments_authors_label_and_due_time(
        language: str, label: str | None, due: str, line: str, tmp_path: Path) -> None:
    data = _spec_with_every_kind(language)
    data["meta"].update({"due": due.replace("23:00", "23:05"), "authors": ["A. B.", "C. D."]}
                        | ({"authors_label": label} if label else {}))
    data["problems"][0]["parts"] = data["problems"][0]["parts"][:1]
    spec = tmp_path / "header.yaml"
    with spec.open("w") as fh:
        YAML().dump(data, fh)
    (loaded,) = load_all([spec])
    build(loaded, tmp_path / "out", pdf=False)
    tex = (tmp_path / "out" / "header" / "solutions.tex").read_text()
    assert line in tex
    names = "A. B. \\& C. D.\\par"
    assert (f"{label}: {names}" if label else f"\n{names}") in tex


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_example_is_valid_and_verifies(name: str) -> None:
    kind = KINDS[name]
    solution = kind.solve(kind.given.model_validate(kind.example))
    check = solution.verify()
    assert check.passed, check
    assert check.samples >= 1


def test_a_family_strings_file_cannot_redefine_a_key(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Families keep their words in templates/strings/<language>/*.yaml, merged section by
    section; a key two files both define is an error naming the file and key."""
    from derive.latex import environment

    folder = tmp_path / "strings"
    (folder / "xx").mkdir(parents=True)
    (folder / "xx.yaml").write_text("rules:\n  definition: by definition\n")
    (folder / "xx" / "family.yaml").write_text("rules:\n  chain_rule: chain rule\n")
    monkeypatch.setattr(environment, "TEMPLATES", tmp_path)
    uncached = environment.strings.__wrapped__
    assert uncached("xx")["rules"] == {"definition": "by definition", "chain_rule": "chain rule"}
    (folder / "xx" / "other.yaml").write_text("rules:\n  definition: again\n")
    with pytest.raises(ValueError, match=r"other.yaml: rules.definition defined twice"):
        uncached("xx")
