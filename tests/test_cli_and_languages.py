"""CLI subcommands, and documents in every language compile with every kind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from ruamel.yaml import YAML

from derive.__main__ import main
from derive.build import build, load_all
from derive.latex.environment import TEMPLATES, strings
from derive.questions import KINDS


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
    missing = _methods() - set(strings("fr")["methods"])
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
    assert "conv2d.grad_weights" in capsys.readouterr().out


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
    assert ("Vérifié" if language == "fr" else "Checked") in text
    assert ("octobre" if language == "fr" else "October") in text


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_example_is_valid_and_verifies(name: str) -> None:
    kind = KINDS[name]
    solution = kind.solve(kind.given.model_validate(kind.example))
    check = solution.verify()
    assert check.passed, check
    assert check.samples >= 1
