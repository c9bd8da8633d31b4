"""The `architecture` kind: a CNN as a list of layers, on the derivation core.

Every number (a layer's output size, weights, multiplications, receptive field, jump, the
smallest input) is the layer's numbers put in one formula of
`derive.models.architecture.FORMULAS`, a checked step (see `architecture_steps`); the
table is read from those steps. The answers are compared with a numpy run of the network
(`derive.verify.architecture_reference`: arrays measured, receptive fields by switching on
one input position at a time, input sizes tried one by one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

import sympy as sp
from pydantic import Field, model_validator

from derive.derivation import Derivation
from derive.latex.printer import grouped
from derive.models import architecture as A
from derive.questions.architecture_facts import (
    compact,
    in_math,
    index_set,
    square_layer,
    variable_reason,
    windows_back,
)
from derive.questions.architecture_layers import LayerSpec, as_data
from derive.questions.architecture_steps import (
    NetworkDerivation,
    Walker,
    preview,
    read,
    stated,
    total,
)
from derive.questions.base import PosInt
from derive.questions.declare import Derived, kind
from derive.questions.hessian_size import MAX_PARAMETERS, hessian_steps
from derive.verify import architecture_reference as R
from derive.verify import hessian_reference

__all__ = ["Architecture", "ArchitectureGiven", "as_data"]

Report = Literal["table", "output_shape", "same_size", "parameters", "receptive_field",
                 "variable_input", "corner_reach", "hessian"]
# The quantities each report is about: written out layer by layer on its page.
FOCUS: dict[str, set[str]] = {
    "table": set(), "output_shape": {"size", "features"}, "same_size": {"size"},
    "parameters": {"weights", "params"}, "receptive_field": {"field", "jump"},
    "variable_input": {"min_size"}, "corner_reach": {"field", "jump"},
    "hessian": {"weights", "params"},
}
TABLE = ("table", "output_shape", "same_size", "parameters", "receptive_field", "hessian")
# Reports about an image; a flat input (a vector of features) has no rows or columns.
IMAGE_ONLY = ("same_size", "receptive_field", "variable_input", "corner_reach")
HESSIAN_KEYS = ("entries", "bytes_32", "bytes_64", "distinct")
# The numbers of the walk that are answers, compared with the numpy run: those the page
# shows (a table's columns, see `compared`), or the report's own (receptive fields and jumps
# only where the report is about them: finding them by brute force costs most).
SHAPES = {"size", "features", "weights", "params", "mults"}
SIZES = {"size", "features"}
FIELDS = {"field", "jump"}
ANSWERS: dict[str, set[str]] = {"variable_input": set(), "corner_reach": FIELDS}
# The answers each report marks on its page: what it asks. The steps of the other numbers
# are checked all the same; a report whose conclusion states what is asked marks that
# sentence (`_conclude`), and the table report marks its table.
MARKED: dict[str, frozenset[str] | None] = {
    "table": frozenset(), "output_shape": frozenset(), "same_size": frozenset(),
    "parameters": frozenset(), "receptive_field": frozenset({"rows_seen", "cols_seen"}),
    "variable_input": frozenset({"accepts"}), "corner_reach": frozenset({"possible"}),
    # the number of parameters and the size of H: the sentences that state them
    "hessian": frozenset()}
# The table's columns, the quantities of the walk each one shows, and the columns a report
# shows unless the spec names them (`columns`): what the report asks, with the output size.
Column = Literal["output", "params", "params_bias", "mults", "rf", "jump"]
COLUMNS: dict[str, set[str]] = {
    "output": {"size", "features"}, "params": {"weights"}, "params_bias": {"params"},
    "mults": {"mults"}, "rf": {"field"}, "jump": {"jump"}}
ALL_COLUMNS: list[Column] = ["output", "params", "params_bias", "mults", "rf", "jump"]
DEFAULT_COLUMNS: dict[str, list[Column]] = {
    "table": ALL_COLUMNS, "output_shape": ["output"], "same_size": ["output"],
    "parameters": ["output", "params", "params_bias"],
    "hessian": ["output", "params", "params_bias"],
    "receptive_field": ["output", "rf", "jump"]}
# Input sizes the variable-input check tries, whatever the network (a fixed list).
TRIAL_SIZES = [(1, 1), (2, 3), (4, 4), (5, 7), (8, 8), (9, 6), (11, 11), (16, 16), (17, 23),
               (32, 32)]


# The words of the check of a table's numbers, by what it compares (`arch_sizes_weights`).
CHECKED = (("weights", {"weights", "params"}), ("mults", {"mults"}), ("fields", FIELDS))


class _PerReport:
    """The check method: a report's own words (`arch_<report>`), or for a table those of
    the numbers it compares (`arch_sizes_…`); the kind's (class) method is a full table's."""

    def __get__(self, given: Any, cls: type | None = None) -> str:
        if given is None:
            return "arch_sizes_weights_mults_fields"
        if given.report in ("receptive_field", "variable_input", "corner_reach", "hessian"):
            return f"arch_{given.report}"
        compared = given.compared()
        return "_".join(["arch_sizes", *(name for name, whats in CHECKED if compared & whats)])


@kind("architecture", "A CNN as a list of layers: table of shapes, parameters, "
      "multiplications and receptive fields, or one of them; whether it accepts variable "
      "input sizes; whether a corner output sees the opposite corner; the size of the "
      "Hessian over its parameters. A flat input `[n]` takes dense layers.",
      {"input": [8, 8, 3], "layers": [{"conv": 2, "filters": 2},
                                      {"conv": 3, "filters": 4, "stride": 2},
                                      {"maxpool": 2, "stride": 1}], "report": "table"},
      template="parts/architecture.tex.j2")
class Architecture(Derived):
    input: Annotated[list[PosInt], Field(
        min_length=1, max_length=3,
        description="Input height, width, channels; or [n]: a flat input of n features.")]
    layers: list[LayerSpec] = Field(min_length=1)
    report: Report = "table"
    columns: list[Column] | None = Field(
        None, min_length=1, description="The table's columns (output, params, params_bias, "
        "mults, rf, jump); by default those the report asks for, with the output size.")
    compare_input: bool = Field(False, description="output_shape: also say whether the "
                                "output has the input's height and width (yes or no).")
    index_base_default: ClassVar[int] = 0       # no index on the page: formulas kept as built
    method: ClassVar[str] = _PerReport()        # type: ignore[assignment]

    @model_validator(mode="after")
    def _valid(self) -> Architecture:
        if len(self.input) == 2:
            raise ValueError("input is [height, width, channels] for an image or [n] for n "
                             f"features, got {self.input}")
        if self.flat and self.report in IMAGE_ONLY:
            raise ValueError(f"report {self.report!r} is about an image; the input "
                             f"{self.input} is a vector of features")
        rows = A.analyse(self.shape, self.network())   # impossible sizes become spec errors
        count = A.totals(rows).params_with_bias
        if self.report == "hessian" and not 0 < count <= MAX_PARAMETERS:
            raise ValueError(f"report 'hessian' needs between 1 and {MAX_PARAMETERS:,} "
                             f"parameters, the network has {count:,}")
        if self.compare_input and (self.report != "output_shape" or self.flat):
            raise ValueError("compare_input: only with report 'output_shape' on an image input")
        if self.columns is not None and self.report not in TABLE:
            raise ValueError(f"columns: report {self.report!r} has no table")
        if self.flat and set(self.columns or ()) & {"rf", "jump"}:
            raise ValueError("columns rf and jump are about an image; the input "
                             f"{self.input} is a vector of features")
        if self.report == "corner_reach":
            if self.input[0] != self.input[1]:
                raise ValueError("corner_reach compares the corners of a square image: "
                                 f"the input is {self.input[0]}×{self.input[1]}")
            if rows[-1].receptive_field is None:
                raise ValueError("corner_reach needs an image output (no flatten, dense or "
                                 "global pooling layer)")
        return self

    def shown_columns(self) -> list[Column]:
        """The table's columns, in the table's order (none without a table)."""
        if self.report not in TABLE:
            return []
        named = self.columns if self.columns is not None else DEFAULT_COLUMNS[self.report]
        return [c for c in ALL_COLUMNS if c in named
                and not (self.flat and c in ("rf", "jump"))]

    def compared(self) -> set[str]:
        """The quantities whose numbers are answers, compared with numpy: a table's sizes
        and the columns it shows (and what the report states besides), or the report's."""
        if self.report not in TABLE:
            return ANSWERS[self.report]
        out = SIZES | {what for c in self.shown_columns() for what in COLUMNS[c]}
        if self.report in ("parameters", "hessian"):
            out |= {"weights", "params"}
        if self.report == "receptive_field":
            out |= FIELDS
        return out

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.input)

    @property
    def flat(self) -> bool:
        """A vector of features rather than an image."""
        return len(self.input) == 1


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

    # derivation ----------------------------------------------------------------------------
    def derive(self) -> Derivation:
        layers, report = self.network(), self.report
        d = NetworkDerivation()
        general = {what for c in self.shown_columns() for what in COLUMNS[c]}
        walker = Walker(d, FOCUS[report], preview(self.shape, layers), layers,
                        general=general, answer=self.compared(), sample=report == "table")
        rows = A.walk(self.shape, layers, walker)
        d.hidden = walker.hidden
        walker.arrange()
        if report in TABLE:
            self._totals(d, rows)
        getattr(self, f"_{report}")(d, layers, rows)
        d.marked = MARKED[report]
        return d

    def _totals(self, d: NetworkDerivation, rows: list[A.Row]) -> None:
        """Σ of each column of the table (an answer when the column's numbers are): written
        out for the parameters report, the table's Total row otherwise."""
        weighted = [n for n, row in enumerate(rows, 1) if row.params_with_bias]
        shown = self.report in ("parameters", "hessian")
        if shown:
            d.say("arch_result_sum")
        compared = self.compared()
        sums = [total(d, rf"\sum_{{l}} {name}_{{l}}",
                      {sp.Symbol(f"{name}_{{{n}}}"): getattr(rows[n - 1], column)
                       for n in weighted}, key, shown and key != "total_mults",
                      what in compared)
                for name, column, key, what in (("N", "params", "total_weights", "weights"),
                                                ("P", "params_with_bias", "total_params",
                                                 "params"),
                                                ("M", "mults", "total_mults", "mults"))]
        d.sums = dict(zip(("params", "params_bias", "mults"), sums, strict=True))
        if shown:
            self._conclude(d, "arch_result_params", rows, case="some" if weighted else "none",
                           without=sums[0], all=sums[1])

    def _table(self, d: Derivation, layers: list[A.Layer], rows: list[A.Row]) -> None:
        return None

    def _parameters(self, d: Derivation, layers: list[A.Layer], rows: list[A.Row]) -> None:
        return None

    def _hessian(self, d: Derivation, layers: list[A.Layer], rows: list[A.Row]) -> None:
        """The Hessian over all P parameters (biases included), P read off its checked step."""
        hessian_steps(d, int(d.answers()["total_params"].rhs))

    def _output_shape(self, d: Derivation, layers: list[A.Layer], rows: list[A.Row]) -> None:
        final = rows[-1].output_shape
        case = "plain" if len(final) == 3 else "vector"
        if self.compare_input:
            case = ("flat" if len(final) != 3 else "same" if final[:2] == self.shape[:2]
                    else "different")
        self._conclude(d, "arch_result_output", rows, case=case, shape=in_math(final),
                       size=in_math(final[:2]), input=in_math(self.input[:2]))

    def _same_size(self, d: Derivation, layers: list[A.Layer], rows: list[A.Row]) -> None:
        before: tuple[int, ...] = self.shape
        first = None
        for number, row in enumerate(rows, 1):
            if first is None and (len(row.output_shape) != 3
                                  or row.output_shape[:2] != before[:2]):
                first = {"layer": number, "from": in_math(before), "to": in_math(row.output_shape)}
            before = row.output_shape
        final = rows[-1].output_shape
        same = len(final) == 3 and final[:2] == self.shape[:2]
        case = "changed" if not same else "each" if first is None else "overall"
        if case != "overall" and A.dilated(layers):
            case += "_dilated"                  # the rule p = d(k − 1)/2 names the dilation
        self._conclude(d, "arch_result_same", rows, case=case, shape=in_math(final),
                       size=in_math(self.input[:2]), **(first or {}))

    def _receptive_field(self, d: Derivation, layers: list[A.Layer], rows: list[A.Row]
                         ) -> None:
        field = rows[-1].receptive_field
        if field is not None:
            self._conclude(d, "arch_result_field", rows, case="image", r=field[0], c=field[1])
            return
        mixing = next(n for n, layer in enumerate(layers)
                      if isinstance(layer, A.GlobalAvgPool | A.Flatten | A.Dense))
        sizes = [self.shape, *(r.output_shape for r in rows)]     # sizes[l]: input of layer l
        seen = [len(windows_back(layers[:mixing], [size[axis] for size in sizes[:mixing]],
                                 axis, set(range(sizes[mixing][axis])))[0])
                if len(sizes[mixing]) == 3 else self.input[axis] for axis in (0, 1)]
        h, w = self.input[:2]
        stated(d, r"H_\text{seen}", seen[0], "arch_windows_back", "rows_seen",
               "arch_result_field", case="all" if seen == [h, w] else "part", rows=seen[0],
               cols=seen[1], h=h, w=w)
        d.chain(sp.Symbol(r"W_\text{seen}"), sp.Integer(seen[1]), "arch_windows_back")
        d.answer("cols_seen").steps[-1].shown = False

    def _conclude(self, d: Derivation, key: str, rows: list[A.Row], **values: Any) -> None:
        """The report's sentence, on a step that reads the table's last row (not shown): the
        sentence that states what is asked, marked as the answer."""
        d.say(key, **values)
        d.chain(sp.Symbol("n_{out}"), sp.Integer(rows[-1].output_shape[0]), "read_off")
        d.steps[-1].shown = False
        d.steps[-1].states = True

    def _variable_input(self, d: Derivation, layers: list[A.Layer], rows: list[A.Row]
                        ) -> None:
        ok, _why = A.accepts_variable_input(layers)
        stated(d, r"\text{accepts}", int(ok), "arch_weights_fixed", "accepts", "arch_variable",
               **variable_reason(layers, rows, in_math(self.input)))
        if not ok:
            return
        walker = Walker(d, FOCUS["variable_input"], preview(self.shape, layers, True), layers)
        h, w = A.minimum_input_size(layers, walker)
        walker.arrange()
        first = min((q.layer for q in walker.steps), default=None)
        for q, step in walker.steps.items():
            if q.layer == first:
                step.answer += (("min_rows", "min_cols") if q.axis is None else
                                ("min_rows", "min_cols")[q.axis:q.axis + 1])
        if first is None:                 # no convolution or pooling: any size from 1×1
            stated(d, "m_{0}", 1, "arch_min_size", "min_rows", "arch_result_min", h=h, w=w)
            d.answer("min_cols").steps[-1].states = True
            return
        self._conclude(d, "arch_result_min", rows, h=h, w=w)

    def _corner_reach(self, d: Derivation, layers: list[A.Layer], rows: list[A.Row]) -> None:
        n = self.input[0]
        sizes = [self.shape, *(r.output_shape for r in rows[:-1])]
        axes = [windows_back(layers, [size[axis] for size in sizes], axis) for axis in (0, 1)]
        reaches = all(n - 1 in seen for seen, _, _ in axes)
        centred = all(lo == -hi for _, lo, hi in axes)
        field = rows[-1].receptive_field
        assert field is not None
        d.say("arch_corner", case="centred" if centred else "plain", n=n, half=n - 1)
        start = len(d.steps)
        d.chain(sp.Symbol(r"R_\text{min}"), A.FORMULAS["corner_need"], "arch_corner_need")
        d.put({A.N: n}).answer("needed")
        need = int(d.result)
        for step in d.steps[start:]:
            step.shown = centred
        short = centred and max(field) < need
        case = "reach" if reaches else "short" if short else "unseen"
        stated(d, "possible", int(reaches), "arch_windows_back", "possible",
               "arch_result_corner", case=case, need=need,
               rf=str(field[0]) if field[0] == field[1] else in_math(field),
               rows=index_set(axes[0][0]), cols=index_set(axes[1][0]), last=n - 1)

    # answers ---------------------------------------------------------------------------
    def value(self, answers: dict[str, Any]) -> Any:
        report = self.report
        if report == "variable_input":
            ok = bool(answers["accepts"])
            lowest = (int(answers["min_rows"]), int(answers["min_cols"])) if ok else None
            return {"accepts_variable_input": ok,
                    "reason": A.accepts_variable_input(self.network(), lowest)[1]}
        if report == "corner_reach":
            last = max((n for n in range(1, len(self.layers) + 1)
                        if f"field_rows_{n}" in answers), default=0)  # last conv or pooling
            return {"receptive_field": int(answers.get(f"field_rows_{last}", 1)),
                    "needed": int(answers["needed"]), "possible": bool(answers["possible"])}
        rows = A.walk(self.shape, self.network(), read(answers, missing=0))   # unread: 0
        if report == "parameters":
            return {"without_bias": int(answers["total_weights"]),
                    "with_bias": int(answers["total_params"])}
        if report == "hessian":
            count = int(answers["total_params"])
            return {"parameters": count, "hessian_shape": [count, count],
                    **{key: int(answers[f"hessian_{key}"]) for key in HESSIAN_KEYS}}
        if report == "output_shape":
            return list(rows[-1].output_shape)
        if report == "same_size":
            final = rows[-1].output_shape
            return {"same_size": len(final) == 3 and final[:2] == self.shape[:2],
                    "output": list(final)}
        if report == "receptive_field":        # [rows, columns] of input, or all of it
            field = rows[-1].receptive_field
            return "all" if field is None else list(field)
        shown = self.shown_columns()                 # the table's rows, its columns only
        return [{"label": r.label, "output_shape": list(r.output_shape)}
                | ({"params": r.params} if "params" in shown else {})
                | ({"params_with_bias": r.params_with_bias} if "params_bias" in shown else {})
                | ({"mults": r.mults} if "mults" in shown else {})
                | ({"receptive_field": r.receptive_field_text} if "rf" in shown else {})
                | ({"jump": None if r.jump is None else list(r.jump)} if "jump" in shown else {})
                for r in rows]

    def page(self, d: Derivation) -> dict[str, Any]:
        """The table, every number read from the checked steps."""
        if self.report not in TABLE:
            return {"table": None}
        assert isinstance(d, NetworkDerivation)
        rows = A.walk(self.shape, self.network(), d.read())
        table = self._page_table(d, rows)
        cells = {"output": "shape", "params": "params", "params_bias": "params_with_bias",
                 "mults": "mults", "rf": "rf", "jump": "jump"}
        # what the page prints of it: two parts with the same printed table share it
        table["key"] = repr((table["input"], table["flat"], table["columns"],
                             [[row[cells[c]] for c in table["columns"]] for row in table["rows"]],
                             {c: table["total"][c] for c in table["columns"]
                              if table["total_row"] and c in table["total"]}))
        return {"table": table}

    def _page_table(self, d: NetworkDerivation, rows: list[Any]) -> dict[str, Any]:
        return {
            "input": compact(self.input), "input_math": in_math(self.input),
            "dilated": A.dilated(self.network()), "flat": self.flat,
            "columns": self.shown_columns(),
            # the table report's table is its answer; the others' numbers are worked above
            # it, except the layers a table report leaves to it (`hidden`)
            "answer": self.report == "table", "hidden": d.hidden,
            # a report that sums the columns in a display has no Total row besides
            "total_row": self.report not in ("parameters", "hessian"),
            "rows": [{"number": n, "label": r.label, "shape": r.shape_text,
                      "params": grouped(r.params), "params_with_bias": grouped(r.params_with_bias),
                      "mults": grouped(r.mults), "rf": r.receptive_field_text,
                      "jump": "" if r.jump is None else
                      str(r.jump[0]) if r.jump[0] == r.jump[1] else compact(r.jump)}
                     for n, r in enumerate(rows, 1)],
            "total": {key: grouped(value) for key, value in d.sums.items()}}

    # reference ---------------------------------------------------------------------------
    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The network run in numpy: arrays measured, fields found by brute force; only
        what the report's answers need."""
        layers, out, wanted = self.data(), {}, self.compared()
        if wanted & SHAPES:
            measured = R.measure(self.shape, layers, fast=True if len(layers) > 10 else None)
            for n, m in enumerate(measured, 1):
                if len(m.output_shape) == 3:
                    out[f"rows_{n}"], out[f"cols_{n}"] = m.output_shape[:2]
                out |= {f"features_{n}": m.inputs, f"weights_{n}": m.params,
                        f"params_{n}": m.params_with_bias, f"mults_{n}": m.mults}
            out |= {"total_weights": sum(m.params for m in measured),
                    "total_params": sum(m.params_with_bias for m in measured),
                    "total_mults": sum(m.mults for m in measured)}
        if wanted & FIELDS and not self.flat:
            found = R.fields_and_jumps(layers, 0)
            # a network whose every window is square acts alike on both axes
            square = all(square_layer(layer) for layer in layers)
            for name, along in (("rows", found), ("cols", found if square else
                                                  R.fields_and_jumps(layers, 1))):
                for n, pair in enumerate(along, 1):
                    if pair is not None:
                        out[f"field_{name}_{n}"], out[f"jump_{name}_{n}"] = pair
        if self.report == "hessian":
            counted = hessian_reference.counts(out["total_params"])
            out |= {f"hessian_{key}": counted[key] for key in HESSIAN_KEYS}
        if self.report == "receptive_field":
            out |= {f"{name}_seen": R.positions_seen(layers, axis, self.input[axis])
                    for axis, name in ((0, "rows"), (1, "cols"))}
        if self.report == "variable_input":
            out |= self._variable_reference(layers)
        if self.report == "corner_reach":
            n = self.input[0]
            out["needed"] = len(range(1 - n, n))      # offsets −(n − 1) … n − 1
            out["possible"] = int(R.depends_on(self.shape, layers, (n - 1, n - 1), (0, 0)))
        return out

    def _variable_reference(self, layers: list[dict[str, Any]]) -> dict[str, Any]:
        """The network built for the given size, run with the same weights on every size of
        a fixed list that a fresh network accepts; the smallest sizes tried one by one."""
        h, w, c = self.shape
        shapes = [(a, b, c) for a, b in [*TRIAL_SIZES, (h + 1, w + 2), (h + 3, w + 1)]]
        tried = R.try_sizes(layers, self.shape, shapes)
        return {"accepts": int(all(runs for fits, runs in tried if fits)),
                "min_rows": R.smallest_length(layers, 0, h),
                "min_cols": R.smallest_length(layers, 1, w)}


ArchitectureGiven = Architecture
