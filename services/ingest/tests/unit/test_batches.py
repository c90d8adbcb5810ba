"""Validation of request bodies: every bad item is named, a batch stands or falls whole."""

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from services.ingest.domain.batches import MAX_BATCH, BatchParser, BatchTooLarge, InvalidBatch
from services.ingest.domain.models import (
    EMAIL_PATTERN,
    NOT_BLANK,
    PHONE_PATTERN,
    Customer,
    Order,
)
from shared.validation import TIME_PATTERN

CUSTOMERS = BatchParser(Customer)
ORDERS = BatchParser(Order)


def test_single_customer_is_a_batch_of_one_with_unicode_kept() -> None:
    [c] = CUSTOMERS.parse({"customer_id": " c-1 ", "name": "Zoë Ñandú राम", "city": ""})
    assert (c.customer_id, c.name, c.city, c.email) == ("c-1", "Zoë Ñandú राम", None, None)


def test_numeric_ids_become_strings() -> None:
    [o] = ORDERS.parse({"order_id": 17, "customer_id": 4, "amount": 0, "ordered_at": "2026-01-01"})
    assert (o.order_id, o.customer_id, o.amount) == ("17", "4", Decimal("0"))


def test_times_are_normalised_to_utc() -> None:
    [o] = ORDERS.parse(
        {
            "order_id": "o",
            "customer_id": "c",
            "amount": "1.5",
            "ordered_at": "2026-01-01T05:30:00+05:30",
        }
    )
    assert o.ordered_at == datetime(2026, 1, 1, tzinfo=UTC)
    [o] = ORDERS.parse(
        {"order_id": "o", "customer_id": "c", "amount": 1, "ordered_at": "2026-01-01T00:00:00"}
    )
    assert o.ordered_at.tzinfo is UTC


def test_every_bad_item_is_listed_with_index_and_field() -> None:
    body = {
        "items": [
            {"order_id": "ok", "customer_id": "c", "amount": 1, "ordered_at": "2026-01-01"},
            {"order_id": "", "customer_id": "c", "amount": -1, "ordered_at": "2026-01-01"},
            {"order_id": "x", "customer_id": "c", "amount": "1.001", "ordered_at": "nope"},
            "not an object",
        ]
    }
    with pytest.raises(InvalidBatch) as caught:
        ORDERS.parse(body)
    found = {(e.index, e.field) for e in caught.value.errors}
    assert found == {
        (1, "order_id"),
        (1, "amount"),
        (2, "amount"),
        (2, "ordered_at"),
        (3, "(item)"),
    }


def test_missing_required_fields_and_bad_contacts() -> None:
    with pytest.raises(InvalidBatch) as caught:
        CUSTOMERS.parse({"items": [{"customer_id": "a", "email": "no-at", "phone": "abc"}]})
    # The whole-item rule (a name or an email) is checked once the fields are readable.
    assert {(e.index, e.field) for e in caught.value.errors} == {(0, "email"), (0, "phone")}
    with pytest.raises(InvalidBatch) as caught:  # an update by id needs no name
        CUSTOMERS.parse({"items": [{"customer_id": "a", "phone": "+91 98"}, {"name": "Asha"}]})
    assert {(e.index, e.field) for e in caught.value.errors} == {(1, "customer_id")}


def test_single_item_errors_have_no_index() -> None:
    with pytest.raises(InvalidBatch) as caught:
        CUSTOMERS.parse({"name": "a"})
    assert [(e.index, e.field) for e in caught.value.errors] == [(None, "customer_id")]


@pytest.mark.parametrize("body", [{"items": []}, {"items": "x"}, 42])
def test_empty_or_malformed_batches(body: object) -> None:
    with pytest.raises(InvalidBatch):
        CUSTOMERS.parse(body)


def test_boundary_sizes() -> None:
    item = {"customer_id": "c", "name": "n"}
    assert len(CUSTOMERS.parse({"items": [item] * MAX_BATCH})) == MAX_BATCH
    with pytest.raises(BatchTooLarge):
        CUSTOMERS.parse({"items": [item] * (MAX_BATCH + 1)})


def test_amount_boundaries() -> None:
    base = {"order_id": "o", "customer_id": "c", "ordered_at": "2026-01-01"}
    assert ORDERS.parse({**base, "amount": "999999999999.99"})[0].amount == Decimal(
        "999999999999.99"
    )
    for bad in ("1e20", "NaN", "-0.01", "Infinity"):
        with pytest.raises(InvalidBatch):
            ORDERS.parse({**base, "amount": bad})


def test_what_the_document_says_of_each_field_is_what_is_taken() -> None:
    """The OpenAPI document's patterns (models.EMAIL_PATTERN, PHONE_PATTERN, NOT_BLANK and
    shared.validation.TIME_PATTERN) against the models, on values either side of them."""
    taken: list[dict[str, Any]] = [
        {"customer_id": "a", "phone": None},
        {"customer_id": "a", "phone": 9876543210},
        {"customer_id": "a", "phone": " +91 (98) 765-4321 "},
        {"customer_id": "a", "email": " A@B.IN ", "created_at": "1900-01-02"},
        {"customer_id": "a", "created_at": "2000-02-29T23:59:59.5+05:30"},
        {"customer_id": "a", "created_at": 0},
    ]
    refused: list[dict[str, Any]] = [
        {"customer_id": "a", "phone": 98.5},
        {"customer_id": "a", "phone": "+9"},
        {"customer_id": "a", "accepts_sms_marketing": 1},
        {"customer_id": "a", "accepts_sms_marketing": "yes"},
        {"customer_id": "a", "created_at": "20200101"},
        {"customer_id": "a", "created_at": "1900-01-01"},
        {"customer_id": "a", "created_at": 2e10 + 1},
        {"customer_id": " "},
    ]
    patterns = {"phone": PHONE_PATTERN, "email": EMAIL_PATTERN, "created_at": TIME_PATTERN}
    for item in taken:
        CUSTOMERS.parse(item)
        for field, pattern in patterns.items():
            if isinstance(item.get(field), str):
                assert re.search(pattern, item[field]), (field, item[field])
    for item in refused:
        with pytest.raises(InvalidBatch):
            CUSTOMERS.parse(item)
        for field, pattern in patterns.items():
            if isinstance(item.get(field), str):
                assert not re.search(pattern, item[field]), (field, item[field])
    assert not re.search(NOT_BLANK, " ")
