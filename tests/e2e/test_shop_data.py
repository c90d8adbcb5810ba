"""A shop's data loaded right, end to end on real MariaDB and RabbitMQ: one person per
email, money kept and placed orders counted exactly through updates, an import undone to
the exact state before it, and a person erased from every service."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared.spend import is_visit, kept
from tests.e2e.test_campaign_pipeline import start_pipeline
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

T1, T2 = "2026-05-01T10:00:00Z", "2026-05-02T10:00:00Z"


def order(order_id: str, amount: str, status: str = "paid", **more: Any) -> dict[str, Any]:
    day = 1 + int(order_id.strip("o")) % 27
    return {
        "order_id": order_id,
        "amount": amount,
        "status": status,
        "ordered_at": f"2026-04-{day:02d}T08:30:00+05:30",
        **more,
    }


def reference(final_orders: dict[str, dict[str, Any]], owner: dict[str, str]) -> dict[str, Any]:
    """Each person's spend, visits, first and last visit, computed plainly."""
    out: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"spend": Decimal(0), "visits": 0, "times": []}
    )
    for order_id, o in final_orders.items():
        status = o.get("status", "paid")
        refunded = Decimal(o.get("refunded_amount") or (o["amount"] if status == "refunded" else 0))
        p = out[owner[order_id]]
        p["spend"] += kept(status, Decimal(o["amount"]), refunded)
        if is_visit(status):
            p["visits"] += 1
            at = datetime.fromisoformat(o["ordered_at"])
            p["times"].append(at.astimezone(UTC).replace(tzinfo=None))
    return dict(out)


async def post(
    client: httpx.AsyncClient, url: str, items: list[dict[str, Any]], **extra: Any
) -> str:
    response = await client.post(url, json={"items": items, **extra})
    assert response.status_code == 202, response.text
    return str(response.json()["event_id"])


async def profiles(stack: Stack) -> dict[str, tuple[Decimal, int]]:
    rows = await stack.rows(
        "segments", "SELECT customer_id, total_spend, visits FROM profiles WHERE known = 1"
    )
    return {r.customer_id: (Decimal(r.total_spend), int(r.visits)) for r in rows}


async def test_one_person_per_email_and_money_kept_through_updates(stack: Stack) -> None:
    ingest = stack.start("ingest", "all")
    segments = stack.start("segments", "all")
    orders_url, customers_url = f"{ingest.url}/api/v1/orders", f"{ingest.url}/api/v1/customers"
    first = [
        order("o1", "1000.00", customer_email="Asha@Shop.in", customer_name="Asha G"),
        order("o2", "500.00", "pending", customer_email=" asha@shop.IN "),
        order("o3", "300.00", customer_id="C7"),
        order("o4", "999.00", "cancelled", customer_id="C7"),
        order("o5", "2000.00", "refunded", customer_email="neha@mail.com", customer_id="17"),
        order(
            "o6",
            "1500.00",
            "partially_refunded",
            refunded_amount="500",
            customer_email="neha@mail.com",
        ),
        order("o7", "800.00", "voided", customer_id="C8", customer_email="ravi@x.in"),
        order("o8", "50.00", "failed", customer_id="C8"),
        order("o9", "100.00", customer_id="C8", updated_at=T1),
    ]
    people = [
        {"customer_id": "'7210448300003".strip("'"), "email": "ASHA@shop.in", "name": "Asha Rao"},
        {"customer_id": "C7", "name": "Chandra"},
        {"email": "Neha@Mail.com", "name": "Neha", "accepts_sms_marketing": True},
        {"customer_id": "C8", "email": "Ravi@X.in", "phone": "+91 98100 00000"},
    ]
    later = [
        order("o2", "500.00", "paid", customer_email="asha@shop.in", updated_at=T2),
        order("o9", "100.00", "refunded", customer_id="C8", updated_at=T2),
        first[0],  # the same again: changes nothing
        order("o10", "250.00", customer_id="7210448300003"),
    ]
    stale = [order("o9", "100.00", "paid", customer_id="C8", updated_at=T1)]
    async with httpx.AsyncClient(headers=stack.headers(), timeout=30) as client:
        for url, items in ((orders_url, first), (customers_url, people), (orders_url, later)):
            # Applied in this order (a 202 is only queued: the outbox is empty before the
            # worker has even read it, so wait for ingest's inbox, then segments').
            await settled(stack, await post(client, url, items))
        await settled(stack, await post(client, orders_url, stale))

        final = {o["order_id"]: o for o in first}
        final.update({o["order_id"]: o for o in later})
        owner = {
            "o1": "7210448300003", "o2": "7210448300003", "o10": "7210448300003",
            "o3": "C7", "o4": "C7", "o5": "17", "o6": "17", "o7": "C8", "o8": "C8", "o9": "C8",
        }  # fmt: skip
        want = reference(final, owner)
        expected = {c: (p["spend"], p["visits"]) for c, p in want.items()}
        assert expected == {
            "7210448300003": (Decimal("1750.00"), 3),
            "C7": (Decimal("300.00"), 1),
            "17": (Decimal("1000.00"), 2),
            "C8": (Decimal("0.00"), 1),
        }
        await eventually(
            lambda: profiles(stack), lambda p: p == expected, timeout=60, what="profiles"
        )
        times = await stack.rows(
            "segments",
            "SELECT customer_id, first_visit_at, last_visit_at FROM profiles WHERE known = 1",
        )
        for row in times:
            assert (row.first_visit_at, row.last_visit_at) == (
                min(want[row.customer_id]["times"]),
                max(want[row.customer_id]["times"]),
            ), row.customer_id

        # The aliases find the person; the API says what each id is.
        asha = (await client.get(f"{customers_url}/asha@shop.in")).json()
        assert asha["customer_id"] == "7210448300003" and asha["aliases"] == ["asha@shop.in"]
        neha = (await client.get(f"{customers_url}/neha@mail.com")).json()
        assert neha["customer_id"] == "17" and neha["accepts_sms_marketing"] is True
        assert neha["accepts_sms_marketing_source"] == "api"
        mine = (await client.get(orders_url, params={"customer_id": "neha@mail.com"})).json()
        assert sorted(o["order_id"] for o in mine["items"]) == ["o5", "o6"]
        seen, cursor = [], None
        while True:  # one person's orders, newest placed first, a page of one at a time
            params = {"customer_id": "asha@shop.in", "order": "newest", "limit": 1}
            page = (
                await client.get(
                    orders_url, params={**params, **({"cursor": cursor} if cursor else {})}
                )
            ).json()
            seen += [o["order_id"] for o in page["items"]]
            if not (cursor := page["next_cursor"]):
                break
        assert seen == ["o10", "o2", "o1"]
        o9 = (await client.get(orders_url, params={"customer_id": "C8", "order": "newest"})).json()
        assert {o["order_id"]: o["status"] for o in o9["items"]}["o9"] == "refunded"  # not stale
        # The preview cache holds the people, not their old ids.
        preview = await client.post(
            f"{segments.url}/api/v1/segments/preview",
            json={
                "rules": {
                    "combinator": "and",
                    "rules": [{"field": "email", "operator": "contains", "value": "@"}],
                }
            },
        )
        assert preview.json()["size"] == 3, preview.text  # C7 has no email


async def snapshot(stack: Stack) -> dict[str, Any]:
    """Every person, alias and order (as a person would see them) and every profile."""
    return {
        "customers": sorted(
            tuple(r)
            for r in await stack.rows(
                "ingest",
                "SELECT customer_id, state, merged_into, name, email, phone, city, sms_consent"
                " FROM customers WHERE state IN ('active', 'merged')",
            )
        ),
        "orders": sorted(
            tuple(r)
            for r in await stack.rows(
                "ingest",
                "SELECT order_id, customer_id, amount, status, refunded_amount FROM orders"
                " WHERE removed_at IS NULL",
            )
        ),
        "profiles": sorted(
            tuple(r)
            for r in await stack.rows(
                "segments",
                "SELECT customer_id, name, email, total_spend, visits, first_visit_at,"
                " last_visit_at FROM profiles WHERE known = 1",
            )
        ),
    }


async def run_import(
    client: httpx.AsyncClient, url: str, kind: str, items: list[dict[str, Any]]
) -> dict[str, Any]:
    opened = await client.post(f"{url}/api/v1/imports", json={"kind": kind, "file_name": "x.csv"})
    assert opened.status_code == 201, opened.text
    import_id = opened.json()["import_id"]
    await post(client, f"{url}/api/v1/{kind}", items, import_id=import_id)
    sealed = await client.post(f"{url}/api/v1/imports/{import_id}/seal", json={"sent": len(items)})
    assert sealed.status_code == 200, sealed.text

    async def state() -> dict[str, Any]:
        return dict((await client.get(f"{url}/api/v1/imports/{import_id}")).json())

    return await eventually(state, lambda s: s["status"] == "done", what=f"import {import_id} done")


async def undo(client: httpx.AsyncClient, url: str, import_id: str) -> dict[str, Any]:
    asked = await client.post(f"{url}/api/v1/imports/{import_id}/undo")
    assert asked.status_code == 202, asked.text

    async def state() -> dict[str, Any]:
        return dict((await client.get(f"{url}/api/v1/imports/{import_id}")).json())

    return await eventually(
        state, lambda s: s["status"] == "undone", what=f"import {import_id} undone"
    )


async def settled(stack: Stack, *event_ids: str) -> None:
    """Ingest has applied these events, and segments every event ingest logged for it
    (counted, not waited out)."""
    await eventually(
        lambda: stack.scalar(
            "ingest",
            "SELECT COUNT(*) FROM inbox WHERE event_id IN :ids",
            ids=tuple(event_ids) or ("",),
        ),
        lambda n: n == len(event_ids),
        what="ingest applied",
    )

    async def behind() -> int:
        logged = await stack.scalar(
            "ingest",
            "SELECT COUNT(*) FROM outbox WHERE type IN"
            " ('customer.upserted', 'order.recorded', 'customer.merged', 'customer.erased')",
        )
        applied = await stack.scalar(
            "segments", "SELECT COUNT(*) FROM inbox WHERE consumer = 'segments.profiles'"
        )
        pending = await stack.scalar(
            "ingest", "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL"
        )
        return int(logged) - int(applied) + int(pending)

    await eventually(behind, lambda n: n == 0, what="segments caught up", timeout=60)


async def test_imports_count_what_they_did_and_undo_restores_the_exact_state(stack: Stack) -> None:
    ingest = stack.start("ingest", "all")
    stack.start("segments", "worker")
    url = ingest.url
    async with httpx.AsyncClient(headers=stack.headers(), timeout=30) as client:
        first = await post(
            client,
            f"{url}/api/v1/customers",
            [
                {"customer_id": "P1", "name": "Priya", "email": "p1@x.in", "city": "Pune"},
                {"customer_id": "P2", "name": "Pavan", "email": "p2@x.in"},
            ],
        )
        second = await post(
            client, f"{url}/api/v1/orders", [order("o1", "100.00", customer_id="P1")]
        )
        await settled(stack, first, second)
        before = await snapshot(stack)
        assert len(before["profiles"]) == 2

        people = await run_import(
            client,
            url,
            "customers",
            [
                {"customer_id": "P1", "name": "Priya K", "accepts_sms_marketing": True},  # updated
                {"customer_id": "P3", "name": "Pooja"},  # new
                {"customer_id": "P2", "email": "p2@x.in"},  # unchanged
                {"customer_id": "S9", "email": "P2@X.IN", "phone": "+91 90000 11111"},  # merged
            ],
        )
        assert people["counts"] | {} == {
            "new": 1, "updated": 1, "unchanged": 1, "merged": 1,
            "stale": 0, "erased": 0, "no_customer": 0,
        }  # fmt: skip
        assert (people["processed"], people["sent"]) == (4, 4)
        orders = await run_import(
            client,
            url,
            "orders",
            [
                order("o1", "100.00", "refunded", customer_id="P1"),  # updated
                order("o2", "700.00", customer_id="P3"),  # new
                order("o3", "90.00", customer_email="new@x.in"),  # new, a guest
                order("o4", "60.00", customer_id="S9"),  # new, for the merged person
                order("o5", "10.00", customer_id="NOBODY"),  # new, no customer yet
            ],
        )
        assert (
            orders["counts"]["new"],
            orders["counts"]["updated"],
            orders["counts"]["no_customer"],
        ) == (4, 1, 1)
        await settled(stack)
        during = await snapshot(stack)
        assert during != before
        assert ("P2", Decimal("60.00")) in {(p[0], p[3]) for p in during["profiles"]}

        # Undone newest first, each restores what was there before it.
        undone = await undo(client, url, orders["import_id"])
        # removed: the 4 new orders and the guest customer o3 made; restored: o1
        assert undone["undo"]["removed"] == 5 and undone["undo"]["restored"] == 1
        assert undone["undo"]["conflicts"] == 0
        await undo(client, url, people["import_id"])
        await settled(stack)
        assert await snapshot(stack) == before
        # A second undo is a no-op; an import can't take more rows once sealed.
        assert (
            await client.post(f"{url}/api/v1/imports/{people['import_id']}/undo")
        ).status_code == 202
        late = await client.post(
            f"{url}/api/v1/customers",
            json={"items": [{"customer_id": "Z", "name": "Z"}], "import_id": people["import_id"]},
        )
        assert late.status_code == 422 and late.json()["errors"][0]["field"] == "body.import_id"


async def test_an_erased_person_is_in_no_table_of_any_service(stack: Stack) -> None:
    urls = start_pipeline(stack)
    email, phone = "Zara.Erase@Example.IN", "+91 99887 76655"
    async with httpx.AsyncClient(headers=stack.headers(), timeout=30) as client:
        await post(
            client,
            f"{urls['ingest']}/api/v1/customers",
            [
                {"customer_id": "Z1", "name": "Zara Q", "email": email, "phone": phone},
                {"customer_id": "K1", "name": "Kiran", "email": "kiran@example.in"},
            ],
        )
        await post(
            client,
            f"{urls['ingest']}/api/v1/orders",
            [
                order("o1", "5000.00", customer_id="Z1"),
                order("o2", "100.00", customer_email=email.lower(), customer_id="Z-OLD"),
                order("o3", "7000.00", customer_id="K1"),
            ],
        )
        await eventually(
            lambda: stack.scalar(
                "segments", "SELECT COUNT(*) FROM profiles WHERE known = 1 AND visits > 0"
            ),
            lambda n: n == 2,
            what="profiles",
        )
        created = await client.post(
            f"{urls['campaigns']}/api/v1/campaigns",
            json={
                "name": "Everyone",
                "rules": {
                    "combinator": "and",
                    "rules": [{"field": "visits", "operator": ">", "value": 0}],
                },
                "message": "Hi {first_name}, thanks!",
            },
        )
        assert created.status_code == 201, created.text
        campaign = created.json()["id"]
        await eventually(
            lambda: stack.scalar(
                "delivery",
                "SELECT COUNT(*) FROM communications_log WHERE campaign_id = :c AND status <> 'PENDING'",
                c=campaign,
            ),
            lambda n: n == 2,
            what="both sent",
            timeout=90,
        )
        assert await found_anywhere(stack, email, phone), "the test data must be there first"

        erased = await client.delete(f"{urls['ingest']}/api/v1/customers/Z-OLD")
        assert erased.status_code == 202, erased.text
        assert erased.json()["customer_id"] == "Z1"

        await eventually(
            lambda: found_anywhere(stack, email, phone),
            lambda where: where == [],
            timeout=60,
            what="the person gone from every table",
        )
        assert (await client.get(f"{urls['ingest']}/api/v1/customers/Z1")).status_code == 404
        assert (await client.delete(f"{urls['ingest']}/api/v1/customers/Z1")).status_code == 404
        # Their log row stays (the campaign's counts stay true), without them in it.
        rows = await stack.rows(
            "delivery", "SELECT customer_id, recipient, message FROM communications_log"
        )
        assert len(rows) == 2
        assert {r.message for r in rows if r.customer_id.startswith("erased-")} == {"(erased)"}
        # The shop's books keep the orders, under the tombstone; a later import naming
        # them is skipped, not a resurrection.
        assert (
            await stack.scalar(
                "ingest", "SELECT COUNT(*) FROM orders WHERE customer_id LIKE 'erased-%'"
            )
            == 2
        )
        await post(
            client,
            f"{urls['ingest']}/api/v1/customers",
            [{"email": email.upper(), "name": "Back?"}],
        )
        await post(
            client, f"{urls['ingest']}/api/v1/customers", [{"customer_id": "K1", "city": "Goa"}]
        )
        await eventually(
            lambda: stack.scalar("ingest", "SELECT city FROM customers WHERE customer_id = 'K1'"),
            lambda c: c == "Goa",
        )
        assert await found_anywhere(stack, email, phone) == []


async def found_anywhere(stack: Stack, *secrets: str) -> list[str]:
    """``schema.table.column`` of every value, in every service's tables, that holds one
    of the secrets (case aside). Schemas a test did not start are simply not there."""
    hits = []
    schemas = [
        stack.settings.schema_name(s)
        for s in ("ingest", "segments", "campaigns", "delivery", "stats")
    ]
    columns = await stack.rows(
        "ingest",
        "SELECT table_schema AS sch, table_name AS tbl, column_name AS col"
        " FROM information_schema.columns WHERE table_schema IN :schemas",
        schemas=tuple(schemas),
    )
    for col in columns:
        for secret in secrets:
            found = await stack.scalar(
                "ingest",
                f"SELECT COUNT(*) FROM `{col.sch}`.`{col.tbl}`"
                f" WHERE LOWER(CONVERT(`{col.col}` USING utf8mb4)) LIKE :needle",
                needle=f"%{secret.lower()}%",
            )
            if found:
                hits.append(f"{col.sch}.{col.tbl}.{col.col}")
    return hits
