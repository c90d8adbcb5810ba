"""The event catalogue is the one contract: every type a service spells is in it, the
generated docs are current, and a payload that does not fit is refused."""

from __future__ import annotations

import importlib

import pytest

from shared import events
from shared.envelope import new_event

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
