"""Question kinds on whole CNN architectures: shapes, parameters, receptive fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from derive.models import architecture as A
from derive.questions.base import Check, Given, Kind, NonNegInt, PosInt, Solution
from derive.verify import architecture_reference as R

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


class ArchitectureGiven(Given):
    input: Annotated[list[PosInt], Field(min_length=3, max_length=3,
                                         description="Input height, width, channels.")]
    layers: list[LayerSpec] = Field(min_length=1)
    report: Literal["table", "output_shape", "same_size", "parameters", "receptive_field",
                    "variable_input", "corner_reach"] = "table"

    @model_validator(mode="after")
    def _valid(self) -> ArchitectureGiven:
        rows = A.analyse(self.shape, self.network())   # impossible sizes become spec errors
        if self.report == "corner_reach":
            if self.input[0] != self.input[1]:
                raise ValueError("corner_reach compares the corners of a square image: "
                                 f"the input is {self.input[0]}×{self.input[1]}")
            if rows[-1].receptive_field is None:
                raise ValueError("corner_reach needs an image output (no flatten, dense or "
                                 "global pooling layer)")
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

    def data(self) -> list[dict[str, Any]]:
        """The layers as plain data for the numpy reference, read from the spec itself."""
        return [{"type": spec} if isinstance(spec, str) else spec.data() for spec in self.layers]


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


def _row(row: A.Row) -> dict[str, Any]:
    return {"label": row.label, "shape": row.shape_text, "params": _grouped(row.params),
            "params_with_bias": _grouped(row.params_with_bias), "mults": _grouped(row.mults),
            "rf": row.receptive_field_text,
            "jump": "" if row.jump is None else A._fmt_short(row.jump)}


def _grouped(n: int) -> str:
    return f"{n:,}".replace(",", r"\,")


def _structure_check(g: ArchitectureGiven, rows: list[A.Row]) -> Check:
    """Shapes, parameters and multiplications read off a numpy run of the network."""
    measured = R.measure(g.shape, g.data(), seed=0)
    derived = [[*r.output_shape, r.params, r.params_with_bias, r.mults] for r in rows]
    reference = [[*m.output_shape, m.params, m.params_with_bias, m.mults] for m in measured]
    ok = derived == reference
    return Check("shapes, weight-array sizes and multiplications of a numpy run of the network",
                 ok, 0.0 if ok else float("inf"), len(rows))


def _field_check(g: ArchitectureGiven, rows: list[A.Row]) -> Check:
    """Receptive fields by switching on one input pixel at a time (one channel per layer)."""
    spatial = [r.receptive_field for r in rows if r.receptive_field is not None]
    thin = [{**layer, "filters": 1} if layer["type"] == "conv" else layer
            for layer in g.data()[: len(spatial)]]
    # wide enough that a whole field fits inside; grown until every layer accepts it
    side = 2 * max(max(rf) for rf in spatial) + 1
    while True:
        try:
            fields = R.max_receptive_fields((side, side, 1), thin)
            break
        except ValueError:
            side *= 2
    ok = fields == spatial
    return Check("receptive fields by brute force: one input pixel switched on at a time",
                 ok, 0.0 if ok else float("inf"), len(spatial))


def _variable_reason(layers: list[A.Layer], rows: list[A.Row], input_text: str
                     ) -> dict[str, Any]:
    """Which layer decides whether the input size may vary (for the templates' wording)."""
    flatten = None
    for index, layer in enumerate(layers):
        if isinstance(layer, A.GlobalAvgPool):
            dense_after = any(isinstance(later, A.Dense) for later in layers[index:])
            return {"key": "global_pool", "layer": index + 1, "dense_after": dense_after}
        if isinstance(layer, A.Flatten) and flatten is None:
            flatten = index + 1
        if isinstance(layer, A.Dense):
            if flatten is None:
                return {"key": "dense_on_map", "layer": index + 1}
            before = rows[flatten - 2].shape_text if flatten > 1 else input_text
            mlp = not any(isinstance(earlier, A.Conv | A.MaxPool | A.AvgPool)
                          for earlier in layers[:flatten])
            return {"key": "flatten_dense", "layer": flatten, "dense": index + 1,
                    "from": before, "features": rows[flatten - 1].shape_text, "mlp": mlp}
    return {"key": "flatten_only" if flatten else "conv_only", "layer": flatten or 0}


# Input sizes tried by the variable-input check, whatever the network (a fixed list).
TRIAL_SIZES = [(1, 1), (2, 3), (4, 4), (5, 7), (8, 8), (9, 6), (11, 11), (16, 16), (17, 23),
               (32, 32)]


def _variable_check(g: ArchitectureGiven, ok: bool, lowest: tuple[int, int]) -> Check:
    """Run the numpy network on a fixed list of sizes (and two just above the given one).

    'Yes' must run, with the weights built for the given input, on every size on which a
    fresh network runs; 'no' must fail on one. The smallest size claimed on the page is
    tested too: a fresh network runs exactly on the sizes at least that large.
    """
    h, w, c = g.shape
    sizes = [*TRIAL_SIZES, (h + 1, w + 2), (h + 3, w + 1), lowest,
             (lowest[0] - 1, lowest[1]), (lowest[0], lowest[1] - 1)]
    shapes = [(a, b, c) for a, b in sizes if a >= 1 and b >= 1]
    tried = R.try_sizes(g.data(), g.shape, shapes)
    same_weights = all(runs for fits, runs in tried if fits)
    smallest = all(fits == (a >= lowest[0] and b >= lowest[1])
                   for (a, b, _), (fits, _) in zip(shapes, tried, strict=True))
    passed = same_weights == ok and smallest
    return Check("the numpy network run on a fixed list of input sizes, with the weights "
                 "built for the given size", passed, 0.0 if passed else float("inf"),
                 len(shapes))


def _params(layer: A.Layer) -> tuple[A.Pair, A.Pair, A.Pair, A.Pair] | None:
    """Kernel, stride, padding and dilation of a conv or pooling layer, else None."""
    if isinstance(layer, A.Conv):
        return layer.kernel_size, layer.strides, layer.paddings, layer.dilations
    if isinstance(layer, A.MaxPool | A.AvgPool):
        return layer.window_size, layer.strides, layer.paddings, (1, 1)
    return None


def _seen(layers: list[A.Layer], sizes: list[int], axis: int) -> tuple[set[int], int, int]:
    """Input indices (along `axis`) that output index 0 depends on, following each window
    back through the layers (padded positions carry nothing), and the ends lo, hi of the
    span it would cover if there were no border. `sizes[l]` is the input length of layer l.
    """
    seen, lo, hi = {0}, 0, 0
    for layer, n_in in zip(reversed(layers), reversed(sizes), strict=True):
        params = _params(layer)
        if params is None:
            continue
        k, s, p, d = (v[axis] for v in params)
        seen = {o * s - p + d * t for o in seen for t in range(k)} & set(range(n_in))
        lo, hi = lo * s - p, hi * s - p + d * (k - 1)
    return seen, lo, hi


def _corner(g: ArchitectureGiven, layers: list[A.Layer], rows: list[A.Row]) -> dict[str, Any]:
    """Does the corner output (0, 0) depend on the opposite input corner (n − 1, n − 1)?"""
    n = g.input[0]
    sizes = [g.shape, *(r.output_shape for r in rows[:-1])]
    axes = [_seen(layers, [size[axis] for size in sizes], axis) for axis in (0, 1)]
    reaches = all(n - 1 in seen for seen, _, _ in axes)
    rf = rows[-1].receptive_field
    assert rf is not None
    need = 2 * n - 1
    centred = all(lo == -hi for _, lo, hi in axes)
    return {"n": n, "need": need, "rf": rf[0], "rf_text": rows[-1].receptive_field_text,
            "reaches": reaches, "short": centred and max(rf) < need, "centred": centred,
            "rows_seen": _index_set(axes[0][0]), "cols_seen": _index_set(axes[1][0])}


def _index_set(values: set[int]) -> str:
    """{0, 1, …, 4} as LaTeX, all values when there are few."""
    v = sorted(values)
    shown = v if len(v) <= 6 else [*v[:3], r"\dots", v[-1]]
    return r"\{" + ", ".join(map(str, shown)) + r"\}"


def _same_size(g: ArchitectureGiven, rows: list[A.Row]) -> dict[str, Any]:
    """Whether the spatial size is kept, by every layer or overall, and the first change."""
    before: tuple[int, ...] = g.shape
    first = None
    for index, row in enumerate(rows):
        if first is None and (len(row.output_shape) != 3 or row.output_shape[:2] != before[:2]):
            first = {"layer": index + 1, "label": row.label,
                     "from": "×".join(map(str, before)), "to": row.shape_text}
        before = row.output_shape
    same = rows[-1].output_shape[:2] == tuple(g.input[:2]) and len(rows[-1].output_shape) == 3
    return {"same": same, "each": first is None, "first": first}


def solve_architecture(g: ArchitectureGiven) -> Solution:
    layers = g.network()
    rows = A.analyse(g.shape, layers)
    total = A.totals(rows)
    final = rows[-1]
    context: dict[str, Any] = {
        "given": g, "rows": [_row(r) for r in rows], "input": "×".join(map(str, g.input)),
        "total": {"params": _grouped(total.params),
                  "params_with_bias": _grouped(total.params_with_bias),
                  "mults": _grouped(total.mults), "any": total.params_with_bias > 0},
        "dilated": any(isinstance(v, A.Conv) and v.dilations != (1, 1) for v in layers),
        "field": final.receptive_field}
    if g.report == "variable_input":
        ok, why = A.accepts_variable_input(layers)
        lowest = A.minimum_input_size(layers)
        context |= {"ok": ok, "why": why, "lowest": lowest,
                    "reason": _variable_reason(layers, rows, context["input"])}
        return Solution({"accepts_variable_input": ok, "reason": why},
                        "yes" if ok else "no", context,
                        lambda: _variable_check(g, ok, lowest))
    if g.report == "corner_reach":
        corner = _corner(g, layers, rows)
        context |= corner
        reaches, rf0, need = corner["reaches"], corner["rf"], corner["need"]

        def verify_reach() -> Check:
            n = g.input[0]
            sees = R.depends_on(g.shape, g.data(), (n - 1, n - 1), (0, 0))
            return Check("does output pixel (0,0) change when input pixel (n-1,n-1) does "
                         "(brute force)", sees == reaches, 0.0 if sees == reaches else 1.0, 1)

        return Solution({"receptive_field": rf0, "needed": need, "possible": reaches},
                        rf"{rf0} < {need}" if corner["short"] else
                        rf"{rf0} \ge {need}" if reaches and corner["centred"] else
                        r"\text{yes}" if reaches else r"\text{no}", context, verify_reach)
    if g.report == "receptive_field":
        answer: Any = final.receptive_field_text
        latex = (r"\text{all}" if final.receptive_field is None else
                 rf"{final.receptive_field[0]} \times {final.receptive_field[1]}")
        return Solution(answer, latex, context, lambda: _field_check(g, rows))
    if g.report == "parameters":
        answer = {"without_bias": total.params, "with_bias": total.params_with_bias}
        latex = rf"{context['total']['params']} \text{{ / }} {context['total']['params_with_bias']}"
    elif g.report == "same_size":
        context |= _same_size(g, rows)
        answer = {"same_size": context["same"], "output": list(final.output_shape)}
        latex = final.shape_text.replace("×", r" \times ")
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
