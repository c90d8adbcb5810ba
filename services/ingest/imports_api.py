"""Ingest's imports API: an import is opened, its rows sent as batches naming it, sealed
with how many were sent; the worker counts what became of each row, and the import is
``done`` once all are applied. An import can be undone (the worker does it in steps).

``beacon import`` and the dashboard's upload (``upload.py``) both go through these.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from services.ingest.domain import events
from services.ingest.service import now_utc
from services.ingest.settings import IngestSettings
from services.ingest.store import imports as import_store
from shared.auth.dependency import Caller
from shared.db import unit_of_work
from shared.envelope import Envelope
from shared.errors import ApiError, responses
from shared.pagination import decode_cursor, encode_cursor
from shared.validation import parse_int_id

Kind = Literal["customers", "orders"]
SourceName = Literal["generic", "shopify", "woocommerce"]


class NewImport(BaseModel):
    kind: Kind
    source: SourceName = "generic"
    file_name: str | None = Field(default=None, max_length=255)


class Seal(BaseModel):
    sent: int = Field(ge=0, le=2**31 - 1, description="rows sent in batches naming the import")
    bad: int = Field(default=0, ge=0, le=2**31 - 1, description="rows refused before sending")


class ImportCounts(BaseModel):
    new: int
    updated: int
    unchanged: int
    merged: int
    stale: int = Field(description="older than what is stored (ignored)")
    erased: int = Field(description="naming an erased person (skipped)")
    no_customer: int = Field(description="orders naming no known customer (kept, waiting)")


class ImportUndo(BaseModel):
    restored: int
    removed: int
    conflicts: int = Field(description="rows changed since by someone else: left as they are")
    requested_at: str | None
    finished_at: str | None


class ImportOut(BaseModel):
    import_id: str
    kind: Kind
    source: SourceName
    file_name: str | None
    status: Literal["open", "sealed", "done", "undoing", "undone"]
    created_at: str
    created_by: str | None
    sent: int | None
    bad: int
    processed: int
    counts: ImportCounts
    sealed_at: str | None
    finished_at: str | None
    undo: ImportUndo | None


class ImportList(BaseModel):
    items: list[ImportOut]
    next_cursor: str | None


ImportId = Annotated[str, Path(max_length=20, description="an import's id")]


def _number(import_id: str) -> int:
    number = parse_int_id(import_id)
    if number is None:
        raise ApiError(404, f"no import {import_id[:20]!r}")
    return number


def add_routes(
    router: APIRouter,
    settings: IngestSettings,
    engine: AsyncEngine,
    publish: Callable[[Envelope], Awaitable[None]],
) -> None:
    async def found(number: int) -> dict[str, Any]:
        async with engine.connect() as conn:
            row = await import_store.get(conn, number)
        if row is None:
            raise ApiError(404, f"no import {number}")
        return row

    @router.post("/imports", status_code=201, summary="Open an import", response_model=ImportOut)
    async def open_import(body: NewImport, who: Caller) -> dict[str, Any]:
        async with unit_of_work(engine) as conn:
            number = await import_store.create(
                conn,
                kind=body.kind,
                source=body.source,
                file_name=body.file_name,
                actor=who.actor(),
                now=now_utc(),
            )
        return await found(number)

    @router.get("/imports", summary="Imports, newest first", response_model=ImportList)
    async def list_imports(
        limit: Annotated[int, Query(ge=1, le=1000)] = 50, cursor: str | None = None
    ) -> dict[str, Any]:
        async with engine.connect() as conn:
            items, last = await import_store.page(
                conn, before_id=decode_cursor(cursor) or 0, limit=limit
            )
        return {"items": items, "next_cursor": encode_cursor(last)}

    @router.get(
        "/imports/{import_id}",
        summary="One import and what became of its rows",
        response_model=ImportOut,
        responses=responses(404),
    )
    async def get_import(import_id: ImportId) -> dict[str, Any]:
        return await found(_number(import_id))

    @router.post(
        "/imports/{import_id}/seal",
        summary="Say every row was sent: the import is done once the worker applied them",
        response_model=ImportOut,
        responses=responses(404, 409),
    )
    async def seal(import_id: ImportId, body: Seal) -> dict[str, Any]:
        number = _number(import_id)
        async with unit_of_work(engine) as conn:
            row = await import_store.get(conn, number, lock=True)
            if row is None:
                raise ApiError(404, f"no import {number}")
            if row["status"] != "open" and row["sent"] != body.sent:
                raise ApiError(409, f"import {number} is {row['status']} already")
            await import_store.seal(conn, number, sent=body.sent, bad=body.bad, now=now_utc())
        return await found(number)

    @router.post(
        "/imports/{import_id}/undo",
        status_code=202,
        summary="Undo an import: what it created is removed, what it changed restored",
        response_model=ImportOut,
        responses=responses(404, 409, 503),
    )
    async def undo(import_id: ImportId, who: Caller) -> dict[str, Any]:
        number = _number(import_id)
        async with unit_of_work(engine) as conn:
            row = await import_store.get(conn, number, lock=True)
            if row is None:
                raise ApiError(404, f"no import {number}")
            if row["status"] == "undone":
                return row
            if row["status"] not in ("done", "undoing"):
                raise ApiError(
                    409, f"import {number} is {row['status']}: wait until it is done to undo it"
                )
            await import_store.request_undo(conn, number, now_utc())
        # After the commit, so the worker finds it undoing. Should this publish fail (503),
        # asking again publishes again; a step that finds nothing to do is harmless.
        await publish(events.undo_requested(number, who.actor()))
        return await found(number)
