"""A part whose derivation or check runs away is stopped, named, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from derive import bounded
from derive.__main__ import main

from .test_sizes import SPEC


def test_a_runaway_part_is_stopped_and_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(bounded, "PART_SECONDS", 0.3)
    spec = tmp_path / "slow.yaml"
    spec.write_text(SPEC.format(kind="dense_sigmoid.grad_weight",
                                given="{inputs: 100, outputs: 100}"), encoding="utf-8")
    assert main(["build", str(spec), "--out", str(tmp_path / "out"), "--no-pdf"]) == 1
    err = capsys.readouterr().err
    assert f"{spec}: part 1.1a (dense_sigmoid.grad_weight): the " in err, err
    assert "did not finish within 0.3 s" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
