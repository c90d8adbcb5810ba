"""The event catalogue: every event Beacon publishes, typed, with its exchange and key.

One :class:`EventSpec` per (type, version): the service whose exchange carries it
(``beacon.<service>``; the routing key is the type), a pydantic model of its payload and a
line of description. ``docs/events.md`` is generated from it (``python -m shared.events``;
a test fails when the file is stale).

Every envelope is checked against its spec twice: by :func:`shared.envelope.new_event`
when it is made (a publisher that drifts from the catalogue fails in its own tests) and by
the consumers before a handler runs (a payload that does not fit is dead-lettered with the
reason, never half applied). Bulk events (thousands of rows) check their rows' keys, not
every value: the rows were validated at the edge, and a full pydantic pass over 10,000
rows would cost the consumer more than applying them.
"""

from __future__ import annotations

import builtins
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# The types, spelled once. Services import these names rather than repeat the strings.
CUSTOMER_SUBMITTED = "customer.submitted"
ORDER_SUBMITTED = "order.submitted"
CUSTOMER_UPSERTED = "customer.upserted"
ORDER_RECORDED = "order.recorded"
CUSTOMER_MERGED = "customer.merged"
CUSTOMER_ERASE_REQUESTED = "customer.erase_requested"
CUSTOMER_ERASED = "customer.erased"
IMPORT_UNDO_REQUESTED = "import.undo_requested"
PROFILE_CHANGED = "profile.changed"
SEGMENT_SAVED = "segment.saved"
SEGMENT_DELETED = "segment.deleted"
CAMPAIGN_LAUNCHED = "campaign.launched"
CAMPAIGN_PAUSED = "campaign.paused"
CAMPAIGN_RESUMED = "campaign.resumed"
CAMPAIGN_CANCELLED = "campaign.cancelled"
API_KEY_CREATED = "api_key.created"
API_KEY_REVOKED = "api_key.revoked"
API_KEY_USED = "api_key.used"
# Audit facts of sign-in (campaigns): nothing consumes them; they are the trail (issue 25).
USER_SIGNED_IN = "user.signed_in"
USER_ROLE_CHANGED = "user.role_changed"
SESSION_REFRESH_REUSED = "session.refresh_reused"
# An admin ended a person's sessions (disabled, role changed, or asked): every service
# refuses that person's access tokens issued before `ended_before`.
USER_SESSIONS_ENDED = "user.sessions_ended"
AUDIENCE_RESOLVED = "audience.resolved"
AUDIENCE_BATCH = "audience.batch"
RECEIPT_RECEIVED = "receipt.received"
DELIVERY_UPDATED = "delivery.updated"
SEND_REQUESTED = "delivery.send_requested"
STATS_CHANGED = "stats.changed"
# Audit fact (stats): a reconcile set a campaign's counters to the recount (issue 25).
STATS_RECONCILED = "stats.reconciled"
# A customer put on or taken off a channel's suppression list (segments, issue 26).
SUPPRESSION_CHANGED = "suppression.changed"
# A provider refused a message because the person cannot or will not get that channel
# (replied STOP, not a mobile, stopped marketing): delivery asks segments to suppress them.
ADDRESS_REFUSED = "delivery.address_refused"


class _Payload(BaseModel):
    # Fields may be added in a version without breaking older consumers.
    model_config = ConfigDict(extra="allow", frozen=True)


class Actor(_Payload):
    """Who did it (audit): a person's Google ``sub``, ``key:<id>`` or ``cli:<user>``."""

    sub: str
    email: str | None = None


# What a customer.upserted row says of the customer, beside customer_id and version.
CUSTOMER_FIELDS = (
    "name",
    "email",
    "phone",
    "city",
    "created_at",
    "email_consent",
    "sms_consent",
    "whatsapp_consent",
)


class SubmittedBy(_Payload):
    """Audit on ``*.submitted``: who sent the next ``items`` rows of the event (in order)."""

    sub: str
    email: str | None = None
    items: int = Field(ge=1)


class CustomersPayload(_Payload):
    customers: list[Any]
    # The import (POST /api/v1/imports) the rows belong to, on *.submitted; None: the API.
    import_id: str | None = Field(default=None, max_length=20)


class OrdersPayload(_Payload):
    orders: list[Any]
    import_id: str | None = Field(default=None, max_length=20)


class CustomersSubmitted(CustomersPayload):
    # Who sent the rows (audit), in row order: one entry per run of requests by the same
    # caller. None: an event from before issue 25.
    actors: list[SubmittedBy] | None = None


class OrdersSubmitted(OrdersPayload):
    actors: list[SubmittedBy] | None = None


class Merge(_Payload):
    alias: str = Field(min_length=1, max_length=64)
    into: str = Field(min_length=1, max_length=64)


class CustomersMerged(_Payload):
    merges: list[Merge] = Field(min_length=1)


class EraseRequested(_Payload):
    customer_id: str = Field(min_length=1, max_length=64)
    actor: Actor | None = None


class CustomerErased(_Payload):
    # Every id the person had (their own and their aliases): each service finds its rows
    # by them. Rewritten to the tombstone alone in ingest's event log once published.
    customer_ids: list[str] = Field(min_length=1)
    tombstone_id: str = Field(min_length=1, max_length=64)
    redacted: bool = False


class ImportUndoRequested(_Payload):
    import_id: str = Field(min_length=1, max_length=20)
    actor: Actor | None = None


class ProfilesPayload(_Payload):
    profiles: list[Any]


class SegmentSaved(_Payload):
    segment_id: str
    name: str
    rules: dict[str, Any]
    actor: Actor | None = None


class SegmentDeleted(_Payload):
    segment_id: str
    actor: Actor | None = None


class TestRecipient(_Payload):
    customer_id: str = Field(min_length=1, max_length=64)  # "you:<hash>": no customer's
    name: str | None = Field(default=None, max_length=200)
    email: str = Field(min_length=3, max_length=254)


class CampaignLaunched(_Payload):
    campaign_id: str = Field(min_length=1, max_length=64)
    name: str | None = None
    rules: dict[str, Any] | None = None
    segment_id: str | None = None
    message: str | None = None  # the template (delivery needs it; segments does not)
    # Where it goes: sms (the vendor simulator; older events have no channel) or email,
    # with the subject template. Segments keeps an email audience to those it may email.
    channel: Literal["sms", "email"] = "sms"
    subject: str | None = Field(default=None, max_length=200)
    max_audience: int | None = Field(default=None, ge=0)
    created_by: Actor | None = None
    # A test send: these customers instead of the rules, marked test, in no statistics.
    test: bool = False
    customer_ids: list[str] | None = Field(default=None, max_length=100)
    # ... and people who are not customers (the sender: to_me), with their own address.
    test_recipients: list[TestRecipient] | None = Field(default=None, max_length=10)


class CampaignControl(_Payload):
    """A sending campaign paused, resumed or cancelled: delivery acts on it at once."""

    campaign_id: str = Field(min_length=1, max_length=64)
    at: Any = None
    actor: Actor | None = None


class ApiKeyChanged(_Payload):
    key: dict[str, Any]
    actor: Actor | None = None


class ApiKeyUsed(_Payload):
    key_id: str
    at: Any
    service: str


class UserSignedIn(_Payload):
    actor: Actor
    method: str  # "google" or "dev"
    role: str
    ip: str | None = None


class UserRoleChanged(_Payload):
    actor: Actor  # whose role changed
    before: str
    after: str
    why: str  # e.g. "admin_list" (taken off BEACON_AUTH_ADMIN_EMAILS at a refresh)


class UserSessionsEnded(_Payload):
    user: Actor  # whose sessions ended
    ended_before: str  # ISO-8601 UTC: tokens issued at or before it are refused
    why: str  # "disabled", "role_changed" or "ended"
    actor: Actor | None = None  # the admin who did it


class AddressRefused(_Payload):
    channel: str
    customer_ids: list[str] = Field(min_length=1, max_length=10_000)
    reason: str = Field(max_length=200)  # the provider's, e.g. "twilio rejected: unsubscribed"


class SuppressionChanged(_Payload):
    customer_id: str
    channel: str  # email, sms or whatsapp
    suppressed: bool  # true: put on the list; false: taken off
    reason: str  # unsubscribed, manual, ...
    actor: Actor | None = None  # who (none: the person themselves, by their link)


class SessionRefreshReused(_Payload):
    actor: Actor  # whose sessions were all ended
    ip: str | None = None


class AudienceResolved(_Payload):
    campaign_id: str = Field(min_length=1, max_length=64)
    size: int = Field(ge=0, strict=True)
    batches: int = Field(ge=0)
    error: str | None = None
    test: bool = False  # a test send's audience: in no statistics


class AudienceBatch(_Payload):
    campaign_id: str = Field(min_length=1, max_length=64)
    batch_id: str
    batch_no: int = Field(ge=0)
    batches: int = Field(ge=1)
    recipients: list[Any]


class ReceiptsPayload(_Payload):
    receipts: list[Any]


class CampaignDelta(_Payload):
    campaign_id: str = Field(min_length=1, max_length=64)
    # Deltas: a counter that did not move may be left out. Strict: JSON integers only (a
    # bool or "3" is a broken producer, not a count).
    queued: int = Field(default=0, ge=0, strict=True)
    sent: int = Field(default=0, ge=0, strict=True)
    failed: int = Field(default=0, ge=0, strict=True)
    # Rows now CANCELLED (never to be sent); negative when a receipt showed one cancelled
    # while it was already on its way was sent after all.
    cancelled: int = Field(default=0, strict=True)
    test: bool = False  # a test send's: in no statistics


class DeliveryUpdated(_Payload):
    campaigns: list[CampaignDelta]


class SendRequested(_Payload):
    campaign_id: str = Field(min_length=1, max_length=64)
    message_ids: list[str] = Field(min_length=1, max_length=10_000)


class StatsChanged(_Payload):
    campaigns: list[Any]


class CounterChange(_Payload):
    before: int = Field(strict=True)
    after: int = Field(strict=True)


class StatsReconciled(_Payload):
    """Audit: a reconcile fixed a campaign's counters (only those that changed)."""

    campaign_id: str = Field(min_length=1, max_length=64)
    changes: dict[str, CounterChange] = Field(min_length=1)
    actor: Actor  # a person's sub, ``key:<id>`` or ``cli:<user>`` (the CLI)


@dataclass(frozen=True)
class EventSpec:
    type: str
    version: int
    service: str  # whose exchange: beacon.<service>
    payload: builtins.type[_Payload]  # (the field `type` shadows the builtin here)
    summary: str
    # Bulk events: the list field, and the keys each of its rows must have.
    rows: str | None = None
    row_keys: frozenset[str] = frozenset()

    @property
    def exchange(self) -> str:
        return f"beacon.{self.service}"

    @property
    def routing_key(self) -> str:
        return self.type

    def parse(self, payload: dict[str, Any], *, check_rows: bool = True) -> _Payload:
        """``payload`` as this spec's model; ValueError (pydantic's ValidationError is one)
        unless it fits. A bulk event's rows stay the dicts they are, their keys checked
        (unless ``check_rows`` is False: a reader that takes each row on its own)."""
        model = self.payload.model_validate(payload)
        if self.rows is not None and check_rows:
            for index, row in enumerate(getattr(model, self.rows)):
                if not isinstance(row, dict):
                    raise ValueError(f"{self.rows}[{index}] is not an object")
                if not row.keys() >= self.row_keys:  # per row: no set built when all there
                    missing = self.row_keys - row.keys()
                    raise ValueError(f"{self.rows}[{index}] lacks {', '.join(sorted(missing))}")
        return model

    def check(self, payload: dict[str, Any]) -> None:
        """Raise ValueError unless ``payload`` fits (see :meth:`parse`)."""
        self.parse(payload)


def _bulk(
    type_: str, service: str, payload: type[_Payload], rows: str, keys: str, summary: str
) -> EventSpec:
    return EventSpec(type_, 1, service, payload, summary, rows, frozenset(keys.split()))


CATALOGUE: tuple[EventSpec, ...] = (
    _bulk(
        CUSTOMER_SUBMITTED,
        "ingest",
        CustomersSubmitted,
        "customers",
        "",
        "customers of one accepted HTTP request, only the fields sent (published with confirm); "
        "`actors`: who sent them (audit)",
    ),
    _bulk(
        ORDER_SUBMITTED,
        "ingest",
        OrdersSubmitted,
        "orders",
        "order_id amount ordered_at",
        "orders of one accepted HTTP request (published with confirm); `actors`: who sent them",
    ),
    _bulk(
        CUSTOMER_UPSERTED,
        "ingest",
        CustomersPayload,
        "customers",
        "customer_id version",
        "customers as stored, each with its version (newer wins downstream); "
        "`removed: true`: no longer a customer (an undone import)",
    ),
    _bulk(
        ORDER_RECORDED,
        "ingest",
        OrdersPayload,
        "orders",
        "order_id customer_id amount ordered_at",
        "orders new or changed, as stored (status, refunded_amount, version: newer wins; "
        "`removed: true`: an undone import's order)",
    ),
    EventSpec(
        CUSTOMER_MERGED,
        1,
        "ingest",
        CustomersMerged,
        "ids found to be one person (one email): each alias's orders now belong to `into`",
    ),
    EventSpec(
        CUSTOMER_ERASE_REQUESTED,
        1,
        "ingest",
        EraseRequested,
        "internal command: DELETE /api/v1/customers/{id} accepted (the worker erases)",
    ),
    EventSpec(
        CUSTOMER_ERASED,
        1,
        "ingest",
        CustomerErased,
        "a person was erased: every service removes their personal data, by these ids",
    ),
    EventSpec(
        IMPORT_UNDO_REQUESTED,
        1,
        "ingest",
        ImportUndoRequested,
        "internal command: undo an import (the worker works through it in steps)",
    ),
    _bulk(
        PROFILE_CHANGED,
        "segments",
        ProfilesPayload,
        "profiles",
        "customer_id revision total_spend visits",
        "full state of each changed profile with its revision (for the preview caches)",
    ),
    EventSpec(SEGMENT_SAVED, 1, "segments", SegmentSaved, "a saved segment's definition"),
    EventSpec(SEGMENT_DELETED, 1, "segments", SegmentDeleted, "a segment was deleted"),
    EventSpec(
        CAMPAIGN_LAUNCHED,
        1,
        "campaigns",
        CampaignLaunched,
        "a launch, with the rules and template it was created with and its audience ceiling",
    ),
    EventSpec(
        CAMPAIGN_PAUSED,
        1,
        "campaigns",
        CampaignControl,
        "a sending campaign paused: delivery sends nothing more of it until resumed",
    ),
    EventSpec(
        CAMPAIGN_RESUMED,
        1,
        "campaigns",
        CampaignControl,
        "a paused campaign resumed: delivery sends what is left",
    ),
    EventSpec(
        CAMPAIGN_CANCELLED,
        1,
        "campaigns",
        CampaignControl,
        "a campaign cancelled: delivery marks every message not sent yet CANCELLED",
    ),
    EventSpec(API_KEY_CREATED, 1, "campaigns", ApiKeyChanged, "an API key's state (hash only)"),
    EventSpec(API_KEY_REVOKED, 1, "campaigns", ApiKeyChanged, "the same, with revoked_at set"),
    EventSpec(USER_SIGNED_IN, 1, "campaigns", UserSignedIn, "audit: a person signed in"),
    EventSpec(
        USER_ROLE_CHANGED,
        1,
        "campaigns",
        UserRoleChanged,
        "audit: a person's role changed (e.g. taken off the admin list)",
    ),
    EventSpec(
        USER_SESSIONS_ENDED,
        1,
        "campaigns",
        UserSessionsEnded,
        "a person's sessions were ended by an admin: every service refuses their older tokens",
    ),
    EventSpec(
        ADDRESS_REFUSED,
        1,
        "delivery",
        AddressRefused,
        "a provider refused messages because the people cannot or will not get that channel "
        "(STOP, not a mobile, stopped marketing): segments suppresses them on it",
    ),
    EventSpec(
        SUPPRESSION_CHANGED,
        1,
        "segments",
        SuppressionChanged,
        "a customer was put on or taken off a channel's suppression list (their unsubscribe "
        "link, or a marketer); campaigns on that channel leave them out from then on",
    ),
    EventSpec(
        SESSION_REFRESH_REUSED,
        1,
        "campaigns",
        SessionRefreshReused,
        "audit: a rotated refresh token came back (copied); every session of the person ended",
    ),
    EventSpec(
        API_KEY_USED,
        1,
        "ingest",
        ApiKeyUsed,
        "a key was used (at most once a minute per replica; also on segments, delivery, stats)",
    ),
    EventSpec(
        AUDIENCE_RESOLVED,
        1,
        "segments",
        AudienceResolved,
        "an audience's size and batch count, or why it could not be resolved",
    ),
    _bulk(
        AUDIENCE_BATCH,
        "segments",
        AudienceBatch,
        "recipients",
        "customer_id",
        "up to 1,000 recipients; event_id = batch_id, stable per (campaign, batch_no)",
    ),
    _bulk(
        RECEIPT_RECEIVED,
        "delivery",
        ReceiptsPayload,
        "receipts",
        "message_id status at",
        "the receipts of one vendor callback (published with confirm)",
    ),
    EventSpec(
        DELIVERY_UPDATED,
        1,
        "delivery",
        DeliveryUpdated,
        "per-campaign counter deltas: log rows created (queued), rows that became "
        "SENT/FAILED/CANCELLED",
    ),
    EventSpec(
        SEND_REQUESTED,
        1,
        "delivery",
        SendRequested,
        "internal work item: log rows of one campaign for the sender to send (ids only)",
    ),
    _bulk(
        STATS_CHANGED,
        "stats",
        StatsChanged,
        "campaigns",
        "campaign_id",
        "full counters of each changed campaign (for the WebSocket hubs)",
    ),
    EventSpec(
        STATS_RECONCILED,
        1,
        "stats",
        StatsReconciled,
        "audit: a reconcile set a campaign's counters to the recount (before/after, by whom)",
    ),
)

_BY_KEY = {(spec.type, spec.version): spec for spec in CATALOGUE}


def rows_in(payload: BaseModel) -> int:
    """How many customers or orders a customer/order event carries (what a consumer's batch
    is limited by); 1 for any other event."""
    if isinstance(payload, OrdersPayload):
        return len(payload.orders)
    if isinstance(payload, CustomersPayload):
        return len(payload.customers)
    return 1


def spec_for(type_: str, version: int) -> EventSpec | None:
    return _BY_KEY.get((type_, version))


def parse(
    type_: str, version: int, payload: dict[str, Any], *, check_rows: bool = True
) -> _Payload:
    """A payload as its spec's model; ValueError for an unknown type or a misfit."""
    spec = spec_for(type_, version)
    if spec is None:
        raise ValueError(f"{type_[:100]} version {version} is not in the event catalogue")
    return spec.parse(payload, check_rows=check_rows)


def check(type_: str, version: int, payload: dict[str, Any]) -> None:
    """Check a payload against its spec; ValueError for an unknown type or a misfit."""
    parse(type_, version, payload)


# --- docs/events.md ----------------------------------------------------------------------

DOC = Path(__file__).resolve().parent.parent / "docs" / "events.md"
START, END = "<!-- catalogue:start -->", "<!-- catalogue:end -->"


def catalogue_table() -> str:
    lines = ["| type | version | exchange | payload | what |", "|---|---|---|---|---|"]
    for spec in CATALOGUE:
        fields = ", ".join(
            f"{name}{'' if info.is_required() else '?'}"
            for name, info in spec.payload.model_fields.items()
        )
        if spec.rows:
            fields = fields.replace(
                spec.rows, f"{spec.rows}: [{{{', '.join(sorted(spec.row_keys))}, …}}]"
            )
        lines.append(
            f"| `{spec.type}` | {spec.version} | `{spec.exchange}` | `{{{fields}}}` "
            f"| {spec.summary} |"
        )
    return "\n".join(lines)


def render_doc(current: str) -> str:
    """``current`` with the generated table between its markers."""
    head, _, rest = current.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{catalogue_table()}\n{END}{tail}"


if __name__ == "__main__":  # python -m shared.events: regenerate docs/events.md
    DOC.write_text(render_doc(DOC.read_text()))
    sys.stdout.write(f"wrote {DOC}\n")
