"""Reading a spec file with bounded work: a regular UTF-8 file of bounded size, YAML whose
nesting, number of values (aliases included) and integers are bounded; every failure is a
located SpecError, never a traceback or a hang."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from derive.errors import Problem, SpecError

MAX_BYTES = 1 << 20          # a spec is a short text file
MAX_DEPTH = 40               # nesting of mappings and lists
MAX_VALUES = 50_000          # values after aliases are expanded (a "billion laughs" is not)
MAX_DIGITS = 100             # an integer longer than this is no size or count we accept


def read_yaml(path: Path) -> Any:
    """The YAML document of `path`, round-trip (with line numbers), within the bounds."""
    file = str(path)

    def fail(message: str, line: int | None = None) -> SpecError:
        return SpecError([Problem(file, line, "", message)])

    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise fail("not a regular file (a spec is a YAML text file)")
        if info.st_size > MAX_BYTES:
            raise fail(f"is {info.st_size:,} bytes; a spec is at most {MAX_BYTES:,}")
        data = path.read_bytes()[: MAX_BYTES + 1]
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail("is UTF-16 text; save it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise fail(f"is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8",
                   line) from None
    _flow_depth(text, fail)
    yaml = YAML(typ="rt")
    try:
        node = yaml.compose(text)
        if node is not None:
            _bounded(node, file)
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise fail(f"malformed YAML: {exc.problem}", mark.line + 1 if mark else None) from None
    except YAMLError as exc:
        raise fail(f"malformed YAML: {exc}") from None
    except RecursionError:
        raise fail(f"malformed YAML: nested too deeply (at most {MAX_DEPTH} levels)") from None


def _flow_depth(text: str, fail: Any) -> None:
    """Refuse `[[[[…` or `{{{{…` nested beyond MAX_DEPTH before the parser recurses into it
    (quoted text and comments skipped)."""
    depth, quote = 0, ""
    for number, line in enumerate(text.splitlines(), start=1):
        for ch in line:
            if quote:
                quote = "" if ch == quote else quote
            elif ch in "'\"":
                quote = ch
            elif ch == "#":
                break
            elif ch in "[{":
                depth += 1
                if depth > MAX_DEPTH:
                    raise fail(f"nested more than {MAX_DEPTH} levels deep", number)
            elif ch in "]}":
                depth = max(depth - 1, 0)


def _bounded(root: Node, file: str) -> None:
    """Walk the composed document as loading would expand it; stop at the first bound."""
    count = 0
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        line = node.start_mark.line + 1
        count += 1
        if count > MAX_VALUES:
            raise SpecError([Problem(file, line, "", f"expands to more than {MAX_VALUES:,} "
                                     "values (through YAML aliases?); a spec is far smaller")])
        if depth > MAX_DEPTH:
            raise SpecError([Problem(file, line, "", f"nested more than {MAX_DEPTH} levels "
                                     "deep")])
        if isinstance(node, ScalarNode):
            _scalar(node, file, line)
        elif isinstance(node, SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, MappingNode):
            stack.extend((child, depth + 1) for pair in node.value for child in pair)


def _scalar(node: ScalarNode, file: str, line: int) -> None:
    tag = str(getattr(node.tag, "value", node.tag))
    if tag.endswith(":int") and sum(c.isdigit() for c in node.value) > MAX_DIGITS:
        raise SpecError([Problem(file, line, "", f"an integer of {len(node.value)} digits; "
                                 f"numbers in a spec have at most {MAX_DIGITS}")])
    if tag.endswith(":timestamp"):
        import datetime as dt

        try:
            dt.date.fromisoformat(node.value[:10])
        except ValueError as exc:
            raise SpecError([Problem(file, line, "", f"invalid date {node.value!r}: {exc}")]
                            ) from None
