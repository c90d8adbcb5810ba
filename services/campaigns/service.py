"""Campaigns' use cases: create a campaign (launched at once or scheduled), launch the
scheduled ones that are due, list and read.

Each takes the connection of the caller's unit of work (``shared.db.unit_of_work``, which
alone commits) and returns plain results; ``api.py`` and ``scheduler.py`` only translate
HTTP or the clock into these calls. A launch writes the status and its
``campaign.launched`` event (outbox) in the same transaction: a campaign is launching if
and only if its launch will be announced.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.campaigns.domain import events
from services.campaigns.domain.campaign import (
    CampaignEdit,
    Duplicate,
    NewCampaign,
    NotAllowed,
    TestSend,
    after,
    audience_ceiling,
    launches_at_once,
    sentence_of,
    test_recipient_of,
)
from services.campaigns.store import campaigns as store
from services.campaigns.store.tables import outbox as outbox_table
from shared import outbox


class UnknownSegment(Exception):
    """The campaign names a saved segment campaigns has not heard of (or that was deleted)."""

    def __init__(self, segment_id: str) -> None:
        super().__init__(f"segment {segment_id!r} does not exist")
        self.segment_id = segment_id


def _launching() -> dict[str, Any]:
    """The fields a launch sets (with :func:`_announce`, in the same transaction)."""
    return {"status": "launching", "launched_at": store.now()}


async def _announce(conn: AsyncConnection, campaign: dict[str, Any]) -> None:
    await outbox.add(conn, outbox_table, [events.campaign_launched(campaign)])


async def create_campaign(
    conn: AsyncConnection,
    new: NewCampaign,
    actor: dict[str, Any],
    *,
    confirm_above: int,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Store ``new`` with a fresh id, launched now unless scheduled for later; the stored
    campaign. Raises :class:`UnknownSegment`."""
    rules = new.rules
    if new.segment_id is not None:
        # The segment's rules as of now: the campaign keeps them even if it changes later.
        rules = await store.segment_rules(conn, new.segment_id)
        if rules is None:
            raise UnknownSegment(new.segment_id)
    launch_now = launches_at_once(new.schedule_at, now or datetime.now(UTC))
    campaign = await store.insert_campaign(
        conn,
        {
            "id": str(uuid.uuid4()),
            "name": new.name,
            "message": new.message,
            "channel": new.channel,
            "subject": new.subject,
            "rules": rules,
            "rules_sentence": sentence_of(rules),
            "segment_id": new.segment_id,
            "schedule_at": new.schedule_at.replace(tzinfo=None) if new.schedule_at else None,
            "max_audience": audience_ceiling(new.confirm_audience_size, confirm_above),
            "created_by_sub": actor["sub"],
            "created_by_email": actor["email"],
            **(_launching() if launch_now else {"status": "scheduled", "launched_at": None}),
        },
    )
    if launch_now:
        await _announce(conn, campaign)
    return campaign


async def launch_due(conn: AsyncConnection, limit: int = 100) -> list[str]:
    """Launch up to ``limit`` scheduled campaigns whose time has come; their ids. Claimed
    with ``SKIP LOCKED``: several schedulers never launch one campaign twice."""
    due = await store.lock_due(conn, limit)
    for campaign in due:
        await store.set_fields(conn, campaign["id"], **_launching())
        await _announce(conn, campaign)
    return [c["id"] for c in due]


async def list_campaigns(
    conn: AsyncConnection,
    *,
    before_seq: int | None,
    limit: int,
    filters: store.Filters | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """Newest first: a page of campaigns, and the ``seq`` to continue before (or None)."""
    return await store.page(
        conn, before_seq=before_seq, limit=limit, filters=filters or store.Filters()
    )


class UnknownCampaign(Exception):
    def __init__(self, campaign_id: str) -> None:
        super().__init__(f"campaign {campaign_id!r} not found")


async def _locked(conn: AsyncConnection, campaign_id: str) -> dict[str, Any]:
    campaign = await store.get(conn, campaign_id, lock=True)
    if campaign is None or campaign["test"]:
        raise UnknownCampaign(campaign_id)
    return campaign


async def control(
    conn: AsyncConnection, campaign_id: str, action: str, actor: dict[str, Any]
) -> dict[str, Any]:
    """Pause, resume or cancel a campaign (raises ``NotAllowed``, ``UnknownCampaign``).
    A launched campaign's change is announced in the same transaction, so delivery stops
    (or goes on) within moments; a scheduled one that is cancelled was never announced."""
    campaign = await _locked(conn, campaign_id)
    status = after(campaign["status"], action)
    stamp = store.now()
    extra: dict[str, Any] = {}
    if action == "pause":
        extra["paused_at"] = stamp
    elif action == "cancel":
        extra["cancelled_at"] = stamp
    await store.set_fields(conn, campaign_id, status=status, **extra)
    if campaign["launched_at"] is not None:
        await outbox.add(conn, outbox_table, [events.campaign_control(action, campaign_id, actor)])
    found = await store.get(conn, campaign_id)
    assert found is not None
    return found


async def edit_scheduled(
    conn: AsyncConnection, campaign_id: str, edit: CampaignEdit, *, confirm_above: int
) -> dict[str, Any]:
    """Change a scheduled campaign before it goes (``NotAllowed`` once it launched)."""
    campaign = await _locked(conn, campaign_id)
    if campaign["status"] != "scheduled":
        raise NotAllowed(f"a {campaign['status']} campaign cannot be edited")
    values: dict[str, Any] = {}
    if edit.name is not None:
        values["name"] = edit.name
    if edit.message is not None:
        values["message"] = edit.message
    if edit.subject is not None:
        if campaign["channel"] != "email":
            raise NoSubject("only an email campaign has a subject")
        values["subject"] = edit.subject
    if edit.schedule_at is not None:
        values["schedule_at"] = edit.schedule_at.replace(tzinfo=None)
    if edit.rules is not None:
        values.update(rules=edit.rules, rules_sentence=sentence_of(edit.rules), segment_id=None)
    if edit.segment_id is not None:
        rules = await store.segment_rules(conn, edit.segment_id)
        if rules is None:
            raise UnknownSegment(edit.segment_id)
        values.update(rules=rules, rules_sentence=sentence_of(rules), segment_id=edit.segment_id)
    if "confirm_audience_size" in edit.model_fields_set:
        values["max_audience"] = audience_ceiling(edit.confirm_audience_size, confirm_above)
    if values:
        await store.set_fields(conn, campaign_id, **values)
    found = await store.get(conn, campaign_id)
    assert found is not None
    return found


async def duplicate(
    conn: AsyncConnection,
    campaign_id: str,
    copy: Duplicate,
    actor: dict[str, Any],
    *,
    confirm_above: int,
) -> dict[str, Any]:
    """A new campaign with another's audience rules and message (launched at once unless
    scheduled, as any new campaign)."""
    original = await store.get(conn, campaign_id)
    if original is None or original["test"]:
        raise UnknownCampaign(campaign_id)
    new = NewCampaign(
        name=copy.name or f"{original['name']} (copy)"[:200],
        rules=original["rules"],
        message=original["message"],
        channel=original["channel"],
        subject=original["subject"],
        schedule_at=copy.schedule_at,
        confirm_audience_size=copy.confirm_audience_size,
    )
    return await create_campaign(conn, new, actor, confirm_above=confirm_above)


async def test_send(conn: AsyncConnection, send: TestSend, actor: dict[str, Any]) -> dict[str, Any]:
    """A test of a message to named customers (and to the sender, ``to_me``) through the
    same path as a campaign, marked test: it is in no list and no statistics; its log is
    the test id's. ``NoEmail`` when ``to_me`` is asked by a caller without an email."""
    extra = []
    if send.to_me:
        if not actor.get("email"):
            raise NoEmail("to_me needs a signed-in person with an email (not an API key)")
        extra.append(test_recipient_of(actor))
    campaign = await store.insert_campaign(
        conn,
        {
            "id": str(uuid.uuid4()),
            "name": "Test send",
            "message": send.message,
            "rules": None,
            "customer_ids": send.customer_ids,
            "test": True,
            "max_audience": len(send.customer_ids) + len(extra),
            "created_by_sub": actor["sub"],
            "created_by_email": actor["email"],
            **_launching(),
        },
    )
    await _announce(conn, {**campaign, "customer_ids": send.customer_ids, "test_recipients": extra})
    return campaign


class NoEmail(ValueError):
    pass


class NoSubject(ValueError):
    """A subject given for a campaign whose channel has none (a 422 on ``subject``)."""


async def get_campaign(conn: AsyncConnection, campaign_id: str) -> dict[str, Any] | None:
    return await store.get(conn, campaign_id)
