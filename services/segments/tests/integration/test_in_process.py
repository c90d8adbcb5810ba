"""Segments' rebuild through its entry points, in this process (tests.support.inprocess):
ingest's events applied by the batched profiles consumer under TestRabbitBroker, then
``python -m services.segments rebuild``'s use case forgets the read model, and the same
events, replayed, build it again."""

from __future__ import annotations

import asyncio
import time

import pytest

from services.segments.rebuild import reset_read_model
from services.segments.settings import SegmentsSettings
from shared.envelope import Envelope, new_event
from tests.support.inprocess import InProcess, in_process
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

PROFILES_INBOX = "SELECT COUNT(*) FROM inbox WHERE consumer = 'segments.profiles'"


def customers(n: int) -> Envelope:
    rows = [
        {"customer_id": f"c{i}", "version": 1, "name": f"Customer {i}", "email": f"c{i}@x.in"}
        for i in range(n)
    ]
    return new_event("customer.upserted", {"customers": rows}, "ingest")


async def profiles_become(stack: Stack, expected: int, timeout: float = 30) -> None:
    """The batch consumer applies a batch a few ms after its first event: poll for it."""
    deadline = time.monotonic() + timeout
    while (found := await stack.scalar("segments", "SELECT COUNT(*) FROM profiles")) != expected:
        assert time.monotonic() < deadline, f"{found} profiles, expected {expected}"
        await asyncio.sleep(0.05)


async def apply(segments: InProcess, events: list[Envelope]) -> None:
    for event in events:
        await segments.deliver("segments.profiles", event)


async def test_rebuild_forgets_the_read_model_and_a_replay_builds_it_again(
    stack: Stack,
) -> None:
    events = [customers(3), customers(5)]  # the second updates c0..c2 (same version)
    async with in_process(stack, "segments", mode="worker") as segments:
        await apply(segments, events)
        await profiles_become(stack, 5)
        assert await stack.scalar("segments", PROFILES_INBOX) == 2

        assert isinstance(segments.settings, SegmentsSettings)
        await reset_read_model(segments.settings)
        assert await stack.scalar("segments", "SELECT COUNT(*) FROM profiles") == 0
        assert await stack.scalar("segments", PROFILES_INBOX) == 0

        await apply(segments, events)  # ingest's replay
        await profiles_become(stack, 5)
        assert await stack.scalar("segments", PROFILES_INBOX) == 2
