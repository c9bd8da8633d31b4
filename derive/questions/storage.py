"""Storage of the gradient and the Hessian of a network, from the storage of its weights."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import sympy as sp
from pydantic import Field, model_validator

from derive.derivation import Derivation
from derive.latex.decimals import significant
from derive.questions.base import PosInt
from derive.questions.declare import Derived, kind

UNITS = {"B": 1, "kB": 10**3, "MB": 10**6, "GB": 10**9, "KiB": 2**10, "MiB": 2**20,
         "GiB": 2**30}
DTYPES = {2: np.float16, 4: np.float32, 8: np.float64}
P, B, S = sp.symbols("P B S", integer=True, positive=True)
S_GRAD, S_HESS, S_SYM = sp.symbols(r"S_g S_H S_\text{sym}", integer=True, positive=True)
DECIMAL = (("P", 10**15), ("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3))
BINARY = (("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


def reading(nbytes: int, binary: bool = False) -> tuple[str, str, str]:
    """A byte count read with a prefix, for a sentence: the relation (= or ≈), the number to
    three significant digits (all of its integer digits past the largest prefix), and the
    prefix the language's byte symbol follows: (r"\\approx", "200", "T")."""
    for prefix, size in BINARY if binary else DECIMAL:
        if nbytes >= size:
            shown = significant(nbytes / size, 3)
            exact = float(shown) * size == nbytes
            return ("=" if exact else r"\approx"), shown, prefix
    return "=", str(nbytes), ""


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
        binary = self.unit.endswith("iB")
        d = Derivation()                 # numbers only: every step is checked at the givens
        d.say("storage_count", b=b, size=str(self.weights_size), prefix=self.unit[:-1],
              k=round(np.log2(UNITS[self.unit]) if binary else np.log10(UNITS[self.unit])),
              case="bytes" if self.unit == "B" else "binary" if binary else "decimal")
        d.chain(P, S / B, "definition")
        d.put({S: total, B: b}).answer("weights")
        for key, name, lhs, formula in (
                ("gradient_bytes", "gradient", S_GRAD, B * P),
                ("hessian_bytes", "hessian", S_HESS, B * P**2),
                ("hessian_symmetric_bytes", "symmetric", S_SYM, B * P * (P + 1) / 2)):
            d.say(f"storage_{name}")
            d.chain(lhs, formula, "definition")
            d.put({P: count, B: b}).answer(key)
        readings = {name: reading(int(d.answers()[key].rhs), binary) for name, key in (
            ("g", "gradient_bytes"), ("h", "hessian_bytes"), ("s", "hessian_symmetric_bytes"))}
        d.say("storage_result", **{name: value for name, (_, value, _) in readings.items()},
              **{f"{name}r": "" if rel == "=" else rel + " " for name, (rel, _, _) in
                 readings.items()},
              **{f"{name}p": prefix for name, (_, _, prefix) in readings.items()})
        d.chain(sp.Symbol(r"\text{storage}"), sp.Integer(b * count), "read_off")
        d.steps[-1].shown, d.steps[-1].states = False, True
        d.marked = frozenset()
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
