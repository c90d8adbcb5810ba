"""``beacon_formats.items`` mirrors the ingest API's models: a table of items through both,
which must agree on what they accept (the CLI checks items before sending; a mismatch would
show as 422s or as rows refused that the API takes)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from beacon_formats import items
from services.ingest.domain import models

ORDER = {"order_id": "O1", "customer_id": "C1", "amount": "1", "ordered_at": "2026-01-01"}
ORDERS: list[dict[str, Any]] = [
    {**ORDER, "amount": "10.50"},
    {**ORDER, "amount": "-1"},
    {**ORDER, "amount": "1.234"},
    {**ORDER, "order_id": ""},
    {**ORDER, "order_id": "x" * 65},
    {**ORDER, "ordered_at": "1899-12-31T23:00Z"},
    {**ORDER, "ordered_at": "2199-12-31T23:00Z"},
    {**ORDER, "ordered_at": "yesterday"},
    {**ORDER, "ordered_at": "1900-01-01T12:00Z"},
    {**ORDER, "ordered_at": "1900-01-02T12:00+05:30"},
    {**ORDER, "ordered_at": "0001-01-01T00:00+05:30"},
    {**ORDER, "ordered_at": "9999-12-31T23:00-05:00"},
    {"order_id": 7, "customer_id": 8, "amount": 1e3, "ordered_at": 1700000000},
    {**ORDER, "amount": "1e20"},
]
NEW_ORDERS: list[dict[str, Any]] = [
    {k: v for k, v in ORDER.items() if k != "customer_id"},
    {**{k: v for k, v in ORDER.items() if k != "customer_id"}, "customer_email": "a@b.in"},
    {**ORDER, "customer_email": "nope"},
    {**ORDER, "status": "refunded"},
    {**ORDER, "status": "shipped"},
    {**ORDER, "status": "partially_refunded"},
    {**ORDER, "status": "partially_refunded", "refunded_amount": "0.50"},
    {**ORDER, "refunded_amount": "2"},
    {**ORDER, "refunded_amount": "-1"},
    {**ORDER, "currency": "INR"},
    {**ORDER, "currency": "inr"},
    {**ORDER, "currency": "USD"},
    {**ORDER, "currency": ""},
    {**ORDER, "updated_at": "2026-01-02T00:00+05:30"},
    {**ORDER, "updated_at": "1800-01-01"},
    {**ORDER, "customer_name": "x" * 201},
    {**ORDER, "line_items": [{"name": "Kurta", "sku": "K-1", "quantity": 2, "price": "899.00"}]},
    {**ORDER, "line_items": [{"sku": "K-1"}]},
    {**ORDER, "line_items": [{"name": "Kurta", "quantity": -1}]},
    {**ORDER, "line_items": [{"name": "Kurta", "price": "1.001"}]},
    {**ORDER, "line_items": [{"name": "Kurta", "sku": "x" * 65}]},
    {**ORDER, "line_items": [{"name": "Kurta"}] * 501},
]
CUSTOMERS: list[dict[str, Any]] = [
    {"customer_id": "C1", "name": "Zoë"},
    {"customer_id": "C1", "name": ""},
    {"customer_id": "C1", "name": "A", "email": "nope"},
    {"customer_id": "C1", "name": "A", "email": "a@b.in", "phone": "+91 (98) 450-12.345"},
    {"customer_id": "C1", "name": "A", "phone": "call me"},
    {"customer_id": "C1", "name": "A", "city": "x" * 101},
    {"customer_id": "C1", "name": "A", "created_at": "2026-02-30"},
    {"customer_id": "C1", "name": "x" * 201},
]
NEW_CUSTOMERS: list[dict[str, Any]] = [
    {"email": "a@b.in"},
    {"customer_id": "C1"},
    {"name": "A"},
    {"customer_id": "C1", "email": "a@b.in"},
    {"email": "a@b.in", "accepts_email_marketing": True, "accepts_sms_marketing": False},
    {"email": "a@b.in", "accepts_whatsapp_marketing": "maybe"},
    {"email": "a@b.in", "consent_at": "2026-01-01T10:00+05:30", "consent_source": "shopify"},
    {"email": "a@b.in", "consent_source": "x" * 65},
    {"email": "a@b.in", "consent_at": "yesterday"},
]


def accepts(model: type[Any], row: dict[str, Any]) -> bool:
    try:
        model.model_validate(row)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("row", ORDERS)
def test_order_rules_match_the_api(row: dict[str, Any]) -> None:
    assert accepts(items.Order, row) == accepts(models.Order, row)


@pytest.mark.parametrize("row", CUSTOMERS)
def test_customer_rules_match_the_api(row: dict[str, Any]) -> None:
    assert accepts(items.Customer, row) == accepts(models.Customer, row)


@pytest.mark.parametrize("row", NEW_ORDERS)
def test_new_order_fields_match_the_api(row: dict[str, Any]) -> None:
    assert accepts(items.Order, row) == accepts(models.Order, row)


@pytest.mark.parametrize("row", NEW_CUSTOMERS)
def test_new_customer_fields_match_the_api(row: dict[str, Any]) -> None:
    assert accepts(items.Customer, row) == accepts(models.Customer, row)


def test_optional_fields_are_dropped_with_a_warning_and_the_rest_kept() -> None:
    item = {"customer_id": "C1", "name": "A", "phone": "call me", "city": "x" * 101}
    problems: list[tuple[str, str]] = []
    warnings: list[tuple[str, str]] = []
    assert items.check("customers", item, problems, warnings)
    assert item == {"customer_id": "C1", "name": "A"} and problems == []
    assert [f for f, _ in warnings] == ["phone", "city"]

    order = {**ORDER, "line_items": [{"name": "Kurta"}, {"quantity": 2}]}
    assert items.check("orders", order, problems, warnings)
    assert order["line_items"] == [{"name": "Kurta"}]
    assert warnings[-1][0] == "line_items[1]"

    refused = {**ORDER, "amount": "-1", "phone": "call me"}
    assert not items.check("orders", refused, problems, warnings)
    assert [f for f, _ in problems] == ["amount"]
