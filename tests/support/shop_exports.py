"""Seeded, realistic, messy shop export files, and a plain reference computation over them.

Writes the export files an Indian (INR, Asia/Kolkata) shop gets out of Shopify and
WooCommerce, in the platforms' own layouts: every documented column, in order, with values
in the platform's own formats (see /work/notes/layouts.md for the sources):

* Shopify: Admin > Customers > Export (``customers_export.csv``) and Admin > Orders >
  Export (``orders_export_1.csv``, one row per line item; rows 2..n of an order carry only
  the order name, email, created-at and the line-item columns).
* WooCommerce: Analytics > Customers "Download" (browser CSV) and the WooCommerce.com
  "Customer / Order / Coupon Export" extension's "Default - One Row per Item" order CSV
  (order-level columns repeated on every item row). WooCommerce core has no order CSV with
  buyer emails (Analytics > Orders is a per-order summary with a customer name only).

The files carry the mess real exports carry: apostrophe-quoted ids and phones, buyers with
only an email, ``+0530`` offsets (Shopify) and offset-free shop-local times (WooCommerce),
multi-item orders, refunded / partially refunded / voided / pending / cancelled / failed
orders, guest buyers who are not in the customer file, the same email in other case or with
spaces, notes with line breaks, commas and quotes, yes/no consent columns.

``expected_by_email`` recomputes, from the written FILES only (``csv`` module, no Beacon
code), what each buyer spent and how many visits they made, under the product rules.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

_T = TypeVar("_T")
_StatusPicker = Callable[[random.Random, int], tuple[str, bool]]
_Cell = Callable[[str], str]

# --------------------------------------------------------------------------------------
# Documented layouts
# --------------------------------------------------------------------------------------

# Shopify Admin > Customers > Export, current header (2024 onwards). Seen verbatim in
# https://github.com/buttondown/roadmap/issues/2700 (2024-05-01) and in real exports
# (e.g. sumitknaxtre/oakter_web customers_export.csv, an Indian store, which adds a
# store-specific trailing "Accepts WhatsApp Marketing"). Import template / column meaning:
# https://help.shopify.com/en/manual/customers/import-export-customers (copy:
# https://ascendfs.zendesk.com/hc/en-us/articles/26465992706843). Older headers: see notes.
SHOPIFY_CUSTOMERS_HEADER: tuple[str, ...] = (
    "Customer ID",
    "First Name",
    "Last Name",
    "Email",
    "Accepts Email Marketing",
    "Default Address Company",
    "Default Address Address1",
    "Default Address Address2",
    "Default Address City",
    "Default Address Province Code",
    "Default Address Country Code",
    "Default Address Zip",
    "Default Address Phone",
    "Phone",
    "Accepts SMS Marketing",
    "Total Spent",
    "Total Orders",
    "Note",
    "Tax Exempt",
    "Tags",
)

# Shopify Admin > Orders > Export, current 79-column header. Identical in three independent
# real exports (2025-2026): sumitknaxtre/oakter_web, Ammar282828/gemstrack-pos and
# ramkumar03ace/Shopify-Data-Ingestion-Insights-Service (orders_export_1.csv). Value sets:
# https://help.shopify.com/en/manual/migrating-to-shopify/transporter-app/csv-orders;
# one row per line item: https://docs.xbp.app/docs/development/integrations/shopify/order-format
SHOPIFY_ORDERS_HEADER: tuple[str, ...] = (
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Fulfilled at",
    "Accepts Marketing",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Discount Amount",
    "Shipping Method",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem compare at price",
    "Lineitem sku",
    "Lineitem requires shipping",
    "Lineitem taxable",
    "Lineitem fulfillment status",
    "Billing Name",
    "Billing Street",
    "Billing Address1",
    "Billing Address2",
    "Billing Company",
    "Billing City",
    "Billing Zip",
    "Billing Province",
    "Billing Country",
    "Billing Phone",
    "Shipping Name",
    "Shipping Street",
    "Shipping Address1",
    "Shipping Address2",
    "Shipping Company",
    "Shipping City",
    "Shipping Zip",
    "Shipping Province",
    "Shipping Country",
    "Shipping Phone",
    "Notes",
    "Note Attributes",
    "Cancelled at",
    "Payment Method",
    "Payment Reference",
    "Refunded Amount",
    "Vendor",
    "Outstanding Balance",
    "Employee",
    "Location",
    "Device ID",
    "Id",
    "Tags",
    "Risk Level",
    "Source",
    "Lineitem discount",
    "Tax 1 Name",
    "Tax 1 Value",
    "Tax 2 Name",
    "Tax 2 Value",
    "Tax 3 Name",
    "Tax 3 Value",
    "Tax 4 Name",
    "Tax 4 Value",
    "Tax 5 Name",
    "Tax 5 Value",
    "Phone",
    "Receipt Number",
    "Duties",
    "Billing Province Name",
    "Shipping Province Name",
    "Payment ID",
    "Payment Terms Name",
    "Next Payment Due At",
    "Payment References",
)

# Shopify order columns that continuation rows (line items 2..n) fill, as observed in the
# three real exports above (Email only when the order has one).
SHOPIFY_CONTINUATION_COLUMNS: tuple[str, ...] = (
    "Name",
    "Email",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem compare at price",
    "Lineitem sku",
    "Lineitem requires shipping",
    "Lineitem taxable",
    "Lineitem fulfillment status",
    "Vendor",
    "Lineitem discount",
)

# WooCommerce Analytics > Customers, "Download" generated in the browser (all rows loaded):
# labels of getHeadersContent() in woocommerce plugins/woocommerce/client/admin/client/
# analytics/report/customers/table.js; values are each cell's `value`
# (packages/js/csv-export/src/index.ts generateCSVDataFromTable).
WOO_CUSTOMERS_HEADER: tuple[str, ...] = (
    "Name",
    "Username",
    "Last active",
    "Date registered",
    "Email",
    "Orders",
    "Total spend",
    "AOV",
    "Country / Region",
    "City",
    "Region",
    "Postal code",
)

# The same report when it is too big for the browser and is emailed instead
# (src/Admin/API/Reports/Customers/Controller.php get_export_columns). Reference only.
WOO_CUSTOMERS_EMAILED_HEADER: tuple[str, ...] = (
    "Name",
    "Username",
    "Last Active",
    "Sign Up",
    "Email",
    "Orders",
    "Total Spend",
    "AOV",
    "Country / Region",
    "City",
    "Region",
    "Postal Code",
)

# WooCommerce.com "Customer / Order / Coupon Export" (SkyVerge) 'default_one_row_per_item'
# format, v4.x-5.5.0 (includes/class-wc-customer-order-csv-export-formats.php, mirrored at
# github.com/lafranceinsoumise/woocommerce-customer-order-csv-export). Formats are described
# at https://woocommerce.com/document/ordercustomer-csv-export/ (copy:
# https://tw.godaddy.com/help/about-customerordercoupon-exports-export-formats-40232).
# Note: the column key is order_date but its header is "date".
WOO_ORDERS_HEADER: tuple[str, ...] = (
    "order_id",
    "order_number",
    "date",
    "status",
    "shipping_total",
    "shipping_tax_total",
    "fee_total",
    "fee_tax_total",
    "tax_total",
    "discount_total",
    "order_total",
    "refunded_total",
    "order_currency",
    "payment_method",
    "shipping_method",
    "customer_id",
    "billing_first_name",
    "billing_last_name",
    "billing_company",
    "billing_email",
    "billing_phone",
    "billing_address_1",
    "billing_address_2",
    "billing_postcode",
    "billing_city",
    "billing_state",
    "billing_country",
    "shipping_first_name",
    "shipping_last_name",
    "shipping_address_1",
    "shipping_address_2",
    "shipping_postcode",
    "shipping_city",
    "shipping_state",
    "shipping_country",
    "shipping_company",
    "customer_note",
    "item_id",
    "item_product_id",
    "item_name",
    "item_sku",
    "item_quantity",
    "item_subtotal",
    "item_subtotal_tax",
    "item_total",
    "item_total_tax",
    "item_refunded",
    "item_refunded_qty",
    "item_meta",
    "shipping_items",
    "fee_items",
    "tax_items",
    "coupon_items",
    "order_notes",
    "download_permissions_granted",
)

GENERIC_HEADER: tuple[str, ...] = (
    "Order No",
    "Order Date",
    "Customer Name",
    "Customer Email",
    "Amount",
    "Payment Status",
)

SHOPIFY_FINANCIAL_STATUSES: tuple[str, ...] = (
    "paid",
    "partially_refunded",
    "refunded",
    "voided",
    "pending",
    "authorized",
    "partially_paid",
    "expired",
)
WOO_STATUSES: tuple[str, ...] = (
    "completed",
    "processing",
    "on-hold",
    "pending",
    "cancelled",
    "refunded",
    "failed",
)

SHOP_TZ = ZoneInfo("Asia/Kolkata")
_START = datetime(2025, 4, 1, 9, 0, tzinfo=SHOP_TZ)
_SPAN_SECONDS = 365 * 24 * 3600
_CENT = Decimal("0.01")
_GST = Decimal("0.18")

# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


@dataclass
class ShopFiles:
    """The two files of one shop export."""

    customers: Path
    orders: Path
    platform: str  # "shopify" | "woocommerce"


@dataclass
class Expected:
    """What one buyer is worth under the product rules (times UTC-aware)."""

    spend: Decimal
    visits: int
    first_visit: datetime | None
    last_visit: datetime | None


def write_shopify(
    dir: Path, *, customers: int = 300, orders: int = 900, seed: int = 7
) -> ShopFiles:
    """Write ``customers_export.csv`` and ``orders_export_1.csv`` as Shopify exports them."""
    rng = random.Random(seed)
    people = _people(rng, customers, platform="shopify")
    plan = _plan(rng, people, orders, platform="shopify")
    dir.mkdir(parents=True, exist_ok=True)
    customers_path = dir / "customers_export.csv"
    orders_path = dir / "orders_export_1.csv"
    _write(customers_path, SHOPIFY_CUSTOMERS_HEADER, _shopify_customer_rows(people, plan))
    _write(orders_path, SHOPIFY_ORDERS_HEADER, _shopify_order_rows(rng, plan))
    return ShopFiles(customers_path, orders_path, "shopify")


def write_woocommerce(
    dir: Path, *, customers: int = 300, orders: int = 900, seed: int = 7
) -> ShopFiles:
    """Write an Analytics > Customers download and a Customer/Order/Coupon Export orders CSV."""
    rng = random.Random(seed)
    people = _people(rng, customers, platform="woocommerce")
    plan = _plan(rng, people, orders, platform="woocommerce")
    dir.mkdir(parents=True, exist_ok=True)
    last_day = max((o.placed for o in plan), default=_START).date().isoformat()
    customers_path = dir / f"customers_{last_day}.csv"
    orders_path = dir / f"orders-export-{last_day.replace('-', '_')}_23_59_00.csv"
    _write_quoted(customers_path, WOO_CUSTOMERS_HEADER, _woo_customer_rows(people, plan), _js_cell)
    _write_quoted(orders_path, WOO_ORDERS_HEADER, _woo_order_rows(rng, plan), _php_cell)
    return ShopFiles(customers_path, orders_path, "woocommerce")


def write_generic_messy(dir: Path, seed: int = 7) -> Path:
    """Write a hand-kept orders sheet (Excel-saved: BOM, CRLF) with ambiguous amounts/dates."""
    rng = random.Random(seed)
    dir.mkdir(parents=True, exist_ok=True)
    path = dir / "orders_messy.csv"
    rows = [_generic_row(rng, i) for i in range(40)]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(GENERIC_HEADER)
        writer.writerows(rows)
    return path


def expected_by_email(
    files: ShopFiles, *, shop_timezone: str = "Asia/Kolkata"
) -> dict[str, Expected]:
    """Spend and visits per buyer (trimmed, lower-cased email), read back from the files.

    Every email that appears on an order gets an entry (visits 0 and no dates when none of
    its orders counts as a visit); orders without an email are nobody's.
    """
    if files.platform == "shopify":
        orders = _read_shopify_orders(files.orders)
    elif files.platform == "woocommerce":
        orders = _read_woo_orders(files.orders, ZoneInfo(shop_timezone))
    else:
        raise ValueError(f"unknown platform {files.platform!r}")
    return _tally(orders)


# --------------------------------------------------------------------------------------
# Reference computation (plain Python over the files)
# --------------------------------------------------------------------------------------

_SPEND_STATUSES = {"paid", "partially_refunded", "refunded"}
_NOT_VISITS = {"cancelled", "voided", "failed"}
_SHOPIFY_MAP = {
    "paid": "paid",
    "partially_refunded": "partially_refunded",
    "refunded": "refunded",
    "voided": "voided",
    "pending": "pending",
    "authorized": "pending",
    "partially_paid": "pending",
    "expired": "failed",
}
_WOO_MAP = {
    "completed": "paid",
    "processing": "paid",
    "on-hold": "pending",
    "pending": "pending",
    "refunded": "refunded",
    "cancelled": "cancelled",
    "failed": "failed",
}


@dataclass(frozen=True)
class _ReadOrder:
    email: str
    status: str
    total: Decimal
    refunded: Decimal
    placed: datetime


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _first_rows(rows: Iterable[dict[str, str]], key: str) -> list[dict[str, str]]:
    """The first row of each order; later rows with the same key are its other lines."""
    seen: set[str] = set()
    firsts = []
    for row in rows:
        if row[key] not in seen:
            seen.add(row[key])
            firsts.append(row)
    return firsts


def _read_shopify_orders(path: Path) -> list[_ReadOrder]:
    orders = []
    for row in _first_rows(_read_rows(path), "Name"):
        status = _SHOPIFY_MAP[row["Financial Status"]]
        if row["Cancelled at"].strip():
            status = "cancelled"
        placed = datetime.strptime(row["Created at"], "%Y-%m-%d %H:%M:%S %z")
        orders.append(
            _ReadOrder(
                email=row["Email"].strip().lower(),
                status=status,
                total=Decimal(row["Total"]),
                refunded=Decimal(row["Refunded Amount"] or "0"),
                placed=placed.astimezone(UTC),
            )
        )
    return orders


def _read_woo_orders(path: Path, tz: ZoneInfo) -> list[_ReadOrder]:
    orders = []
    for row in _first_rows(_read_rows(path), "order_id"):
        total = Decimal(row["order_total"])
        refunded = Decimal(row["refunded_total"] or "0")
        status = _WOO_MAP[row["status"]]
        if status == "paid" and Decimal(0) < refunded < total:
            status = "partially_refunded"
        placed = datetime.strptime(row["date"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=tz)
        orders.append(
            _ReadOrder(
                email=row["billing_email"].strip().lower(),
                status=status,
                total=total,
                refunded=refunded,
                placed=placed.astimezone(UTC),
            )
        )
    return orders


def _tally(orders: Iterable[_ReadOrder]) -> dict[str, Expected]:
    result: dict[str, Expected] = {}
    for order in orders:
        if not order.email:
            continue
        entry = result.setdefault(order.email, Expected(Decimal("0.00"), 0, None, None))
        if order.status in _SPEND_STATUSES:
            entry.spend += order.total - order.refunded
        if order.status not in _NOT_VISITS:
            entry.visits += 1
            entry.first_visit = min(filter(None, [entry.first_visit, order.placed]))
            entry.last_visit = max(filter(None, [entry.last_visit, order.placed]))
    return result


# --------------------------------------------------------------------------------------
# The shop: people and orders, platform-neutral
# --------------------------------------------------------------------------------------

_FIRST = (
    "Aarav",
    "Ananya",
    "Vihaan",
    "Diya",
    "Ishaan",
    "Saanvi",
    "Arjun",
    "Kavya",
    "Rohan",
    "Meera",
    "Siddharth",
    "Priya",
    "Rahul",
    "Sneha",
    "Karthik",
    "Lakshmi",
    "Zoya",
    "राहुल",
)
_LAST = (
    "Sharma",
    "Iyer",
    "Nair",
    "Reddy",
    "Patel",
    "Gupta",
    "Mukherjee",
    "D'Souza",
    "Singh",
    "Khan",
    "Menon",
    "Banerjee",
    "Rao",
    "Kulkarni",
    "Fernandes",
    "शर्मा",
)
_DOMAINS = ("gmail.com", "yahoo.co.in", "rediffmail.com", "outlook.com", "hotmail.com")
# (city, state code, state name, PIN prefix)
_PLACES = (
    ("Mumbai", "MH", "Maharashtra", "400"),
    ("Pune", "MH", "Maharashtra", "411"),
    ("Bengaluru", "KA", "Karnataka", "560"),
    ("Chennai", "TN", "Tamil Nadu", "600"),
    ("Kolkata", "WB", "West Bengal", "700"),
    ("New Delhi", "DL", "Delhi", "110"),
    ("Jaipur", "RJ", "Rajasthan", "302"),
    ("Hyderabad", "TS", "Telangana", "500"),
    ("Kochi", "KL", "Kerala", "682"),
    ("Lucknow", "UP", "Uttar Pradesh", "226"),
)
# (title, sku, price incl. GST, compare-at)
_CATALOG = (
    ("Cotton Kurta - M", "KUR-COT-M", "899.00", "1299.00"),
    ("Handloom Saree - Indigo", "SAR-HDL-IND", "4999.00", ""),
    ("Brass Diya Set (4 pcs)", "DIY-BRS-4", "649.00", "799.00"),
    ("Masala Chai Tin 250g", "TEA-MSL-250", "349.00", ""),
    ("Silk Dupatta, Maroon", "DUP-SLK-MRN", "1499.00", "1999.00"),
    ('Kolhapuri Chappal - 8"', "CHP-KOL-8", "1199.00", ""),
    ("Pashmina Shawl", "SHW-PSH-01", "12999.00", "15999.00"),
    ("Gold-plated Jhumka Set", "JHM-GLD-01", "149999.00", ""),
)
_NOTES = (
    'Please call before delivery, gate code "4521".\nLeave with the guard, not the maid.',
    'Gift wrap, please. Card: "Happy Diwali, Amma!"',
    "Deliver after 6 pm,\nweekdays only",
    "COD - keep change ready, ₹500 notes",
)
_CUSTOMER_NOTES = (
    'Wholesale enquiry, wants "net 30".\nFollow up in March, via WhatsApp.',
    "Returned once, size issue",
    'Calls herself "Meenu", prefers Hindi',
)


@dataclass
class _Person:
    first: str
    last: str
    email: str  # canonical: lower-case, no spaces
    listed_email: str  # as written in the customer file
    phone: str
    place: tuple[str, str, str, str]
    pin: str
    street: str
    in_customer_file: bool
    nameless: bool  # in the customer file with an email only
    accepts_email: bool
    accepts_sms: bool
    customer_id: int  # Shopify customer id / WooCommerce user id (0: guest)
    registered: datetime
    note: str = ""
    tags: str = ""


@dataclass
class _Line:
    title: str
    sku: str
    qty: int
    price: Decimal
    compare_at: str


@dataclass
class _Order:
    number: int
    person: _Person | None  # None: a phone-only checkout
    email_written: str
    placed: datetime
    status: str  # platform's own status token
    cancelled: bool
    lines: list[_Line]
    discount: Decimal
    shipping: Decimal
    refunded: Decimal
    note: str
    coupon: str
    guest_checkout: bool  # WooCommerce: a registered person checking out as guest
    total: Decimal = field(init=False)

    def __post_init__(self) -> None:
        self.total = self.subtotal + self.shipping

    @property
    def subtotal(self) -> Decimal:
        return sum((line.price * line.qty for line in self.lines), Decimal(0)) - self.discount


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if "a" <= ch <= "z") or "user"


def _variant(email: str, rng: random.Random) -> str:
    """The same address as a person might type it: other case, stray spaces."""
    local, _, domain = email.partition("@")
    choices = [
        email.upper(),
        f"  {email}",
        f"{email} ",
        f"{local.capitalize()}@{domain.capitalize()}",
        f" {local.title()}@{domain} ",
    ]
    return rng.choice(choices)


def _people(rng: random.Random, customers: int, *, platform: str) -> list[_Person]:
    """Listed customers first, then guests (about one in five) who are not in the file."""
    guests = max(3, customers // 5)
    base_id = 7210448300003 if platform == "shopify" else 0
    people = []
    for i in range(customers + guests):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        email = f"{_slug(first)}.{_slug(last)}{i}@{rng.choice(_DOMAINS)}"
        listed = i < customers
        place = rng.choice(_PLACES)
        person = _Person(
            first=first,
            last=last,
            email=email,
            listed_email=_variant(email, rng) if i % 9 == 4 else email,
            phone=f"+91{rng.choice('6789')}{rng.randrange(10**9):09d}",
            place=place,
            pin=f"{place[3]}{rng.randrange(1, 100):03d}",
            street=f"{rng.randrange(1, 400)}, {rng.choice(['MG Road', 'Link Road', 'Station Rd'])}",
            in_customer_file=listed,
            nameless=listed and (i % 10 == 1),
            accepts_email=rng.random() < 0.4,
            accepts_sms=rng.random() < 0.2,
            customer_id=(base_id + i * 65536)
            if platform == "shopify"
            else (i + 2 if listed else 0),
            registered=_START - timedelta(days=rng.randrange(1, 400), seconds=rng.randrange(86400)),
        )
        if listed and i % 13 == 2:
            person.note = rng.choice(_CUSTOMER_NOTES)
        if listed and i % 6 == 0:
            person.tags = rng.choice(["vip", "vip, wholesale", "Login with Shop, Shop"])
        people.append(person)
    return people


def _lines(rng: random.Random, multi: bool) -> list[_Line]:
    count = rng.randrange(2, 5) if multi else 1
    picks = rng.sample(_CATALOG[:-1], count) if rng.random() > 0.01 else [_CATALOG[-1]]
    return [
        _Line(title, sku, rng.choice([1, 1, 1, 2, 3]), Decimal(price), compare)
        for title, sku, price, compare in picks
    ]


def _plan(
    rng: random.Random,
    people: Sequence[_Person],
    count: int,
    *,
    platform: str,
) -> list[_Order]:
    """Orders in time order, numbered #1001 up; the first ones force every kind of mess."""
    times = sorted(_START + timedelta(seconds=rng.randrange(_SPAN_SECONDS)) for _ in range(count))
    guests = [p for p in people if not p.in_customer_file]
    listed = [p for p in people if p.in_customer_file] or guests
    status_of: _StatusPicker = _shopify_status if platform == "shopify" else _woo_status
    orders = []
    for i, placed in enumerate(times):
        person: _Person | None
        if i % 41 == 1:
            person = rng.choice(guests)
        elif i == 5:
            person = None if platform == "shopify" else rng.choice(listed)
        else:
            person = rng.choice(listed if rng.random() < 0.88 else guests)
        status, cancelled = status_of(rng, i)
        orders.append(_order(rng, i, person, placed, status, cancelled))
    return orders


def _order(
    rng: random.Random,
    i: int,
    person: _Person | None,
    placed: datetime,
    status: str,
    cancelled: bool,
) -> _Order:
    lines = _lines(rng, multi=i % 7 == 0 or rng.random() < 0.25)
    gross = sum((line.price * line.qty for line in lines), Decimal(0))
    coupon = "DIWALI10" if rng.random() < 0.15 else ""
    discount = (gross / 10).quantize(_CENT) if coupon else Decimal("0.00")
    email = ""
    if person is not None:
        email = _variant(person.email, rng) if i % 11 == 0 else person.email
    order = _Order(
        number=1001 + i,
        person=person,
        email_written=email,
        placed=placed,
        status=status,
        cancelled=cancelled,
        lines=lines,
        discount=discount,
        shipping=Decimal("0.00") if gross >= 999 else Decimal("49.00"),
        refunded=Decimal("0.00"),
        note=_NOTES[(i // 17) % len(_NOTES)] if i % 17 == 3 else "",
        coupon=coupon,
        guest_checkout=person is not None and person.in_customer_file and i % 23 == 7,
    )
    order.refunded = _refund(rng, order)
    return order


def _refund(rng: random.Random, order: _Order) -> Decimal:
    if order.status == "refunded":
        return order.total
    if order.status == "partially_refunded" or order.status.endswith("+partial"):
        share = Decimal(rng.choice(["0.10", "0.25", "0.50"]))
        return min((order.total * share).quantize(_CENT), order.total - _CENT)
    return Decimal("0.00")


_SHOPIFY_FORCED: tuple[tuple[str, bool], ...] = tuple(
    (s, False) for s in SHOPIFY_FINANCIAL_STATUSES
) + (("voided", True), ("refunded", True), ("paid", True), ("pending", True))
_SHOPIFY_WEIGHTS: tuple[tuple[tuple[str, bool], int], ...] = (
    (("paid", False), 70),
    (("partially_refunded", False), 5),
    (("refunded", False), 4),
    (("voided", False), 2),
    (("pending", False), 5),
    (("authorized", False), 2),
    (("partially_paid", False), 2),
    (("expired", False), 3),
    (("voided", True), 5),
    (("refunded", True), 2),
)


def _shopify_status(rng: random.Random, i: int) -> tuple[str, bool]:
    if i < len(_SHOPIFY_FORCED):
        return _SHOPIFY_FORCED[i]
    return _weighted(rng, _SHOPIFY_WEIGHTS)


_WOO_FORCED: tuple[str, ...] = WOO_STATUSES + ("completed+partial", "processing+partial")
_WOO_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("completed", 60),
    ("processing", 12),
    ("completed+partial", 4),
    ("processing+partial", 1),
    ("on-hold", 4),
    ("pending", 5),
    ("cancelled", 6),
    ("refunded", 4),
    ("failed", 4),
)


def _woo_status(rng: random.Random, i: int) -> tuple[str, bool]:
    status = _WOO_FORCED[i] if i < len(_WOO_FORCED) else _weighted(rng, _WOO_WEIGHTS)
    return status, False


def _weighted(rng: random.Random, table: Sequence[tuple[_T, int]]) -> _T:
    return rng.choices([item for item, _ in table], weights=[w for _, w in table])[0]


def _money(value: Decimal) -> str:
    return f"{value.quantize(_CENT)}"


def _gst(gross: Decimal) -> Decimal:
    """GST contained in a GST-inclusive amount."""
    return (gross * _GST / (1 + _GST)).quantize(_CENT)


# --------------------------------------------------------------------------------------
# Shopify rendering
# --------------------------------------------------------------------------------------


def _shopify_time(moment: datetime) -> str:
    return moment.astimezone(SHOP_TZ).strftime("%Y-%m-%d %H:%M:%S %z")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _canonical(order: _Order) -> str:
    """The product status of a planned order (either platform's token)."""
    if order.cancelled:
        return "cancelled"
    if order.status.endswith("+partial"):
        return "partially_refunded"
    return _SHOPIFY_MAP.get(order.status) or _WOO_MAP[order.status]


def _kept(order: _Order) -> Decimal:
    """Money kept under the product rules (used for the customer files' spend columns)."""
    if _canonical(order) not in _SPEND_STATUSES:
        return Decimal("0.00")
    return order.total - order.refunded


def _shopify_customer_rows(people: Sequence[_Person], plan: Sequence[_Order]) -> list[list[str]]:
    rows = []
    for person in (p for p in people if p.in_customer_file):
        mine = [o for o in plan if o.person is person]
        spent = sum((_kept(o) for o in mine), Decimal("0.00"))
        has_address = not person.nameless
        city, state, _, _ = person.place
        record = {
            "Customer ID": f"'{person.customer_id}",
            "First Name": "" if person.nameless else person.first,
            "Last Name": "" if person.nameless else person.last,
            "Email": person.listed_email,
            "Accepts Email Marketing": _yes(person.accepts_email),
            "Default Address Address1": person.street if has_address else "",
            "Default Address City": city if has_address else "",
            "Default Address Province Code": state if has_address else "",
            "Default Address Country Code": "IN" if has_address else "",
            "Default Address Zip": person.pin if has_address else "",
            "Default Address Phone": f"'{person.phone}"
            if has_address and person.accepts_sms
            else "",
            "Phone": f"'{person.phone}"
            if person.customer_id % 3 == 0 or person.accepts_sms
            else "",
            "Accepts SMS Marketing": _yes(person.accepts_sms),
            "Total Spent": _money(spent),
            "Total Orders": str(len(mine)),
            "Note": person.note,
            "Tax Exempt": _yes(bool(person.tags.startswith("vip, wholesale"))),
            "Tags": person.tags,
        }
        rows.append([record.get(column, "") for column in SHOPIFY_CUSTOMERS_HEADER])
    return rows


def _shopify_order_rows(rng: random.Random, plan: Sequence[_Order]) -> list[list[str]]:
    rows = []
    for order in reversed(plan):  # Shopify lists the newest order first
        first = _shopify_first_row(rng, order)
        rows.append([first.get(column, "") for column in SHOPIFY_ORDERS_HEADER])
        for line in order.lines[1:]:
            more = {"Name": f"#{order.number}", "Email": order.email_written}
            more |= {"Created at": _shopify_time(order.placed)} | _shopify_line(order, line)
            rows.append([more.get(column, "") for column in SHOPIFY_ORDERS_HEADER])
    return rows


def _shopify_line(order: _Order, line: _Line) -> dict[str, str]:
    fulfilled = order.status in {"paid", "partially_refunded"} and not order.cancelled
    return {
        "Lineitem quantity": str(line.qty),
        "Lineitem name": line.title,
        "Lineitem price": _money(line.price),
        "Lineitem compare at price": line.compare_at,
        "Lineitem sku": line.sku,
        "Lineitem requires shipping": "true",
        "Lineitem taxable": "true",
        "Lineitem fulfillment status": "fulfilled"
        if fulfilled
        else ("restocked" if order.cancelled else "pending"),
        "Vendor": "Kalpa Handmade",
        "Lineitem discount": "0.00",
    }


def _shopify_first_row(rng: random.Random, order: _Order) -> dict[str, str]:
    person = order.person
    paid = order.status in {"paid", "partially_refunded", "refunded", "partially_paid"}
    fulfilled = order.status in {"paid", "partially_refunded"} and not order.cancelled
    row = {
        "Name": f"#{order.number}",
        "Email": order.email_written,
        "Financial Status": order.status,
        "Paid at": _shopify_time(order.placed + timedelta(seconds=1)) if paid else "",
        "Fulfillment Status": "fulfilled"
        if fulfilled
        else ("restocked" if order.cancelled else "unfulfilled"),
        "Fulfilled at": _shopify_time(order.placed + timedelta(days=2)) if fulfilled else "",
        "Accepts Marketing": _yes(bool(person and person.accepts_email)),
        "Currency": "INR",
        "Subtotal": _money(order.subtotal),
        "Shipping": _money(order.shipping),
        "Taxes": _money(_gst(order.total)),
        "Total": _money(order.total),
        "Discount Code": order.coupon,
        "Discount Amount": _money(order.discount),
        "Shipping Method": "Standard Shipping" if order.shipping else "Free Shipping",
        "Created at": _shopify_time(order.placed),
        "Notes": order.note,
        "Note Attributes": f"utm_source: {rng.choice(['instagram', 'google', 'whatsapp'])}"
        if order.number % 5 == 0
        else "",
        "Cancelled at": _shopify_time(order.placed + timedelta(hours=5)) if order.cancelled else "",
        "Payment Method": rng.choice(
            ["Razorpay Secure (UPI, Cards, Wallets, NetBanking)", "Cash on Delivery (COD)"]
        ),
        "Payment Reference": f"r{rng.getrandbits(64):016x}",
        "Refunded Amount": _money(order.refunded),
        "Outstanding Balance": _money(_outstanding(order)),
        "Id": str(6790000000000 + order.number * 4099),
        "Risk Level": "Low",
        "Source": "web",
    }
    row |= _shopify_address(order) | _shopify_line(order, order.lines[0]) | _shopify_tax(order)
    row["Payment ID"] = row["Payment References"] = row["Payment Reference"]
    return row


def _outstanding(order: _Order) -> Decimal:
    if order.status in {"paid", "partially_refunded", "refunded"}:
        return Decimal("0.00")
    if order.status == "partially_paid":
        return (order.total / 2).quantize(_CENT)
    return order.total


def _shopify_address(order: _Order) -> dict[str, str]:
    person = order.person
    if person is None:
        phone = "+919000000001"
        return {"Billing Phone": phone, "Shipping Phone": phone, "Phone": phone}
    city, state, state_name, _ = person.place
    name = f"{person.first} {person.last}"
    address: dict[str, str] = {}
    for side in ("Billing", "Shipping"):
        address |= {
            f"{side} Name": name,
            f"{side} Street": person.street,
            f"{side} Address1": person.street,
            f"{side} City": city,
            f"{side} Zip": f"'{person.pin}",
            f"{side} Province": state,
            f"{side} Country": "IN",
            f"{side} Phone": person.phone,
            f"{side} Province Name": state_name,
        }
    return address


def _shopify_tax(order: _Order) -> dict[str, str]:
    tax = _gst(order.total)
    if order.person is not None and order.person.place[1] == "MH":  # shop is in Maharashtra
        half = (tax / 2).quantize(_CENT)
        return {
            "Tax 1 Name": "CGST 9%",
            "Tax 1 Value": _money(half),
            "Tax 2 Name": "SGST 9%",
            "Tax 2 Value": _money(tax - half),
        }
    return {"Tax 1 Name": "IGST 18%", "Tax 1 Value": _money(tax)}


# --------------------------------------------------------------------------------------
# WooCommerce rendering
# --------------------------------------------------------------------------------------


def _woo_token(order: _Order) -> str:
    return order.status.removesuffix("+partial")


def _iso_local(moment: datetime) -> str:
    return moment.astimezone(SHOP_TZ).strftime("%Y-%m-%dT%H:%M:%S")


def _js_number(value: Decimal) -> str:
    """A JavaScript Number's text: 1499.5, 2000."""
    text = format(value.normalize(), "f")
    return text


def _woo_customer_rows(people: Sequence[_Person], plan: Sequence[_Order]) -> list[list[str]]:
    """Registered customers and the guests the customer lookup table knows (half of them)."""
    rows = []
    for index, person in enumerate(people):
        if not person.in_customer_file and index % 2:
            continue
        mine = [o for o in plan if o.person is person]
        spent = sum((_kept(o) for o in mine), Decimal("0.00"))
        counted = [o for o in mine if _canonical(o) not in _NOT_VISITS]
        aov = (spent / len(counted)).quantize(_CENT) if counted else Decimal(0)
        last_active = max((o.placed for o in mine), default=person.registered)
        city, state, _, _ = person.place
        registered = person.in_customer_file
        record = {
            "Name": "" if person.nameless else f"{person.first} {person.last}",
            "Username": person.email.split("@")[0] if registered else "",
            "Last active": _iso_local(last_active),
            "Date registered": _iso_local(person.registered) if registered else "",
            "Email": person.listed_email,
            "Orders": str(len(counted)),
            "Total spend": _js_number(spent),
            "AOV": _js_number(aov),
            "Country / Region": "IN",
            "City": city,
            "Region": state,
            "Postal code": person.pin,
        }
        rows.append([record[column] for column in WOO_CUSTOMERS_HEADER])
    return rows


def _woo_order_rows(rng: random.Random, plan: Sequence[_Order]) -> list[list[str]]:
    rows = []
    item_id = 5000
    for order in plan:
        base = _woo_order_fields(rng, order)
        remaining = order.refunded
        for line in order.lines:
            item_id += 1
            gross = line.price * line.qty
            refunded = min(remaining, gross)
            remaining -= refunded
            item = {
                "item_id": str(item_id),
                "item_product_id": str(100 + _CATALOG.index(_catalog_row(line))),
                "item_name": line.title,
                "item_sku": line.sku,
                "item_quantity": str(line.qty),
                "item_subtotal": _money(gross - _gst(gross)),
                "item_subtotal_tax": _money(_gst(gross)),
                "item_total": _money(gross - _gst(gross)),
                "item_total_tax": _money(_gst(gross)),
                "item_refunded": _money(refunded),
                "item_refunded_qty": str(line.qty if order.status == "refunded" else 0),
                "item_meta": "Size=M" if line.sku.endswith("-M") else "",
            }
            rows.append([(base | item).get(column, "") for column in WOO_ORDERS_HEADER])
    return rows


def _catalog_row(line: _Line) -> tuple[str, str, str, str]:
    return next(row for row in _CATALOG if row[1] == line.sku)


def _woo_order_fields(rng: random.Random, order: _Order) -> dict[str, str]:
    person = order.person
    assert person is not None  # WooCommerce checkout requires a billing email
    city, _, state_name, _ = person.place
    shipping = f"{order.shipping.normalize():f}"  # get_total_shipping(): raw, "49" / "0"
    row = {
        "order_id": str(order.number + 4000),
        "order_number": str(order.number),
        "date": order.placed.astimezone(SHOP_TZ).strftime("%Y-%m-%d %H:%M:%S"),
        "status": _woo_token(order),
        "shipping_total": shipping,
        "shipping_tax_total": "0.00",
        "fee_total": "0.00",
        "fee_tax_total": "0.00",
        "tax_total": _money(_gst(order.total - order.shipping)),
        "discount_total": _money(order.discount),
        "order_total": _money(order.total),
        "refunded_total": _money(order.refunded),
        "order_currency": "INR",
        "payment_method": rng.choice(["razorpay", "cod"]),
        "shipping_method": "Flat rate" if order.shipping else "Free shipping",
        "customer_id": "0" if order.guest_checkout else str(person.customer_id),
        "customer_note": order.note,
        "shipping_items": f"id:{order.number * 3}|{_woo_shipping_method(order)}"
        f"|total:{_money(order.shipping)}",
        "tax_items": f"id:{order.number * 3 + 1}|code:IN-GST-1|title:GST|total:"
        f"{_money(_gst(order.total - order.shipping))}",
        "coupon_items": f"id:{order.number * 3 + 2}|code:{order.coupon.lower()}"
        f"|amount:{_money(order.discount)}|description:"
        if order.coupon
        else "",
        "order_notes": _woo_notes(order),
        "download_permissions_granted": "0",
    }
    for side in ("billing", "shipping"):
        row |= {
            f"{side}_first_name": person.first,
            f"{side}_last_name": person.last,
            f"{side}_address_1": person.street,
            f"{side}_postcode": person.pin,
            f"{side}_city": city,
            f"{side}_state": state_name,
            f"{side}_country": "IN",
        }
    row["billing_email"] = order.email_written
    row["billing_phone"] = person.phone if order.number % 4 else "0" + person.phone[3:]
    return row


def _woo_shipping_method(order: _Order) -> str:
    if order.shipping:
        return "method_id:flat_rate|method_title:Flat rate"
    return "method_id:free_shipping|method_title:Free shipping"


def _woo_notes(order: _Order) -> str:
    token = _woo_token(order)
    notes = [f"Order status changed from Pending payment to {token.title()}."]
    if order.refunded:
        notes.append(f"Refunded ₹{_money(order.refunded)}, reason: damaged, resent later")
    return "|".join(notes)


# --------------------------------------------------------------------------------------
# Generic sheet
# --------------------------------------------------------------------------------------

_GENERIC_AMOUNTS = (
    "₹1,49,999.00",
    "Rs. 499",
    "$12.50",
    "378,00",
    "INR 2,499",
    "₹ 899.50",
    "1,299.00",
    "Rs.1,250/-",
)


def _generic_row(rng: random.Random, i: int) -> list[str]:
    day = datetime(2024, 1, 1) + timedelta(days=rng.randrange(366))
    if i == 0:
        day = datetime(2024, 3, 25)  # day > 12: only d/m/Y reads it
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    email = f"{_slug(first)}.{_slug(last)}@{rng.choice(_DOMAINS)}"
    return [
        f"INV-{2400 + i}",
        day.strftime("%d/%m/%Y"),
        f"{first} {last}",
        _variant(email, rng) if i % 5 == 2 else email,
        _GENERIC_AMOUNTS[i % len(_GENERIC_AMOUNTS)],
        rng.choice(["Paid", "paid", "PENDING", "Refunded", "COD"]),
    ]


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Shopify: UTF-8 without BOM, LF line ends, quotes only where needed."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _php_cell(value: str) -> str:
    """PHP fputcsv after the extension's escape_cell_formulas (leading = + - @ get a ')."""
    if value[:1] in {"=", "+", "-", "@"}:
        value = "'" + value
    if any(ch in value for ch in ',"\n\r\t '):
        return '"' + value.replace('"', '""') + '"'
    return value


def _js_cell(value: str) -> str:
    """WooCommerce admin's escapeCSVValue (csv-export package)."""
    if value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "\"'" + value + '"'
    if any(ch in value for ch in ',"') or any(ch.isspace() for ch in value):
        return '"' + value.replace('"', '""') + '"'
    return value


def _write_quoted(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    cell: _Cell,
) -> None:
    lines = [",".join(cell(value) for value in row) for row in [list(header), *rows]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")
