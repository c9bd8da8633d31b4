"""The layers of an `architecture` part as the spec writes them (pydantic), and as the plain
data the numpy reference runs (`data()`, `as_data`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from derive.models import architecture as A
from derive.questions.base import Given, NonNegInt, PosInt

Size = PosInt | Annotated[list[PosInt], Field(min_length=2, max_length=2)]


def _tuple(v: int | list[int]) -> int | tuple[int, int]:
    return v if isinstance(v, int) else (v[0], v[1])


def _pair(v: int | list[int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (v[0], v[1])


class ConvLayer(Given):
    conv: Size = Field(description="Kernel size.")
    filters: PosInt
    stride: Size = 1
    padding: NonNegInt | list[NonNegInt] = 0
    dilation: Size = 1

    def build(self) -> A.Conv:
        return A.Conv(_tuple(self.conv), self.filters, _tuple(self.stride),
                      _tuple(self.padding), _tuple(self.dilation))

    def data(self) -> dict[str, Any]:
        return {"type": "conv", "kernel": _pair(self.conv), "filters": self.filters,
                "stride": _pair(self.stride), "padding": _pair(self.padding),
                "dilation": _pair(self.dilation)}


class PoolLayer(Given):
    maxpool: Size | None = Field(None, description="Window of a max pooling.")
    avgpool: Size | None = Field(None, description="Window of an average pooling.")
    stride: Size | None = None
    padding: NonNegInt = 0

    @model_validator(mode="after")
    def _one(self) -> PoolLayer:
        if (self.maxpool is None) == (self.avgpool is None):
            raise ValueError("a pooling layer has exactly one of 'maxpool' or 'avgpool'")
        return self

    def build(self) -> A.MaxPool | A.AvgPool:
        cls, window = (A.MaxPool, self.maxpool) if self.maxpool else (A.AvgPool, self.avgpool)
        assert window is not None
        stride = None if self.stride is None else _tuple(self.stride)
        return cls(_tuple(window), stride, self.padding)

    def data(self) -> dict[str, Any]:
        window = self.maxpool or self.avgpool
        assert window is not None
        return {"type": "maxpool" if self.maxpool else "avgpool", "window": _pair(window),
                "stride": _pair(window if self.stride is None else self.stride),
                "padding": _pair(self.padding)}


class DenseLayer(Given):
    dense: PosInt = Field(description="Number of units.")

    def build(self) -> A.Dense:
        return A.Dense(self.dense)

    def data(self) -> dict[str, Any]:
        return {"type": "dense", "units": self.dense}


class ActivationLayer(Given):
    activation: Literal["relu", "sigmoid", "tanh", "identity", "leaky_relu"]

    def build(self) -> A.Activation:
        return A.Activation(self.activation)

    def data(self) -> dict[str, Any]:
        return {"type": "activation", "name": self.activation}


Keyword = Literal["flatten", "global_avg_pool"]
_TAGS = (("conv", "conv"), ("maxpool", "pool"), ("avgpool", "pool"), ("dense", "dense"),
         ("activation", "activation"))


def _layer_tag(value: Any) -> str | None:
    """Which layer type a YAML entry is, by its keyword or its first identifying key."""
    if isinstance(value, str):
        return "keyword"
    if isinstance(value, Given):       # serialising a validated layer
        value = value.model_dump(exclude_none=True)
    if isinstance(value, dict):
        return next((tag for key, tag in _TAGS if key in value), None)
    return None


LayerSpec = Annotated[
    Annotated[ConvLayer, Tag("conv")] | Annotated[PoolLayer, Tag("pool")]
    | Annotated[DenseLayer, Tag("dense")] | Annotated[ActivationLayer, Tag("activation")]
    | Annotated[Keyword, Tag("keyword")],
    Discriminator(_layer_tag, custom_error_type="layer_type", custom_error_message=(
        "a layer is one of {conv: k, filters: n, ...}, {maxpool: k, ...}, {avgpool: k, ...}, "
        "{dense: n}, {activation: name}, flatten, global_avg_pool"))]


def as_data(layers: Sequence[A.Layer]) -> list[dict[str, Any]]:
    """Model layers as the reference's plain data (for tests and scripts that hold models)."""
    out: list[dict[str, Any]] = []
    for layer in layers:
        if isinstance(layer, A.Conv):
            out.append({"type": "conv", "kernel": layer.kernel_size, "filters": layer.filters,
                        "stride": layer.strides, "padding": layer.paddings,
                        "dilation": layer.dilations})
        elif isinstance(layer, A.MaxPool | A.AvgPool):
            out.append({"type": "maxpool" if isinstance(layer, A.MaxPool) else "avgpool",
                        "window": layer.window_size, "stride": layer.strides,
                        "padding": layer.paddings})
        elif isinstance(layer, A.Dense):
            out.append({"type": "dense", "units": layer.units})
        elif isinstance(layer, A.Activation):
            out.append({"type": "activation", "name": layer.name})
        else:
            out.append({"type": "flatten" if isinstance(layer, A.Flatten) else "global_avg_pool"})
    return out
