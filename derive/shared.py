"""Facts shared by several parts, shown once: a display (or table) that an earlier part of the
document already shows is not shown again, and the later part refers to it by the number the
page prints for that part (`\\partref{<part id>}`, a label the layout sets with
`\\partanchor`).

The unit is what `derive.derivation.page.blocks` lays out: a block of aligned lines after a
sentence. A line is known by its content (left side, relation, right side, rule; not the
answer mark), a block's first k lines by the tuple of their keys. Going through the parts in
page order:

- a block whose sentence and lines were all shown before is dropped, and so is the first part
  of a block whose first steps were shown before (the rest is shown from its left side on);
- each dropped display is named by its left side in one sentence per earlier part ("$L$ and
  $\\partial L/\\partial v$: see question 4.1."), placed where the dropped blocks stood, when
  what the part still shows uses that name or a display it announced goes on at once (the
  substitutions into a formula shown before); one shown earlier in the same part, or one
  whose name the part no longer uses, is dropped without a word;
- a dropped line that is one of this part's answers is stated inline, marked as the answer
  ("As in question 4.2, $x = 3$."), or, a matrix or too long to read inline, named and
  marked ("$Hv$: see question 3.3.");
- a table (`c["table"]`) shown before (the same `key`, what the page prints of it; else the
  same contents) is replaced by a reference to it (`c["table_ref"]`);
- a sentence that announced a display left out says where it is ("Each factor, by its
  rule, as in question 4.2."), so that no sentence announces what does not follow;
- a sentence that states notation (key `*_setup`, ending in a full stop) made in an earlier
  part becomes "Notation as in 4(a).".

Nothing here knows a kind: any kind whose blocks repeat those of an earlier part shares them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from derive.derivation.page import ANSWER_TAG, ANSWER_TEXT
from derive.listing import listing

LineKey = tuple[str, str, str, str]
_CONTINUED = r"\quad"            # the relation of a broken expression's later pieces
_LONG_NAME = 80                  # a left side longer than this (a matrix) is not named
_LONG_ANSWER = 160               # an answer longer than this is named, not restated inline


@dataclass
class _Dropped:
    """A display left out of a part: where it was shown, its name (and its left side as
    printed) and the answers it states."""

    ref: str
    name: str
    answers: tuple[str, ...] = ()
    lhs: str = ""


def _uses(text: str, name: str) -> bool:
    """Whether LaTeX `text` writes the symbol `name` (n' in "n' + 1", not in "\\min")."""
    return bool(name) and re.search(
        r"(?<![A-Za-z\\])" + re.escape(name) + r"(?![A-Za-z])", text) is not None


def partref(full_id: str) -> str:
    return rf"\partref{{{full_id}}}"


def _key(line: dict[str, str]) -> LineKey:
    return (line["lhs"], line["rel"], line["rhs"], line["rule"].replace(ANSWER_TAG, ""))


def _group(latex: str, start: int) -> int:
    """The index just past the brace group that opens at `start`."""
    depth = 0
    for i in range(start, len(latex)):
        depth += {"{": 1, "}": -1}.get(latex[i], 0)
        if depth == 0:
            return i + 1
    return len(latex)


def _slashed(latex: str) -> str:
    """A name that is one partial derivative written with a slash (∂L/∂v) rather than a
    fraction, which is tiny in running text; anything else as it is (in a product, a
    slash would be ambiguous)."""
    text = latex.strip()
    if not text.startswith(r"\frac{\partial"):
        return latex
    mid = _group(text, 5)
    if not text.startswith(r"{\partial", mid) or _group(text, mid) != len(text):
        return latex
    return text[6:mid - 1] + "/" + text[mid + 1:-1]


def _inline(latex: str) -> str:
    """A display's LaTeX made fit for running text (matrices small, no display style)."""
    latex = latex.replace(r"\displaystyle ", "").replace(r"\displaystyle", "")
    latex = re.sub(r"\\\\\[[^\]]*\]", r"\\\\", latex)
    latex = re.sub(r"\\begin\{bmatrix\}", r"\\left[\\begin{smallmatrix}", latex)
    latex = re.sub(r"\\end\{bmatrix\}", r"\\end{smallmatrix}\\right]", latex)
    return re.sub(r"\{matrix\}", "{smallmatrix}", latex)


def _boundaries(lines: list[dict[str, str]]) -> list[int]:
    """The k ≥ 1 after which a step ends (never inside a broken expression)."""
    return [k for k in range(1, len(lines) + 1)
            if k == len(lines) or lines[k]["rel"] != _CONTINUED]


class SharedFacts:
    """What the page has shown so far, part after part; `share` rewrites one part's blocks."""

    def __init__(self, words: dict[str, Any]):
        self.words = words
        self.lines: dict[tuple[LineKey, ...], str] = {}    # a block's first lines → part id
        self.sentences: dict[tuple[str, tuple[LineKey, ...]], str] = {}
        self.tables: dict[str, str] = {}
        self.setups: dict[str, str] = {}                  # a notation sentence → its part
        self.order: list[str] = []                        # the parts, in page order
        self.shown = ""                                   # what the current part still shows

    def share(self, full_id: str, context: dict[str, Any]) -> dict[str, Any]:
        """The part's context with the displays shown before replaced by references."""
        if full_id not in self.order:
            self.order.append(full_id)
        out = dict(context)
        self.shown = self._still_shown(context)
        if "blocks" in context:
            out["blocks"] = self._blocks(full_id, context["blocks"])
        table = context.get("table")
        if table:
            key = str(table.get("key", repr(table)))   # what the page prints of it
            if key in self.tables and self.tables[key] != full_id:
                out["table"] = None
                out["table_ref"] = self._say("table", ref=partref(self.tables[key]))
            else:
                self.tables.setdefault(key, full_id)
        return out

    def _still_shown(self, context: dict[str, Any]) -> str:
        """The LaTeX the part shows besides the displays it will drop: the lines after each
        block's first shown-before steps, every sentence, its table."""
        texts = [repr(context.get("table") or "")]
        for block in context.get("blocks", []):
            lines = block["lines"]
            keys = tuple(_key(line) for line in lines)
            k = self._shown_upto(lines)
            if k == len(lines) and (block["sentence"], keys) in self.sentences:
                continue                          # dropped whole, its sentence with it
            texts.append(block["sentence"])
            texts.extend(line["lhs"] + " " + line["rhs"] for line in lines[k:])
        return "\n".join(texts)

    def _blocks(self, full_id: str, blocks: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        pending: list[_Dropped] = []
        blocks = list(blocks)
        for at, block in enumerate(blocks):
            lines = block["lines"]
            keys = tuple(_key(line) for line in lines)
            k = self._shown_upto(lines)
            whole = (k == len(lines) and bool(lines)
                     and (block["sentence"], keys) in self.sentences
                     and not block["sentence"].startswith(ANSWER_TEXT))
            if k:
                pending.append(self._dropped(self.lines[keys[:k]], lines[:k]))
            for n in _boundaries(lines):
                self.lines.setdefault(keys[:n], full_id)
            self.sentences.setdefault((block["sentence"], keys), full_id)
            if whole:
                continue
            rest = [dict(line) for line in lines[k:]]
            if rest and k and not rest[0]["lhs"]:      # the rest of a chain begun above
                rest[0]["lhs"] = lines[0]["lhs"]
            sentence = self._setup(full_id, block)
            following = blocks[at + 1] if at + 1 < len(blocks) else None
            if (k and not rest and following is not None and not following["sentence"]
                    and self._shows(following) and self._inlined(sentence, pending, lines)):
                # a short display left out while the one it opens goes on: stated inline
                out.extend(self._references(full_id, pending[:-1], display_next=False))
                out.append({**block, "sentence": self._continued(full_id, sentence,
                                                                 pending[-1], lines),
                            "lines": []})
                pending = []
                continue
            if (k and rest and self._inlined(sentence, pending, lines[:k])
                    and pending[-1].ref != full_id
                    and not any(r"\begin{" in line["rhs"] for line in lines[:k])):
                # the first steps of a chain shown before, its substitutions shown now
                out.extend(self._references(full_id, pending[:-1], display_next=False))
                sentence = self._continued(full_id, sentence, pending[-1], lines[:k])
                pending = []
            if k and not rest:          # the display it announced is left out
                now = pending.pop()
                out.extend(self._references(full_id, pending))
                if sentence.rstrip().endswith(":"):     # it says where the display is
                    sentence = re.sub(r"\s*:\s*$", "", sentence) + self._refer(
                        "shown", "shown_above", (now.ref,), full_id)
                    pending = [now] if now.answers else []
                else:                                   # refer after it
                    pending = [now]
                out.append({**block, "sentence": sentence, "lines": []})
                continue
            said = self._references(full_id, pending, display_next=not sentence and bool(rest))
            pending = []
            if said and rest and not sentence and not any(r["lines"] for r in said):
                # the references introduce the display
                sentence = " ".join(r["sentence"] for r in said)
                said = []
            out.extend(said)
            if sentence or rest:
                out.append({**block, "sentence": sentence, "lines": rest})
        out.extend(self._references(full_id, pending))
        return out

    def _shown_upto(self, lines: list[dict[str, str]]) -> int:
        """How many of `lines`, from the first, the page has shown already (whole steps)."""
        keys = tuple(_key(line) for line in lines)
        return max((k for k in _boundaries(lines) if keys[:k] in self.lines), default=0)

    def _shows(self, block: dict[str, Any]) -> bool:
        """Whether `block` has lines the page has not shown yet (it will be displayed)."""
        return self._shown_upto(block["lines"]) < len(block["lines"])

    @staticmethod
    def _inlined(sentence: str, pending: list[_Dropped], lines: list[dict[str, str]]) -> bool:
        """Whether the display just left out (`lines`, the last of `pending`) is short enough
        to be stated inside the sentence that announces what follows."""
        return (sentence.rstrip().endswith(":") and bool(pending) and not pending[-1].answers
                and len(lines) <= 2
                and sum(len(line["lhs"]) + len(line["rhs"]) for line in lines) <= _LONG_ANSWER)

    def _continued(self, full_id: str, sentence: str, dropped: _Dropped,
                   lines: list[dict[str, str]]) -> str:
        """The sentence, its colon replaced by the left-out display stated inline with where
        it was shown: "…, $P = S/B$ (see question 1.1), and:"."""
        equation = " ".join(" ".join(filter(None, (
            _inline(line["lhs"]), line["rel"], _inline(line["rhs"])))) for line in lines)
        return re.sub(r"\s*:\s*$", ", ", sentence) + self._refer(
            "continued", "continued_above", (dropped.ref,), full_id, equation=equation)

    def _setup(self, full_id: str, block: dict[str, Any]) -> str:
        """The block's sentence; a statement of notation (a `*_setup` sentence ending in a
        full stop) already made in an earlier part, referred to instead ("Notation as in
        4(a).")."""
        sentence = block["sentence"]
        if not (block.get("key", "").endswith("_setup") and sentence.rstrip().endswith(".")):
            return sentence
        first = self.setups.setdefault(sentence, full_id)
        return sentence if first == full_id else self._say("setup", ref=partref(first))

    def _dropped(self, ref: str, lines: list[dict[str, str]]) -> _Dropped:
        """A dropped display named by its left side; with the answer mark, the answer stated."""
        name = _slashed(_inline(lines[0]["lhs"]))
        answers = []
        for n, line in enumerate(lines):
            if line["rule"].endswith(ANSWER_TAG):
                start = max(i for i in range(n + 1) if lines[i]["rel"] != _CONTINUED)
                shown = lines[start:n + 1]
                rhs = " ".join(_inline(piece["rhs"]) for piece in shown)
                answers.append(" ".join(filter(None, (name, lines[start]["rel"], rhs))))
        return _Dropped(ref, name, tuple(answers), lines[0]["lhs"])

    def _references(self, full_id: str, dropped: list[_Dropped], display_next: bool = False
                    ) -> list[dict[str, Any]]:
        """The displays named, grouped by the parts they were shown in ("$L$ and $P$: see 4.1
        and 4.3."); then each answer among them, stated inline and marked (or, too long to
        read inline, named and marked), on a line of its own. The paragraph ends there unless
        a display follows at once."""
        out: list[dict[str, Any]] = []
        shown_in: dict[str, list[str]] = {}
        unnamed: list[str] = []
        for d in dropped:
            if d.answers or d.ref == full_id:     # shown just above in this part, or
                continue                          # restated below: no word
            if not (display_next or _uses(self.shown, d.lhs)) and len(d.name) <= _LONG_NAME:
                continue                          # a name the part does not use any more
            if len(d.name) > _LONG_NAME:
                unnamed.append(d.ref)
                continue
            where = shown_in.setdefault(d.name, [])
            if d.ref not in where:
                where.append(d.ref)
        groups: dict[tuple[str, ...], list[str]] = {}
        for name, places in shown_in.items():
            groups.setdefault(tuple(places), []).append(f"${name}$")
        for refs, names in groups.items():
            out.append(_reference(self._refer("see", "above", refs, full_id,
                                              items=listing(names, self.words))))
        if unnamed:                             # the displays too long to name, in one go
            refs = tuple(sorted(dict.fromkeys(unnamed), key=self.order.index))
            out.append(_reference(self._refer("steps", "steps_above", refs, full_id)))
        for d, answer in ((item, a) for item in dropped for a in item.answers):
            if len(answer) <= _LONG_ANSWER and r"\begin{" not in answer:   # not a matrix
                text = self._refer("answer", "answer_above", (d.ref,), full_id,
                                   equation=answer)
            else:
                text = self._refer("see", "above", (d.ref,), full_id, items=f"${d.name}$")
            out.append(_reference(r"\par " + ANSWER_TEXT + text))     # its own line, marked
        if out and not display_next and not out[-1]["lines"]:
            out[-1]["sentence"] += r"\par"
        return out

    def _refer(self, key: str, key_here: str, refs: tuple[str, ...], full_id: str,
               **values: str) -> str:
        """The sentence `key` pointing to the parts `refs`, or `key_here` when the display
        was shown earlier in this same part."""
        others = [partref(r) for r in refs if r != full_id]
        if not others:
            return self._say(key_here, **values)
        if len(others) > 1 and f"{key}_many" in self.words["shared"]:
            key = f"{key}_many"                   # "see questions 4.1 and 4.3"
        return self._say(key, ref=listing(others, self.words), **values)

    def _say(self, key: str, **values: str | None) -> str:
        text = str(self.words["shared"][key])
        for name, value in values.items():
            text = text.replace("{" + name + "}", value or "")
        return text


def _reference(sentence: str) -> dict[str, Any]:
    return {"sentence": sentence, "lines": [], "key": "shared_reference", "answer": False}
