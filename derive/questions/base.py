"""What every question kind produces, and how kinds are declared."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from derive.derivation import Derivation


class Given(BaseModel):
    """Base of the given parameters of a kind: strict types, unknown keys rejected, and the
    sizes that bound its work within `limits` (checked before any work is done)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    limits: ClassVar[dict[str, int]] = {}     # a measure → the most derive derives and checks

    def measures(self) -> dict[str, int]:
        """This question's sizes, by the names of `limits`."""
        return {}

    @model_validator(mode="after")
    def _within_limits(self) -> Self:
        for name, value in self.measures().items():
            if value > self.limits[name]:
                raise ValueError(f"the {name} would be {value:,}; derive derives and checks at "
                                 f"most {self.limits[name]:,} (`derive kinds` lists the limits)")
        return self


PosInt = Annotated[int, Field(strict=True, gt=0)]
NonNegInt = Annotated[int, Field(strict=True, ge=0)]


def _square(value: Any) -> Any:
    """`3` means `[3, 3]`; a list is left for the list validation."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return [value, value]
    if isinstance(value, list):
        return value
    raise ValueError(f"expected a positive integer or a list of 2 of them, got {value!r}")


# A size along the two spatial axes: `3` or `[3, 3]` (rows, columns), always a 2-list once read.
Size2 = Annotated[list[PosInt], Field(min_length=2, max_length=2), BeforeValidator(
    _square, json_schema_input_type=Annotated[list[PosInt], Field(min_length=2, max_length=2)]
    | PosInt)]
PADDED = {"padded input": 1 << 20}        # values; the counting walk visits each position


def padded_input(rows: int, cols: int, padding: int) -> dict[str, int]:
    return {"padded input": (rows + 2 * padding) * (cols + 2 * padding)}


# Where indices start; a part that omits it takes `meta.index_base` (see derive.spec).
IndexBase = Literal[0, 1]


@dataclass
class Check:
    """The outcome of an independent numeric computation of an answer."""

    method: str
    passed: bool
    max_abs_error: float
    samples: int
    detail: str = ""

    def _repr_latex_(self) -> str:
        verdict = r"\checkmark" if self.passed else r"\times"
        return (rf"${verdict}$ \text{{{self.method}: {self.samples} values, max. abs. error "
                rf"}} {self.max_abs_error:.2g}")


@dataclass
class Solution:
    """A derived answer: what the partial template lays out, and how to check it.

    `answer` is the headline result (a SymPy object or a plain value); `context` holds
    the LaTeX pieces the kind's partial needs; `verify` recomputes the answer by a
    different route and is run by the pipeline's verify stage.
    """

    answer: Any
    answer_latex: str
    context: dict[str, Any]
    verify: Callable[[], Check]
    notes: list[str] = field(default_factory=list)
    check: Check | None = None
    derivation: Derivation | None = None


@dataclass(frozen=True)
class Kind:
    """A question kind: its given parameters, its solver and its partial template."""

    name: str
    given: type[Given]
    solve: Callable[[Any], Solution]
    summary: str
    example: dict[str, Any] = field(default_factory=dict)
    template: str = "parts/derivation.tex.j2"
