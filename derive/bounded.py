"""Time bounds on the work of one part: a derivation or a check that runs away is stopped
with a message naming the part, instead of running until someone kills the build."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from derive.errors import DeriveError

PART_SECONDS = 300.0     # deriving or checking one part; the size limits keep real parts far below


class WorkTimeout(DeriveError):
    """A part's derivation or check did not finish in time."""


@contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Raise WorkTimeout if the block runs longer than `seconds` (main thread only: elsewhere
    the block runs unbounded)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise WorkTimeout(f"{what} did not finish within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
