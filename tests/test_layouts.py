"""A course's own layout: `derive layouts copy` starts one from derive's, a spec picks it by
name (meta.layout), and a name that no folder has is a located error."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_spec_errors import GOOD

from derive.__main__ import main


def _spec(folder: Path, layout: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "hw3.yaml"
    spec.write_text(GOOD.replace("course: Test course", "course: Deep Learning 101").replace(
        "title: Test\n", f"title: Homework 3\n  layout: {layout}\n"), encoding="utf-8")
    return spec


def test_a_copied_layout_edited_is_the_course_s_own(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    specs = tmp_path / "specs"
    assert main(["layouts", "copy", "homework", "--to", str(specs / "templates"),
                 "--as", "dl101"]) == 0
    copied = specs / "templates" / "layouts" / "dl101.tex.j2"
    assert "set `layout: dl101`" in capsys.readouterr().out
    # the course's own header: its name in small capitals and a line of its own
    source = copied.read_text(encoding="utf-8")
    assert r"{\large \VAR{meta.course|prose}\par}" in source
    copied.write_text(source.replace(
        r"{\large \VAR{meta.course|prose}\par}",
        r"{\large\scshape \VAR{meta.course|prose} --- Fall term\par}"), encoding="utf-8")
    spec = _spec(specs, "dl101")
    assert main(["build", str(spec), "--out", str(tmp_path / "out"), "--no-pdf"]) == 0
    tex = (tmp_path / "out" / "hw3" / "solutions.tex").read_text(encoding="utf-8")
    assert r"{\large\scshape Deep Learning 101 --- Fall term\par}" in tex
    assert r"\subsection*{1.}" in tex and "% derive-part: 1.1a" in tex   # the rest as before


def test_copy_refuses_to_overwrite_and_unknown_layouts(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    to = str(tmp_path / "templates")
    assert main(["layouts", "copy", "questions", "--to", to]) == 0
    assert main(["layouts", "copy", "questions", "--to", to]) == 2
    assert main(["layouts", "copy", "exam", "--to", to]) == 2
    err = capsys.readouterr().err
    assert "questions.tex.j2 exists" in err and "no layout 'exam' to copy" in err
    assert main(["layouts"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == ["homework", "questions"]


def test_a_layout_no_folder_has_is_a_located_error(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    spec = _spec(tmp_path, "exam")
    assert main(["build", str(spec), "--out", str(tmp_path / "out"), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert f"{spec}:4: meta.layout: no layout 'exam' (derive's: homework, questions" in err
    assert not (tmp_path / "out").exists()
    bad = _spec(tmp_path / "bad", "My Layout")
    assert main(["build", str(bad), "--out", str(tmp_path / "out"), "--no-pdf"]) == 2
    assert "4: meta.layout: String should match pattern" in capsys.readouterr().err
