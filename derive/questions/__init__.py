"""The registry: question kind → given parameters, solver, partial template.

Every module of this package is imported here, so a kind declared with `@kind` in a new
module registers itself: adding a kind edits no shared table.
"""

import importlib
import pkgutil

from derive.questions.base import Check, Kind, Solution
from derive.questions.declare import REGISTRY

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

KINDS: dict[str, Kind] = REGISTRY

__all__ = ["KINDS", "Check", "Kind", "Solution"]
