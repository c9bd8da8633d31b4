"""Writing a build's files without ever destroying what derive did not write.

A build writes into a fresh hidden directory beside its target and swaps it in place,
holding a lock on the output root so that concurrent builds take turns at swapping. Every
directory derive writes carries a marker file; a target that exists without one is refused
(unless forced). Leftovers of a killed build (`.<stem>.new-*`, `.<stem>.old-*`) are removed
by the next build of that spec, under the lock.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from derive import __version__
from derive.errors import DeriveError

MARKER = ".derive-output"
PLAIN_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class OutputError(DeriveError):
    """The output directory cannot be written, or would overwrite what derive did not write."""


def stem_problem(stem: str) -> str | None:
    """Why `stem` cannot name an output directory, or None."""
    if not PLAIN_STEM.match(stem) or stem in {".", ".."}:
        return (f"the output directory would be named {stem!r}: a spec's file name must start "
                "with a letter or digit and hold only letters, digits, '.', '_' or '-'")
    return None


def write_atomically(target: Path, files: dict[str, bytes], force: bool = False) -> None:
    """Write `files` into a fresh directory, then swap it in place of `target`."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _locked(target):
            _clean_leftovers(target)
            if target.exists() and not force and not _ours(target):
                raise OutputError(f"{target} exists and was not written by derive (no {MARKER} "
                                  "inside): move it away, choose another --out, or pass --force")
            _swap(target, files)
    except OSError as exc:
        where = Path(exc.filename) if exc.filename else target
        if where.parent.name.startswith(f".{target.name}.new-"):     # name what it would become
            where = target / where.name
        raise OutputError(f"cannot write {where}: {exc.strerror or exc}") from None


def _ours(target: Path) -> bool:
    """Marked by derive, or holding only what derive writes (outputs of older versions)."""
    if (target / MARKER).is_file():
        return True
    names = {p.name for p in target.iterdir()} if target.is_dir() else {""}
    return bool(names) and names <= {"solutions.tex", "solutions.pdf", "answers.json"}


def _swap(target: Path, files: dict[str, bytes]) -> None:
    fresh = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        for name, data in {**files, MARKER: f"written by derive {__version__}\n".encode()
                           }.items():
            (fresh / name).write_bytes(data)
        old = None
        if target.exists() or target.is_symlink():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            target.rename(old / target.name)
        fresh.rename(target)
        if old is not None:
            shutil.rmtree(old)
    finally:
        if fresh.exists():
            shutil.rmtree(fresh)


@contextmanager
def _locked(target: Path) -> Iterator[None]:
    """An exclusive lock on the output root directory itself (no lock file to leave)."""
    fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _clean_leftovers(target: Path) -> None:
    for stale in target.parent.glob(f".{target.name}.[no][el][wd]-*"):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
