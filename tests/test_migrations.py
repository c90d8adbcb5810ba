"""Each service's migrations form one line: two branches merged side by side (two 0002s
with the same parent) would make ``alembic upgrade head`` fail at every start."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from tests.support.stack import SERVICES

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("service", SERVICES)
def test_one_migration_head(service: str) -> None:
    script = ScriptDirectory(str(ROOT / "services" / service / "migrations"))
    assert len(script.get_heads()) == 1, script.get_heads()
