"""The shipped specs: answers.json holds the derived values the assignments ask for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from derive.build import build, load_all

SPECS = Path(__file__).resolve().parent.parent / "specs"


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("answers")
    result = {}
    for loaded in load_all(sorted(SPECS.glob("*.yaml"))):
        build(loaded, out, pdf=False)
        doc = json.loads((out / loaded.stem / "answers.json").read_text())
        for part in doc["parts"]:
            assert part["check"]["passed"], part["id"]
            result[f"{loaded.stem}:{part['id']}"] = part
    return result


def value(part: dict[str, Any]) -> Any:
    return json.loads(part["answer"]["text"])


def test_usc_problem_1(answers: dict[str, dict[str, Any]]) -> None:
    assert value(answers["usc-ml-problem-1:1.1"]) == {"without_bias": 96, "with_bias": 102}
    assert value(answers["usc-ml-problem-1:1.2"]) == [2, 2, 4]


def test_cnn_386_table(answers: dict[str, dict[str, Any]]) -> None:
    rows = value(answers["ml-exercises-trees-gradients-cnn:3.1"])
    assert [r["output_shape"] for r in rows] == [
        [384, 384, 64], [128, 128, 64], [126, 126, 256], [126, 126, 512], [42, 42, 512],
        [2048], [1000]]
    assert [r["params"] for r in rows] == [1728, 0, 147456, 131072, 0,
                                           42 * 42 * 512 * 2048, 2048 * 1000]


def test_ift6135_questions_4_and_5(answers: dict[str, dict[str, Any]]) -> None:
    a = {k.split(":")[1]: v for k, v in answers.items() if k.startswith("ift6135")}
    assert value(a["4.1"]) == [12, 12, 1]
    assert value(a["4.2a"])["accepts_variable_input"] is True
    assert value(a["4.2b"])["accepts_variable_input"] is False
    assert value(a["5.1"]) == [32, 32, 1]
    assert value(a["5.3"]) == [9, 9]
    assert value(a["5.4"]) == {"receptive_field": 9, "needed": 13, "possible": False}
    matrix = a["4.3"]["answer"]["text"]
    assert matrix.startswith("Matrix([[w[1, 1], w[1, 2], 0, w[2, 1], w[2, 2], 0, 0, 0, 0]")
    transposed = a["4.4"]["answer"]["text"]
    assert transposed.count("w[0, 0]") == 4 and transposed.count("w[1, 1]") == 4


def test_intro_ml_hw8_question_1(answers: dict[str, dict[str, Any]]) -> None:
    a = {k.split(":")[1]: v for k, v in answers.items() if k.startswith("intro-ml-hw8")}
    assert value(a["1.1a"]) == {"k1": [0, 1], "k2": [0, 1]}
    assert value(a["1.1b"]) == {"rows": 4, "cols": 4}
    assert value(a["1.1c"]) == {"value": 6.0, "locations": [[1, 3], [2, 3]]}
    assert value(a["1.1d"]) == {"value": -6.0, "locations": [[1, 0], [2, 0]]}
    assert value(a["1.1e"]) == [[0, 1], [0, 2]]


def test_intro_ml_hw8_questions_2_and_3(answers: dict[str, dict[str, Any]]) -> None:
    a = {k.split(":")[1]: v for k, v in answers.items() if k.startswith("intro-ml-hw8")}
    assert value(a["1.2a"]) == [46, 62, 20]
    assert value(a["1.2b"]) == {"in": 10, "out": 20}
    assert value(a["1.2c"]) == 46 * 62 * 20 * 3 * 3 * 10
    assert value(a["1.2d"]) == {"with_bias": 1820}             # asked: with the biases
    grad_x = a["1.3c"]["answer"]["text"]
    for piece in ("W[k1, k2, n, m]", "dJ_dU[i - k1, j - k2, m]",
                  "sigmoid_prime(U[i - k1, j - k2, m])",
                  "(k1, Max(0, i - 45), Min(2, i)), (k2, Max(0, j - 61), Min(2, j)), (m, 0, 19))"):
        assert piece in grad_x
    assert a["1.3a"]["check"]["samples"] >= 46 * 62 * 20


def test_every_answer_has_a_typed_value(answers: dict[str, dict[str, Any]]) -> None:
    """answers.json carries each part's value as JSON, never as text to parse: counts and
    sizes are numbers, shapes lists, expressions {srepr, latex}."""
    def strings(v: Any) -> list[str]:
        if isinstance(v, dict):
            return [] if set(v) == {"srepr", "latex"} else [s for x in v.values()
                                                              for s in strings(x)]
        if isinstance(v, list):
            return [s for x in v for s in strings(x)]
        return [v] if isinstance(v, str) else []
    for name, part in answers.items():
        value_ = part["answer"]["value"]
        texts = [s for s in strings(value_) if s.strip().startswith(("{", "[", "Matrix"))]
        assert not texts, f"{name}: {texts}"
    assert answers["usc-ml-problem-1:1.1"]["answer"]["value"] == {"without_bias": 96,
                                                                  "with_bias": 102}
    assert answers["intro-ml-hw8:1.2c"]["answer"]["value"] == 5133600
    assert answers["ml-exercises-trees-gradients-cnn:2.3"]["answer"]["value"][
        "differentiable"] is False
    grad = answers["intro-ml-hw8:1.3a"]["answer"]["value"]
    assert set(grad) == {"srepr", "latex"} and grad["srepr"].startswith("Mul(")
