"""Storage of the gradient and the Hessian of a network, from the storage of its weights."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import sympy as sp
from pydantic import Field, model_validator

from derive.derivation import Derivation
from derive.questions.base import PosInt
from derive.questions.declare import Derived, kind

UNITS = {"B": 1, "kB": 10**3, "MB": 10**6, "GB": 10**9, "KiB": 2**10, "MiB": 2**20,
         "GiB": 2**30}
DTYPES = {2: np.float16, 4: np.float32, 8: np.float64}
P, B, W = sp.symbols("P b W", integer=True, positive=True)


def reading(nbytes: int) -> str:
    """A decimal-prefix reading of a byte count, in math mode: 400\\,\\mathrm{TB}."""
    for unit, size in (("PB", 10**15), ("TB", 10**12), ("GB", 10**9), ("MB", 10**6),
                       ("kB", 10**3)):
        if nbytes >= size:
            return rf"{nbytes / size:g}\,\mathrm{{{unit}}}"
    return rf"{nbytes}\,\mathrm{{B}}"


@kind("storage.derivatives",
      "Storage of the gradient and the Hessian, given the storage of the weights.",
      {"weights_size": 40, "unit": "MB", "bytes_per_number": 4})
class Storage(Derived):
    weights_size: PosInt = Field(description="Storage of the weights, in `unit`.")
    unit: Literal["B", "kB", "MB", "GB", "KiB", "MiB", "GiB"] = "MB"
    bytes_per_number: Literal[2, 4, 8] = 4
    method: ClassVar[str] = "storage_count"
    tolerance: ClassVar[float] = 1e-12
    # The reference counts the Hessian's upper triangle row by row: about 4 s per 10^9 weights.
    limits: ClassVar[dict[str, int]] = {"number of weights": 10**9}

    def measures(self) -> dict[str, int]:
        return {"number of weights": self.weights_size * UNITS[self.unit]
                // self.bytes_per_number}

    @model_validator(mode="after")
    def _whole(self) -> Storage:
        if self.weights_size * UNITS[self.unit] % self.bytes_per_number:
            raise ValueError(f"{self.weights_size} {self.unit} is not a whole number of "
                             f"{self.bytes_per_number}-byte numbers")
        return self

    def derive(self) -> Derivation:
        total = self.weights_size * UNITS[self.unit]
        count, b = total // self.bytes_per_number, self.bytes_per_number
        d = Derivation()                 # numbers only: every step is checked at the givens
        d.say("storage_count", b=b, size=self.weights_size, unit=self.unit,
              k=round(np.log10(UNITS[self.unit])),
              case="binary" if self.unit.endswith("iB") else "decimal")
        d.chain(P, W / B, "definition")
        d.put({W: total, B: b}).answer("weights")
        words = r"~\text{bytes} \approx "
        for key, name, formula, nbytes in (
                ("gradient_bytes", "gradient", B * P, b * count),
                ("hessian_bytes", "hessian", B * P**2, b * count**2),
                ("hessian_symmetric_bytes", "symmetric", B * P * (P + 1) / 2,
                 b * count * (count + 1) // 2)):
            d.say(f"storage_{name}")
            d.chain(sp.Symbol(rf"\text{{{name}}}"), formula, "definition")
            d.put({P: count, B: b}, words + reading(nbytes)).answer(key)
        return d

    def reference(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Sizes numpy reports for arrays of those shapes (broadcast: nothing allocated); the
        upper triangle counted row by row."""
        total = self.weights_size * UNITS[self.unit]
        dtype = np.dtype(DTYPES[self.bytes_per_number])
        count = total // dtype.itemsize
        zero = np.zeros((), dtype=dtype)
        triangle = sum(int((count - np.arange(start, min(count, start + (1 << 24)))).sum())
                       for start in range(0, count, 1 << 24))
        return {"weights": count, "gradient_bytes": np.broadcast_to(zero, (count,)).nbytes,
                "hessian_bytes": np.broadcast_to(zero, (count, count)).nbytes,
                "hessian_symmetric_bytes": triangle * dtype.itemsize}
