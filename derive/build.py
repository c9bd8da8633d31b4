"""The pipeline: load → solve → verify → render → typeset → write, one spec at a time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from derive import bounded
from derive.answers import answers
from derive.bounded import time_limit
from derive.errors import (
    DeriveError,
    InternalError,
    Problem,
    SpecError,
    TypesetError,
    VerificationError,
)
from derive.latex.notation import indexing
from derive.output import stem_problem, write_atomically
from derive.questions import KINDS
from derive.questions.base import Check, Solution
from derive.render import render
from derive.spec import LoadedSpec, load_spec
from derive.typeset import compile_pdf, overfull_boxes


@dataclass
class Built:
    spec: Path
    out: Path
    parts: int
    pdf: bool
    warnings: list[str]


def build(loaded: LoadedSpec, out_root: Path, *, pdf: bool = True, force: bool = False
          ) -> Built:
    """Build one validated spec into `out_root/<stem>/`; nothing is written on failure."""
    with indexing(loaded.spec.meta.indexing):                 # the assignment's notation
        solutions = solve(loaded)                              # SymPy derivations
        verify(solutions, loaded)                              # independent numeric checks
        source = render(loaded, solutions)                     # Jinja → LaTeX
        files = {"solutions.tex": source.encode(),
                 "answers.json": answers(loaded, solutions, str(loaded.path)).encode()}
    warnings: list[str] = []
    if pdf:
        files["solutions.pdf"], log = compile_pdf(source)      # latexmk, hardened
        warnings = overfull_boxes(log, source)
        off_page = [w for w in warnings if _points(w) >= OFF_PAGE_PT]
        if off_page:                                           # nothing runs off the page
            raise TypesetError(f"{loaded.path}: content wider than the page (rewrite the "
                               "prose, or shorten what is displayed):\n  "
                               + "\n  ".join(off_page))
    write_atomically(out_root / loaded.stem, files, force)    # locked swap, nothing lost
    return Built(loaded.path, out_root / loaded.stem, len(solutions), pdf, warnings)


OFF_PAGE_PT = 1.0       # an overfull line this wide fails the build; finer ones are warnings


def _points(warning: str) -> float:
    match = re.search(r"\(([\d.]+)pt too wide\)", warning)
    return float(match.group(1)) if match else 0.0


def solve(loaded: LoadedSpec) -> dict[str, Solution]:
    solutions = {}
    for full_id, part in loaded.parts():
        try:
            with time_limit(bounded.PART_SECONDS, f"{loaded.path}: part {full_id} ({part.kind}): "
                            "the derivation"):
                solutions[full_id] = KINDS[part.kind].solve(part._given)
        except DeriveError:
            raise
        except ValueError as exc:
            raise DeriveError(f"{loaded.path}: part {full_id} ({part.kind}): {exc}") from None
        except Exception as exc:                    # a bug: say where, keep the traceback
            raise InternalError(
                f"{loaded.path}: part {full_id} ({part.kind}): internal error in derive, "
                f"please report it: {type(exc).__name__}: {exc} (nothing was written; "
                "DERIVE_TRACEBACK=1 shows where)") from exc
    return solutions


def verify(solutions: dict[str, Solution], loaded: LoadedSpec) -> None:
    """Run every part's independent check; fail naming each part that disagrees."""
    failures = []
    kinds = dict((fid, p.kind) for fid, p in loaded.parts())
    for full_id, solution in solutions.items():
        try:
            with time_limit(bounded.PART_SECONDS, f"{loaded.path}: part {full_id} "
                            f"({kinds[full_id]}): the check"):
                check = solution.verify()
        except DeriveError:
            raise
        except Exception as exc:  # a formula that cannot even be evaluated is a failed check
            check = Check("evaluation of the derived formula", False, float("inf"), 0,
                          f"{type(exc).__name__}: {exc}")
        solution.check = check
        if not check.passed:
            detail = f"; {check.detail}" if check.detail else ""
            failures.append(f"{loaded.path}: part {full_id} ({kinds[full_id]}): the derived "
                            f"answer disagrees with {check.method} (max abs error "
                            f"{check.max_abs_error:.3g}{detail})")
    if failures:
        raise VerificationError("\n".join(failures))


def find_specs(inputs: list[Path]) -> list[Path]:
    specs: list[Path] = []
    for path in inputs:
        if path.is_dir():
            specs.extend(sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"}))
        else:
            specs.append(path)
    return specs


def load_all(paths: list[Path]) -> list[LoadedSpec]:
    """Load every spec, collecting the defects of all of them before failing."""
    loaded, problems = [], []
    for path in paths:
        try:
            loaded.append(load_spec(path))
        except SpecError as exc:
            problems.extend(exc.problems)
    stems: dict[str, Path] = {}
    for spec in loaded:
        bad = stem_problem(spec.stem)
        if bad:
            problems.append(Problem(str(spec.path), None, "", bad))
            continue
        if spec.stem in stems:
            problems.append(Problem(str(spec.path), None, "", f"has the same name as "
                                    f"{stems[spec.stem]}: both would be built into "
                                    f"<out>/{spec.stem}/; rename one"))
        stems.setdefault(spec.stem, spec.path)
    if problems:
        raise SpecError(problems)
    return loaded
