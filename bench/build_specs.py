"""Wall time of building every shipped spec, with and without the PDF, optionally beside
an earlier revision of derive (checked out in a temporary git worktree).

    python bench/build_specs.py [--repeats 3] [--against REV] [--specs-of REV]

`--specs-of REV` builds the specs of that revision in every tree, so that a revision whose
specs have grown is compared like with like.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed_build(tree: Path, pdf: bool, repeats: int, specs: Path | None = None) -> float:
    """Median seconds of `python -m derive build specs` run from `tree` (or of `specs`)."""
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as out:
            cmd = [sys.executable, "-m", "derive", "build", str(specs or "specs"), "--out", out]
            start = time.perf_counter()
            subprocess.run([*cmd, *([] if pdf else ["--no-pdf"])], cwd=tree, check=True,
                           capture_output=True, env={**os.environ, "PYTHONPATH": str(tree)})
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--against", help="an earlier git revision to compare with")
    parser.add_argument("--specs-of", help="build this revision's specs/ in every tree")
    args = parser.parse_args()
    trees = {"this checkout": ROOT}
    with tempfile.TemporaryDirectory() as scratch:
        specs = None
        if args.specs_of:
            specs = Path(scratch) / "specs"
            specs.mkdir()
            listing = subprocess.run(["git", "ls-tree", "--name-only", args.specs_of, "specs/"],
                                     cwd=ROOT, check=True, capture_output=True, text=True)
            for name in listing.stdout.split():
                text = subprocess.run(["git", "show", f"{args.specs_of}:{name}"], cwd=ROOT,
                                      check=True, capture_output=True).stdout
                (specs / Path(name).name).write_bytes(text)
        if args.against:
            old = Path(scratch) / "old"
            subprocess.run(["git", "worktree", "add", "-q", "--detach", str(old), args.against],
                           cwd=ROOT, check=True)
            trees = {args.against: old, **trees}
        try:
            print("| build of specs/ | --no-pdf | with PDF |\n|---|---:|---:|")
            for name, tree in trees.items():
                print(f"| {name} | {timed_build(tree, False, args.repeats, specs):.2f} s "
                      f"| {timed_build(tree, True, args.repeats, specs):.2f} s |", flush=True)
        finally:
            if args.against:
                subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT,
                               check=False)


if __name__ == "__main__":
    main()
