"""The spec format (pydantic models) and YAML loading that keeps line numbers for errors."""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    Tag,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from derive.errors import Problem, SpecError, did_you_mean
from derive.prose import check_prose
from derive.specfile import read_yaml

Prose = Annotated[str, Field(min_length=1), AfterValidator(check_prose)]


def _when(value: Any) -> dt.date:
    """A date, or a date and time: YAML's own timestamps, or text such as '2022-10-17 23:00'."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.strip())
            return when if ":" in value else when.date()
        except ValueError:
            pass
    raise ValueError(f"expected a date such as 2022-10-17, or a date and time such as "
                     f"2022-10-17 23:00, got {value!r}")


When = Annotated[dt.date, PlainValidator(_when),
                 WithJsonSchema({"type": "string", "format": "date-time"})]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _inside(path: str) -> str:
    """A relative path that stays in the spec's folder: no root, no drive, no '..'."""
    parts = re.split(r"[/\\]", path)
    if not path.strip() or path.startswith(("/", "\\", "~")) or ":" in path or ".." in parts:
        raise ValueError(f"expected a folder inside the spec's folder, written relative to "
                         f"it (like 'templates'), got {path!r}")
    return path


class Meta(_Strict):
    course: Prose
    title: Prose
    term: Prose | None = None
    authors: list[Prose] = []
    authors_label: Prose | None = Field(
        None, description="The word the assignment puts before its authors' names in the "
        "header ('Prof', 'Instructors'); without it, the names alone.")
    due: When | None = Field(
        None, description="Due date, and time when the assignment gives one: 2022-10-17 or "
        "2022-10-17 23:00.")
    language: Literal["en", "fr"] = "en"
    layout: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$")] = Field(
        "homework", description="homework: problems, then questions '3.' and parts '(a)', each "
        "with its solution; questions: 'Question 4 (3-5-5-7). (Title)', its sub-questions "
        "'1.', '2.', then 'Answer 4.' with their solutions; or the name of a layout of the "
        "spec's own templates (layouts/<name>.tex.j2; `derive layouts copy` starts one).")
    _layout_line: int | None = PrivateAttr(None)     # where meta.layout is, for errors
    templates: Annotated[str, AfterValidator(_inside)] | None = Field(
        None, description="A folder of templates searched before derive's own (layouts/"
        "<name>.tex.j2, strings/<language>.yaml), relative to the spec's folder and inside "
        "it; without it, templates/ next to the spec when there is one.")
    numbering: Literal["question", "problem.question"] = Field(
        "question", description="Question headings '3.' or, with the problem number, '1.3'.")
    instructions: Prose | None = None
    source: Prose | None = Field(None, description="Where the questions come from.")
    checks: Literal["appendix", "inline", "off"] = Field(
        "appendix", description="Where each part's independent check is reported: one table "
        "at the end (default), a line under each answer, or not at all.")
    indexing: Literal["subscript", "brackets"] = Field(
        "subscript", description="How indexed quantities are written on the page and in "
        "answers.json's LaTeX: w_{k_1,k_2} (subscript) or W[k_1, k_2] (brackets), as the "
        "assignment writes them.")
    index_base: Literal[0, 1] | None = Field(
        None, description="Where indices start in every part whose kind has an index_base; "
        "a part's own given.index_base overrides it.")


class Blank(_Strict):
    """One of the assignment's blanks ("Number of parameters without bias: ___"), filled on
    the page with a value of the part's answer."""

    label: Prose = Field(description="The blank's words, as the assignment writes them.")
    value: str = Field("", description="Where the value is in the part's answer (its `value` "
                       "in answers.json): a key, a dotted path such as 'hessian_shape.0', or "
                       "'' for the whole answer.")
    _where: tuple[int | None, str] = PrivateAttr((None, ""))     # line and key path, for errors


class Part(_Strict):
    id: Annotated[str, Field(pattern=r"^[0-9]+[a-z]?$")] = Field(
        description="Question number and optional part letter, e.g. '3b'.")
    points: float | None = None
    stem: Prose | None = Field(None, description="Statement shared by the question's parts.")
    prompt: Prose
    kind: str = Field(description="Question kind; `derive kinds` lists them.")
    given: dict[str, Any] = {}
    assumptions: list[Prose] = Field(
        [], description="Where the assignment is ambiguous or wrong: the reading taken.")
    blanks: list[Blank] = Field([], description="The assignment's blanks for this part, "
                                "filled with its answer after the solution.")
    _given: Any = PrivateAttr(None)

    @property
    def question(self) -> str:
        return self.id.rstrip("abcdefghijklmnopqrstuvwxyz")

    @property
    def letter(self) -> str:
        return self.id[len(self.question):]


class Section(_Strict):
    id: Annotated[int, Field(strict=True, ge=1)]
    title: Prose
    points: float | None = None
    intro: Prose | None = None
    parts: list[Part] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Section:
        seen = [p.id for p in self.parts]
        dupes = sorted({i for i in seen if seen.count(i) > 1})
        if dupes:
            raise ValueError(f"part ids must be unique within a problem, repeated: {dupes}")
        return self


class Spec(_Strict):
    meta: Meta
    problems: list[Section] = Field(min_length=1)


@dataclass
class LoadedSpec:
    path: Path
    spec: Spec

    @property
    def stem(self) -> str:
        return self.path.stem

    def parts(self) -> list[tuple[str, Part]]:
        return [(f"{s.id}.{p.id}", p) for s in self.spec.problems for p in s.parts]


def _plain(node: Any) -> Any:
    """ruamel's round-trip containers and scalars as plain Python values."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    for kind in (int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node


def _line(root: Any, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest element of `loc` that the YAML document has."""
    node, line = root, None
    for key in loc:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, dict) and key in node:
                line = lc.key(key)[0] + 1 if lc else line
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and key < len(node):
                line = lc.item(key)[0] + 1 if lc else line
                node = node[key]
            else:
                break
        except (KeyError, TypeError, AttributeError):
            break
    if line is None and getattr(root, "lc", None) is not None:
        line = root.lc.line + 1
    return line


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for key in loc:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def _unwrap(tp: Any) -> tuple[Any, set[str]]:
    """`tp` without its Annotated layers, and the union Tags they carry."""
    tags: set[str] = set()
    while typing.get_origin(tp) is Annotated:
        tags |= {m.tag for m in tp.__metadata__ if isinstance(m, Tag)}
        tp = tp.__origin__
    return tp, tags


def _owner(tp: Any, loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model holding the key `loc[-1]`, found by walking the annotation `tp` along `loc`.

    pydantic's `loc` may name a union member (its Tag or class name) between two keys.
    """
    tp, _ = _unwrap(tp)
    if not loc:
        return None
    key, origin, args = loc[0], typing.get_origin(tp), typing.get_args(tp)
    if origin in (Union, types.UnionType):
        def named(m: Any) -> bool:
            inner, tags = _unwrap(m)
            return key in tags or key == getattr(inner, "__name__", None)
        walks = [_owner(m, loc[1:]) for m in args if named(m)] + [_owner(m, loc) for m in args]
        return next((found for found in walks if found), None)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(key)
        return tp if len(loc) == 1 else field and _owner(field.annotation, loc[1:])
    if origin in (list, tuple) and args and isinstance(key, int):
        return _owner(args[0], loc[1:])
    if origin is dict and len(args) == 2:
        return _owner(args[1], loc[1:])
    return None


def _unknown_key(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    owner = _owner(model, loc)
    if owner is None:
        return "unknown key"
    accepted = [f.alias or name for name, f in owner.model_fields.items()]
    return (f"unknown key{did_you_mean(str(loc[-1]), accepted)} "
            f"(accepted: {', '.join(accepted)})")


def _message(err: Any, model: type[BaseModel]) -> str:
    kind, got = err["type"], err.get("input")
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return _unknown_key(model, err["loc"])
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    elif msg.startswith("Input should be "):
        msg = "expected " + msg[len("Input should be "):]
    if kind.endswith("_type") or kind in {"greater_than", "greater_than_equal", "less_than",
                                         "literal_error", "string_pattern_mismatch",
                                         "too_short", "too_long", "enum"}:
        msg += f", got {got!r}"
    return msg


# Names pydantic gives to the alternatives of a union ("constrained-int", "list[int]", ...):
# not keys of the spec, so they are left out of the key path.
_UNION_MEMBER = re.compile(r"^(constrained-|function-|list\[|dict\[|literal\[|tuple\[)|"
                           r"^(int|float|str|bool)$")


def _problems(file: str, root: Any, error: ValidationError, model: type[BaseModel],
              prefix: tuple[Any, ...] = ()):
    seen = set()
    for err in error.errors():
        loc = prefix + tuple(k for k in err["loc"]
                             if not (isinstance(k, str) and _UNION_MEMBER.match(k)))
        if loc in seen:        # one message per key: the first alternative of a union
            continue
        seen.add(loc)
        yield Problem(file, _line(root, loc), _path(loc), _message(err, model))


def _with_defaults(given: dict[str, Any], model: type[BaseModel], index_base: Any
                   ) -> dict[str, Any]:
    """The part's given, with the spec-wide defaults of `meta` for the keys it leaves out."""
    if index_base in (0, 1) and "index_base" in model.model_fields:
        return {"index_base": index_base, **given}
    return given


def _raw_parts(data: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every part of the document that is a mapping, with its location, however malformed
    the rest of the document is."""
    sections = data.get("problems")
    for si, section in enumerate(sections if isinstance(sections, list) else []):
        parts = section.get("parts") if isinstance(section, dict) else None
        for pi, part in enumerate(parts if isinstance(parts, list) else []):
            if isinstance(part, dict):
                yield ("problems", si, "parts", pi), part


def _repeated_problem_ids(file: str, root: Any, data: dict[str, Any]) -> Iterator[Problem]:
    """Answers are matched to parts by problem and part id: a repeated problem id is refused
    where it repeats."""
    sections = data.get("problems")
    seen: dict[Any, int] = {}
    for si, section in enumerate(sections if isinstance(sections, list) else []):
        pid = section.get("id") if isinstance(section, dict) else None
        if pid is None or isinstance(pid, (dict, list)):
            continue
        if pid in seen:
            loc = ("problems", si, "id")
            yield Problem(file, _line(root, loc), _path(loc), f"problem id {pid} is already "
                          f"used by problems[{seen[pid]}]; ids must be unique")
        seen.setdefault(pid, si)


def load_spec(path: Path) -> LoadedSpec:
    """Read, validate and bind a spec; raise SpecError listing every defect found, of the
    document's structure and of every part's given parameters at once."""
    from derive.questions import KINDS

    file = str(path)
    root = read_yaml(path)
    if not isinstance(root, dict):
        raise SpecError([Problem(file, 1, "", "expected a mapping with keys 'meta' and "
                                 f"'problems', got {type(root).__name__}")])
    data = _plain(root)
    problems: list[Problem] = []
    spec = None
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        problems.extend(_problems(file, root, exc, Spec))
    problems.extend(_repeated_problem_ids(file, root, data))
    meta = data.get("meta")
    index_base = meta.get("index_base") if isinstance(meta, dict) else None
    givens: dict[tuple[Any, ...], Any] = {}
    for loc, part in _raw_parts(data):
        name, given = part.get("kind"), part.get("given", {})
        if not isinstance(name, str) or not isinstance(given, dict):
            continue                       # reported by the structural validation above
        kind = KINDS.get(name)
        if kind is None:
            known = ", ".join(sorted(KINDS))
            problems.append(Problem(file, _line(root, (*loc, "kind")), _path((*loc, "kind")),
                                    f"unknown question kind {name!r}"
                                    f"{did_you_mean(name, KINDS)} (expected one of: {known})"))
            continue
        try:
            givens[loc] = kind.given.model_validate(_with_defaults(given, kind.given,
                                                                   index_base))
        except ValidationError as exc:
            problems.extend(_problems(file, root, exc, kind.given, (*loc, "given")))
    if problems or spec is None:
        raise SpecError(list(dict.fromkeys(problems)))
    spec.meta._layout_line = _line(root, ("meta", "layout"))
    for si, section in enumerate(spec.problems):
        for pi, bound in enumerate(section.parts):
            bound._given = givens[("problems", si, "parts", pi)]
            for bi, blank in enumerate(bound.blanks):
                loc = ("problems", si, "parts", pi, "blanks", bi, "value")
                blank._where = (_line(root, loc), _path(loc))
    return LoadedSpec(path, spec)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a spec, with the given parameters of every kind."""
    from derive.questions import KINDS

    schema = Spec.model_json_schema()
    schema["$defs"]["Part"]["properties"]["kind"]["enum"] = sorted(KINDS)
    schema["x-derive-kinds"] = {
        name: {"summary": k.summary, "given": k.given.model_json_schema()}
        for name, k in sorted(KINDS.items())
    }
    return schema
