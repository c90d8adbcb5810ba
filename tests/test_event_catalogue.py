"""The event catalogue is the one contract: every type a service spells is in it, the
generated docs are current, and a payload that does not fit is refused."""

from __future__ import annotations

import importlib
from typing import Any, get_args, get_origin, get_type_hints

import pytest

from shared import events
from shared.envelope import Received, new_event

SERVICES = ("ingest", "segments", "campaigns", "delivery", "stats")


def test_docs_events_md_is_generated_from_the_catalogue() -> None:
    current = events.DOC.read_text()
    assert events.render_doc(current) == current, "run: uv run python -m shared.events"


def test_every_event_type_a_service_names_is_in_the_catalogue() -> None:
    known = {spec.type for spec in events.CATALOGUE}
    for service in SERVICES:
        module = importlib.import_module(f"services.{service}.domain.events")
        named = {
            value
            for name, value in vars(module).items()
            if name.isupper() and isinstance(value, str) and "." in value
        }
        assert named <= known, (service, named - known)


@pytest.mark.parametrize(
    ("type_", "payload", "problem"),
    [
        ("campaign.launched", {"message": "Hi"}, "campaign_id"),
        ("audience.resolved", {"campaign_id": "c1", "size": -1, "batches": 0}, "size"),
        ("delivery.updated", {"campaigns": [{"campaign_id": "c", "queued": "x"}]}, "queued"),
        ("order.recorded", {"orders": [{"order_id": "o"}]}, "lacks amount, customer_id"),
        ("order.recorded", {"orders": ["o"]}, "not an object"),
        ("nobody.knows", {}, "not in the event catalogue"),
    ],
)
def test_a_payload_that_does_not_fit_is_refused_when_made(
    type_: str, payload: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        new_event(type_, payload, "test")


def test_a_version_the_catalogue_does_not_know_is_refused() -> None:
    with pytest.raises(ValueError, match="version 2"):
        events.check("campaign.launched", 2, {"campaign_id": "c", "message": "hi"})


def test_fitting_payloads_pass() -> None:
    new_event("campaign.launched", {"campaign_id": "c", "message": "Hi {name}"}, "test")
    new_event(
        "order.recorded",
        {"orders": [dict.fromkeys(("order_id", "customer_id", "amount", "ordered_at"), "x")]},
        "test",
    )


def _handler_maps() -> list[dict[tuple[str, int], Any]]:
    """Every consumer's and listener's handlers, as the services register them."""
    from sqlalchemy import MetaData

    from services.campaigns import consumers as campaigns
    from services.delivery import consumers as delivery
    from services.delivery.sender import Sender
    from services.ingest import consumers as ingest
    from services.segments import consumers as segments
    from services.segments.cache import ProfileCache
    from services.stats import consumers as stats
    from services.stats.hub import Hub
    from shared.auth import apikeys
    from shared.tables import api_keys_table

    return [
        campaigns.HANDLERS,
        campaigns.KEY_USAGE_HANDLERS,
        delivery.campaign_handlers(10),
        delivery.erasure_handlers(),
        delivery.audience_handlers(10),
        delivery.receipt_handlers(),
        delivery.send_handlers(Sender.send),  # unbound: its annotations are what count
        ingest.handlers(b"pepper"),
        segments.profile_handlers(),
        {(events.CAMPAIGN_LAUNCHED, 1): segments.audience_resolver(10, lambda: None)},
        stats.HANDLERS,
        apikeys.copy_handlers(api_keys_table(MetaData())),
        # The listeners (in-process feeds, no inbox) get the model too.
        {(events.STATS_CHANGED, 1): Hub.apply, (events.PROFILE_CHANGED, 1): ProfileCache.apply},
    ]


def _received_model(handler: Any) -> Any:
    """The payload model a handler declares: ``Received[M]`` or ``list[Received[M]]``."""
    for name, hint in get_type_hints(handler).items():
        if name == "return":
            continue
        if get_origin(hint) is list:
            (hint,) = get_args(hint)
        if get_origin(hint) is Received:
            (model,) = get_args(hint)
            return model
    raise AssertionError(f"{handler.__qualname__} takes no Received[...]")


def test_every_handler_is_typed_with_the_payload_model_of_its_event() -> None:
    for handlers in _handler_maps():
        for (type_, version), handler in handlers.items():
            spec = events.spec_for(type_, version)
            assert spec is not None, type_
            assert _received_model(handler) is spec.payload, (type_, handler.__qualname__)


def test_a_received_payload_is_the_model_with_its_rows_as_they_came() -> None:
    rows = [{"message_id": "m1", "status": "SENT", "at": "2026-01-01T00:00:00Z"}]
    received = Received.of(new_event(events.RECEIPT_RECEIVED, {"receipts": rows}, "test"))
    assert isinstance(received.payload, events.ReceiptsPayload)
    assert received.payload.receipts[0] is rows[0]  # the dict itself: no per-row model
