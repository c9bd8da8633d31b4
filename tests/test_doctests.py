"""The examples in the docstrings of derive's modules run and print what they say."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import derive

MODULES = sorted(m.name for m in pkgutil.walk_packages(derive.__path__, "derive.")
                 if m.name != "derive.__main__")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples fail in {name}"
