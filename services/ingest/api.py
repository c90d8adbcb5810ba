"""Ingest's HTTP API: accept customers and orders, read them back.

A write answers 202 only once RabbitMQ confirmed the one event that carries the whole
request, so a request is accepted whole or not at all. Small requests arriving together
share that event (``coalesce.py``): a shop posting orders one at a time then costs a share
of a message each, not a message. Storing happens in the worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from faststream.rabbit import RabbitBroker, RabbitExchange
from sqlalchemy.ext.asyncio import AsyncEngine

from services.ingest import imports_api
from services.ingest.coalesce import Coalescer
from services.ingest.domain import events
from services.ingest.domain.batches import BatchParser, BatchTooLarge, InvalidBatch, ItemError
from services.ingest.domain.models import Customer, Order
from services.ingest.responses import CustomerDetail, CustomerList, Erasing, OrderList
from services.ingest.settings import IngestSettings
from services.ingest.store import customers as customer_store
from services.ingest.store import imports as import_store
from services.ingest.store import orders as order_store
from shared.auth.dependency import Caller, access, caller, requirement
from shared.envelope import Envelope
from shared.errors import ApiError, ErrorItem, ServiceUnavailable, invalid, invalid_field, responses
from shared.hot_routes import HotRoute
from shared.pagination import Cursor, decode_cursor, encode_cursor
from shared.publishing import ACCEPTED, accept_confirmed
from shared.validation import parse_int_id

CUSTOMERS = BatchParser(Customer)
ORDERS = BatchParser(Order)
# Requests of up to this many items share events; larger ones are events of their own.
COALESCE_UP_TO = 100
# Items per shared event (the contract's batches) and shared events being confirmed at
# once: while both are, requests gather for the next one.
COALESCE_MAX_ITEMS = 1000
COALESCE_IN_FLIGHT = 2


# A number sent for text becomes its decimal spelling (``coerce_numbers_to_str``). (A whole
# number longer than the field is a 422: JSON Schema cannot tell 1e70 from its 71 digits.)
_NUMBER_AS_TEXT = {"type": "number"}
# Text no number spells: what a number would become is refused, so none is documented.
_TEXT_ONLY = {"email", "customer_email", "currency", "status"}
# A phone may be a whole number of 3 to 31 digits (the model refuses other numbers).
_WHOLE_PHONE = {"type": "integer", "minimum": 100, "maximum": 10**31 - 1}


def _numbers_as_text(item: dict[str, Any]) -> dict[str, Any]:
    """The models take a number where they want text: say which (line items included)."""
    properties = {}
    for name, prop in item.get("properties", {}).items():
        number = _WHOLE_PHONE if name == "phone" else _NUMBER_AS_TEXT
        branches = prop.get("anyOf", [])
        if name in _TEXT_ONLY:
            pass
        elif prop.get("type") == "string":
            prop = {"anyOf": [prop, number], "title": prop.get("title", name)}
        elif {"string", "number"} - {p.get("type") for p in branches} == {"number"}:
            prop = {**prop, "anyOf": [*branches, number]}
        elif any(p.get("type") == "array" for p in branches):
            prop = {
                **prop,
                "anyOf": [
                    {**p, "items": _numbers_as_text(p["items"])} if p.get("type") == "array" else p
                    for p in branches
                ],
            }
        properties[name] = prop
    return {**item, "properties": properties}


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """``schema`` with its ``#/$defs/...`` references replaced by what they name: placed
    inside a request body, a local ``$defs`` would not resolve against the document."""
    if isinstance(schema, dict):
        ref = schema.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def _body_schema(model: type[Any]) -> dict[str, Any]:
    raw = model.model_json_schema()
    item = _numbers_as_text(_inline(raw, raw.get("$defs", {})))
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            item,
                            {
                                "type": "object",
                                "required": ["items"],
                                "properties": {
                                    "items": {
                                        "type": "array",
                                        "items": item,
                                        "minItems": 1,
                                        "maxItems": 10000,
                                    },
                                    "import_id": {
                                        "type": "string",
                                        "pattern": "^[1-9][0-9]{0,17}$",
                                        "description": "an open import (POST /api/v1/imports)"
                                        " these rows belong to",
                                    },
                                },
                            },
                        ]
                    }
                }
            },
        }
    }


def item_problem(error: ItemError) -> ErrorItem:
    """A batch item's problem, with its path in the body (one item, or ``items[i]``)."""
    where = "body" if error.index is None else f"body.items[{error.index}]"
    field = where if error.field in ("(item)", "") else f"{where}.{error.field}"
    if error.index is None and error.field == "items":
        field = "body.items"
    return ErrorItem(field=field, message=error.message)


def build_router(
    settings: IngestSettings,
    engine: AsyncEngine,
    broker: RabbitBroker,
    exchange: RabbitExchange,
    broker_ready: asyncio.Event,
) -> tuple[APIRouter, list[HotRoute]]:
    """The API router, and the two writes again as hot routes (``shared.hot_routes``):
    the router documents them, the hot routes serve them."""
    router = APIRouter(prefix="/api/v1")

    async def read_json(request: Request) -> Any:
        body = await request.body()
        if len(body) > settings.max_body_bytes:
            raise ApiError(413, f"body larger than {settings.max_body_bytes} bytes")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise invalid_field("body", f"invalid JSON: {error}", "json_invalid") from None

    async def accept(envelope: Envelope, count: int) -> Response:
        return await accept_confirmed(
            broker,
            exchange,
            envelope,
            ready=broker_ready,
            timeout=settings.publish_timeout_s,
            count=count,
        )

    async def publish(envelope: Envelope) -> None:
        await accept(envelope, 0)

    coalesced_customers: Coalescer[Customer] = Coalescer(
        lambda batch, actors: events.customers_submitted(batch, None, actors),
        publish,
        max_items=COALESCE_MAX_ITEMS,
        in_flight=COALESCE_IN_FLIGHT,
    )
    coalesced_orders: Coalescer[Order] = Coalescer(
        lambda batch, actors: events.orders_submitted(batch, None, actors),
        publish,
        max_items=COALESCE_MAX_ITEMS,
        in_flight=COALESCE_IN_FLIGHT,
    )

    async def accept_small(
        coalescer: Coalescer[Any], batch: list[Any], actor: dict[str, Any]
    ) -> Response:
        try:
            event_id = await coalescer.submit(batch, actor)
        except ServiceUnavailable as error:  # shared by the requests of a flush: a new one
            raise ServiceUnavailable(str(error)) from None
        return JSONResponse({"accepted": len(batch), "event_id": event_id}, status_code=202)

    def parse(parser: BatchParser[Any], body: Any) -> list[Any]:
        try:
            return parser.parse(body)
        except BatchTooLarge as error:
            raise ApiError(413, str(error)) from None
        except InvalidBatch as error:
            raise invalid([item_problem(e) for e in error.errors]) from None

    async def import_of(body: Any, kind: str) -> str | None:
        """The open import a batch names (``import_id``), or None; a 422 when it names
        one that is not open or holds other rows."""
        if not (isinstance(body, dict) and "items" in body and "import_id" in body):
            return None
        raw = body["import_id"]
        number = parse_int_id(str(raw)) if isinstance(raw, (str, int)) else None
        if number is None:
            raise invalid_field("body.import_id", "is not an import id")
        async with engine.connect() as conn:
            found = await import_store.get(conn, number)
        if found is None:
            raise invalid_field("body.import_id", f"no import {number}")
        if found["kind"] != kind:
            raise invalid_field("body.import_id", f"import {number} holds {found['kind']}")
        if found["status"] != "open":
            raise invalid_field(
                "body.import_id", f"import {number} is {found['status']}; start a new import"
            )
        return str(number)

    # The caller (set by the auth dependency or the hot route's authorize) travels with
    # the rows as the event's ``actors`` (audit: who wrote what), once per request.
    async def write_customers(request: Request) -> Response:
        body = await read_json(request)
        batch = parse(CUSTOMERS, body)
        import_id = await import_of(body, "customers")
        actor = caller(request).actor()
        if import_id is None and len(batch) <= COALESCE_UP_TO:
            return await accept_small(coalesced_customers, batch, actor)
        actors = events.submitted_by(actor, len(batch))
        return await accept(events.customers_submitted(batch, import_id, actors), len(batch))

    async def write_orders(request: Request) -> Response:
        body = await read_json(request)
        batch = parse(ORDERS, body)
        import_id = await import_of(body, "orders")
        actor = caller(request).actor()
        if import_id is None and len(batch) <= COALESCE_UP_TO:
            return await accept_small(coalesced_orders, batch, actor)
        actors = events.submitted_by(actor, len(batch))
        return await accept(events.orders_submitted(batch, import_id, actors), len(batch))

    def authorized(write: Callable[[Request], Awaitable[Response]]) -> Any:
        async def endpoint(request: Request) -> Response:
            await request.app.state.auth.authorize(request, *requirement(request))
            return await write(request)

        return endpoint

    hot = [
        HotRoute("/api/v1/customers", authorized(write_customers), method="POST"),
        HotRoute("/api/v1/orders", authorized(write_orders), method="POST"),
    ]

    @router.post(
        "/customers",
        status_code=202,
        openapi_extra=_body_schema(Customer),
        summary="Upsert one customer or a batch of up to 10,000",
        responses={**ACCEPTED, **responses(413, 503)},
    )
    async def post_customers(request: Request) -> Response:
        return await write_customers(request)

    @router.post(
        "/orders",
        status_code=202,
        openapi_extra=_body_schema(Order),
        summary="Record one order or a batch of up to 10,000 (idempotent by order_id)",
        responses={**ACCEPTED, **responses(413, 503)},
    )
    async def post_orders(request: Request) -> Response:
        return await write_orders(request)

    @router.get(
        "/customers/{customer_id}",
        summary="One customer, found by its id or any of its aliases (one person per email)",
        response_model=CustomerDetail,
        responses=responses(404),
    )
    async def get_customer(customer_id: str) -> dict[str, Any]:
        async with engine.connect() as conn:
            found = await customer_store.get(conn, customer_id)
        if found is None:
            raise ApiError(404, f"customer {customer_id!r} not found")
        return found

    @router.delete(
        "/customers/{customer_id}",
        status_code=202,
        summary="Erase a person (right to erasure): their personal data leaves every service",
        responses={202: {"model": Erasing}, **responses(404, 503)},
        openapi_extra=access("admin", "write"),
    )
    async def erase_customer(customer_id: str, who: Caller) -> Response:
        async with engine.connect() as conn:
            found = await customer_store.resolve(conn, customer_id)
        if found is None:
            raise ApiError(404, f"customer {customer_id!r} not found")
        command = events.erase_requested(found, who.actor())
        await accept(command, 1)
        return JSONResponse(
            {"customer_id": found, "erasing": True, "event_id": str(command.event_id)},
            status_code=202,
        )

    @router.get("/customers", response_model=CustomerList)
    async def list_customers(
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        cursor: Cursor = None,
        q: Annotated[
            str | None,
            Query(
                max_length=200,
                description="customers whose id, name, email, phone or city contains this",
            ),
        ] = None,
    ) -> dict[str, Any]:
        async with engine.connect() as conn:
            items, last = await customer_store.page(
                conn, after_id=decode_cursor(cursor) or 0, limit=limit, q=(q or "").strip() or None
            )
        return {"items": items, "next_cursor": encode_cursor(last)}

    @router.get("/orders", response_model=OrderList)
    async def list_orders(
        customer_id: Annotated[
            str | None, Query(description="a customer's id or alias: that person's orders")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        cursor: Cursor = None,
        order: Annotated[
            Literal["oldest", "newest"],
            Query(
                description="a customer's orders by when placed, oldest or newest first"
                " (without customer_id: by when Beacon received them)"
            ),
        ] = "oldest",
    ) -> dict[str, Any]:
        async with engine.connect() as conn:
            if customer_id is not None:
                customer_id = await customer_store.resolve(conn, customer_id) or customer_id
            items, last = await order_store.page(
                conn,
                after_id=decode_cursor(cursor) or 0,
                limit=limit,
                customer_id=customer_id,
                newest_first=order == "newest",
            )
        return {"items": items, "next_cursor": encode_cursor(last)}

    imports_api.add_routes(router, settings, engine, publish)
    return router, hot
