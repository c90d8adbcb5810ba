"""One part of the profile cache's load, in a process of its own.

``main()``, run by ``cache_spawn.py`` as ``python -c``, reads a pickled request on stdin,
reads those fields of every known profile from MariaDB, encodes them as
``ProfileColumns`` and writes one pickled ``("ok", LoadedPart)`` (or ``("error", text)``)
on stdout. A process of its own, not ``multiprocessing``: a spawned multiprocessing child
re-imports the service's ``__main__`` (FastAPI, FastStream, SQLAlchemy: ~2.5 s before it
reads a row); this one imports only the driver, NumPy and the columnar domain (~0.4 s).
The cache runs two of these at once over different fields (``cache_spawn.PARTS``).
"""

from __future__ import annotations

import asyncio
import hashlib
import pickle
import resource
import sys
from dataclasses import dataclass
from typing import Any

import asyncmy  # type: ignore[import-untyped]
import numpy as np

from services.segments.domain.columns import ProfileColumns
from services.segments.store import cache_load


@dataclass(frozen=True, slots=True)
class LoadRequest:
    connect: dict[str, Any]  # asyncmy.connect() keywords
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LoadedPart:
    columns: ProfileColumns  # holds `fields`; the others are empty
    fields: tuple[str, ...]
    revisions: np.ndarray[Any, np.dtype[np.int64]]  # of each row, as read
    ids_digest: bytes  # the parts of one load must have read the same customers
    cpu_s: float  # this process's CPU seconds, a figure load inflates less than wall time


async def _read(request: LoadRequest) -> dict[str, Any]:
    conn = await asyncmy.connect(**request.connect)
    try:
        return await cache_load.read_columns(conn, request.fields)
    finally:
        conn.close()


def load_part(request: LoadRequest) -> LoadedPart:
    data = asyncio.run(_read(request))
    ids: list[str] = data.pop("customer_id")
    digest = hashlib.blake2b("\x1f".join(ids).encode(), digest_size=16).digest()
    revisions = data.pop("revision")
    columns = ProfileColumns.from_arrays(ids, **data)
    used = resource.getrusage(resource.RUSAGE_SELF)
    return LoadedPart(
        columns, request.fields, revisions, digest, round(used.ru_utime + used.ru_stime, 2)
    )


def main() -> None:
    try:
        request = LoadRequest(**pickle.load(sys.stdin.buffer))
        answer: tuple[str, Any] = ("ok", load_part(request))
    except BaseException as error:  # the parent logs it and retries
        answer = ("error", repr(error)[:500])
    pickle.dump(answer, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()
