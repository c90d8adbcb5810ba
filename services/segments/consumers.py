"""Segments' consumers.

``segments.profiles`` keeps the profiles read model from ingest's ``customer.upserted`` and
``order.recorded``, announcing every change as ``profile.changed`` (for the preview caches).
It is consumed in batches (``shared.batch_consumer``): the customers, or the orders, of
every event in a batch go into one multi-row upsert, in one transaction.
``segments.audiences`` resolves the audience of each ``campaign.launched``: the members as
of that moment are materialised in the same transaction as the inbox claim, and the
audience publisher (``publisher.py``) sends them on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncConnection

from services.segments import service
from services.segments.domain import RuleError, parse_rules
from services.segments.domain import events as ev
from services.segments.service import PROFILES_QUEUE
from services.segments.store import audiences, profiles, rule_sql
from services.segments.store import segments as segment_store
from services.segments.store import suppressions as suppression_store
from services.segments.store.tables import outbox
from services.segments.store.tables import profiles as profile_table
from shared import tracing
from shared.batch_consumer import BatchHandler
from shared.consumer import Handler
from shared.envelope import Envelope, Received
from shared.events import (
    AddressRefused,
    CampaignLaunched,
    CustomerErased,
    CustomersMerged,
    CustomersPayload,
    OrdersPayload,
    rows_in,
)
from shared.scrub import mentions, scrub_outbox
from shared.spend import is_visit, kept
from shared.topology import Binding, ListenerSpec, QueueSpec

PROFILES = QueueSpec(
    PROFILES_QUEUE,
    (
        Binding(
            "ingest",
            (ev.CUSTOMER_UPSERTED, ev.ORDER_RECORDED, ev.CUSTOMER_MERGED, ev.CUSTOMER_ERASED),
        ),
        # In the same queue as the person's other changes: an erasure and a refusal of the
        # same person are applied in order.
        Binding("delivery", (ev.ADDRESS_REFUSED,)),
    ),
)
AUDIENCES = QueueSpec("segments.audiences", (Binding("campaigns", (ev.CAMPAIGN_LAUNCHED,)),))
CACHE = ListenerSpec("segments.cache", Binding("segments", (ev.PROFILE_CHANGED,)))


def _naive_at(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _naive(value: str | None) -> datetime | None:
    return _utc(value) if value else None


def _utc(value: str) -> datetime:
    """An ISO time as naive UTC (what the profiles store)."""
    if value[-1] == "Z":  # as ingest writes every time: one C call instead of three
        return datetime.fromisoformat(value[:-1])
    parsed = datetime.fromisoformat(value)
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


CHANGED_CHUNK = 1000  # profiles per profile.changed event


def _events(rows: list[dict[str, Any]]) -> list[Envelope]:
    return [
        ev.profiles_changed(rows[i : i + CHANGED_CHUNK]) for i in range(0, len(rows), CHANGED_CHUNK)
    ]


async def _changed(conn: AsyncConnection, customer_ids: list[str]) -> list[Envelope]:
    """profile.changed for these ids: the known ones' state, and a removal for the others
    that are no longer customers (the caches drop them)."""
    rows = await profiles.known_profiles(conn, customer_ids)
    if len(rows) < len(customer_ids):
        known = {r["customer_id"] for r in rows}
        rows += await profiles.removed_profiles(conn, [c for c in customer_ids if c not in known])
    return _events(rows)


def _consent(value: Any) -> bool | None:
    return None if value is None else bool(value)


async def apply_customers(
    conn: AsyncConnection, events: list[Received[CustomersPayload]]
) -> list[Envelope]:
    rows: list[dict[str, Any]] = [
        {
            "customer_id": c["customer_id"],
            "version": int(c["version"]),
            "removed": bool(c.get("removed")),
            "name": c.get("name"),
            "email": c.get("email"),
            "phone": c.get("phone"),
            "city": c.get("city"),
            "created_at": _naive(c.get("created_at")),
            "email_consent": _consent(c.get("email_consent")),
            "sms_consent": _consent(c.get("sms_consent")),
            "whatsapp_consent": _consent(c.get("whatsapp_consent")),
        }
        for event in events
        for c in event.payload.customers
    ]
    return await _changed(conn, await profiles.upsert_identities(conn, rows))


_ZERO = Decimal(0)


def _fact(o: dict[str, Any]) -> profiles.OrderFact:
    """What an order counts (shared.spend's rule). Events from before order statuses carry
    none: they were paid orders, version 1."""
    at = o["ordered_at"]
    # Ingest writes every time as "...Z": parsed without a call to _utc.
    ordered_at = datetime.fromisoformat(at[:-1]) if at[-1] == "Z" else _utc(at)
    status = o.get("status", "paid")
    if o.get("removed"):  # an undone import's order: counts nothing, keeps its version
        return (o["order_id"], o["customer_id"], _ZERO, False, ordered_at, int(o["version"]))
    amount = Decimal(str(o["amount"]))
    refunded = Decimal(str(o.get("refunded_amount") or 0))
    return (
        o["order_id"],
        o["customer_id"],
        kept(status, amount, refunded),
        is_visit(status),
        ordered_at,
        int(o.get("version", 1)),
    )


async def apply_orders(
    conn: AsyncConnection, events: list[Received[OrdersPayload]]
) -> list[Envelope]:
    facts = [_fact(o) for event in events for o in event.payload.orders]
    return await _changed(conn, await profiles.add_orders(conn, facts))


async def apply_merges(
    conn: AsyncConnection, events: list[Received[CustomersMerged]]
) -> list[Envelope]:
    merges = [(m.alias, m.into) for e in events for m in e.payload.merges]
    recounted, aliases = await profiles.merge(conn, merges)
    await suppression_store.carry_over(conn, merges)
    return await _changed(conn, sorted({*recounted, *aliases}))


async def apply_erasures(
    conn: AsyncConnection, events: list[Received[CustomerErased]]
) -> list[Envelope]:
    """A person erased in ingest: their profiles, counted orders and audience member rows
    go, and the events this service logged about them are rewritten."""
    out: list[Envelope] = []
    for event in events:
        ids = list(event.payload.customer_ids)
        tombstone = event.payload.tombstone_id
        removals, secrets = await profiles.erase(conn, ids)
        await audiences.forget_members(conn, ids, tombstone)
        await suppression_store.forget(conn, ids)
        await scrub_outbox(conn, outbox, set(ids), secrets, _without(set(ids), secrets))
        out += _events(removals)
    return out


async def apply_refusals(
    conn: AsyncConnection, events: list[Received[AddressRefused]]
) -> list[Envelope]:
    """A provider refused messages because the people cannot or will not get the channel
    (STOP, not a mobile, stopped marketing): they are suppressed on it (kept if already),
    each a ``suppression.changed`` event. Someone erased since is not brought back."""
    for event in events:
        p = event.payload
        for customer_id in p.customer_ids:
            if await suppression_store.known_customer(conn, customer_id):
                await service.suppress(conn, customer_id, p.channel, "provider", None)
    return []


def _without(ids: set[str], secrets: list[str]) -> Any:
    def redact(type_: str, payload: dict[str, Any]) -> dict[str, Any]:
        if "profiles" in payload:  # profile.changed: the person's rows become removals
            rows = [
                profiles.removal(p["customer_id"], int(p["revision"]))
                if mentions(p, ids, secrets)
                else p
                for p in payload["profiles"]
            ]
            return {**payload, "profiles": rows}
        if "recipients" in payload:  # audience.batch: the recipient without contact details
            rows = [
                {"customer_id": "erased"} if mentions(r, ids, secrets) else r
                for r in payload["recipients"]
            ]
            return {**payload, "recipients": rows}
        return payload

    return redact


class AudienceRefused(Exception):
    """The launch may not go ahead (the campaign fails with this sentence)."""


class AudienceTooLarge(AudienceRefused):
    def __init__(self, size: int, ceiling: int) -> None:
        super().__init__(
            f"audience of {size} customers is above the {ceiling} this launch may message; "
            f"create the campaign again with confirm_audience_size={size}"
        )


def audience_resolver(batch_size: int, notify: Any) -> Handler:
    async def resolve(conn: AsyncConnection, event: Received[CampaignLaunched]) -> list[Envelope]:
        launched, envelope = event.payload, event.envelope
        campaign_id = launched.campaign_id
        test = launched.test
        # The publisher sends the audience later, from the row: it keeps this span's context.
        traceparent = tracing.current_traceparent()
        if not await audiences.claim(
            conn, campaign_id, envelope.correlation_id, test=test, traceparent=traceparent
        ):
            return []  # a second launch event for the same campaign: resolved already
        if test:  # a test send: the customers named (and the sender), not rules
            ids = launched.customer_ids or []
            guests = [g.model_dump() for g in launched.test_recipients or []]
            await _resolve(
                conn, campaign_id, profile_table.c.customer_id.in_(ids), len(ids), guests
            )
            notify()
            return []
        rules = launched.rules
        segment_id = launched.segment_id
        if segment_id is not None and segment_id.isdigit():
            await segment_store.mark_used(conn, int(segment_id), _naive_at(envelope.occurred_at))
        if rules is None and segment_id is not None:
            saved = await segment_store.get(conn, int(segment_id)) if segment_id.isdigit() else None
            rules = saved["rules"] if saved else None
        try:
            group = parse_rules(rules)
        except RuleError as error:
            # Not a poison message: the campaign must learn that it failed, and why.
            reason = (
                f"invalid rules: {error}"
                if rules is not None
                else f"segment {segment_id} does not exist"
            )
            await audiences.record_failure(conn, campaign_id, reason)
            notify()
            return []
        # "As of that moment": relative dates count back from the launch, not from now.
        condition = rule_sql.where(group, envelope.occurred_at)
        email = launched.channel == "email"
        if email:
            # Only those it may email: an address, consent, not unsubscribed. Left out of
            # the audience (and its size) rather than logged SKIPPED downstream.
            condition = and_(condition, suppression_store.reachable_by_email())
        else:
            # Any other channel: never those on its suppression list (a provider's refusal,
            # a marketer). Consent for it is not asked yet (docs/channels.md).
            condition = and_(condition, suppression_store.not_suppressed(launched.channel))
        await _resolve(conn, campaign_id, condition, launched.max_audience, email=email)
        notify()
        return []

    async def _resolve(
        conn: AsyncConnection,
        campaign_id: str,
        condition: Any,
        ceiling: int | None,
        guests: list[dict[str, Any]] | None = None,
        *,
        email: bool = False,
    ) -> None:
        try:
            # A savepoint, so a refused audience (larger than confirmed, or empty) leaves
            # no members: the campaign fails with the reason and sends nothing.
            async with conn.begin_nested():
                size = await audiences.materialise(conn, campaign_id, condition, batch_size)
                if ceiling is not None and size > ceiling:
                    raise AudienceTooLarge(size, ceiling)
                if guests:
                    size = await audiences.add_guests(conn, campaign_id, guests, batch_size)
                if size == 0 and email:
                    raise AudienceRefused(
                        "the audience is empty: nobody who matches now has an email address "
                        "and email consent and has not unsubscribed"
                    )
                if size == 0:
                    raise AudienceRefused("the audience is empty: nobody matches now")
        except AudienceRefused as error:
            await audiences.record_failure(conn, campaign_id, str(error))

    return resolve


def items_in(event: Received[Any]) -> int:
    """How many customers or orders a message carries (what a batch is limited by)."""
    return rows_in(event.payload)


def profile_handlers() -> dict[tuple[str, int], BatchHandler]:
    """In this order within a batch: identities, then orders, merges, erasures."""
    return {
        (ev.CUSTOMER_UPSERTED, 1): apply_customers,
        (ev.ORDER_RECORDED, 1): apply_orders,
        (ev.CUSTOMER_MERGED, 1): apply_merges,
        (ev.CUSTOMER_ERASED, 1): apply_erasures,
        (ev.ADDRESS_REFUSED, 1): apply_refusals,
    }
