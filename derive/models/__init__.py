"""The importable mathematics: SymPy models, no I/O and no page layout."""

from derive.models.conv import Axis, Conv2D, output_size
from derive.models.conv_layer import ConvLayer
from derive.models.dense import DenseSigmoid
from derive.models.logistic import LogisticRegression
from derive.models.symbols import PartialOf, Upstream, relu_prime, sigmoid

__all__ = ["Axis", "Conv2D", "ConvLayer", "DenseSigmoid", "LogisticRegression", "PartialOf",
           "Upstream", "output_size", "relu_prime", "sigmoid"]
