"""Segments' HTTP API: fields, live previews, saved segments.

Previews read the in-memory columnar cache when it is loaded and SQL otherwise (while it
loads after a start: ``"source": "sql"``); both give the exact size. Rule errors answer
422 with the JSON path of each bad rule.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_formats.spreadsheet import SEGMENT_MEMBER_COLUMNS, csv_line
from services.segments.cache import ProfileCache
from services.segments.domain import (
    Group,
    RuleError,
    count,
    describe,
    describe_node,
    events,
    fields_description,
    mask,
    parse_rules,
    rules_to_json,
    sample_indices,
)
from services.segments.responses import (
    FieldCatalogue,
    MemberList,
    Preview,
    Profile,
    SegmentList,
    SegmentOut,
)
from services.segments.settings import SegmentsSettings
from services.segments.store import profiles as profile_store
from services.segments.store import rule_sql
from services.segments.store import segments as segment_store
from services.segments.store.tables import outbox as outbox_table
from shared import outbox
from shared.auth.dependency import Caller, access
from shared.db import unit_of_work
from shared.errors import ApiError, ErrorItem, invalid, responses
from shared.pagination import (
    Cursor,
    TextCursor,
    decode_cursor,
    decode_text_cursor,
    encode_cursor,
    encode_text_cursor,
)
from shared.rules.json_model import RulesInput
from shared.validation import parse_int_id


class PreviewRequest(BaseModel):
    rules: RulesInput = Field(description="A react-querybuilder RuleGroup")


class SegmentBody(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    rules: RulesInput


def parse_or_422(rules: Any) -> Group:
    try:
        return parse_rules(rules)
    except RuleError as error:
        raise invalid(
            [
                ErrorItem(
                    field="body.rules" + (f".{e['path']}" if e["path"] else ""),
                    message=e["message"],
                )
                for e in error.errors
            ]
        ) from None


def build_router(
    settings: SegmentsSettings,
    engine: AsyncEngine,
    cache: ProfileCache | None,
    notify: Callable[[], None],
) -> APIRouter:
    router = APIRouter(prefix="/api/v1/segments")

    @router.get("/fields", response_model=FieldCatalogue)
    async def fields() -> dict[str, Any]:
        return fields_description()

    # A POST that only reads.
    @router.post("/preview", response_model=Preview, openapi_extra=access("viewer", "read"))
    async def preview(body: PreviewRequest) -> dict[str, Any]:
        group = parse_or_422(body.rules)
        started = time.perf_counter()
        now = datetime.now(UTC)
        k = settings.segments_sample_size
        if cache is not None and cache.ready.is_set():
            matched = mask(cache.columns, group, now)
            size = int(np.count_nonzero(matched))
            rows = sample_indices(matched, k, size=size)
            # The names come from the cache too: a SQL lookup of them was a third of the
            # server time of a preview (a round trip on a busy database).
            sample = [
                {"customer_id": i, "name": name}
                for i, name in zip(
                    cache.columns.customer_ids_at(rows), cache.columns.names_at(rows), strict=True
                )
            ]
            source = "cache"
            alone: list[int | None] = [
                int(np.count_nonzero(mask(cache.columns, Group("and", (node,)), now)))
                if len(group.rules) > 1
                else size
                for node in group.rules
            ]
        else:
            condition = rule_sql.where(group, now)
            async with engine.connect() as conn:
                size = await profile_store.count_where(conn, condition)
                sample = await profile_store.sample_where(conn, condition, k)
            source = "sql"
            # One count per condition in SQL is a scan each: only the whole rule's then.
            alone = [size if len(group.rules) == 1 else None for _ in group.rules]
        return {
            "size": size,
            "sample": sample,
            "took_ms": round((time.perf_counter() - started) * 1e3, 3),
            "source": source,
            "sentence": describe(group),
            "conditions": [
                {"index": i, "sentence": describe_node(node), "size": n}
                for i, (node, n) in enumerate(zip(group.rules, alone, strict=True))
            ],
        }

    @router.get(
        "/profiles/{customer_id}",
        summary="One customer's profile: spend, visits",
        response_model=Profile,
        responses=responses(404),
    )
    async def get_profile(customer_id: str) -> dict[str, Any]:
        async with engine.connect() as conn:
            found = await profile_store.get_profile(conn, customer_id)
        if found is None:
            raise ApiError(404, f"no profile for customer {customer_id!r}")
        return found

    @router.post("", status_code=201, response_model=SegmentOut)
    async def create(body: SegmentBody, who: Caller) -> dict[str, Any]:
        rules = rules_to_json(parse_or_422(body.rules))
        async with unit_of_work(engine) as conn:
            created = await segment_store.create(conn, body.name, rules, who.actor())
            await outbox.add(conn, outbox_table, [events.segment_saved(created, who.actor())])
        notify()
        return created

    @router.get("", response_model=SegmentList)
    async def list_segments(
        limit: Annotated[int, Query(ge=1, le=1000)] = 100, cursor: Cursor = None
    ) -> dict[str, Any]:
        async with engine.connect() as conn:
            items, last = await segment_store.page(
                conn, before_id=decode_cursor(cursor), limit=limit
            )
        # Each one's size now, from the cache (milliseconds each); None while it loads.
        now = datetime.now(UTC)
        for item in items:
            item["size"] = None
            if cache is not None and cache.ready.is_set():
                try:
                    item["size"] = count(cache.columns, parse_rules(item["rules"]), now)
                except RuleError:  # saved before a rule's meaning changed: no size
                    pass
        return {"items": items, "next_cursor": encode_cursor(last)}

    def segment_id(raw: str) -> int:
        found = parse_int_id(raw)
        if found is None:
            raise ApiError(404, f"segment {raw[:80]!r} not found")
        return found

    @router.get("/{sid}", response_model=SegmentOut, responses=responses(404))
    async def get_segment(sid: str) -> dict[str, Any]:
        async with engine.connect() as conn:
            found = await segment_store.get(conn, segment_id(sid))
        if found is None:
            raise ApiError(404, f"segment {sid!r} not found")
        return found

    @router.get("/{sid}/members", response_model=MemberList, responses=responses(404))
    async def members(
        sid: str, limit: Annotated[int, Query(ge=1, le=10_000)] = 1000, cursor: TextCursor = None
    ) -> dict[str, Any]:
        """The segment's members now (SQL, customer id order), a page at a time."""
        async with engine.connect() as conn:
            found = await segment_store.get(conn, segment_id(sid))
            if found is None:
                raise ApiError(404, f"segment {sid!r} not found")
            condition = rule_sql.where(parse_or_422(found["rules"]), datetime.now(UTC))
            items = await profile_store.members_where(
                conn, condition, decode_text_cursor(cursor), limit
            )
        last = items[-1]["customer_id"] if len(items) == limit else None
        return {"items": items, "next_cursor": encode_text_cursor(last)}

    @router.get(
        "/{sid}/export",
        summary="A segment's members now, as CSV, streamed",
        response_class=StreamingResponse,
        responses={
            200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
            **responses(404),
        },
    )
    async def export_members(sid: str) -> StreamingResponse:
        """Every member at the moment of the request, a page at a time (never all in
        memory); cells a spreadsheet would run as formulas are written as text."""
        async with engine.connect() as conn:
            found = await segment_store.get(conn, segment_id(sid))
        if found is None:
            raise ApiError(404, f"segment {sid!r} not found")
        condition = rule_sql.where(parse_or_422(found["rules"]), datetime.now(UTC))

        async def lines() -> AsyncIterator[bytes]:
            yield csv_line(SEGMENT_MEMBER_COLUMNS)
            after, page = "", settings.segments_export_page
            while True:
                async with engine.connect() as conn:
                    items = await profile_store.members_where(conn, condition, after, page)
                yield b"".join(csv_line([i[c] for c in SEGMENT_MEMBER_COLUMNS]) for i in items)
                if len(items) < page:
                    return
                after = items[-1]["customer_id"]

        # Only safe characters in the header: the name is anyone's text, a header latin-1.
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", str(found["name"]))[:60].strip("-") or "segment"
        return StreamingResponse(
            lines(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}-{found["id"]}.csv"'},
        )

    @router.put("/{sid}", response_model=SegmentOut, responses=responses(404))
    async def put_segment(sid: str, body: SegmentBody, who: Caller) -> dict[str, Any]:
        rules = rules_to_json(parse_or_422(body.rules))
        async with unit_of_work(engine) as conn:
            found = await segment_store.replace(
                conn, segment_id(sid), body.name, rules, who.actor()
            )
            if found is not None:
                await outbox.add(conn, outbox_table, [events.segment_saved(found, who.actor())])
        if found is None:
            raise ApiError(404, f"segment {sid!r} not found")
        notify()
        return found

    @router.delete("/{sid}", status_code=204, responses=responses(404))
    async def delete_segment(sid: str, who: Caller) -> Response:
        async with unit_of_work(engine) as conn:
            removed = await segment_store.remove(conn, segment_id(sid))
            if removed:
                deleted = events.segment_deleted(segment_id(sid), who.actor())
                await outbox.add(conn, outbox_table, [deleted])
        if not removed:
            raise ApiError(404, f"segment {sid!r} not found")
        notify()
        return Response(status_code=204)

    return router
