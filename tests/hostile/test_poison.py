"""Poison messages (issue 10): a message its handler can never apply ends in the queue's DLQ
with a reason, and the consumer goes on with the next one, which is stored.

Each poison is published straight to the service's exchange (as a buggy or hostile producer
would), followed by a good message; the test waits for the good one to be applied.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from tests.support.amqp import Parked, peek_dlq, publish_raw
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

YEAR_1 = "0001-01-01T00:00:00+05:30"
YEAR_9999 = "9999-12-31T23:59:59-05:00"


def raw(
    type_: str, payload: dict[str, Any], *, correlation_id: str | None = None
) -> tuple[str, bytes]:
    """An envelope as bytes, built by hand so no model check can refuse it first."""
    head = {
        "event_id": str(uuid.uuid4()),
        "type": type_,
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": "poison-test",
        "correlation_id": correlation_id,
        "payload": payload,
    }
    return str(head["event_id"]), orjson.dumps(head)


def order(order_id: str, **over: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": "p-c",
        "amount": "10.00",
        "ordered_at": "2026-01-01T00:00:00Z",
        **over,
    }


INGEST_POISON: dict[str, tuple[str, dict[str, Any], str | None]] = {
    # The reviewer's case: the outbox column holds 64 characters.
    # (May be applied with the id cut to 64 characters, or parked: either is not stuck.)
    "customer-correlation-id-100": (
        "customer.submitted",
        {"customers": [{"customer_id": "p-cid", "name": "x"}]},
        "c" * 100,
    ),
    # astimezone() overflows: OverflowError, not a ValueError.
    "customer-created_at-year-1": (
        "customer.submitted",
        {"customers": [{"customer_id": "p-y1", "name": "x", "created_at": YEAR_1}]},
        None,
    ),
    "customer-created_at-year-9999": (
        "customer.submitted",
        {"customers": [{"customer_id": "p-y9999", "name": "x", "created_at": YEAR_9999}]},
        None,
    ),
    # The worker does not re-validate orders; the store must not mangle them silently either.
    "order-ordered_at-year-1": (
        "order.submitted",
        {"orders": [order("p-o-y1", ordered_at=YEAR_1)]},
        None,
    ),
    "order-customer-id-100": (
        "order.submitted",
        {"orders": [order("p-o-long", customer_id="c" * 100)]},
        None,
    ),
    "order-amount-not-a-number": (
        "order.submitted",
        {"orders": [order("p-o-nan", amount="lots")]},
        None,
    ),
}


MAY_APPLY = {"customer-correlation-id-100"}


async def applied_or_parked(stack: Stack, customer_id: str) -> bool:
    stored = await stack.scalar(
        "ingest", "SELECT COUNT(*) FROM customers WHERE customer_id = :c", c=customer_id
    )
    return bool(stored) or bool(await peek_dlq(stack, "ingest.persistence"))


async def assert_parked(stack: Stack, queue: str, poison_type: str) -> list[Parked]:
    parked = await eventually(
        lambda: peek_dlq(stack, queue),
        lambda found: len(found) >= 1,
        timeout=30,
        what=f"the poison message parked in {queue}.dlq",
    )
    assert len(parked) == 1, parked
    assert parked[0].type == poison_type
    assert parked[0].reason, f"no reason on the parked message: {parked[0]}"
    return parked


@pytest.mark.parametrize("name", list(INGEST_POISON))
async def test_ingest_persistence_parks_poison_and_goes_on(stack: Stack, name: str) -> None:
    stack.start("ingest", "worker")
    type_, payload, correlation_id = INGEST_POISON[name]
    _, body = raw(type_, payload, correlation_id=correlation_id)
    await publish_raw(stack, "ingest", type_, body)
    good_id, good = raw("order.submitted", {"orders": [order("p-good")]})
    await publish_raw(stack, "ingest", "order.submitted", good)

    stored = await eventually(
        lambda: stack.scalar("ingest", "SELECT COUNT(*) FROM orders WHERE order_id = 'p-good'"),
        lambda n: n == 1,
        timeout=60,
        what="the good order after the poison stored (the consumer went on)",
    )
    assert stored == 1
    if name in MAY_APPLY:
        await eventually(
            lambda: applied_or_parked(stack, payload["customers"][0]["customer_id"]),
            lambda done: done,
            timeout=30,
            what=f"{name} applied or parked",
        )
        return
    await assert_parked(stack, "ingest.persistence", type_)
    # Nothing of the poison was stored, not even truncated or zeroed.
    poison_orders = [o["order_id"] for o in payload.get("orders", [])]
    poison_customers = [c["customer_id"] for c in payload.get("customers", [])]
    for order_id in poison_orders:
        assert (
            await stack.scalar(
                "ingest", "SELECT COUNT(*) FROM orders WHERE order_id = :o", o=order_id
            )
            == 0
        )
    for customer_id in poison_customers:
        assert (
            await stack.scalar(
                "ingest", "SELECT COUNT(*) FROM customers WHERE customer_id = :c", c=customer_id
            )
            == 0
        )


def receipt(message_id: str, **over: Any) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "status": "SENT",
        "at": "2026-01-01T00:00:00Z",
        "reason": None,
        **over,
    }


RECEIPT_POISON: dict[str, dict[str, Any]] = {
    # The reviewer's case: OverflowError while converting to UTC.
    "receipt-at-year-1": {"receipts": [receipt("p-m-y1", at=YEAR_1)]},
    "receipt-at-year-9999": {"receipts": [receipt("p-m-y9999", at=YEAR_9999)]},
    "receipt-message-id-100": {"receipts": [receipt("m" * 100)]},
    "receipt-not-a-list": {"receipts": "all of them"},
}


@pytest.mark.parametrize("name", list(RECEIPT_POISON))
async def test_delivery_receipts_parks_poison_and_goes_on(stack: Stack, name: str) -> None:
    stack.start("delivery", "worker", BEACON_RECEIPT_FLUSH_MS="20")
    _, body = raw("receipt.received", RECEIPT_POISON[name])
    await publish_raw(stack, "delivery", "receipt.received", body)
    good_id, good = raw("receipt.received", {"receipts": [receipt("p-m-good")]})
    await publish_raw(stack, "delivery", "receipt.received", good)

    applied = await eventually(
        lambda: stack.scalar(
            "delivery",
            "SELECT COUNT(*) FROM inbox WHERE consumer = 'delivery.receipts' AND event_id = :e",
            e=good_id,
        ),
        lambda n: n == 1,
        timeout=60,
        what="the good receipt after the poison applied (the consumer went on)",
    )
    assert applied == 1
    await assert_parked(stack, "delivery.receipts", "receipt.received")
