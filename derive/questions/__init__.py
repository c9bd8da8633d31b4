"""The registry: question kind → given parameters, solver, partial template."""

from derive.questions import (
    architecture,
    conv,
    conv_arrays,
    conv_layer,
    conv_layer_grad,
    dense,
    logistic,
    storage,
)
from derive.questions.base import Check, Kind, Solution
from derive.questions.declare import REGISTRY

KINDS: dict[str, Kind] = {**conv_arrays.KINDS, **architecture.KINDS,
                         **conv_layer.KINDS, **REGISTRY}
_ = conv, conv_layer_grad, dense, logistic, storage  # their kinds register themselves

__all__ = ["KINDS", "Check", "Kind", "Solution"]
