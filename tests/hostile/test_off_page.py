"""Content wider than the page fails the build, naming the part; nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from derive.__main__ import main
from derive.typeset import available

from .test_sizes import SPEC


@pytest.mark.skipif(not available(), reason="needs latexmk")
def test_a_line_that_runs_off_the_page_fails_the_build(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "wide.yaml"
    long_math = "$" + " ".join(["x_{1} x_{2} x_{3} x_{4}"] * 12).replace(" ", "") + "$"
    text = SPEC.format(kind="conv2d.output_size", given="{input: 5, kernel: 3}")
    spec.write_text(text.replace("prompt: p", f"prompt: '{long_math}'"), encoding="utf-8")
    assert main(["build", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "content wider than the page" in err and "part 1.1a" in err, err
    assert "Traceback" not in err and not (tmp_path / "out").exists()
