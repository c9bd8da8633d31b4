"""How an indexed quantity is written on the page: w_{k_1,k_2} (subscript, the default) or,
as some assignments write it, W[k_1, k_2] (brackets). Set for a whole build by
`indexing(style)` (the spec's `meta.indexing`), so that every formula of the page and of
answers.json agrees; read by the printer and by the symbols that print themselves.

>>> INDEXING.get()
'subscript'
>>> with indexing("brackets"):
...     INDEXING.get()
'brackets'
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

INDEXING: ContextVar[str] = ContextVar("indexing", default="subscript")


@contextmanager
def indexing(style: str) -> Iterator[None]:
    """Print indexed quantities in `style` ('subscript' or 'brackets') inside the block."""
    token = INDEXING.set(style)
    try:
        yield
    finally:
        INDEXING.reset(token)


def indexed(name: str, indices: list[str]) -> str:
    """name_{i,j}, or name[i, j] in brackets style (indices already LaTeX)."""
    if INDEXING.get() == "brackets":
        return f"{name}[{', '.join(indices)}]"
    return f"{name}_{{{','.join(indices)}}}"
