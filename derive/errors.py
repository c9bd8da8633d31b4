"""The expected failures. Anything else is a bug: inside a part it becomes an `InternalError`
naming the part (its traceback shown with DERIVE_TRACEBACK=1); elsewhere it keeps its
traceback."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


class DeriveError(Exception):
    """Base of every expected failure; `exit_code` is what the CLI returns."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One located defect of a spec: `file:line: key.path: message`."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SpecError(DeriveError):
    """A spec (or a command-line argument) is invalid; all defects are collected."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UsageError(DeriveError):
    exit_code = 2


class VerificationError(DeriveError):
    """An answer disagrees with its independent numeric check."""


class InternalError(DeriveError):
    """A part's derivation raised something unexpected: a bug in derive, not in the spec."""

    exit_code = 70                  # EX_SOFTWARE


class TypesetError(DeriveError):
    """The TeX engine is missing or failed."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`", did you mean 'stride'?"` when one of `choices` is close to `word`, else `""`."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f", did you mean {close[0]!r}?" if close else ""
