"""One spec vocabulary: shared parameter types, a spec-wide index_base; and hypothesis failures
that print their example under the suite's warning filters."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from ruamel.yaml import YAML

from derive.__main__ import main
from derive.questions import KINDS
from derive.questions.base import Given, Size2
from derive.spec import load_spec

pytest_plugins = ["pytester"]
ROOT = Path(__file__).parent.parent


class _Sized(Given):
    kernel: Size2


@pytest.mark.parametrize(("given", "read"), [(3, [3, 3]), ([3, 3], [3, 3]), ([2, 5], [2, 5])])
def test_size2_reads_a_number_or_a_pair(given: Any, read: list[int]) -> None:
    sized = _Sized.model_validate({"kernel": given})
    assert sized.kernel == read
    assert sized.model_dump(mode="json") == {"kernel": read}


@pytest.mark.parametrize(("given", "message"), [
    (0, "expected a positive integer or a list of 2 of them, got 0"),
    (True, "expected a positive integer or a list of 2 of them, got True"),
    ("3", "expected a positive integer or a list of 2 of them, got '3'"),
    (3.0, "expected a positive integer or a list of 2 of them, got 3.0"),
    ([3], "at least 2 items"),
    ([3, 3, 3], "at most 2 items"),
    ([3, 0], "greater than 0"),
    ([3, "3"], "valid integer"),
])
def test_size2_refuses_anything_else(given: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _Sized.model_validate({"kernel": given})


def test_size2_schema_admits_both_forms() -> None:
    kernel = _Sized.model_json_schema()["properties"]["kernel"]
    assert [alt["type"] for alt in kernel["anyOf"]] == ["array", "integer"]


# Kinds read through the registry, so the tests follow the kinds however they are declared.
WITH_BASE = sorted(n for n, k in KINDS.items() if "index_base" in k.given.model_fields)
WITHOUT_BASE = sorted(n for n, k in KINDS.items() if "index_base" not in k.given.model_fields)


def _spec(tmp_path: Path, meta_base: int | None, parts: list[tuple[str, dict]]) -> Path:
    meta: dict[str, Any] = {"course": "C", "title": "T"}
    if meta_base is not None:
        meta["index_base"] = meta_base
    data = {"meta": meta, "problems": [{"id": 1, "title": "P", "parts": [
        {"id": f"{n + 1}", "prompt": "p", "kind": kind, "given": given}
        for n, (kind, given) in enumerate(parts)]}]}
    path = tmp_path / "spec.yaml"
    with path.open("w") as fh:
        YAML().dump(data, fh)
    return path


def _example(name: str, **update: Any) -> dict:
    given = {k: v for k, v in KINDS[name].example.items() if k != "index_base"}
    return given | update


@pytest.mark.parametrize("base", [0, 1])
def test_meta_index_base_is_the_default_of_every_part(base: int, tmp_path: Path) -> None:
    path = _spec(tmp_path, base, [(name, _example(name)) for name in WITH_BASE])
    parts = load_spec(path).parts()
    assert [part._given.index_base for _, part in parts] == [base] * len(WITH_BASE)


def test_a_part_overrides_meta_index_base(tmp_path: Path) -> None:
    name = WITH_BASE[0]
    path = _spec(tmp_path, 0, [(name, _example(name)), (name, _example(name, index_base=1))])
    assert [part._given.index_base for _, part in load_spec(path).parts()] == [0, 1]


def test_without_meta_index_base_each_kind_keeps_its_default(tmp_path: Path) -> None:
    path = _spec(tmp_path, None, [(name, _example(name)) for name in WITH_BASE])
    defaults = [KINDS[name].given.model_fields["index_base"].default for name in WITH_BASE]
    assert [part._given.index_base for _, part in load_spec(path).parts()] == defaults


def test_meta_index_base_leaves_kinds_without_one_alone(tmp_path: Path) -> None:
    name = WITHOUT_BASE[0]
    ((_, part),) = load_spec(_spec(tmp_path, 1, [(name, _example(name))])).parts()
    assert "index_base" not in part._given.model_dump()


def test_answers_json_shows_the_effective_index_base(tmp_path: Path) -> None:
    name = next(n for n in WITH_BASE if n.startswith("conv2d."))
    path = _spec(tmp_path, 0, [(name, _example(name))])
    assert main(["build", str(path), "--out", str(tmp_path / "out"), "--no-pdf"]) == 0
    answers = json.loads((tmp_path / "out" / "spec" / "answers.json").read_text())
    assert answers["parts"][0]["given"]["index_base"] == 0


# pytest's warning filters, read from pyproject.toml and run on a pytest of its own.
FILTERS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"][
    "filterwarnings"]

FAILING = """
from hypothesis import given, settings, strategies as st

@settings(database=None, derandomize=True)
@given(st.integers(min_value=0, max_value=100))
def test_fails(n):
    assert n < 7
"""

# What hypothesis does while it reports a failing example: import other packages (libcst,
# to write a patch), one of which raises a DeprecationWarning on import.
REPORT_HOOK = """
import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    yield
    if call.when == "call" and call.excinfo is not None:
        import deprecated_on_import  # noqa: F401
"""
THIRD_PARTY = """
import warnings
warnings.warn("old API", DeprecationWarning, stacklevel=1)
"""


def _run(pytester: pytest.Pytester, filters: list[str]) -> pytest.RunResult:
    pytester.makepyprojecttoml(f"[tool.pytest.ini_options]\nfilterwarnings = {filters!r}\n")
    pytester.makeconftest(REPORT_HOOK)
    pytester.syspathinsert()
    pytester.makepyfile(deprecated_on_import=THIRD_PARTY, test_failing=FAILING)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider")


def test_error_filter_alone_hides_the_falsifying_example(pytester: pytest.Pytester) -> None:
    result = _run(pytester, ["error"])
    assert "INTERNALERROR" in result.stdout.str()
    assert "Falsifying example" not in result.stdout.str()


def test_failing_hypothesis_test_prints_its_example(pytester: pytest.Pytester) -> None:
    result = _run(pytester, FILTERS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Falsifying example: test_fails(", "*n=7,"])
    assert "INTERNALERROR" not in result.stdout.str()


@pytest.mark.parametrize(("module", "fails"), [
    ("test_ours", True), ("derive.spec", True), ("libcst.metadata", False)])
def test_deprecations_fail_only_from_our_code(module: str, fails: bool,
                                              pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(f"[tool.pytest.ini_options]\nfilterwarnings = {FILTERS!r}\n")
    pytester.makepyfile(test_ours=f"""
import warnings

def test_warns():
    warnings.warn_explicit("old API", DeprecationWarning, "x.py", 1, module={module!r})
""")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=int(fails), passed=int(not fails))
