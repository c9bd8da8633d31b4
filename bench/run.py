"""Run every benchmark in bench/ (each is a script printing a markdown table)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here.parent))
    for script in sorted(here.glob("*.py")):
        if script.name != "run.py":
            print(f"## {script.stem}\n", flush=True)
            runpy.run_path(str(script), run_name="__main__")
