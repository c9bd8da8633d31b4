"""Sizes beyond what derive derives and checks are refused before any work, located, with the
limit named (and `derive kinds NAME` lists the limits)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from derive.__main__ import main

SPEC = """\
meta: {{course: C, title: T}}
problems:
  - id: 1
    title: P
    parts:
      - id: 1a
        prompt: p
        kind: {kind}
        given: {given}
"""

CASES = {
    "rows_1e9": ("conv2d.output_size", "{input: [1000000000, 5], kernel: 3}",
                 "the padded input would be 5,000,000,000; derive derives and checks at most "
                 "1,048,576"),
    "padding_1e9": ("conv2d.operations", "{input: 5, kernel: 3, padding: 1000000000}",
                    "the padded input would be 4,000,000,020,000,000,025"),
    "pixels_20000": ("conv2d.operations", "{input: 20000, kernel: 3}", "the padded input"),
    "matrix_padding": ("conv2d.matrix", "{input: 4, kernel: 3, padding: 100000}",
                       "the padded input"),
    "array_padding": ("conv2d.arrays", "{x: [[1, 2], [3, 4]], w: [[1]], padding: 1000000}",
                      "the padded input"),
    "channels_1e9": ("conv_layer.sizes", "{input: [8, 8, 1000000000], kernel: 3, "
                     "out_channels: 4}", "the input would be 64,000,000,000"),
    "filters_1e9": ("conv_layer.grad", "{input: [8, 8, 3], kernel: 3, out_channels: "
                    "1000000000, wrt: W}", "the number of weights would be 27,000,000,000"),
    "layer_arrays_padding": ("conv_layer.arrays", "{x: [[[1]]], w: [[[[1]]]], padding: 10000}",
                             "the padded input would be 400,040,001"),
    "dense_1e5": ("dense_sigmoid.hessian_cross", "{inputs: 100000, outputs: 100000}",
                  "the number of weights would be 10,000,000,000; derive derives and checks at "
                  "most 100"),
    "storage_1e30": ("storage.derivatives", "{weights_size: 1000000000000000000000000000000, "
                     "unit: B}", "the number of weights would be 250,000,000,000,000,000,000,"),
    "mlp_wide": ("mlp.backprop", "{widths: [1000, 1000, 10], weight: v_12}",
                 "the number of weights would be 1,010,000; derive derives and checks at most "
                 "2,048"),
    "matrix_calculus_big": ("matrix_calculus.grad", "{m: 100, n: 100}",
                            "the number of entries of A would be 10,000"),
    "logistic_features": ("logistic.grad", "{features: 100000}",
                          "the number of features would be 100,000"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_huge_sizes_are_refused_before_any_work(case: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    kind, given, message = CASES[case]
    spec = tmp_path / "big.yaml"
    spec.write_text(SPEC.format(kind=kind, given=given), encoding="utf-8")
    start = time.monotonic()
    assert main(["build", str(spec), "--out", str(tmp_path / "out"), "--no-pdf"]) == 2
    assert time.monotonic() - start < 10
    err = capsys.readouterr().err
    assert f"{spec}:9: problems[0].parts[0].given: {message}" in err, err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_kinds_lists_the_limits(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kinds", "conv_layer.sizes"]) == 0
    out = capsys.readouterr().out
    assert "limits (checked before any work):\n  padded input: at most 1,048,576\n" in out
    assert "number of multiplications: at most 1,000,000,000" in out
