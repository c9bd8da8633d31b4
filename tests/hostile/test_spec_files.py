"""Spec files a careless or hostile user passes: each gets a one-line located error, exit 2,
within a bounded time, and nothing is written."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from derive.__main__ import main

GOOD = """\
meta:
  course: C
  title: T
problems:
  - id: 1
    title: P
    parts:
      - id: 1a
        prompt: Output size.
        kind: conv2d.output_size
        given: {input: [5, 5], kernel: [3, 3]}
"""


def _write(text: str | bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "spec.yaml"
        if isinstance(text, str):
            path.write_text(text, encoding="utf-8")
        else:
            path.write_bytes(text)
        return path
    return make


def _fifo(folder: Path) -> Path:
    path = folder / "spec.yaml"
    os.mkfifo(path)
    return path


def _bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, 9):
        lines.append(f"{chr(97 + n)}: &{chr(97 + n)} [" + ",".join([f"*{chr(96 + n)}"] * 9) + "]")
    return "\n".join(lines) + "\n"


CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "fifo": (_fifo, "spec.yaml: not a regular file"),
    "device": (lambda folder: Path("/dev/zero"), "/dev/zero: not a regular file"),
    "binary": (_write(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xd8"),
               "spec.yaml:1: is not UTF-8 text (byte 0x89)"),
    "utf16": (_write(GOOD.encode("utf-16")), "spec.yaml: is UTF-16 text; save it as UTF-8"),
    "too_large": (_write("# " + "x" * (1 << 20) + "\n" + GOOD), "bytes; a spec is at most"),
    "alias_bomb": (_write(_bomb()), "values (through YAML aliases?)"),
    "deep_nesting": (_write("a: " + "[" * 5000 + "]" * 5000 + "\n"),
                     "spec.yaml:1: nested more than 40 levels"),
    "huge_integer": (_write(GOOD.replace("[5, 5]", "[" + "9" * 5000 + ", 5]")),
                     "spec.yaml:11: an integer of 5000 digits"),
    "invalid_date": (_write(GOOD.replace("title: T\n", "title: T\n  due: 2026-13-45\n")),
                     "spec.yaml:4: invalid date '2026-13-45': month must be in 1..12"),
    "empty": (_write(""), "expected a mapping with keys 'meta' and 'problems', got NoneType"),
    "tab_indented": (_write(GOOD.replace("  title: T", "\ttitle: T")), "malformed YAML"),
    "bom_is_fine_but_kind_unknown": (_write("\ufeff" + GOOD.replace("conv2d.output_size",
                                                                    "nope")),
                                     "spec.yaml:10: problems[0].parts[0].kind: unknown question"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_unreadable_or_unbounded_specs_are_refused(case: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    make, message = CASES[case]
    spec = make(tmp_path)
    out = tmp_path / "out"
    assert main(["build", str(spec), "--out", str(out), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and message in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert not out.exists()
