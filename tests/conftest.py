from __future__ import annotations

import pytest

from derive.questions import load_all

load_all()     # kind modules are imported lazily; tests parametrized over REGISTRY or
               # RULES at collection see every kind and rule, as before


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/*.tex from the current output")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
