"""Compile a .tex document to PDF with latexmk, hardened, in a fresh temporary directory."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from derive.errors import TypesetError

INSTALL_HINT = (
    "apt-get install -y --no-install-recommends texlive-latex-base texlive-latex-recommended "
    "texlive-latex-extra texlive-pictures texlive-science texlive-lang-french lmodern latexmk"
)
TIMEOUT_S = 180
MEMORY_BYTES = 2 << 30                # address space of latexmk and the TeX engine
SOURCE_DATE_EPOCH = "1577836800"      # 2020-01-01: the PDF's dates, the same on every build
_ERROR_LINE = re.compile(r"^\./solutions\.tex:(\d+): (.*)$", re.MULTILINE)
_OVERFULL = re.compile(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)[^\n]*lines? (\d+)",
                       re.MULTILINE)


def available() -> bool:
    return shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None


def _part_at(source: str, line: int) -> str | None:
    """The id of the part whose `% derive-part:` marker precedes `line`."""
    part = None
    for n, text in enumerate(source.splitlines(), start=1):
        if n > line:
            break
        if text.startswith("% derive-part: "):
            part = text.removeprefix("% derive-part: ").strip()
    return part


def overfull_boxes(log: str, source: str) -> list[str]:
    """Overfull lines reported by TeX, with the part they come from."""
    return [f"part {_part_at(source, int(m.group(2))) or '?'}: {m.group(0)}"
            for m in _OVERFULL.finditer(log)]


def compile_pdf(source: str) -> tuple[bytes, str]:
    """PDF bytes and the TeX log of `source`; TypesetError with the offending lines."""
    if not available():
        raise TypesetError(f"no TeX engine found (latexmk, pdflatex). Install it with:\n  "
                           f"{INSTALL_HINT}\nor build with --no-pdf for the .tex and answers.json")
    _remove_stale_work()
    with tempfile.TemporaryDirectory(prefix="derive-tex-") as tmp:
        work = Path(tmp)
        (work / "solutions.tex").write_text(source, encoding="utf-8")
        # Reading and writing only below the work directory (HOME and TEXMFHOME point into it,
        # so no user file is in reach); dates and IDs fixed, so two builds are byte-identical.
        env = {**os.environ, "openin_any": "p", "openout_any": "p", "TEXMFOUTPUT": tmp,
               "HOME": tmp, "TEXMFHOME": tmp, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH,
               "FORCE_SOURCE_DATE": "1"}
        cmd = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error",
               "-file-line-error", "-no-shell-escape", "-silent", "solutions.tex"]
        try:
            proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True,
                                  timeout=TIMEOUT_S, check=False, preexec_fn=_bounded_memory)
        except subprocess.TimeoutExpired:
            raise TypesetError(f"latexmk did not finish within {TIMEOUT_S} s") from None
        log_path = work / "solutions.log"
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
        pdf = work / "solutions.pdf"
        if proc.returncode != 0 or not pdf.exists():
            raise TypesetError(_failure(log or proc.stdout + proc.stderr, source))
        return pdf.read_bytes(), log


def _bounded_memory() -> None:
    """In the TeX child: at most MEMORY_BYTES of address space (TeX's own pools are far
    smaller; a runaway macro stops with an error instead of exhausting the machine)."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def _remove_stale_work() -> None:
    """Work directories of builds killed outright (SIGKILL) are removed by a later build once
    they are older than any running build can be."""
    import time

    for stale in Path(tempfile.gettempdir()).glob("derive-tex-*"):
        try:
            if stale.is_dir() and time.time() - stale.stat().st_mtime > 4 * TIMEOUT_S:
                shutil.rmtree(stale, ignore_errors=True)
        except OSError:
            continue


def _failure(log: str, source: str) -> str:
    lines = []
    for m in _ERROR_LINE.finditer(log):
        line = int(m.group(1))
        part = _part_at(source, line)
        context = source.splitlines()[line - 1] if line <= len(source.splitlines()) else ""
        lines.append(f"solutions.tex:{line}: {m.group(2)}"
                     + (f" (in part {part})" if part else "") + f"\n    {context.strip()}")
    if not lines:
        tail = [t for t in log.splitlines() if t.startswith("!")] or log.splitlines()[-15:]
        lines = tail
    return "LaTeX failed:\n" + "\n".join(lines)
