"""Bad specs: located errors (file:line: key.path: message), exit 2, no traceback, no output."""

from __future__ import annotations

import dataclasses
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
                 ["9: problems[0].parts[0].promt: unknown key, did you mean 'prompt'? (accepted: "
                  "id, points, stem, prompt, kind, given, assumptions, blanks)",
                  "problems[0].parts[0].prompt: required key is missing"]),
    "typo_given": (GOOD.replace("stride: 1", "strde: 1"),
                   ["11: problems[0].parts[0].given.strde: unknown key, did you mean 'stride'? "
                    "(accepted: input, kernel, stride, padding"]),
    "far_given": (GOOD.replace("stride: 1", "colour: 1"),
                  ["11: problems[0].parts[0].given.colour: unknown key (accepted: input, "]),
    "typo_problem": (GOOD.replace("title: Convolution", "title: Convolution\n    intr: x"),
                     ["7: problems[0].intr: unknown key, did you mean 'intro'? (accepted: id, "
                      "title, points, intro, parts)"]),
    "wrong_type": (GOOD.replace("stride: 1", "stride: two"),
                   ["11: problems[0].parts[0].given.stride: expected a valid integer, got 'two'"]),
    "string_number": (GOOD.replace("stride: 1", "stride: '1'"),
                      ["11: problems[0].parts[0].given.stride: expected a valid integer"]),
    "unknown_kind": (GOOD.replace("conv2d.output_size", "conv2d.outptu_size"),
                     ["10: problems[0].parts[0].kind: unknown question kind 'conv2d.outptu_size'"
                      ", did you mean 'conv2d.output_size'? (expected one of: "]),
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
                     ["4: meta.lang: unknown key, did you mean 'language'? (accepted: course, "
                      "title, term, authors, authors_label, due, language, layout, templates, "
                      "numbering, instructions, source, checks, indexing, index_base)"]),
    "bad_index_base": (GOOD.replace("title: Test\n", "title: Test\n  index_base: 2\n"),
                       ["4: meta.index_base: expected 0 or 1, got 2"]),
    "bad_due": (GOOD.replace("title: Test\n", "title: Test\n  due: 2022-10-17 25:00\n"),
                ["4: meta.due: expected a date such as 2022-10-17, or a date and time such as "
                 "2022-10-17 23:00, got '2022-10-17 25:00'"]),
    "bad_language": (GOOD.replace("title: Test\n", "title: Test\n  language: de\n"),
                     ["4: meta.language: expected 'en' or 'fr', got 'de'"]),
    "malformed": (GOOD.replace("kind: conv2d", "kind: [conv2d"), ["malformed YAML"]),
    "not_a_mapping": ("- just\n- a list\n", ["expected a mapping"]),
}


HEAD = """\
meta: {course: C, title: T}
problems:
  - id: 1
    title: P
    parts:
      - id: "1"
        prompt: p
"""
ARCH = HEAD + """\
        kind: architecture
        given:
          input: [8, 8, 3]
          layers:
            - {conv: 3, filters: 4}
            - {maxpool: 2}
"""

LAYER = HEAD + """\
        kind: conv_layer.sizes
        given: {input: [4, 4, 3], kernel: [3, 3], out_channels: 2, padding: 0}
"""

MORE_CASES = {
    "unknown_layer": (ARCH.replace("{maxpool: 2}", "{pool: 2}"),
                      ["13: problems[0].parts[0].given.layers[1]: a layer is one of"]),
    "pool_stride_zero": (ARCH.replace("{maxpool: 2}", "{maxpool: 2, stride: 0}"),
                         ["13: problems[0].parts[0].given.layers[1].pool.stride: expected "
                          "greater than 0, got 0"]),
    "window_too_large": (ARCH.replace("{maxpool: 2}", "{maxpool: 9}"),
                         ["9: problems[0].parts[0].given: layer 2 (max pool 9×9, stride 9): "
                          "the window 9 is larger than the padded input 6"]),
    "typo_in_layer": (ARCH.replace("filters: 4", "filter: 4"),
                      ["12: problems[0].parts[0].given.layers[0].conv.filters: required key",
                       "12: problems[0].parts[0].given.layers[0].conv.filter: unknown key, did you "
                       "mean 'filters'? (accepted: conv, filters, stride, padding, dilation)"]),
    "typo_in_pool": (ARCH.replace("{maxpool: 2}", "{maxpool: 2, strid: 1}"),
                     ["13: problems[0].parts[0].given.layers[1].pool.strid: unknown key, did you "
                      "mean 'stride'? (accepted: maxpool, avgpool, stride, padding)"]),
    "layer_kernel_too_large": (LAYER.replace("kernel: [3, 3]", "kernel: [5, 3]"),
                               ["9: problems[0].parts[0].given: kernel rows span (5) exceed "
                                "the padded input rows (4 + 2·0)"]),
    "layer_stride_zero": (LAYER.replace("padding: 0", "stride: 0"),
                          ["9: problems[0].parts[0].given.stride: expected greater than 0"]),
    "channel_mismatch": (LAYER.replace("kind: conv_layer.sizes", "kind: conv_layer.arrays")
                         .replace("{input: [4, 4, 3], kernel: [3, 3], out_channels: 2, padding: 0}",
                                  "{x: [[[1, 2, 3]]], w: [[[[1], [2]]]]}"),
                         ["9: problems[0].parts[0].given: channel mismatch: x has 3 channels but "
                          "w expects 2 input channels"]),
    "ragged_array": (GOOD.replace("kind: conv2d.output_size", "kind: conv2d.arrays").replace(
        "{input: [5, 5], kernel: [3, 3], stride: 1, padding: 0}",
        "{x: [[1, 2], [3]], w: [[1]]}"),
        ["11: problems[0].parts[0].given: x must be a non-empty rectangular array"]),
}
CASES.update(MORE_CASES)


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


def test_two_specs_with_the_same_name_are_refused(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "hw.yaml").write_text(GOOD)
    args = ["build", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "out")]
    assert main([*args, "--no-pdf"]) == 2
    assert "same name" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("trace", [False, True])
def test_a_bug_inside_a_part_names_the_part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str],
                                            trace: bool) -> None:
    """An unexpected exception in a derivation is a bug: exit 70, the part named, nothing
    written; the traceback only on request."""
    from derive.questions import KINDS
    from derive.questions.declare import REGISTRY

    def broken(given: object) -> object:
        raise ZeroDivisionError("division by zero")

    kind = "conv2d.output_size"
    monkeypatch.setitem(REGISTRY, kind, dataclasses.replace(KINDS[kind], solve=broken))
    if trace:
        monkeypatch.setenv("DERIVE_TRACEBACK", "1")
    spec = tmp_path / "good.yaml"
    spec.write_text(GOOD)
    assert main(["build", str(spec), "--out", str(tmp_path / "out"), "--no-pdf"]) == 70
    err = capsys.readouterr().err
    assert (f"error: {spec}: part 1.1a (conv2d.output_size): internal error in derive, please "
            "report it: ZeroDivisionError: division by zero") in err
    assert ("Traceback" in err) == trace and ("in broken" in err) == trace
    assert not (tmp_path / "out").exists()
