"""Command line: `derive build`, `derive schema`, `derive kinds`. Imports SymPy lazily."""

from __future__ import annotations

import argparse
import sys
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
    sub.add_parser("schema", help="print the JSON Schema of a spec")
    sub.add_parser("kinds", help="list the question kinds and their given parameters")
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
            built = build(loaded, args.out, pdf=not args.no_pdf)
        except Exception as exc:
            from derive.errors import DeriveError

            if not isinstance(exc, DeriveError):
                raise
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


def _usage(message: str) -> Exception:
    from derive.errors import UsageError

    return UsageError(message)


def main(argv: list[str] | None = None) -> int:
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

            from derive.spec import json_schema

            print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
            return 0
        if args.command == "kinds":
            import json

            from derive.questions import KINDS

            for name, kind in sorted(KINDS.items()):
                fields = ", ".join(kind.given.model_fields)
                print(f"{name:34} {kind.summary}\n{'':34} given: {fields}\n"
                      f"{'':34} e.g.:  {json.dumps(kind.example)}")
            return 0
        _parser().print_help()
        return 2
    except DeriveError as exc:
        from derive.errors import SpecError

        print(str(exc) if isinstance(exc, SpecError) else f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
