"""The size of a Hessian over P parameters, as checked steps: its P × P shape, its P²
entries, their storage at float32 and float64 (with a reading in decimal units), and its
P(P + 1)/2 distinct entries. Shared by the `architecture` kind (`report: hessian`) and the
`newton.step` kind (the cost of a Newton step).

>>> human_bytes(324_175_364_496)
{'case': 'about_whole', 'whole': '324', 'frac': '', 'prefix': 'G'}
>>> human_bytes(1_234_000)
{'case': 'about_decimal', 'whole': '1', 'frac': '23', 'prefix': 'M'}
>>> human_bytes(36), human_bytes(2_500)["case"]
({'case': 'exact_whole', 'whole': '36', 'frac': '', 'prefix': ''}, 'exact_decimal')
"""

from __future__ import annotations

import sympy as sp

from derive.derivation import Derivation
from derive.derivation.rules import register
from derive.models import architecture as A

# Rules (worded in strings/<language>/architecture.yaml): the formulas of the Hessian's size.
RULE_OF = {"hessian_entries": "arch_hessian_entries", "hessian_bytes": "arch_hessian_bytes",
           "hessian_distinct": "arch_hessian_distinct"}
for _rule in RULE_OF.values():
    register(_rule)

PRECISIONS = ((32, 4), (64, 8))          # bits, bytes of a float32 and a float64
PREFIXES = ("", "k", "M", "G", "T", "P", "E", "Z", "Y")
# The largest P whose P² entries numpy can still count (an int64).
MAX_PARAMETERS = 3 * 10**9


def human_bytes(n: int) -> dict[str, str]:
    """n bytes in decimal units, to three significant digits: the integer and decimal parts,
    the prefix (each language writes its decimal mark and unit, B or o), and whether the
    reading is exact or rounded (`case`)."""
    power = 0
    while n >= 1000 ** (power + 1) and power + 1 < len(PREFIXES):
        power += 1
    value = n / 1000**power
    digits = max(0, 2 - len(str(int(value))) + 1)
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    if text == "1000" and power + 1 < len(PREFIXES):     # 999.6 k rounds up to 1 M
        text, power = "1", power + 1
    whole, _, frac = text.partition(".")
    exact = int(whole + frac) * 1000**power == n * 10 ** len(frac)
    return {"case": f"{'exact' if exact else 'about'}_{'decimal' if frac else 'whole'}",
            "whole": whole, "frac": frac, "prefix": PREFIXES[power]}


def _reading(n: int) -> dict[str, str]:
    """n bytes read in decimal units for a sentence: the relation (= or ≈) and the number;
    the language's strings write the prefix's unit (Go, GB)."""
    read = human_bytes(n)
    number = read["whole"] + ("." + read["frac"] if read["frac"] else "")
    return {"rel": r"\approx" if read["case"].startswith("about") else "=", "number": number,
            "prefix": read["prefix"]}


def hessian_steps(d: Derivation, parameters: int, keys: str = "hessian",
                  biases: bool = True, summary: bool = True) -> None:
    """P × P, P² entries, the bytes at float32 and float64, P(P + 1)/2 distinct entries;
    answers `<keys>_entries`, `<keys>_bytes_32`, `<keys>_bytes_64`, `<keys>_distinct`.
    `biases`: P counts the biases (said so), else P is a given count. `summary`: then one
    sentence that answers "how large is H" (its shape, entries, bytes with their unit)."""
    values = {A.P_ALL: parameters}
    d.say("arch_hessian_size", p=parameters,
          case="one" if parameters == 1 else "biases" if biases else "plain")
    d.chain(sp.Symbol("n_{H}"), A.FORMULAS["hessian_entries"], RULE_OF["hessian_entries"])
    d.put(values).answer(f"{keys}_entries")
    entries = parameters**2
    for bits, size in PRECISIONS:
        d.say("arch_hessian_bytes", bits=bits, b=size, **human_bytes(size * entries))
        d.chain(sp.Symbol(f"S_{{{bits}}}"), A.FORMULAS["hessian_bytes"],
                RULE_OF["hessian_bytes"])
        d.put({**values, A.BYTES: size}).answer(f"{keys}_bytes_{bits}")
    d.say("arch_hessian_distinct", case="one" if parameters == 1 else "many")
    d.chain(sp.Symbol(r"n_{H}^{\mathrm{sym}}"), A.FORMULAS["hessian_distinct"],
            RULE_OF["hessian_distinct"])
    d.put(values).answer(f"{keys}_distinct")
    if summary:
        _summary(d, keys, parameters)


def _summary(d: Derivation, keys: str, parameters: int) -> None:
    """The answer in words, with the numbers of the steps above (a hidden step carries the
    sentence: P² entries once more, checked)."""
    found = {key: int(step.rhs) for key, step in d.answers().items()
             if key.startswith(keys)}
    sizes = {bits: found[f"{keys}_bytes_{bits}"] for bits, _ in PRECISIONS}
    readings = {f"{part}{bits}": value for bits, n in sizes.items()
                for part, value in _reading(n).items()}
    d.say("hessian_summary", p=parameters, entries=found[f"{keys}_entries"],
          b32=sizes[32], b64=sizes[64], **readings,
          case="one" if parameters == 1 else "scaled" if min(sizes.values()) >= 1000
          else "plain")
    d.chain(sp.Symbol("n_{H}"), A.FORMULAS["hessian_entries"], RULE_OF["hessian_entries"])
    d.put({A.P_ALL: parameters})
    for step in d.steps[-3:]:
        step.shown = False
    d.steps[-1].states = True               # the sentence states the size asked: marked
