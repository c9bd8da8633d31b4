"""Command line: `derive build`, `derive schema`, `derive kinds`, `derive layouts`. Imports
SymPy lazily."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="derive", description="Verified, typeset worked solutions from assignment specs.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command")
    b = sub.add_parser("build", help="build solutions PDFs and answers.json from specs")
    b.add_argument("specs", nargs="*", type=Path, default=[Path("specs")],
                   help="spec files or directories of specs (default: specs/)")
    b.add_argument("--out", type=Path, default=Path("out"), help="output directory (default: out/)")
    b.add_argument("--no-pdf", action="store_true",
                   help="write solutions.tex and answers.json only (no TeX needed)")
    b.add_argument("--force", action="store_true",
                   help="replace an output directory that derive did not write")
    sc = sub.add_parser("schema", help="print the JSON Schema of a spec (or of answers.json)")
    sc.add_argument("--answers", action="store_true",
                    help="print the JSON Schema of answers.json instead")
    k = sub.add_parser("kinds", help="list the question kinds, or describe one")
    k.add_argument("name", nargs="?", help="a kind: print its parameters and an example")
    la = sub.add_parser("layouts", help="list derive's layouts, or copy one to start a course's "
                        "own")
    la.add_argument("action", nargs="?", choices=["copy"], help="copy a layout")
    la.add_argument("name", nargs="?", help="the layout to copy (homework, questions)")
    la.add_argument("--to", type=Path, default=Path("specs/templates"),
                    help="the templates folder next to your specs (default: specs/templates)")
    la.add_argument("--as", dest="new_name", help="the copy's layout name (default: the same)")
    return parser


def _build(args: argparse.Namespace) -> int:
    from rich.console import Console

    from derive.build import build, find_specs, load_all
    console = Console(stderr=True, highlight=False)
    paths = find_specs(args.specs)
    missing = [p for p in paths if not p.exists()]
    if missing or not paths:
        where = ", ".join(map(str, missing or args.specs))
        raise _usage(f"no spec found at {where}")
    status = 0
    for loaded in load_all(paths):
        try:
            built = build(loaded, args.out, pdf=not args.no_pdf, force=args.force)
        except Exception as exc:
            from derive.errors import DeriveError, InternalError

            if not isinstance(exc, DeriveError):
                raise
            if isinstance(exc, InternalError) and os.environ.get("DERIVE_TRACEBACK"):
                traceback.print_exception(exc.__cause__ or exc, file=sys.stderr)
            console.print(f"[red]error[/red]: {exc}", markup=True, soft_wrap=True)
            status = max(status, exc.exit_code)
            continue
        for warning in built.warnings:
            console.print(f"[yellow]warning[/yellow]: {loaded.path}: {warning}", soft_wrap=True)
        made = "solutions.pdf, " if built.pdf else ""
        parts = f"{built.parts} part{'' if built.parts == 1 else 's'}"
        console.print(f"[green]built[/green] {built.out}/ ({made}solutions.tex, answers.json): "
                      f"{parts}, all checks passed", soft_wrap=True)
    return status


def _layouts(args: argparse.Namespace) -> str:
    """derive's layouts; or one copied into a templates folder, to be edited."""
    import re

    from derive.latex.environment import TEMPLATES, packaged_layouts

    names = packaged_layouts()
    if args.action is None:
        return ("\n".join(names) + "\n\n`derive layouts copy NAME [--to FOLDER] [--as NEW]` "
                "copies one to start your own (a spec picks it with meta.layout: NEW).")
    if args.name not in names:
        raise _usage(f"no layout {args.name!r} to copy (derive's: {', '.join(names)})")
    new = args.new_name or args.name
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", new):
        raise _usage(f"--as {new!r}: a layout name is lower-case letters, digits, - and _")
    target = args.to / "layouts" / f"{new}.tex.j2"
    if target.exists():
        raise _usage(f"{target} exists; remove it or copy --as another name")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = (TEMPLATES / "layouts" / f"{args.name}.tex.j2").read_text(encoding="utf-8")
    target.write_text(source, encoding="utf-8")
    return (f"copied layout {args.name!r} to {target}: edit it (it extends base.tex.j2, whose "
            f"blocks it overrides), and set `layout: {new}` in a spec's meta. The folder must "
            "be the spec's templates folder: templates/ next to it, or meta.templates.")


def _kinds(name: str | None) -> str:
    """All kinds, one paragraph each; or one kind's parameters and example."""
    import json

    from derive.questions import KINDS

    if name is None:
        return "\n".join(f"{n:34} {k.summary}\n{'':34} given: {', '.join(k.given.model_fields)}"
                         f"\n{'':34} e.g.:  {json.dumps(k.example)}"
                         for n, k in sorted(KINDS.items())) + (
            "\n\n`derive kinds NAME` gives one kind's parameters, defaults and example.")
    kind = KINDS.get(name)
    if kind is None:
        import difflib

        close = difflib.get_close_matches(name, KINDS, n=3)
        close += [k for k in sorted(KINDS) if k.startswith(name) and k not in close]
        hint = f"close matches: {', '.join(close)}" if close else "no close match"
        raise _usage(f"unknown question kind {name!r} ({hint}); `derive kinds` lists them all")
    return _describe(name, kind.summary, kind.given.model_json_schema(), kind.example,
                     kind.given.limits)


def _describe(name: str, summary: str, schema: dict, example: dict,
              limits: dict[str, int] | None = None) -> str:
    """One kind's parameters (name, type, default, description) and its example as YAML."""
    import io

    from ruamel.yaml import YAML

    props, required = schema["properties"], set(schema.get("required", ()))
    width = max(map(len, props), default=0)
    lines = [f"{name}: {summary}", "", "given:"]
    for key, prop in props.items():
        default = "required" if key in required else f"default {_value(prop.get('default'))}"
        if key == "index_base" and key not in required:
            default += ", or meta.index_base when the spec sets it"
        lines.append(f"  {key:{width}}  {_type(prop, schema)} ({default})")
        if prop.get("description"):
            lines.append(f"  {'':{width}}  {prop['description']}")
    if limits:
        lines += ["", "limits (checked before any work):",
                  *(f"  {what}: at most {most:,}" for what, most in limits.items())]
    yaml, text = YAML(), io.StringIO()
    yaml.dump({"kind": name, "given": {k: _flow(v) for k, v in example.items()}}, text)
    return "\n".join([*lines, "", "example (a part's kind and given):",
                      *("  " + line for line in text.getvalue().splitlines())])


def _flow(value: object) -> object:
    """Lists, and the mappings inside them, written on one line: `[5, 5]`, `- {conv: 3}`."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, list):
        seq = CommentedSeq(_flow(v) for v in value)
        if not any(isinstance(v, dict) for v in value):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, dict):
        flow = CommentedMap(value)
        flow.fa.set_flow_style()
        return flow
    return value


def _value(v: object) -> str:
    import json

    return v if isinstance(v, str) else "none" if v is None else json.dumps(v)


def _type(s: dict, root: dict, plural: bool = False) -> str:
    """A JSON Schema in words: "positive integer", "list of 2 positive integers", ..."""
    if "$ref" in s:
        s = root["$defs"][s["$ref"].rsplit("/", 1)[-1]]
    alternatives = [a for a in s.get("anyOf", s.get("oneOf", [])) if a.get("type") != "null"]
    if len(alternatives) > 1:
        first, *rest = (_type(a, root) for a in alternatives)
        return " or ".join([first, *(_article(w) + w for w in rest)])
    if alternatives:
        return _type(alternatives[0], root, plural)
    if "enum" in s or "const" in s:
        values = s.get("enum", [s.get("const")])
        return f"one of {', '.join(map(_value, values))}" if len(values) > 1 else _value(values[0])
    kind = s.get("type")
    if kind == "object":
        return "{" + ", ".join(s.get("properties", {})) + "}"
    if kind == "array":
        lo, hi, items = s.get("minItems"), s.get("maxItems"), s.get("items", {})
        noun = "non-empty list" if lo == 1 and hi is None else "list"
        size = (f"{lo} " if lo == hi and lo else f"{lo} to {hi} " if lo and hi
                else f"at least {lo} " if lo and lo > 1 else "")
        if len(items.get("anyOf", items.get("oneOf", []))) > 1:
            return f"{noun} of {size}items, each {_type(items, root)}"
        return f"{noun}{'s' if plural else ''} of {size}{_type(items, root, plural=True)}"
    if kind == "integer" and (s.get("exclusiveMinimum") == 0 or s.get("minimum") == 1):
        noun = "positive integer"
    elif kind == "integer" and s.get("minimum") == 0:
        noun = "non-negative integer"
    else:
        noun = {"integer": "integer", "number": "number", "boolean": "true or false",
                "string": "text"}.get(kind or "", "value")
    return noun + ("s" if plural and kind in ("integer", "number") else "")


def _article(words: str) -> str:
    if words.startswith(("one of", "{", "true")):
        return ""
    return "an " if words[0] in "aeiou" else "a "


def _usage(message: str) -> Exception:
    from derive.errors import UsageError

    return UsageError(message)


def main(argv: list[str] | None = None) -> int:
    import signal
    import threading

    # A terminated build unwinds like an interrupted one: temporary files are removed.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    args = _parser().parse_args(argv)
    if args.version:
        from derive import __version__

        print(__version__)
        return 0
    from derive.errors import DeriveError

    try:
        if args.command == "build":
            return _build(args)
        if args.command == "schema":
            import json

            if args.answers:
                from derive.answers import answers_schema

                print(json.dumps(answers_schema(), indent=2, ensure_ascii=False))
                return 0
            from derive.spec import json_schema

            print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
            return 0
        if args.command == "kinds":
            print(_kinds(args.name))
            return 0
        if args.command == "layouts":
            print(_layouts(args))
            return 0
        _parser().print_help()
        return 2
    except DeriveError as exc:
        from derive.errors import SpecError

        print(str(exc) if isinstance(exc, SpecError) else f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
