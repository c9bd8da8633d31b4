"""Every number a script reads from answers.json is also on the page a student reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pdf_values import _numbers, _writings, missing_values

from derive.build import build, load_all
from derive.typeset import available

SPECS = Path(__file__).resolve().parent.parent / "specs"

pytestmark = [pytest.mark.tex,
              pytest.mark.skipif(not available(), reason="needs a TeX installation")]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("on-page")
    for loaded in load_all(sorted(SPECS.glob("*.yaml"))):
        build(loaded, out, pdf=True)
    return out


@pytest.mark.parametrize("spec", sorted(p.stem for p in SPECS.glob("*.yaml")))
def test_every_answer_value_is_on_the_page(built: Path, spec: str) -> None:
    assert missing_values(built / spec) == []


def _first_number_replaced(value: Any, by: int) -> tuple[Any, bool]:
    """`value` with its first number (depth first, as `_numbers` reads it) replaced by `by`."""
    if isinstance(value, dict) and "srepr" not in value:
        out, done = {}, False
        for key, item in value.items():
            out[key], now = (item, False) if done else _first_number_replaced(item, by)
            done |= now
        return out, done
    if isinstance(value, list):
        items, done = [], False
        for item in value:
            new, now = (item, False) if done else _first_number_replaced(item, by)
            items.append(new)
            done |= now
        return items, done
    if isinstance(value, int | float) and not isinstance(value, bool):
        return by, True
    return value, False


@pytest.mark.parametrize("spec", ["usc-ml-problem-1", "ift6135-a2022-cnn"])
def test_a_value_missing_from_the_page_is_found(built: Path, tmp_path: Path, spec: str
                                                ) -> None:
    """The check can fail: an answer changed after typesetting is reported, with its part."""
    source = built / spec
    answers = json.loads((source / "answers.json").read_text(encoding="utf-8"))
    part = next(p for p in answers["parts"] if list(_numbers(p["answer"].get("value"))))
    path, _ = next(_numbers(part["answer"]["value"]))
    part["answer"]["value"], _ = _first_number_replaced(part["answer"]["value"], 987_654_321)
    (tmp_path / "answers.json").write_text(json.dumps(answers), encoding="utf-8")
    (tmp_path / "solutions.pdf").write_bytes((source / "solutions.pdf").read_bytes())
    assert missing_values(tmp_path) == [
        f"part {part['id']} ({part['kind']}): value{path} = 987654321"]


@pytest.mark.parametrize(("value", "written"), [
    (284682, "284682"), (0.4076059644, "0,407606"), (2.220446049250313e-16, "2,2×10-16"),
    (-0.25, "-14"), (-2 / 3, "-23"), (1e-05, "10-5")])
def test_numbers_are_looked_for_as_the_page_writes_them(value: float, written: str) -> None:
    assert written in _writings(value)
