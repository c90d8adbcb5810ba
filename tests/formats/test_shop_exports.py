"""Generated Shopify and WooCommerce exports (``tests/support/shop_exports.py``: the
platforms' documented layouts with their mess) read with the presets: every buyer's spend
and visits, summed from the items under the product rules, equal the generator's plain
reference computation, and no amount is larger than the truth. No service involved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from beacon_formats import Options, Record, read
from tests.support import shop_exports

SPEND = {"paid", "partially_refunded", "refunded"}
NOT_VISITS = {"cancelled", "voided", "failed"}


def kept(item: dict[str, Any]) -> Decimal:
    """Money kept (the spec): paid / partially refunded / refunded orders net of refunds."""
    if item.get("status", "paid") not in SPEND:
        return Decimal(0)
    amount = Decimal(item["amount"])
    refunded = item.get("refunded_amount")
    if refunded is None:
        refunded = amount if item["status"] == "refunded" else 0
    return amount - Decimal(refunded)


def read_all(kind: str, path: Path, source: str) -> list[Record]:
    with read(kind, path, Options(source=source)) as reading:
        return list(reading)


@pytest.fixture(scope="module", params=["shopify", "woocommerce"])
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    write = (
        shop_exports.write_shopify if request.param == "shopify" else shop_exports.write_woocommerce
    )
    return write(tmp_path_factory.mktemp(request.param), customers=300, orders=900, seed=7)


def test_spend_and_visits_per_buyer_equal_the_reference(shop: Any) -> None:
    expected = shop_exports.expected_by_email(shop)
    spend: dict[str, Decimal] = {}
    visits: dict[str, list[datetime]] = {}
    orders = read_all("orders", shop.orders, shop.platform)
    for record in orders:
        if record.item is None:
            # Only an order that names nobody may be refused (a phone-only checkout).
            assert [f for f, _ in record.problems] == ["customer_email"], record.error
            continue
        item = record.item
        email = item["customer_email"].strip().lower()
        spend[email] = spend.get(email, Decimal(0)) + kept(item)
        assert Decimal(item["amount"]) >= 0 and kept(item) <= Decimal(item["amount"])
        if item["status"] not in NOT_VISITS:
            visits.setdefault(email, []).append(datetime.fromisoformat(item["ordered_at"]))
    assert set(spend) == set(expected)
    for email, truth in expected.items():
        assert spend[email] <= truth.spend, f"{email}: more than the truth"
        assert spend[email] == truth.spend, email
        assert len(visits.get(email, [])) == truth.visits, email
        if truth.visits:
            assert min(visits[email]) == truth.first_visit
            assert max(visits[email]) == truth.last_visit


def test_multi_row_orders_are_one_record_with_their_lines(shop: Any) -> None:
    orders = read_all("orders", shop.orders, shop.platform)
    multi = [r for r in orders if len(r.rows) > 1 and r.item is not None]
    assert multi, "the generator writes orders of several line items"
    for record in orders:
        if record.item is not None:  # a line per row (a quoted note may span lines)
            assert len(record.item["line_items"]) == len(record.rows)
    # Not one continuation row became a record (or a bad row) of its own.
    ids = [r.item["order_id"] for r in orders if r.item is not None]
    assert len(ids) == len(set(ids))


def test_customers_are_read_whole_quotes_stripped(shop: Any) -> None:
    customers = read_all("customers", shop.customers, shop.platform)
    assert all(r.item is not None and not r.problems for r in customers), [
        r.error for r in customers if r.problems
    ]
    items = [r.item for r in customers if r.item is not None]
    for item in items:
        assert not str(item.get("customer_id", "")).startswith("'")
        assert not str(item.get("phone", "")).startswith("'")
        assert item["email"] == item["email"].strip()
    if shop.platform == "shopify":
        assert all(i["consent_source"] == "shopify" for i in items)
        assert any(i["accepts_email_marketing"] for i in items)
        assert any("name" not in i for i in items)  # email-only customers
    else:
        assert all("customer_id" not in i for i in items)  # the email is the key


def test_the_generic_sheet_refuses_only_what_reads_two_ways_or_is_foreign(tmp_path: Path) -> None:
    path = shop_exports.write_generic_messy(tmp_path)
    with read("orders", path) as reading:
        assert "day first" in reading.header.dates
        records = list(reading)

    def reasons() -> Iterator[str]:
        for r in records:
            if r.item is None:
                yield r.error

    refused = list(reasons())
    assert refused and all("reads two ways" in e or "USD" in e for e in refused)
    good = [r.item for r in records if r.item is not None]
    assert all(Decimal(i["amount"]) > 0 for i in good)
    assert {i["status"] for i in good} <= {"paid", "pending", "refunded"}
