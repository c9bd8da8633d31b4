"""Outputs never destroy what derive did not write; concurrent or killed builds leave nothing
behind; every file-system failure is one line, exit 1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from derive.__main__ import main
from derive.output import MARKER
from derive.typeset import available

from .test_spec_files import GOOD

ROOT = Path(__file__).resolve().parents[2]


def _spec(folder: Path, name: str = "hw.yaml") -> Path:
    path = folder / name
    path.write_text(GOOD, encoding="utf-8")
    return path


def _build(*args: str | Path) -> int:
    return main(["build", *map(str, args), "--no-pdf"])


def test_a_spec_named_dot_yaml_is_refused_and_other_outputs_survive(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert _build(_spec(tmp_path, "hw.yaml"), "--out", out) == 0
    bad = _spec(tmp_path, "..yaml")
    assert _build(bad, "--out", out) == 2
    assert "the output directory would be named '.'" in capsys.readouterr().err
    assert (out / "hw" / "answers.json").is_file()


def test_a_directory_derive_did_not_write_is_refused_unless_forced(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "hw"
    notes.mkdir()
    (notes / "my-notes.txt").write_text("mine")
    spec = _spec(tmp_path / "specs" if (tmp_path / "specs").mkdir() is None else tmp_path)
    assert _build(spec, "--out", tmp_path) == 1
    err = capsys.readouterr().err
    assert f"{notes} exists and was not written by derive" in err and "--force" in err
    assert (notes / "my-notes.txt").read_text() == "mine"
    assert main(["build", str(spec), "--out", str(tmp_path), "--no-pdf", "--force"]) == 0
    assert (notes / MARKER).is_file() and not (notes / "my-notes.txt").exists()


def test_outputs_of_an_earlier_version_without_marker_are_replaced(tmp_path: Path) -> None:
    old = tmp_path / "out" / "hw"
    old.mkdir(parents=True)
    (old / "answers.json").write_text("{}")
    assert _build(_spec(tmp_path), "--out", tmp_path / "out") == 0
    assert (old / MARKER).is_file() and (old / "answers.json").read_text() != "{}"


def test_leftovers_of_a_killed_build_are_removed_by_the_next(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for stale in (".hw.new-x1", ".hw.old-y2/hw"):
        (out / stale).mkdir(parents=True)
    (out / ".other.new-z3").mkdir()
    assert _build(_spec(tmp_path), "--out", out) == 0
    assert sorted(p.name for p in out.iterdir()) == [".other.new-z3", "hw"]


@pytest.mark.parametrize("where", ["file", "under_file"])
def test_out_that_is_a_file_is_one_line(where: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    out = blocker if where == "file" else blocker / "sub"
    assert _build(_spec(tmp_path), "--out", out) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write") and len(err.strip().splitlines()) == 1, err
    assert blocker.read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_out_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    assert _build(_spec(tmp_path), "--out", out) == 1
    assert "Permission denied" in capsys.readouterr().err


def _cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "derive", "build", *map(str, args)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_concurrent_builds_of_one_spec_take_turns(tmp_path: Path) -> None:
    spec, out = _spec(tmp_path), tmp_path / "out"
    runs = [_cli(spec, "--out", out, "--no-pdf") for _ in range(4)]
    errors = [run.communicate(timeout=120)[1] for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, errors
    assert sorted(p.name for p in out.iterdir()) == ["hw"]
    assert sorted(p.name for p in (out / "hw").iterdir()) == [MARKER, "answers.json",
                                                              "solutions.tex"]


@pytest.mark.skipif(not available(), reason="needs latexmk")
def test_a_terminated_build_leaves_no_temporary_files(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    run = _cli(_spec(tmp_path), "--out", tmp_path / "out", env={"TMPDIR": str(scratch)})
    deadline = time.monotonic() + 90
    while not any(scratch.glob("derive-tex-*")):
        assert run.poll() is None, "the build ended before latexmk started"
        assert time.monotonic() < deadline, "latexmk never started"
        time.sleep(0.05)
    run.send_signal(signal.SIGTERM)
    run.communicate(timeout=60)
    assert list(scratch.iterdir()) == []
    assert not list((tmp_path / "out").glob(".hw.*"))


@pytest.mark.skipif(not available(), reason="needs latexmk")
def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    for run in ("one", "two"):
        assert main(["build", str(spec), "--out", str(tmp_path / run)]) == 0
    for name in ("solutions.tex", "answers.json", "solutions.pdf"):
        assert (tmp_path / "one/hw" / name).read_bytes() == (tmp_path / "two/hw" / name
                                                             ).read_bytes(), name


def test_a_full_disk_is_one_line_and_leaves_the_previous_outputs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno

    spec, out = _spec(tmp_path), tmp_path / "out"
    assert _build(spec, "--out", out) == 0
    before = (out / "hw" / "answers.json").read_bytes()
    capsys.readouterr()
    real = Path.write_bytes

    def full(self: Path, data: bytes) -> int:
        if self.name == "solutions.tex":
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    assert _build(spec, "--out", out) == 1
    err = capsys.readouterr().err
    assert err == f"error: cannot write {out / 'hw' / 'solutions.tex'}: No space left on device\n"
    assert (out / "hw" / "answers.json").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["hw"]
