"""The importable mathematics: SymPy models, no I/O and no page layout."""

from derive.models.conv import Axis, Conv2D, output_size
from derive.models.dense import DenseSigmoid
from derive.models.symbols import partial, relu_prime, sigmoid

__all__ = ["Axis", "Conv2D", "DenseSigmoid", "output_size", "partial", "relu_prime", "sigmoid"]
