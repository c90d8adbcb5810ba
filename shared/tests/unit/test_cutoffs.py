"""Session cut-offs are read from memory: with the database away, requests go on under
the last cut-offs read (and the store asks again only after its TTL), never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import MetaData

from shared.auth.cutoffs import CutoffStore
from shared.auth.principal import AuthError, Principal
from shared.tables import session_cutoffs_table


class AwayEngine:
    """An engine whose database is down: every connect fails, each one counted."""

    def __init__(self) -> None:
        self.attempts = 0

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[Any]:
        self.attempts += 1
        raise ConnectionRefusedError("database down")
        yield  # pragma: no cover


def person(issued_at: float) -> Principal:
    return Principal(sub="dev:a@b.in", kind="user", role="viewer", issued_at=issued_at)


async def test_the_database_away_keeps_the_last_cutoffs_and_asks_once_per_ttl() -> None:
    engine = AwayEngine()
    store = CutoffStore(engine, session_cutoffs_table(MetaData()), ttl_s=60, horizon_s=930)  # type: ignore[arg-type]
    await store.check(person(1000.0))  # nothing read yet: the request goes on
    await store.check(person(1000.0))
    assert engine.attempts == 1  # not once per request

    store._cutoffs = {"dev:a@b.in": 2000.0}  # what an earlier read found
    store._read_at = -float("inf")  # due again
    with pytest.raises(AuthError) as ended:
        await store.check(person(1999.5))  # the read fails: the last cut-offs still hold
    assert ended.value.code == "session_ended"
    await store.check(person(2000.5))  # issued after the cut-off
    assert engine.attempts == 2
