"""Items listed in a sentence, in the page's language: "a and b", "a, b, and c" in English
(the serial comma of the project's English), "a et b", "a, b et c" in French (no comma
before "et"). The words come from the language's strings (`lists`).

>>> en = {"lists": {"pair": " and ", "last": ", and ", "separator": ", "}}
>>> fr = {"lists": {"pair": " et ", "last": " et ", "separator": ", "}}
>>> listing(["1", "2", "3"], en), listing(["1", "2", "3"], fr), listing(["1", "2"], en)
('1, 2, and 3', '1, 2 et 3', '1 and 2')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Listing:
    """Items to be listed in a sentence value (`d.say(key, factors=Listing([...]))`), joined
    in the page's language when the sentence is written."""

    items: tuple[str, ...]

    def __init__(self, items: Sequence[str]):
        object.__setattr__(self, "items", tuple(items))


def listing(items: Sequence[str], words: dict[str, Any]) -> str:
    """`items` joined as a sentence lists them in the language of `words`."""
    join = words["lists"]
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return items[0] + join["pair"] + items[1]
    return join["separator"].join(items[:-1]) + join["last"] + items[-1]
