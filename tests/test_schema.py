"""`derive schema --answers`: the JSON Schema of answers.json, and every shipped spec's
answers.json valid against it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from derive.__main__ import main
from derive.answers import AnswersFile
from derive.build import build, load_all

ROOT = Path(__file__).resolve().parent.parent
SPEC_FILES = sorted((ROOT / "specs").glob("*.yaml"))


def _printed(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["schema", *args]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def test_schema_answers_prints_the_schema_of_answers_json(
        capsys: pytest.CaptureFixture[str]) -> None:
    schema = _printed(capsys, "--answers")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "derive answers.json"
    assert schema["required"] == ["spec", "derive", "parts"]
    assert schema["additionalProperties"] is False
    part = schema["$defs"]["PartRecord"]
    assert part["required"] == ["id", "kind", "given", "answer", "assumptions", "notes",
                                "steps", "check"]
    assert schema["$defs"]["CheckRecord"]["required"] == [
        "method", "passed", "max_abs_error", "samples"]
    assert set(schema["$defs"]["AnswerRecord"]["properties"]) == {
        "value", "text", "latex", "srepr"}


def test_schema_without_a_flag_still_prints_the_spec_schema(
        capsys: pytest.CaptureFixture[str]) -> None:
    schema = _printed(capsys)
    assert "meta" in schema["properties"] and "x-derive-kinds" in schema
    assert "questions" in schema["$defs"]["Meta"]["properties"]["layout"]["description"]
    assert "templates" in schema["$defs"]["Meta"]["properties"]


class _Written(dict[str, dict[str, Any]]):
    """answers.json of each shipped spec, built the first time a test asks for it."""

    def __init__(self, out: Path):
        super().__init__()
        self.out = out

    def __missing__(self, stem: str) -> dict[str, Any]:
        (loaded,) = load_all([ROOT / "specs" / f"{stem}.yaml"])
        build(loaded, self.out, pdf=False)
        self[stem] = json.loads((self.out / stem / "answers.json").read_text())
        return self[stem]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return _Written(tmp_path_factory.mktemp("answers"))


@pytest.mark.parametrize("spec", [p.stem for p in SPEC_FILES])
def test_every_shipped_answers_json_matches_the_models(
        spec: str, written: dict[str, dict[str, Any]]) -> None:
    doc = written[spec]
    parsed = AnswersFile.model_validate(doc, strict=True)
    assert parsed.model_dump(mode="json") == doc                # nothing lost, nothing added
    assert parsed.parts and all(p.check.passed for p in parsed.parts)


@pytest.mark.parametrize("spec", [p.stem for p in SPEC_FILES])
def test_every_shipped_answers_json_matches_the_printed_schema(
        spec: str, written: dict[str, dict[str, Any]],
        capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(written[spec], _printed(capsys, "--answers"))


@pytest.mark.parametrize(("change", "where"), [
    (lambda d: d["parts"][0].update(extra=1), "extra"),
    (lambda d: d["parts"][0]["check"].pop("samples"), "samples"),
    (lambda d: d["parts"][0]["steps"].append({"latex": "x", "rule": "r"}), "answer"),
    (lambda d: d["parts"][0]["answer"].update(text=3), "text"),
])
def test_a_file_of_another_shape_is_refused(change: Any, where: str,
                                            written: dict[str, dict[str, Any]],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(json.dumps(written["alm-2019-hw1"]))
    change(doc)
    with pytest.raises(ValidationError, match=where):
        AnswersFile.model_validate(doc, strict=True)
    jsonschema = pytest.importorskip("jsonschema")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, _printed(capsys, "--answers"))
