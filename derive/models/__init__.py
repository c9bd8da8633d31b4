"""The importable mathematics: SymPy models, no I/O and no page layout.

`derive.models.logistic` builds on the derivation rules: import it from its module, so that
importing a rule never imports it back.
"""

from derive.models.conv import Axis, Conv2D, output_size
from derive.models.conv_layer import ConvLayer
from derive.models.dense import DenseSigmoid
from derive.models.symbols import PartialOf, Upstream, relu_prime, sigmoid

__all__ = ["Axis", "Conv2D", "ConvLayer", "DenseSigmoid", "PartialOf", "Upstream", "output_size",
           "relu_prime", "sigmoid"]
