"""The registry: question kind → given parameters, solver, partial template."""

from derive.questions import architecture, conv, conv_arrays, dense
from derive.questions.base import Check, Kind, Solution

KINDS: dict[str, Kind] = {**conv.KINDS, **conv_arrays.KINDS, **dense.KINDS, **architecture.KINDS}

__all__ = ["KINDS", "Check", "Kind", "Solution"]
