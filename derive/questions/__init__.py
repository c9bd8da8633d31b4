"""The registry: question kind → given parameters, solver, partial template."""

from derive.questions import (
    architecture,
    conv,
    conv_arrays,
    conv_layer_arrays,
    conv_layer_grad,
    conv_layer_sizes,
    dense,
    logistic,
    storage,
)
from derive.questions.base import Check, Kind, Solution
from derive.questions.declare import REGISTRY

# Kinds declared with @kind register themselves in REGISTRY when their module is imported.
_ = (conv, conv_arrays, conv_layer_arrays, conv_layer_grad, conv_layer_sizes, dense, logistic,
     storage)
KINDS: dict[str, Kind] = {**architecture.KINDS, **REGISTRY}

__all__ = ["KINDS", "Check", "Kind", "Solution"]
