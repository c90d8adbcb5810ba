"""Receipt callback validation, message planning and ids, pacing."""

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from services.delivery.domain import events as ev
from services.delivery.domain.messages import NO_ADDRESS, address, plan_messages
from services.delivery.domain.pacing import TokenBucket
from services.delivery.domain.receipts import (
    MAX_REASON,
    InvalidReceipts,
    parse_receipts,
    receipts_from_json,
    receipts_to_json,
)
from services.delivery.domain.status import Deltas, Status
from shared.template import parse_template

GOOD = {"message_id": "m1", "status": "SENT", "at": "2026-01-01T10:00:00+05:30"}


def problems(body: object) -> list[dict[str, object]]:
    with pytest.raises(InvalidReceipts) as caught:
        parse_receipts(body)
    return [p.as_dict() for p in caught.value.problems]


def test_valid_receipts_are_normalised_to_utc() -> None:
    [receipt] = parse_receipts({"receipts": [GOOD]})
    assert receipt.status is Status.SENT and receipt.reason is None
    assert receipt.at == datetime(2026, 1, 1, 4, 30, tzinfo=UTC)
    naive = parse_receipts({"receipts": [{**GOOD, "at": "2026-01-01T10:00:00"}]})[0]
    assert naive.at.tzinfo is UTC


def test_bad_status_lists_index_field_and_message() -> None:
    body = {"receipts": [GOOD, {**GOOD, "status": "DELIVERED"}, {**GOOD, "status": "sent"}]}
    found = problems(body)
    assert [(p["index"], p["field"]) for p in found] == [(1, "status"), (2, "status")]
    assert all("SENT" in str(p["message"]) for p in found)


def test_missing_fields_and_bad_times() -> None:
    found = problems(
        {
            "receipts": [
                {"status": "FAILED"},
                {**GOOD, "at": "yesterday"},
                {**GOOD, "at": "0001-01-01T00:00:00Z"},
                {**GOOD, "message_id": "x" * 65},
            ]
        }
    )
    assert {(p["index"], p["field"]) for p in found} == {
        (0, "message_id"),
        (0, "at"),
        (1, "at"),
        (2, "at"),
        (3, "message_id"),
    }


@pytest.mark.parametrize(
    "body", [None, [], {}, {"receipts": {}}, {"receipts": []}, {"receipts": [GOOD] * 10_001}]
)
def test_body_shape_problems(body: object) -> None:
    assert problems(body)[0]["field"] == "receipts"


def test_ten_thousand_receipts_is_the_limit() -> None:
    assert len(parse_receipts({"receipts": [GOOD] * 10_000})) == 10_000


def test_long_reason_is_cut_not_rejected() -> None:
    [receipt] = parse_receipts({"receipts": [{**GOOD, "status": "FAILED", "reason": "x" * 900}]})
    assert receipt.reason == "x" * MAX_REASON


def test_event_payload_round_trips() -> None:
    receipts = parse_receipts(
        {"receipts": [GOOD, {**GOOD, "message_id": "m2", "status": "FAILED", "reason": "full"}]}
    )
    event = ev.receipt_received(receipts)
    assert event.type == "receipt.received" and event.producer == "delivery"
    assert event.payload["receipts"][0]["at"] == "2026-01-01T04:30:00Z"
    assert receipts_from_json(event.payload["receipts"]) == receipts
    assert receipts_to_json(receipts)[1]["reason"] == "full"


def test_message_ids_are_stable_uuid5() -> None:
    mid = ev.message_id("camp-1", "c-1")
    assert mid == ev.message_id("camp-1", "c-1")
    assert uuid.UUID(mid).version == 5
    assert mid == str(uuid.uuid5(ev.MESSAGE_IDS, "camp-1:c-1"))
    assert len({mid, ev.message_id("camp-1", "c-2"), ev.message_id("camp-2", "c-1")}) == 3


def test_address_prefers_email_then_phone() -> None:
    assert address({"email": "a@b.in", "phone": "+91 98"}) == "a@b.in"
    assert address({"email": "  ", "phone": "+91 98"}) == "+91 98"
    assert address({"email": None, "phone": None}) is None
    assert address({}) is None


def test_plan_messages_renders_and_dedupes() -> None:
    template = parse_template("Hi {first_name|there}!")
    recipients: list[dict[str, Any]] = [
        {"customer_id": "c1", "name": "Zoë Ñandú", "email": "z@x.in"},
        {"customer_id": "c2", "name": None, "phone": "+91 99999 00000"},
        {"customer_id": "c3", "name": "Nobody"},
        {"customer_id": "c1", "name": "Duplicate", "email": "d@x.in"},
    ]
    planned = plan_messages("camp", template, recipients)
    assert [(m.customer_id, m.to, m.body, m.status) for m in planned] == [
        ("c1", "z@x.in", "Hi Zoë!", Status.PENDING),
        ("c2", "+91 99999 00000", "Hi there!", Status.PENDING),
        ("c3", None, "Hi Nobody!", Status.FAILED),
    ]
    assert planned[2].reason == NO_ADDRESS
    assert planned[0].message_id == ev.message_id("camp", "c1")


def test_delivery_updated_has_only_campaigns_that_moved() -> None:
    assert ev.delivery_updated({"a": Deltas()}) == []
    [event] = ev.delivery_updated({"b": Deltas(sent=2), "a": Deltas(queued=3, failed=1)})
    assert event.type == "delivery.updated"
    assert event.payload == {
        "campaigns": [
            {"campaign_id": "a", "queued": 3, "sent": 0, "failed": 1},
            {"campaign_id": "b", "queued": 0, "sent": 2, "failed": 0},
        ]
    }


def test_token_bucket_holds_the_average_rate() -> None:
    bucket = TokenBucket(100, burst=100)
    now, waited = 0.0, 0.0
    for _ in range(50):  # 50 batches of 20 = 1,000 messages at 100/s: ~9 s after the burst
        wait = bucket.reserve(20, now)
        now += wait
        waited += wait
    assert 8.9 <= now <= 9.1
    assert TokenBucket(0).reserve(10**6, 0.0) == 0.0  # unlimited


def test_token_bucket_refills_over_time() -> None:
    bucket = TokenBucket(10, burst=10)
    assert bucket.reserve(10, 0.0) == 0.0
    assert bucket.reserve(5, 0.0) == pytest.approx(0.5)
    assert bucket.reserve(5, 10.0) == 0.0  # refilled (capped at the burst)


def test_ist_offsets_are_accepted() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    at = datetime(2026, 3, 1, 9, 0, tzinfo=ist).isoformat()
    [receipt] = parse_receipts({"receipts": [{**GOOD, "at": at}]})
    assert receipt.at == datetime(2026, 3, 1, 3, 30, tzinfo=UTC)
