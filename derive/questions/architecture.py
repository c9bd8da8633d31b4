"""Question kinds on whole CNN architectures: shapes, parameters, receptive fields."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from derive.models import architecture as A
from derive.questions.base import Check, Given, Kind, NonNegInt, PosInt, Solution
from derive.verify import architecture_reference as R

Size = PosInt | Annotated[list[PosInt], Field(min_length=2, max_length=2)]


def _tuple(v: int | list[int]) -> int | tuple[int, int]:
    return v if isinstance(v, int) else (v[0], v[1])


class ConvLayer(Given):
    conv: Size = Field(description="Kernel size.")
    filters: PosInt
    stride: Size = 1
    padding: NonNegInt | list[NonNegInt] = 0
    dilation: Size = 1

    def build(self) -> A.Conv:
        return A.Conv(_tuple(self.conv), self.filters, _tuple(self.stride),
                      _tuple(self.padding), _tuple(self.dilation))


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


class DenseLayer(Given):
    dense: PosInt = Field(description="Number of units.")

    def build(self) -> A.Dense:
        return A.Dense(self.dense)


class ActivationLayer(Given):
    activation: Literal["relu", "sigmoid", "tanh", "identity", "leaky_relu"]

    def build(self) -> A.Activation:
        return A.Activation(self.activation)


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


class ArchitectureGiven(Given):
    input: Annotated[list[PosInt], Field(min_length=3, max_length=3,
                                         description="Input height, width, channels.")]
    layers: list[LayerSpec] = Field(min_length=1)
    report: Literal["table", "output_shape", "same_size", "parameters", "receptive_field",
                    "variable_input", "corner_reach"] = "table"

    @model_validator(mode="after")
    def _valid(self) -> ArchitectureGiven:
        A.analyse(self.shape, self.network())   # impossible sizes become spec errors
        return self

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.input[0], self.input[1], self.input[2])

    def network(self) -> list[A.Layer]:
        out: list[A.Layer] = []
        for spec in self.layers:
            if spec == "flatten":
                out.append(A.Flatten())
            elif spec == "global_avg_pool":
                out.append(A.GlobalAvgPool())
            else:
                assert not isinstance(spec, str)
                out.append(spec.build())
        return out


def _row(row: A.Row) -> dict[str, Any]:
    return {"label": row.label, "shape": row.shape_text, "params": _grouped(row.params),
            "params_with_bias": _grouped(row.params_with_bias), "mults": _grouped(row.mults),
            "rf": row.receptive_field_text,
            "jump": "" if row.jump is None else A._fmt_short(row.jump)}


def _grouped(n: int) -> str:
    return f"{n:,}".replace(",", r"\,")


def _structure_check(g: ArchitectureGiven, rows: list[A.Row]) -> Check:
    """Shapes, parameters and multiplications read off a numpy run of the network."""
    measured = R.measure(g.shape, g.network(), seed=0)
    derived = [[*r.output_shape, r.params, r.params_with_bias, r.mults] for r in rows]
    reference = [[*m.output_shape, m.params, m.params_with_bias, m.mults] for m in measured]
    ok = derived == reference
    return Check("shapes, weight-array sizes and multiplications of a numpy run of the network",
                 ok, 0.0 if ok else float("inf"), len(rows))


def _field_check(g: ArchitectureGiven, rows: list[A.Row]) -> Check:
    """Receptive fields by switching on one input pixel at a time (single channel copy)."""
    thin = [A.Conv(layer.kernel, 1, layer.stride, layer.padding, layer.dilation)
            if isinstance(layer, A.Conv) else layer for layer in g.network()]
    spatial = [r for r in rows if r.receptive_field is not None]
    size = A.minimum_input_size(thin)
    side = max(size[0], size[1], 2 * max((r.receptive_field[0] for r in spatial if
                                          r.receptive_field), default=1) + 1)
    fields = R.max_receptive_fields((side, side, 1), thin[: len(spatial)])
    derived = [r.receptive_field for r in spatial]
    ok = fields == derived
    return Check("receptive fields by brute force: one input pixel switched on at a time",
                 ok, 0.0 if ok else float("inf"), len(derived))


def _variable_reason(layers: list[A.Layer]) -> dict[str, Any]:
    """Which layer decides whether the input size may vary (for the templates' wording)."""
    flatten = None
    for index, layer in enumerate(layers):
        if isinstance(layer, A.GlobalAvgPool):
            return {"key": "global_pool", "layer": index + 1}
        if isinstance(layer, A.Flatten) and flatten is None:
            flatten = index + 1
        if isinstance(layer, A.Dense):
            if flatten is None:
                return {"key": "dense_on_map", "layer": index + 1}
            return {"key": "flatten_dense", "layer": flatten, "dense": index + 1}
    return {"key": "flatten_only" if flatten else "conv_only", "layer": flatten or 0}


def solve_architecture(g: ArchitectureGiven) -> Solution:
    layers = g.network()
    rows = A.analyse(g.shape, layers)
    total = A.totals(rows)
    context: dict[str, Any] = {
        "given": g, "rows": [_row(r) for r in rows], "input": "×".join(map(str, g.input)),
        "total": {"params": _grouped(total.params),
                  "params_with_bias": _grouped(total.params_with_bias),
                  "mults": _grouped(total.mults)}}
    final = rows[-1]
    if g.report == "variable_input":
        ok, why = A.accepts_variable_input(layers)
        context |= {"ok": ok, "why": why, "reason": _variable_reason(layers)}

        def verify_variable() -> Check:
            lo = A.minimum_input_size(layers)
            others = [(lo[0] + 3, lo[1] + 5, g.input[2]), (lo[0] + 7, lo[1] + 2, g.input[2])]
            built = (max(lo[0], 8), max(lo[1], 8), g.input[2])
            runs = R.runs_on(layers, built, others)
            return Check("the network built for one input size, run on two other sizes",
                         all(runs) == ok, 0.0 if all(runs) == ok else float("inf"), len(runs))

        return Solution({"accepts_variable_input": ok, "reason": why},
                        "yes" if ok else "no", context, verify_variable)
    if g.report == "corner_reach":
        rf = final.receptive_field
        assert rf is not None, "corner_reach needs a fully convolutional network"
        need = 2 * g.input[0] - 1
        reaches = rf[0] >= need
        context |= {"rf": rf[0], "need": need, "reaches": reaches, "n": g.input[0]}

        def verify_reach() -> Check:
            windows = R.receptive_windows((g.input[0], g.input[1], 1),
                                          [A.Conv(layer.kernel, 1, layer.stride, layer.padding)
                                           if isinstance(layer, A.Conv) else layer
                                           for layer in layers])
            last = windows[-1]
            assert last is not None
            sees = bool(last[0, 0, 0, 1] >= g.input[0] - 1 and last[0, 0, 1, 1] >= g.input[1] - 1)
            return Check("does output pixel (0,0) change when input pixel (n-1,n-1) does "
                         "(brute force)", sees == reaches, 0.0 if sees == reaches else 1.0, 1)

        return Solution({"receptive_field": rf[0], "needed": need, "possible": reaches},
                        rf"{rf[0]} < {need}" if not reaches else rf"{rf[0]} \ge {need}",
                        context, verify_reach)
    if g.report == "receptive_field":
        answer: Any = final.receptive_field_text
        latex = rf"{final.receptive_field_text} \times {final.receptive_field_text}"
        return Solution(answer, latex, context, lambda: _field_check(g, rows))
    if g.report == "parameters":
        answer = {"without_bias": total.params, "with_bias": total.params_with_bias}
        latex = rf"{context['total']['params']} \text{{ / }} {context['total']['params_with_bias']}"
    elif g.report == "same_size":
        same = final.output_shape[:2] == tuple(g.input[:2])
        answer = {"same_size": same, "output": list(final.output_shape)}
        latex = final.shape_text.replace("×", r" \times ")
        context |= {"same": same}
    elif g.report == "output_shape":
        answer = list(final.output_shape)
        latex = final.shape_text.replace("×", r" \times ")
    else:
        answer = [{"label": r.label, "output_shape": list(r.output_shape), "params": r.params,
                   "params_with_bias": r.params_with_bias, "mults": r.mults,
                   "receptive_field": r.receptive_field_text} for r in rows]
        latex = ""

    def verify() -> Check:
        structure = _structure_check(g, rows)
        if g.report != "table" or not structure.passed:
            return structure
        field = _field_check(g, rows)
        return Check(structure.method + "; " + field.method, field.passed,
                     max(structure.max_abs_error, field.max_abs_error),
                     structure.samples + field.samples)

    return Solution(answer, latex, context, verify)


KINDS = {
    "architecture": Kind(
        "architecture", ArchitectureGiven, solve_architecture,
        "A CNN as a list of layers: table of shapes, parameters, multiplications and "
        "receptive fields, or one of them; whether it accepts variable input sizes.",
        {"input": [8, 8, 3], "layers": [{"conv": 2, "filters": 2},
                                        {"conv": 3, "filters": 4, "stride": 2},
                                        {"maxpool": 2, "stride": 1}], "report": "table"}),
}
