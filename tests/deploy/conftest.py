"""Markers of the deploy tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: brings a whole stack up (minutes); deselect with -m 'not slow'"
    )
