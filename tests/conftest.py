"""Shared test options. Server fixtures live in ``tests/integration/conftest.py`` only."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--redis-url",
        default=None,
        help="use this Redis instead of starting an embedded one (REDIS_URL works too)",
    )
