"""The async SQLAlchemy engine for ``mysql+asyncmy`` and the unit of work.

Only :func:`unit_of_work` commits; everything else receives the connection it runs in.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from functools import cache
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_never,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from shared.logging import get_logger
from shared.settings import schema_url

T = TypeVar("T")
log = get_logger(__name__)

# MariaDB error codes worth waiting out: lock wait timeout, deadlock, server gone/lost,
# too many connections, read-only/shutdown in progress.
_TRANSIENT_CODES = {1205, 1213, 2002, 2003, 2006, 2013, 1040, 1053, 1927, 2055}


# MariaDB's binary bulk protocol (COM_STMT_BULK_EXECUTE) for multi-row writes: asyncmy's
# executemany then sends the rows bound in binary, in one round trip, instead of escaping
# every value into a text VALUES list in Python (the projection's driver cost fell by two
# thirds, and MariaDB parses no long SQL). asyncmy takes this path only on a connection with
# a prepared-statement cache; the engine's connections have none (every other statement
# stays on the text protocol), so it is switched on around these calls alone. Rows it
# cannot bind in bulk (a column NULL in every row, mixed types) go the text way as before,
# inside the driver. The whole call is one packet: keep it well under max_allowed_packet.
_BULK_STATEMENTS = 8  # statements cached per connection while bulk binding is on


async def execute_rows(conn: AsyncConnection, statement: str, rows: list[tuple[Any, ...]]) -> int:
    """A driver-level ``statement`` (``%s`` placeholders) once per row, in one round trip;
    returns the rows affected."""
    driver: Any = (await conn.get_raw_connection()).driver_connection
    cache_size = getattr(driver, "_stmt_cache_size", None)
    if not isinstance(cache_size, int) or cache_size >= _BULK_STATEMENTS:
        # Another driver, or a cache the engine already gives every connection.
        return (await conn.exec_driver_sql(statement, rows)).rowcount
    driver._stmt_cache_size = _BULK_STATEMENTS
    try:
        return (await conn.exec_driver_sql(statement, rows)).rowcount
    finally:
        driver._stmt_cache_size = cache_size


async def insert_rows(
    conn: AsyncConnection,
    table: str,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    *,
    ignore: bool = False,
) -> int:
    """A multi-row INSERT (``INSERT IGNORE`` with ``ignore``) through :func:`execute_rows`,
    leaving out the columns that are NULL in every row (their default is NULL then): the
    driver binds rows in binary, in bulk, only when no column is NULL throughout, and falls
    back to escaping every value as text otherwise. Returns the rows inserted."""
    if not rows:
        return 0
    size = len(rows)
    keep = [i for i in range(len(columns)) if list(map(itemgetter(i), rows)).count(None) < size]
    if len(keep) < len(columns):
        pick = itemgetter(*keep)
        rows = [pick(r) if len(keep) > 1 else (pick(r),) for r in rows]
        columns = [columns[i] for i in keep]
    statement = _insert_statement(table, tuple(columns), ignore)
    return await execute_rows(conn, statement, rows)


@cache
def _insert_statement(table: str, columns: tuple[str, ...], ignore: bool) -> str:
    return (
        f"INSERT {'IGNORE ' if ignore else ''}INTO {table} ({', '.join(columns)})"
        f" VALUES ({', '.join(['%s'] * len(columns))})"
    )


async def update_rows(
    conn: AsyncConnection,
    table: str,
    key: str,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
) -> int:
    """``UPDATE table SET columns = ... WHERE key = ...`` for many rows in three statements:
    the rows (``(key, *columns)`` each) are bulk-loaded into a temporary table shaped like
    ``table`` (:func:`execute_rows`) and joined in one UPDATE. A unique key violated by the
    new values raises, as a plain UPDATE would (``INSERT ... ON DUPLICATE KEY UPDATE`` would
    instead update whichever row holds the other unique value). Returns rows changed."""
    if not rows:
        return 0
    names = (key, *columns)
    # One scratch table per column list: it is made from the first call's columns.
    scratch = f"_update_{table}_{zlib.crc32(','.join(names).encode()):08x}"
    # CREATE TEMPORARY TABLE commits nothing; the table lives on this connection only (the
    # note MariaDB gives when it exists already is off: sql_notes, make_engine).
    await conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} ENGINE=InnoDB"
        f" AS SELECT {', '.join(names)} FROM {table} LIMIT 0"
    )
    await conn.exec_driver_sql(f"DELETE FROM {scratch}")
    await execute_rows(
        conn,
        f"INSERT INTO {scratch} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})",
        rows,
    )
    assignments = ", ".join(f"t.{c} = s.{c}" for c in columns)
    result = await conn.exec_driver_sql(
        f"UPDATE {table} t JOIN {scratch} s ON t.{key} = s.{key} SET {assignments}"
    )
    await conn.exec_driver_sql(f"DELETE FROM {scratch}")
    return int(result.rowcount)


def contains_pattern(text: str) -> str:
    """``%text%`` for ``LIKE`` (with the default ``\\`` escape), its wildcards taken
    literally: a search for "10%" finds "10%", not everything starting with "10"."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# Connections a pool may open beyond its size for a burst (then closes). Small on purpose:
# every process's pool_size + overflow, times the replicas at the autoscalers' maxima, must fit
# MariaDB's max_connections (docs/scale.md, "Database connections").
DEFAULT_MAX_OVERFLOW = 2


def make_engine(
    mysql_url: str,
    schema: str | None = None,
    pool_size: int = 10,
    max_overflow: int | None = None,
) -> AsyncEngine:
    """An engine bound to one schema (or to the server when ``schema`` is None).

    ``max_overflow``: default ``min(pool_size, DEFAULT_MAX_OVERFLOW)``, never the pool size
    again (that doubled every process's connections at the worst moment, a burst)."""
    if max_overflow is None:
        max_overflow = min(pool_size, DEFAULT_MAX_OVERFLOW)
    url = schema_url(mysql_url, schema or "")
    return create_async_engine(
        url + ("&" if "?" in url else "?") + "charset=utf8mb4",
        # No notes ("table exists" for a CREATE ... IF NOT EXISTS): the driver would log
        # each as a warning. Real warnings (truncation, ...) still come.
        connect_args={"init_command": "SET SESSION sql_notes = 0"},
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=1800,
        pool_pre_ping=True,
        pool_timeout=10,
        # READ COMMITTED: an INSERT ... SELECT reads a snapshot instead of share-locking every
        # row it reads (which deadlocked the audience resolver against the projection), and
        # upserts take no gap locks. Nothing here relies on repeatable reads across statements.
        isolation_level="READ COMMITTED",
        # A failed statement's error (and so the log) names the SQL, never its values:
        # parameters are customers' emails, phones and names.
        hide_parameters=True,
    )


async def ensure_schema(mysql_url: str, schema: str) -> None:
    """Create the service's schema if it is missing (utf8mb4, so any name fits)."""
    engine = make_engine(mysql_url, None, pool_size=1)
    try:
        async with engine.begin() as conn:
            exists = await conn.execute(
                text("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :s"),
                {"s": schema},
            )
            if exists.first() is None:
                await conn.execute(
                    text(
                        f"CREATE DATABASE IF NOT EXISTS `{schema}` "
                        "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                    )
                )
    finally:
        await engine.dispose()


async def drop_schema(mysql_url: str, schema: str) -> None:
    engine = make_engine(mysql_url, None, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS `{schema}`"))
    finally:
        await engine.dispose()


@asynccontextmanager
async def unit_of_work(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One transaction: commits when the block ends, rolls back if it raises."""
    async with engine.begin() as conn:
        yield conn


def is_transient(error: BaseException) -> bool:
    """True for failures that a retry can cure (connection lost, deadlock, lock timeout)."""
    if getattr(error, "retry_later", False):
        return True
    if isinstance(error, (ConnectionError, TimeoutError, OSError)):
        return True
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        orig = getattr(error, "orig", None)
        args = getattr(orig, "args", ())
        if args and isinstance(args[0], int) and args[0] in _TRANSIENT_CODES:
            return True
        return isinstance(error, (exc.OperationalError, exc.InterfaceError))
    return isinstance(error, exc.TimeoutError)


class _StopWhenSet(stop_base):
    """Give up once the process is stopping (tenacity's own takes a threading.Event)."""

    def __init__(self, event: asyncio.Event) -> None:
        self.event = event

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.event.is_set()


async def retry_transient(
    action: Callable[[], Awaitable[T]],
    *,
    what: str,
    attempts: int | None = None,
    first_delay: float = 0.1,
    max_delay: float = 5.0,
    stop: asyncio.Event | None = None,
) -> T:
    """Run ``action``, retrying transient DB errors with jittered exponential back-off.

    ``attempts`` bounds the tries (a consumer then hands the message back to the broker,
    whose delivery limit bounds the rest); None retries until ``stop`` is set (a
    background loop that holds no message). Other errors are raised at once.
    """
    give_up: stop_base = stop_never if attempts is None else stop_after_attempt(attempts)
    if stop is not None:
        give_up = give_up | _StopWhenSet(stop)

    def log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "transient_db_error",
            what=what,
            attempt=state.attempt_number,
            error=repr(error)[:300],
            retry_in=round(wait, 2),
        )

    retrying = AsyncRetrying(
        retry=retry_if_exception(is_transient),
        wait=wait_exponential_jitter(multiplier=first_delay, max=max_delay),
        stop=give_up,
        before_sleep=log_retry,
        reraise=True,
    )

    async def attempt() -> T:  # a coroutine function, so tenacity awaits what it returns
        return await action()

    return await retrying(attempt)
