"""Kind modules are imported when a kind is first asked for: each one alone, first, in a
fresh interpreter, registers its kinds with no import cycle and without the others."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from derive.questions import KINDS, declared
from derive.questions.declare import REGISTRY

ROOT = Path(__file__).resolve().parent.parent

# Forked once per kind after importing the package only: each child asks for one kind first.
EACH_FIRST = """
import os, sys, traceback
from derive.questions import declared
failed = []
for name, module in sorted(declared().items()):
    pid = os.fork()
    if pid == 0:
        try:
            from derive.questions import KINDS
            from derive.questions.declare import REGISTRY
            assert KINDS[name].given.__module__ == module, (name, module)
            loaded = {m for m in sys.modules if m.startswith("derive.questions.")}
            assert len(loaded) < len(declared()), f"{name}: every kind module was imported"
            assert set(declared()[k] for k in REGISTRY) <= loaded
            os._exit(0)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    if status:
        failed.append(name)
print("failed:", failed)
sys.exit(1 if failed else 0)
"""


def test_every_kind_is_declared_where_the_index_says() -> None:
    """The index read from the sources names every registered kind and its module."""
    assert set(declared()) == set(REGISTRY) == set(KINDS)
    assert len(KINDS) == len(REGISTRY)
    for name, kind in KINDS.items():
        assert kind.given.__module__ == declared()[name]
    assert list(KINDS) == sorted(REGISTRY)
    assert "no.such.kind" not in KINDS and KINDS.get("no.such.kind") is None


def test_each_kind_module_imports_first_and_alone() -> None:
    done = subprocess.run([sys.executable, "-c", EACH_FIRST], cwd=ROOT, capture_output=True,
                          text=True, check=False, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]


def test_a_build_imports_only_the_kinds_it_uses() -> None:
    """Validating a spec part imports its kind's module, and not, say, the graph kernels."""
    script = ("import sys\nfrom derive.questions import KINDS\nKINDS['logistic.grad']\n"
              "assert 'derive.questions.logistic' in sys.modules\n"
              "assert 'derive.questions.kernel_graph' not in sys.modules\n"
              "assert 'networkx' not in sys.modules\n"
              "assert len(KINDS) == len(sys.modules['derive.questions.declare'].REGISTRY)\n"
              "assert 'derive.questions.kernel_graph' in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("spec", sorted(p.name for p in (ROOT / "specs").glob("*.yaml")))
def test_each_shipped_spec_builds_alone_in_a_fresh_interpreter(spec: str, tmp_path: Path
                                                               ) -> None:
    """With kinds imported lazily, a spec's kinds must find every rule they use, even one
    registered by a family no other part of the spec loads (a rule of the calculus family
    used by newton.step broke the IFT 6135 spec built on its own)."""
    done = subprocess.run([sys.executable, "-m", "derive", "build", f"specs/{spec}",
                           "--no-pdf", "--out", str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
