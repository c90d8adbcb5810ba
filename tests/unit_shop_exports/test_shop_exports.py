"""Self-test of tests.support.shop_exports: layouts, mess, determinism, reference numbers."""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support import shop_exports as se


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert all(len(row) == len(header) for row in body), path
    return header, [dict(zip(header, row, strict=True)) for row in body]


def norm(email: str) -> str:
    return email.strip().lower()


@pytest.fixture(scope="module")
def shopify(tmp_path_factory: pytest.TempPathFactory) -> se.ShopFiles:
    return se.write_shopify(tmp_path_factory.mktemp("shopify"))


@pytest.fixture(scope="module")
def woo(tmp_path_factory: pytest.TempPathFactory) -> se.ShopFiles:
    return se.write_woocommerce(tmp_path_factory.mktemp("woo"))


# ---- layouts ---------------------------------------------------------------------------


def test_documented_header_sizes() -> None:
    assert len(se.SHOPIFY_CUSTOMERS_HEADER) == 20
    assert len(se.SHOPIFY_ORDERS_HEADER) == 79
    assert len(se.WOO_CUSTOMERS_HEADER) == 12
    assert len(se.WOO_ORDERS_HEADER) == 55
    for header in (se.SHOPIFY_ORDERS_HEADER, se.WOO_ORDERS_HEADER, se.WOO_CUSTOMERS_HEADER):
        assert len(set(header)) == len(header)


def test_files_have_the_documented_headers(shopify: se.ShopFiles, woo: se.ShopFiles) -> None:
    assert read(shopify.customers)[0] == list(se.SHOPIFY_CUSTOMERS_HEADER)
    assert read(shopify.orders)[0] == list(se.SHOPIFY_ORDERS_HEADER)
    assert read(woo.customers)[0] == list(se.WOO_CUSTOMERS_HEADER)
    assert read(woo.orders)[0] == list(se.WOO_ORDERS_HEADER)
    assert shopify.platform == "shopify" and woo.platform == "woocommerce"


def test_sizes_follow_the_arguments(tmp_path: Path) -> None:
    files = se.write_shopify(tmp_path, customers=40, orders=120, seed=3)
    _, customers = read(files.customers)
    _, rows = read(files.orders)
    assert len(customers) == 40
    assert len({row["Name"] for row in rows}) == 120


# ---- determinism -----------------------------------------------------------------------


@pytest.mark.parametrize("write", [se.write_shopify, se.write_woocommerce])
def test_generation_is_deterministic(tmp_path: Path, write: Callable[..., se.ShopFiles]) -> None:
    first = write(tmp_path / "a", customers=60, orders=200, seed=11)
    again = write(tmp_path / "b", customers=60, orders=200, seed=11)
    other = write(tmp_path / "c", customers=60, orders=200, seed=12)
    for name in ("customers", "orders"):
        a, b, c = (getattr(files, name).read_bytes() for files in (first, again, other))
        assert a == b
        assert a != c


def test_generic_is_deterministic(tmp_path: Path) -> None:
    a = se.write_generic_messy(tmp_path / "a", 5).read_bytes()
    assert a == se.write_generic_messy(tmp_path / "b", 5).read_bytes()
    assert a != se.write_generic_messy(tmp_path / "c", 6).read_bytes()


# ---- Shopify mess ----------------------------------------------------------------------


def test_shopify_continuation_rows(shopify: se.ShopFiles) -> None:
    _, rows = read(shopify.orders)
    seen: set[str] = set()
    continuations = []
    for row in rows:
        if row["Name"] in seen:
            continuations.append(row)
        seen.add(row["Name"])
    assert len(continuations) > 20
    allowed = set(se.SHOPIFY_CONTINUATION_COLUMNS)
    for row in continuations:
        assert {column for column, value in row.items() if value} <= allowed
        assert row["Lineitem name"] and row["Created at"]
        assert row["Financial Status"] == row["Total"] == ""


def test_shopify_ids_phones_and_nameless_customers(shopify: se.ShopFiles) -> None:
    _, customers = read(shopify.customers)
    assert all(re.fullmatch(r"'\d{13}", row["Customer ID"]) for row in customers)
    phones = [row["Phone"] for row in customers if row["Phone"]]
    assert phones and all(re.fullmatch(r"'\+91\d{10}", phone) for phone in phones)
    assert any(row["Default Address Phone"].startswith("'+91") for row in customers)
    nameless = [row for row in customers if not row["First Name"] and not row["Last Name"]]
    assert nameless and all(row["Email"] for row in nameless)
    for column in ("Accepts Email Marketing", "Accepts SMS Marketing", "Tax Exempt"):
        assert {row[column] for row in customers} == {"yes", "no"}
    notes = [row["Note"] for row in customers if row["Note"]]
    assert any("\n" in n for n in notes) and any('"' in n and "," in n for n in notes)


def test_shopify_orders_mess(shopify: se.ShopFiles) -> None:
    _, rows = read(shopify.orders)
    firsts = [row for row in rows if row["Financial Status"]]
    assert {row["Financial Status"] for row in firsts} == set(se.SHOPIFY_FINANCIAL_STATUSES)
    assert all(row["Created at"].endswith(" +0530") for row in rows)
    datetime.strptime(firsts[0]["Created at"], "%Y-%m-%d %H:%M:%S %z")
    cancelled = [row for row in firsts if row["Cancelled at"]]
    assert {row["Financial Status"] for row in cancelled} >= {"voided", "refunded", "paid"}
    assert any(row["Billing Zip"].startswith("'") for row in firsts)
    assert any(not row["Email"] for row in firsts), "a phone-only checkout"
    notes = [row["Notes"] for row in firsts if row["Notes"]]
    assert any("\n" in n and "," in n and '"' in n for n in notes)
    partial = [r for r in firsts if r["Financial Status"] == "partially_refunded"]
    assert all(Decimal(0) < Decimal(r["Refunded Amount"]) < Decimal(r["Total"]) for r in partial)
    assert any(r["Tax 2 Name"] == "SGST 9%" for r in firsts)
    assert any(r["Tax 1 Name"] == "IGST 18%" for r in firsts)


def test_shopify_guests_and_email_variants(shopify: se.ShopFiles) -> None:
    _, customers = read(shopify.customers)
    _, rows = read(shopify.orders)
    listed = {norm(row["Email"]): row["Email"] for row in customers}
    emails = [row["Email"] for row in rows if row["Email"]]
    assert {norm(e) for e in emails} - set(listed), "orders by buyers not in the customer file"
    assert any(listed.get(norm(e), e) != e for e in emails), "same person, other spelling"
    assert any(e != norm(e) for e in listed.values()), "customer file spells some oddly"
    assert any(e != e.strip() for e in emails)


# ---- WooCommerce mess ------------------------------------------------------------------


def test_woo_orders_mess(woo: se.ShopFiles) -> None:
    _, rows = read(woo.orders)
    per_order = Counter(row["order_id"] for row in rows)
    assert max(per_order.values()) >= 2, "one row per item"
    firsts = list({row["order_id"]: row for row in reversed(rows)}.values())
    assert {row["status"] for row in firsts} == set(se.WOO_STATUSES)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row["date"]) for row in rows)
    assert any(row["customer_id"] == "0" for row in firsts)
    partial = [
        r
        for r in firsts
        if r["status"] in {"completed", "processing"}
        and Decimal(0) < Decimal(r["refunded_total"]) < Decimal(r["order_total"])
    ]
    assert partial
    refunded = [r for r in firsts if r["status"] == "refunded"]
    assert all(r["refunded_total"] == r["order_total"] for r in refunded)
    assert any(row["billing_phone"].startswith("'+91") for row in firsts)
    notes = [row["customer_note"] for row in firsts if row["customer_note"]]
    assert any("\n" in n and "," in n and '"' in n for n in notes)
    for order_id, count in per_order.items():
        if count > 1:
            same = [r for r in rows if r["order_id"] == order_id]
            assert len({r["order_total"] for r in same}) == 1
            assert len({r["item_id"] for r in same}) == count


def test_woo_customers_guests_and_variants(woo: se.ShopFiles) -> None:
    _, customers = read(woo.customers)
    _, rows = read(woo.orders)
    listed = {norm(row["Email"]): row["Email"] for row in customers}
    emails = [row["billing_email"] for row in rows]
    assert {norm(e) for e in emails} - set(listed), "guests missing from the customer file"
    assert any(listed.get(norm(e), e) != e for e in emails)
    assert any(not row["Name"] and row["Email"] for row in customers)
    assert any(not row["Date registered"] and not row["Username"] for row in customers)
    iso = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"
    assert all(re.fullmatch(iso, row["Last active"]) for row in customers)
    assert all(re.fullmatch(r"\d+(\.\d{1,2})?", row["Total spend"]) for row in customers)


# ---- generic ---------------------------------------------------------------------------


def test_generic_messy_file(tmp_path: Path) -> None:
    path = se.write_generic_messy(tmp_path, 7)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    header, rows = read(path)
    assert header == list(se.GENERIC_HEADER)
    amounts = {row["Amount"] for row in rows}
    assert {"₹1,49,999.00", "Rs. 499", "$12.50", "378,00"} <= amounts
    days = [int(row["Order Date"].split("/")[0]) for row in rows]
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", row["Order Date"]) for row in rows)
    assert any(day > 12 for day in days)


# ---- reference computation -------------------------------------------------------------


def write_rows(path: Path, header: tuple[str, ...], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def shopify_order(
    name: str, email: str, status: str, total: str, refunded: str, at: str
) -> dict[str, str]:
    return {
        "Name": name,
        "Email": email,
        "Financial Status": status,
        "Total": total,
        "Refunded Amount": refunded,
        "Created at": at,
        "Lineitem quantity": "1",
        "Lineitem name": "Kurta",
        "Lineitem price": total,
    }


def test_expected_on_a_hand_written_shopify_file(tmp_path: Path) -> None:
    rows = [
        shopify_order(
            "#1001", "Asha@Example.in", "paid", "1000.00", "0.00", "2024-02-21 07:55:00 +0530"
        ),
        {  # a second line of #1001: a line, not an order, and its price is not a total
            "Name": "#1001",
            "Email": "Asha@Example.in",
            "Created at": "2024-02-21 07:55:00 +0530",
            "Lineitem quantity": "1",
            "Lineitem name": "Saree",
            "Lineitem price": "600.00",
        },
        shopify_order(
            "#1002",
            " asha@example.in ",
            "partially_refunded",
            "500.00",
            "200.00",
            "2024-03-01 00:10:00 +0530",
        ),
        shopify_order(
            "#1003", "ASHA@example.in", "voided", "700.00", "0.00", "2024-04-01 10:00:00 +0530"
        )
        | {"Cancelled at": "2024-04-01 11:00:00 +0530"},
        shopify_order(
            "#1004", "ben@example.in", "pending", "300.00", "0.00", "2024-01-05 12:00:00 +0530"
        ),
        shopify_order(
            "#1005", "ben@example.in", "refunded", "250.00", "250.00", "2024-01-10 09:00:00 +0530"
        ),
    ]
    orders = write_rows(tmp_path / "orders_export_1.csv", se.SHOPIFY_ORDERS_HEADER, rows)
    files = se.ShopFiles(tmp_path / "customers_export.csv", orders, "shopify")
    got = se.expected_by_email(files)
    assert got == {
        "asha@example.in": se.Expected(
            Decimal("1300.00"),
            2,
            datetime(2024, 2, 21, 2, 25, tzinfo=UTC),
            datetime(2024, 2, 29, 18, 40, tzinfo=UTC),
        ),
        "ben@example.in": se.Expected(
            Decimal("0.00"),
            2,
            datetime(2024, 1, 5, 6, 30, tzinfo=UTC),
            datetime(2024, 1, 10, 3, 30, tzinfo=UTC),
        ),
    }


def woo_row(
    order_id: str, email: str, status: str, total: str, refunded: str, date: str
) -> dict[str, str]:
    return {
        "order_id": order_id,
        "date": date,
        "status": status,
        "order_total": total,
        "refunded_total": refunded,
        "billing_email": email,
        "customer_id": "0",
        "item_name": "Kurta",
        "item_total": "400.00",
    }


def test_expected_on_a_hand_written_woo_file(tmp_path: Path) -> None:
    rows = [
        woo_row("10", "Asha@Example.in", "completed", "1000.00", "0.00", "2024-02-21 07:55:00"),
        woo_row("10", "Asha@Example.in", "completed", "1000.00", "0.00", "2024-02-21 07:55:00"),
        woo_row("11", " asha@example.in", "processing", "500.00", "200.00", "2024-03-01 00:10:00"),
        woo_row("12", "asha@example.in", "cancelled", "700.00", "0.00", "2024-04-01 10:00:00"),
        woo_row("13", "ben@example.in", "failed", "300.00", "0.00", "2024-01-02 10:00:00"),
        woo_row("14", "BEN@example.in ", "on-hold", "250.00", "0.00", "2024-01-05 12:00:00"),
    ]
    orders = write_rows(tmp_path / "orders.csv", se.WOO_ORDERS_HEADER, rows)
    files = se.ShopFiles(tmp_path / "customers.csv", orders, "woocommerce")
    ist = se.expected_by_email(files)
    assert ist["asha@example.in"] == se.Expected(
        Decimal("1300.00"),
        2,
        datetime(2024, 2, 21, 2, 25, tzinfo=UTC),
        datetime(2024, 2, 29, 18, 40, tzinfo=UTC),
    )
    assert ist["ben@example.in"] == se.Expected(
        Decimal("0.00"),
        1,
        datetime(2024, 1, 5, 6, 30, tzinfo=UTC),
        datetime(2024, 1, 5, 6, 30, tzinfo=UTC),
    )
    utc = se.expected_by_email(files, shop_timezone="UTC")
    assert utc["asha@example.in"].first_visit == datetime(2024, 2, 21, 7, 55, tzinfo=UTC)


def test_only_failed_orders_give_an_entry_without_visits(tmp_path: Path) -> None:
    rows = [woo_row("1", "x@example.in", "failed", "99.00", "0.00", "2024-01-01 10:00:00")]
    orders = write_rows(tmp_path / "orders.csv", se.WOO_ORDERS_HEADER, rows)
    got = se.expected_by_email(se.ShopFiles(tmp_path / "c.csv", orders, "woocommerce"))
    assert got == {"x@example.in": se.Expected(Decimal("0.00"), 0, None, None)}


def test_shopify_total_spent_agrees_with_the_reference(shopify: se.ShopFiles) -> None:
    """The customer file's Total Spent (from the plan) matches the reading of the orders."""
    _, customers = read(shopify.customers)
    expected = se.expected_by_email(shopify)
    for row in customers:
        entry = expected.get(norm(row["Email"]))
        assert Decimal(row["Total Spent"]) == (entry.spend if entry else Decimal("0.00"))


def test_reference_on_generated_files_is_plausible(
    shopify: se.ShopFiles, woo: se.ShopFiles
) -> None:
    for files in (shopify, woo):
        expected = se.expected_by_email(files)
        assert len(expected) > 250
        assert all(key == norm(key) for key in expected)
        for entry in expected.values():
            assert entry.spend >= 0
            assert (entry.first_visit is None) == (entry.visits == 0)
            if entry.first_visit and entry.last_visit:
                assert entry.first_visit.tzinfo is UTC and entry.first_visit <= entry.last_visit


def test_unknown_platform_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        se.expected_by_email(se.ShopFiles(tmp_path / "a", tmp_path / "b", "magento"))
