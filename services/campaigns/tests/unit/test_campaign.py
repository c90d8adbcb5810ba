"""Campaign requests and the status life cycle, without I/O."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.campaigns.domain.campaign import (
    NewCampaign,
    Progress,
    after_resolved,
    launches_at_once,
    settle,
)

RULES = {"combinator": "and", "rules": [{"field": "visits", "operator": ">", "value": 1}]}


def test_valid_campaign_with_rules_or_segment() -> None:
    assert NewCampaign(name="Diwali", rules=RULES, message="Hi {name|there}!").segment_id is None
    assert NewCampaign(name="Diwali", segment_id="7", message="Hi {first_name}").rules is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "rules": RULES, "message": "Hi {nme}"}, "message"),
        ({"name": "x", "rules": RULES, "message": "Hi {name"}, "message"),
        ({"name": "", "rules": RULES, "message": "Hi"}, "name"),
        ({"name": "x", "message": "Hi"}, ""),
        ({"name": "x", "rules": RULES, "segment_id": "1", "message": "Hi"}, ""),
        ({"name": "x", "rules": {"combinator": "and", "rules": []}, "message": "Hi"}, "rules"),
        ({"name": "x", "rules": RULES, "message": "Hi", "colour": "red"}, "colour"),
        # Checked with segments' own parser, not only for shape.
        (
            {
                "name": "x",
                "rules": {
                    "combinator": "and",
                    "rules": [{"field": "password", "operator": "=", "value": "x"}],
                },
                "message": "Hi",
            },
            "rules",
        ),
        (
            {
                "name": "x",
                "rules": {
                    "combinator": "and",
                    "rules": [{"field": "visits", "operator": "contains", "value": 1}],
                },
                "message": "Hi",
            },
            "rules",
        ),
        (
            {
                "name": "x",
                "rules": {
                    "combinator": "and",
                    "rules": [{"field": "city", "operator": "=", "value": "x" * 2_000_000}],
                },
                "message": "Hi",
            },
            "rules",
        ),
        (
            {
                "name": "x",
                "schedule_at": "0001-01-01T00:00:00+05:30",
                "rules": RULES,
                "message": "Hi",
            },
            "schedule_at",
        ),
    ],
)
def test_invalid_campaigns_name_the_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        NewCampaign.model_validate(body)
    locs = {".".join(str(p) for p in e["loc"]) for e in caught.value.errors()}
    assert field in locs


def test_status_moves_forward_only() -> None:
    assert settle(Progress("launching", None, 5, 1), "launching") == "launching"
    assert after_resolved(Progress("launching", None, 0, 0), 10, None) == "sending"
    assert after_resolved(Progress("launching", None, 0, 0), 0, None) == "completed"
    assert (
        after_resolved(Progress("launching", None, 0, 0), 0, "segment 9 does not exist") == "failed"
    )
    # Delivery counted everyone before the size arrived: completed as soon as it does.
    assert after_resolved(Progress("launching", None, 7, 3), 10, None) == "completed"
    assert settle(Progress("sending", 10, 9, 0), "launching") == "sending"
    assert settle(Progress("sending", 10, 9, 1), "launching") == "completed"
    assert settle(Progress("completed", 10, 10, 0), "launching") == "completed"


def test_a_campaign_launches_at_once_unless_scheduled_for_later() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert launches_at_once(None, now)
    assert launches_at_once(now, now)
    assert launches_at_once(now - timedelta(seconds=1), now)
    assert not launches_at_once(now + timedelta(seconds=1), now)


# --- channel and subject (issue 26) ------------------------------------------------------

_RULES = {"combinator": "and", "rules": [{"field": "visits", "operator": ">", "value": 1}]}


def _problems(**body: object) -> list[tuple[tuple[str | int, ...], str]]:
    from pydantic import ValidationError

    from services.campaigns.domain.campaign import NewCampaign

    try:
        NewCampaign.model_validate({"name": "n", "rules": _RULES, "message": "Hi", **body})
    except ValidationError as error:
        return [(tuple(e["loc"]), e["msg"]) for e in error.errors()]
    return []


def test_channel_defaults_to_sms_without_a_subject() -> None:
    from services.campaigns.domain.campaign import NewCampaign

    campaign = NewCampaign.model_validate({"name": "n", "rules": _RULES, "message": "Hi"})
    assert (campaign.channel, campaign.subject) == ("sms", None)


def test_email_takes_a_subject_template() -> None:
    from services.campaigns.domain.campaign import NewCampaign

    body = {"channel": "email", "subject": "Hi {first_name}"}
    campaign = NewCampaign.model_validate({"name": "n", "rules": _RULES, "message": "Hi", **body})
    assert (campaign.channel, campaign.subject) == ("email", "Hi {first_name}")


def test_subject_is_checked_against_the_channel_and_named() -> None:
    assert _problems(channel="email") == [
        (("subject",), "Value error, an email campaign needs a subject")
    ]
    assert _problems(subject="Hi") == [
        (("subject",), "Value error, only an email campaign has a subject")
    ]
    assert _problems(channel="email", subject="x" * 201) == [
        (("subject",), "String should have at most 200 characters")
    ]
    assert _problems(channel="email", subject="a\nb") == [
        (("subject",), "Value error, a subject is one line")
    ]
    assert [loc for loc, _ in _problems(channel="email", subject="{nope}")] == [("subject",)]
    assert [loc for loc, _ in _problems(channel="fax")] == [("channel",)]
