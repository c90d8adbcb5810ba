"""The vendor simulator in-process: its callbacks go to a mock transport, not the network."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest

from shared.signature import HEADER, verify
from simulators.vendor.app import build_vendor_app
from simulators.vendor.registry import Registry, outcome
from simulators.vendor.settings import VendorSettings

SECRET = "unit-secret"
CALLBACK = "http://delivery.test/api/v1/receipts"


class Receiver:
    """Stands in for the delivery API: records every signed callback it gets."""

    def __init__(self, fail_first: int = 0) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail_first = fail_first

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.content
        verify(SECRET, request.headers.get(HEADER), body, now=time.time())
        if self.fail_first > 0:
            self.fail_first -= 1
            return httpx.Response(503)
        self.calls.append(orjson.loads(body))
        return httpx.Response(202)

    async def receipts(self) -> list[dict[str, Any]]:
        return [r for call in self.calls for r in call["receipts"]]


@asynccontextmanager
async def vendor(receiver: Receiver, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = VendorSettings(
        vendor_secret=SECRET,
        vendor_delay_min_s=0.0,
        vendor_delay_max_s=0.05,
        vendor_tick_s=0.01,
        **{"vendor_callback_hosts": "delivery.test", **overrides},
    )
    app = build_vendor_app(settings, transport=httpx.MockTransport(receiver))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vendor") as client:
            yield client


async def wait_for(
    probe: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 10
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"timed out; last: {value!r}"
        await asyncio.sleep(0.01)


async def send(client: httpx.AsyncClient, ids: list[str]) -> httpx.Response:
    return await client.post(
        "/vendor/v1/messages",
        json={
            "messages": [{"message_id": i, "to": "a@b.in", "body": "hi"} for i in ids],
            "callback_url": CALLBACK,
        },
    )


def test_outcome_is_deterministic_and_close_to_the_ratio() -> None:
    ids = [f"m{i}" for i in range(20_000)]
    first = [outcome(7, m, 0.1) for m in ids]
    assert first == [outcome(7, m, 0.1) for m in ids]
    failed = sum(1 for status, _ in first if status == "FAILED")
    assert 1_800 <= failed <= 2_200
    assert all(reason for status, reason in first if status == "FAILED")
    assert [outcome(8, m, 0.1) for m in ids] != first  # the seed matters
    assert all(outcome(7, m, 0.0)[0] == "SENT" for m in ids[:100])
    assert all(outcome(7, m, 1.0)[0] == "FAILED" for m in ids[:100])


def test_registry_dedupes_and_counts() -> None:
    registry = Registry(seed=1, failure_ratio=0.1)
    assert len(registry.accept(["a", "b", "a"])) == 2
    assert registry.accept(["b", "c"])[0].message_id == "c"
    stats = registry.stats()
    assert (stats["received"], stats["unique"], stats["duplicates"]) == (5, 3, 2)
    assert stats["max_delivered"] == 1 and stats["max_received"] == 2
    assert registry.message("b") is not None and registry.message("b")["received"] == 2  # type: ignore[index]
    assert registry.message("zzz") is None


async def test_each_message_is_called_back_once_with_signed_receipts() -> None:
    receiver = Receiver()
    async with vendor(receiver) as client:
        ids = [f"m{i}" for i in range(1_200)]
        assert (await send(client, ids[:700])).status_code == 202
        assert (await send(client, ids[500:])).status_code == 202  # 200 duplicates
        receipts = await wait_for(receiver.receipts, lambda r: len(r) >= 1_200)
        stats = (await client.get("/vendor/v1/stats")).json()
        assert (await client.get("/vendor/v1/messages/m600")).json()["received"] == 2
        assert (await client.get("/vendor/v1/messages/m1")).json()["received"] == 1
        assert (await client.get("/vendor/v1/messages/nope")).status_code == 404
        assert (await client.get("/readyz")).status_code == 200
    assert sorted(r["message_id"] for r in receipts) == sorted(ids)
    assert all(len(call["receipts"]) <= 500 for call in receiver.calls)
    assert stats["received"] == 1_400 and stats["unique"] == 1_200 and stats["duplicates"] == 200
    assert stats["by_status"]["SENT"] + stats["by_status"]["FAILED"] == 1_200
    assert stats["callbacks_sent"] == len(receiver.calls)
    by_id = {r["message_id"]: r for r in receipts}
    for mid in ids[:50]:
        status, reason = outcome(42, mid, 0.1)
        assert (by_id[mid]["status"], by_id[mid]["reason"]) == (status, reason)


async def test_failed_callbacks_are_retried() -> None:
    receiver = Receiver(fail_first=3)
    async with vendor(receiver) as client:
        assert (await send(client, ["x", "y"])).status_code == 202
        await wait_for(receiver.receipts, lambda r: len(r) >= 2)
        stats = (await client.get("/vendor/v1/stats")).json()
    assert stats["callbacks_failed"] >= 3 and stats["receipts_dropped"] == 0


async def test_duplicate_callbacks_repeat_receipts() -> None:
    receiver = Receiver()
    async with vendor(receiver, vendor_duplicate_callback_rate=1.0) as client:
        assert (await send(client, ["x"])).status_code == 202
        receipts = await wait_for(receiver.receipts, lambda r: len(r) >= 2)
        assert (await client.get("/vendor/v1/stats")).json()["unique"] == 1
    assert [r["message_id"] for r in receipts] == ["x", "x"]


async def test_injected_errors_keep_nothing() -> None:
    receiver = Receiver()
    async with vendor(receiver, vendor_error_rate=1.0) as client:
        response = await send(client, ["x"])
        assert response.status_code == 500
        stats = (await client.get("/vendor/v1/stats")).json()
    assert stats["received"] == 0 and stats["errors_injected"] == 1


async def test_bad_requests_are_422() -> None:
    async with vendor(Receiver()) as client:
        assert (await client.post("/vendor/v1/messages", json={"messages": []})).status_code == 422
        bad_url = {"messages": [{"message_id": "a", "to": "b", "body": ""}], "callback_url": "x"}
        assert (await client.post("/vendor/v1/messages", json=bad_url)).status_code == 422


async def test_callbacks_go_only_to_configured_hosts() -> None:
    receiver = Receiver()
    async with vendor(receiver) as client:
        response = await client.post(
            "/vendor/v1/messages",
            json={
                "messages": [{"message_id": "m-1", "to": "x", "body": "hi"}],
                "callback_url": "http://attacker.example/steal",
            },
        )
        assert response.status_code == 422
        assert "callback_url" in response.text
        stats = (await client.get("/vendor/v1/stats")).json()
    assert stats["received"] == 0


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("http://delivery.test:8004/api/v1/receipts", True),
        ("http://DELIVERY.test:8004/api/v1/receipts", True),
        ("http://delivery.test:3306/", False),  # the same host, another service's port
        ("http://delivery.test/api/v1/receipts", False),  # port 80 is not 8004
        ("http://delivery.test:99999/", False),  # not a port at all
        ("http://[::1]:8004/api/v1/receipts", True),
        ("http://[::1]:15672/", False),
        ("http://anyport.test:1234/", True),  # a bare host: any port (local runs)
    ],
)
async def test_a_port_named_in_the_allow_list_is_the_only_one(url: str, accepted: bool) -> None:
    receiver = Receiver()
    hosts = "delivery.test:8004,[::1]:8004,anyport.test"
    async with vendor(receiver, vendor_callback_hosts=hosts) as client:
        response = await client.post(
            "/vendor/v1/messages",
            json={
                "messages": [{"message_id": "m-1", "to": "x", "body": "hi"}],
                "callback_url": url,
            },
        )
    assert (response.status_code == 202) is accepted, response.text
