"""The registry: question kind → given parameters, solver, partial template."""

from derive.questions import architecture, conv, conv_arrays, conv_layer, dense
from derive.questions.base import Check, Kind, Solution

KINDS: dict[str, Kind] = {**conv.KINDS, **conv_arrays.KINDS, **dense.KINDS, **architecture.KINDS,
                         **conv_layer.KINDS}

__all__ = ["KINDS", "Check", "Kind", "Solution"]
