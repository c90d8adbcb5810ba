"""Quiet hours: open and closed instants in the window's own zone, the next opening, and a
window across midnight."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.delivery.domain.quiet_hours import Window

IST = Window.parse("10:00-21:00", "Asia/Kolkata")


@pytest.mark.parametrize(
    ("utc", "open_"),
    [
        ("2026-12-07T04:29:59", False),  # 09:59:59 IST
        ("2026-12-07T04:30:00", True),  # 10:00 IST
        ("2026-12-07T15:29:59", True),  # 20:59:59 IST
        ("2026-12-07T15:30:00", False),  # 21:00 IST: closed
        ("2026-12-07T20:00:00", False),  # 01:30 IST
    ],
)
def test_trai_window_in_ist(utc: str, open_: bool) -> None:
    assert IST.open_at(datetime.fromisoformat(utc).replace(tzinfo=UTC)) is open_


def test_messages_outside_wait_for_the_next_opening() -> None:
    late = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # 21:30 IST
    assert IST.next_open(late) == datetime(2026, 12, 8, 4, 30, tzinfo=UTC)
    early = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 07:30 IST, same day
    assert IST.next_open(early) == datetime(2026, 12, 7, 4, 30, tzinfo=UTC)
    inside = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    assert IST.next_open(inside) == inside


def test_a_window_across_midnight_and_bad_settings() -> None:
    night = Window.parse("22:00-06:00", "UTC")
    assert night.open_at(datetime(2026, 1, 1, 23, tzinfo=UTC))
    assert night.open_at(datetime(2026, 1, 1, 5, tzinfo=UTC))
    assert not night.open_at(datetime(2026, 1, 1, 12, tzinfo=UTC))
    assert night.next_open(datetime(2026, 1, 1, 12, tzinfo=UTC)) == datetime(
        2026, 1, 1, 22, tzinfo=UTC
    )
    bad = (
        ("10:00", "UTC"),
        ("25:00-26:00", "UTC"),
        ("10:00-10:00", "UTC"),
        ("10:00-21:00", "Mars/Base"),
    )
    for text, zone in bad:
        with pytest.raises(ValueError):
            Window.parse(text, zone)


def test_a_start_inside_a_daylight_saving_gap_opens_at_a_real_instant() -> None:
    # New York skipped 02:00-03:00 on 8 March 2026.
    window = Window.parse("02:30-05:00", "America/New_York")
    opened = window.next_open(datetime(2026, 3, 8, 5, 0, tzinfo=UTC))  # 00:00 EST
    assert opened.astimezone(UTC) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def test_which_channels_wait_and_bad_settings_refused() -> None:
    from pydantic import ValidationError

    from services.delivery.quiet import quiet_rule
    from services.delivery.settings import DeliverySettings

    base: dict[str, object] = {"env": "test", "mysql_url": "mysql+asyncmy://u:p@127.0.0.1/x"}
    night = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)  # 01:30 IST: outside 10:00-21:00
    opens = datetime(2026, 12, 8, 4, 30, tzinfo=UTC)
    simulator = quiet_rule(DeliverySettings(**base), clock=lambda: night)  # type: ignore[arg-type]
    assert simulator("sms") is None  # the demo and the tests send at any hour
    twilio = quiet_rule(
        DeliverySettings(**base, sms_provider="twilio"),  # type: ignore[arg-type]
        clock=lambda: night,
    )
    assert twilio("sms") == opens and twilio("email") is None
    off = quiet_rule(
        DeliverySettings(**base, sms_provider="twilio", quiet_hours=""),  # type: ignore[arg-type]
        clock=lambda: night,
    )
    assert off("sms") is None
    for bad in ({"quiet_hours": "10-"}, {"quiet_hours_zone": "Mars/Base"}):
        with pytest.raises(ValidationError):
            DeliverySettings(**base, **bad)  # type: ignore[arg-type]
