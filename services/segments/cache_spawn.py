"""Starting the profile cache's loading children, and collecting their answers.

Light on purpose (no NumPy, SQLAlchemy or FastAPI): ``python -m services.segments api``
starts the children before it imports the service (~3 s of imports and start-up), so they
read and encode while the API starts; ``ProfileCache.load`` then collects them. A child is
``python -c`` on ``cache_child.main`` (see there), fed one pickled request on stdin.
"""

from __future__ import annotations

import asyncio
import pickle
import subprocess
import sys
from typing import Any
from urllib.parse import unquote, urlsplit

# The load's two parts, built at once on two cores. Balanced by their cost at 1M
# profiles: ids, numbers, dates, city and both name columns in one; the two near-unique
# texts (their vocabularies are sorted, not hashed) in the other.
PARTS = (
    ("total_spend", "visits", "last_visit_at", "first_visit_at", "created_at", "city", "name"),
    ("email", "phone"),
)
ALL_FIELDS = tuple(field for part in PARTS for field in part)

_CHILD = "from services.segments.cache_child import main; main()"
_early: tuple[dict[str, Any], list[subprocess.Popen[bytes]]] | None = None


def connect_args(url: str) -> dict[str, Any]:
    """asyncmy.connect() keywords for a ``mysql+asyncmy://user:pw@host:port/schema`` URL."""
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "password": unquote(parts.password or ""),
        "db": parts.path.lstrip("/") or None,
        "charset": "utf8mb4",
    }


def spawn(connect: dict[str, Any], fields: tuple[str, ...]) -> subprocess.Popen[bytes]:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert child.stdin is not None
    child.stdin.write(pickle.dumps({"connect": connect, "fields": fields}))
    child.stdin.close()  # a few hundred bytes: the pipe takes them without blocking
    return child


def start_early(url: str) -> None:
    """Start the load now; the first ``take_or_spawn`` for the same database collects it."""
    global _early
    connect = connect_args(url)
    _early = (connect, [spawn(connect, fields) for fields in PARTS])


def take_or_spawn(connect: dict[str, Any]) -> list[subprocess.Popen[bytes]]:
    """The children started early for this database, or new ones."""
    global _early
    early, _early = _early, None
    if early is not None and early[0] == connect:
        return early[1]
    for child in early[1] if early else ():
        child.kill()  # started for another database: not ours
    return [spawn(connect, fields) for fields in PARTS]


async def answer(child: subprocess.Popen[bytes]) -> Any:
    """The child's unpickled answer, ``("ok", part)`` or ``("error", text)``."""
    assert child.stdout is not None
    try:
        # Threads, not the event loop: the answer is ~100 MiB. A cancelled wait leaves
        # the thread reading; killing the child below ends it with EOF.
        data = await asyncio.to_thread(child.stdout.read)
        await asyncio.to_thread(child.wait)
    finally:
        if child.poll() is None:  # cancelled (the API stops, or the other part failed)
            child.kill()
            child.wait(timeout=5)
    child.stdout.close()
    if not data:
        raise RuntimeError(f"profile cache load: the child exited with {child.returncode}")
    return await asyncio.to_thread(pickle.loads, data)
