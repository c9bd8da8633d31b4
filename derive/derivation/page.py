"""A derivation laid out for the page: blocks of aligned steps, each step with its rule's
name and each sentence built from computed values, in the page's language (its words, its
decimal mark). Every answer (`Derivation.answer`; only those in `Derivation.marked` when the
kind names them, and a step that `states` what is asked) is marked in the margin: beside the
last line of its step, or, when the step is not displayed, beside the sentence that states it."""

from __future__ import annotations

import re
from typing import Any

import sympy as sp

from derive.derivation.indices import in_base
from derive.derivation.steps import Derivation, Sentence, Step
from derive.latex.environment import _number
from derive.latex.printer import grouped, tex, tex_broken
from derive.latex.typography import localize, mark
from derive.listing import Listing, listing

# The margin marks (macros of base.tex.j2): one in a display's tag, one in running text.
ANSWER_TAG = r"\answermark"
ANSWER_TEXT = r"\answerhere "

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _value(value: Any, d: Derivation, base: int) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return grouped(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, sp.Basic):
        return tex(in_base(value, base))
    return str(value)


def sentence(s: Sentence, words: dict[str, Any], d: Derivation, base: int) -> str:
    """The words of `s` in the page's language, its values filled in."""
    text = words["sentences"][s.key]
    if isinstance(text, dict):       # a case named by the kind, or singular/plural by n
        case = s.values.get("case")
        text = text[case if case is not None else "one" if s.values.get("n") == 1 else "other"]
    values = {k: listing([_value(i, d, base) for i in v.items], words)
              if isinstance(v, Listing) else _value(v, d, base) for k, v in s.values.items()}
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), str(text))


def marks(d: Derivation, step: Step) -> bool:
    """Whether the page marks `step` as an answer: a step that states what is asked, or an
    answer among those the kind marks (`d.marked`; every answer when it names none)."""
    if step.states:
        return True
    return bool(step.answer) and (d.marked is None or bool(set(step.answer) & d.marked))


_RELATIONS = ("=", r"\approx")   # a display that begins with its own relation keeps it


def blocks(d: Derivation, words: dict[str, Any], base: int,
           first_part: bool = True) -> list[dict[str, Any]]:
    """[{sentence, lines: [{lhs, rhs, rule}], key, answer}]: one `align*` per block. Chains of
    context (the layer's definition, say) only in the first part of a question. The rule of an
    answer's last line ends with the margin mark; a block holding an answer that is not
    displayed has its sentence marked (or, without one, its last line). Numbers take the
    language's decimal mark."""
    out: list[dict[str, Any]] = []
    for chain in d.chains():
        if chain[0].context and not first_part:
            continue
        lhs = in_base(chain[0].lhs, base)
        shown = [s for n, s in enumerate(chain)
                 if s.shown and (n > 0 or tex(in_base(s.rhs, base)) != tex(lhs))]
        new_block = True
        printed: list[str] = []                 # the line(s) of the step shown last
        for step in chain:
            if step.note is not None or not out or (new_block and out[-1]["lines"]):
                out.append({"sentence": sentence(step.note, words, d, base)
                            if step.note else "", "lines": [],
                            "key": step.note.key if step.note else "", "answer": False})
                new_block = True
            if step not in shown:
                out[-1]["answer"] |= marks(d, step)         # stated in words, not displayed
                continue
            parts = ([step.display] if step.display is not None
                     else tex_broken(in_base(step.rhs, base)))
            if parts == printed and step.note is None and out[-1]["lines"]:
                # a rule that changes nothing the page shows (terms reordered): checked, and
                # not printed twice; its answer mark goes to the line that shows it
                if marks(d, step) and not out[-1]["lines"][-1]["rule"].endswith(ANSWER_TAG):
                    out[-1]["lines"][-1]["rule"] += ANSWER_TAG
                continue
            printed = parts
            for n, piece in enumerate(parts):
                last = n == len(parts) - 1
                out[-1]["lines"].append({
                    "lhs": tex(lhs) if new_block and n == 0 else "",
                    "rel": "" if n == 0 and piece.lstrip().startswith(_RELATIONS)
                    else "=" if n == 0 else r"\quad",
                    "rhs": piece if n == 0 or not isinstance(step.rhs, sp.Add)
                    else piece if piece.startswith("-") else "+ " + piece,
                    "rule": (words["rules"][step.rule] if last else "")
                    + (ANSWER_TAG if last and marks(d, step) else "")})
            new_block = False
    kept = [b for b in out if b["lines"] or b["sentence"]]
    return [_marked(b, mark(words)) for b in kept]


def _marked(block: dict[str, Any], decimal_mark: str) -> dict[str, Any]:
    """The block with its hidden answer marked and its numbers in the page's language."""
    lines = [dict(line) for line in block["lines"]]
    sentence_text = block["sentence"]
    if block["answer"] and sentence_text:
        sentence_text = ANSWER_TEXT + sentence_text
    elif block["answer"] and not lines[-1]["rule"].endswith(ANSWER_TAG):
        lines[-1]["rule"] += ANSWER_TAG
    for line in lines:
        for key in ("lhs", "rhs", "rule"):
            line[key] = localize(line[key], decimal_mark)
    return {**block, "sentence": localize(sentence_text, decimal_mark), "lines": lines}
