"""Issue 25: a database error logged its SQL parameters (customers' emails and phones).
Every engine Beacon makes hides them: the error names the statement, never the values."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.db import make_engine
from tests.backends import Backends

pytestmark = pytest.mark.integration
EMAIL = "private.person@example.com"
PHONE = "+919876543210"


async def test_a_failed_statement_does_not_carry_its_parameters(backends: Backends) -> None:
    engine = make_engine(backends.mysql_url, None, pool_size=1)
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as failed:
                await conn.execute(
                    text(
                        "SELECT * FROM beacon_no_such_schema.customers WHERE email = :e OR phone = :p"
                    ),
                    {"e": EMAIL, "p": PHONE},
                )
    finally:
        await engine.dispose()
    message = str(failed.value)
    assert "beacon_no_such_schema" in message  # the statement is still named
    assert EMAIL not in message and PHONE not in message
    assert "hidden due to hide_parameters" in message
