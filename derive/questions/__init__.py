"""The registry: question kind → given parameters, solver, partial template.

A kind declared with `@kind("name", …)` in any module of this package registers itself when
its module is imported, so adding a kind edits no shared table. Modules are imported when
first needed (importing all of them, and what they import, costs a build about a second):
`KINDS[name]` imports the module whose source declares `@kind("name"`, found by reading the
sources without importing them; anything that lists the kinds (iterating `KINDS`, `.items()`,
`len`, `derive kinds`, the JSON schema) imports every module first. A name that no source
declares in that form makes `KINDS` import every module before answering, so a kind
registered some other way is still found.
"""

import importlib
import pkgutil
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

from derive.questions.base import Check, Kind, Solution
from derive.questions.declare import REGISTRY

_DECLARED = re.compile(r"""^@kind\(\s*(["'])([^"'\n]+)\1""", re.MULTILINE)


@cache
def declared() -> dict[str, str]:
    """Kind name → the module of this package whose source declares it with `@kind`."""
    found: dict[str, str] = {}
    for module in pkgutil.iter_modules(__path__):
        source = Path(__path__[0], f"{module.name}.py")
        if source.is_file():
            for match in _DECLARED.finditer(source.read_text(encoding="utf-8")):
                found.setdefault(match.group(2), f"{__name__}.{module.name}")
    return found


def load_all() -> None:
    """Import every module of the package, so every kind is registered."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


class Kinds(Mapping[str, Kind]):
    """Name → Kind over the registry, importing a kind's module the first time it is asked
    for; iteration (in name order) and `len` see every kind."""

    def _load(self, name: object) -> bool:
        if name in REGISTRY:
            return True
        if isinstance(name, str) and name in declared():
            importlib.import_module(declared()[name])
        if name not in REGISTRY:
            load_all()
        return name in REGISTRY

    def __getitem__(self, name: str) -> Kind:
        if not self._load(name):
            raise KeyError(name)
        return REGISTRY[name]

    def __contains__(self, name: object) -> bool:
        return self._load(name)

    def __iter__(self) -> Iterator[str]:
        load_all()
        return iter(sorted(REGISTRY))

    def __len__(self) -> int:
        load_all()
        return len(REGISTRY)


KINDS: Mapping[str, Kind] = Kinds()

__all__ = ["KINDS", "Check", "Kind", "Solution", "declared", "load_all"]
