"""Who a record is about: one person per email.

Emails are trimmed and compared without regard to case. A customer keeps the shop's own id
where there is one; otherwise the normalised email is the id. A second record whose email
is already known under another id is merged into one customer, never a second profile:
the other id stays as an alias (a ``merged`` row pointing at the survivor), so an order
naming it still lands on the right person. The survivor is the one holding a shop id, over
one keyed by its email (a guest); between two shop ids, the one that already had the email.

:class:`Directory` holds the stored rows a batch touches (loaded and locked by the store),
applies the batch's records to them in order, in memory, and says what to write: the rows
that changed (with what they were before, for undoing an import) and the merges (whose
orders the store moves to the survivor). No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

CHANNELS = ("email", "sms", "whatsapp")
CONSENT = tuple(
    f"{c}_{part}" for c in CHANNELS for part in ("consent", "consent_at", "consent_source")
)
FIELDS = ("name", "email", "phone", "city", "created_at", *CONSENT)
_CONTACT = ("name", "email", "phone", "city")

State = Literal["active", "pending", "merged", "erased"]
Outcome = Literal["new", "updated", "unchanged", "merged", "erased"]


def normalise_email(email: str | None) -> str | None:
    """The form emails are compared in (and an email-keyed customer's id)."""
    if not email:
        return None
    return email.strip().lower() or None


@dataclass
class Row:
    """A ``customers`` row as identity sees it. ``pending``: an id orders named before the
    customer arrived (no person yet); ``merged``: an alias of ``merged_into``."""

    customer_id: str
    state: State = "active"
    merged_into: str | None = None
    version: int = 0  # 0 while not stored
    values: dict[str, Any] = field(default_factory=dict)  # FIELDS -> value

    @property
    def email_norm(self) -> str | None:
        return normalise_email(self.values.get("email")) if self.state == "active" else None

    def copy(self) -> Row:
        return Row(self.customer_id, self.state, self.merged_into, self.version, dict(self.values))

    def same_as(self, other: Row) -> bool:
        return (
            self.state == other.state
            and self.merged_into == other.merged_into
            and all(self.values.get(f) == other.values.get(f) for f in FIELDS)
        )


@dataclass(frozen=True)
class Write:
    """A row to store: its state now and before the batch (None: a new row)."""

    row: Row
    before: Row | None


@dataclass
class OrderOwner:
    customer_id: str | None  # None: the person was erased (the order is skipped)
    known: bool  # False: no customer by that id yet (the order waits for one)
    created: bool = False  # a guest order made its customer


class Directory:
    """The customers a batch touches, kept current as its records apply, in order."""

    def __init__(self, rows: Iterable[Row], erased: Iterable[str] = ()) -> None:
        self.rows: dict[str, Row] = {}
        # What each row the batch touched was before it (None: a new row), copied when
        # first touched: a batch loads many rows and changes few.
        self.before: dict[str, Row | None] = {}
        self.by_email: dict[str, str] = {}
        for row in rows:
            self.rows[row.customer_id] = row
            if row.email_norm:
                self.by_email[row.email_norm] = row.customer_id
        self.erased = frozenset(erased)
        self.merges: list[tuple[str, str]] = []  # (alias, survivor), in the order made

    # -- reading ------------------------------------------------------------------------

    def survivor(self, customer_id: str) -> Row | None:
        """The row an id stands for: itself, or what it was merged into."""
        row = self.rows.get(customer_id)
        for _ in range(64):  # chains are repointed on every merge; this only guards
            if row is None or row.state != "merged" or row.merged_into is None:
                return row
            row = self.rows.get(row.merged_into)
        raise ValueError(f"customer {customer_id!r}: alias chain too long")

    def writes(self) -> list[Write]:
        """Rows new or changed by the batch; aliases first (they give their emails up)."""
        out = [
            Write(self.rows[cid], before)
            for cid, before in self.before.items()
            if before is None or not self.rows[cid].same_as(before)
        ]
        out.sort(key=lambda w: (w.row.state != "merged", w.row.customer_id))
        return out

    # -- applying -----------------------------------------------------------------------

    def upsert(self, sent: Mapping[str, Any], *, now: datetime, source: str) -> tuple[Outcome, str]:
        """Apply one customer record (``sent`` holds only the fields it sent); returns
        what became of it and the id of the customer it now is."""
        email = normalise_email(sent.get("email"))
        cid = sent.get("customer_id") or email
        assert cid, "the model requires a customer_id or an email"
        if cid in self.erased or (email is not None and email in self.erased):
            return "erased", cid
        target = self.survivor(cid)
        if target is not None and target.state == "erased":
            return "erased", cid
        owner_id = self.by_email.get(email) if email else None
        owner = self.rows[owner_id] if owner_id else None
        outcome: Outcome | None = None
        if target is not None and target.state == "active":
            if owner is not None and owner is not target:
                target = self._join(target, owner, email, now)
                outcome = "merged"
        else:  # no such id yet, or only orders named it
            new = target if target is not None else self._add(Row(cid, state="pending"))
            if owner is not None:
                target = self._join(new, owner, email, now)
                outcome = "merged"
            else:
                self._touch(new).state = "active"
                target = new
                outcome = "new"
        was = dict(target.values)
        self._set(target, sent, now, source)
        if outcome is None:
            outcome = "unchanged" if was == target.values else "updated"
        return outcome, target.customer_id

    def order_owner(
        self, customer_id: str | None, email: str | None, name: str | None, *, now: datetime
    ) -> OrderOwner:
        """Whose an order is: the customer its id names, else the one its email belongs
        to (its id then kept as an alias), else a guest customer made from it; with only
        an unknown id, that id (orders may arrive before their customer)."""
        norm = normalise_email(email)
        if (customer_id and customer_id in self.erased) or (norm and norm in self.erased):
            return OrderOwner(None, False)
        named = self.survivor(customer_id) if customer_id else None
        if named is not None and named.state == "erased":
            return OrderOwner(None, False)
        if named is not None and named.state == "active":
            return OrderOwner(named.customer_id, True)
        if norm is not None:
            owner_id = self.by_email.get(norm)
            if owner_id is None:
                _, made = self.upsert(
                    {"customer_id": customer_id, "email": email, "name": name},
                    now=now,
                    source="order",
                )
                return OrderOwner(made, True, created=True)
            if customer_id:  # the order's id is this person's too
                placeholder = named or self._add(Row(customer_id, state="pending"))
                owner_id = self._join(placeholder, self.rows[owner_id], norm, now).customer_id
            return OrderOwner(owner_id, True)
        assert customer_id, "the model requires a customer_id or a customer_email"
        if named is None:
            self._add(Row(customer_id, state="pending"))
        return OrderOwner(customer_id, False)

    # -- inside -------------------------------------------------------------------------

    def _add(self, row: Row) -> Row:
        self.rows[row.customer_id] = row
        self.before.setdefault(row.customer_id, None)
        return row

    def _touch(self, row: Row) -> Row:
        """About to change ``row``: remember what it was."""
        if row.customer_id not in self.before:
            self.before[row.customer_id] = row.copy()
        return row

    def _join(self, mine: Row, owner: Row, email: str | None, now: datetime) -> Row:
        """Merge the record's row with the email's owner; returns the survivor."""
        guest_owner = owner.customer_id == email
        if guest_owner and mine.customer_id != email:
            self._touch(mine).state = "active"
            self._merge(owner, into=mine)
            return mine
        self._merge(mine, into=owner)
        return owner

    def _merge(self, loser: Row, *, into: Row) -> None:
        self._touch(loser)
        self._touch(into)
        for name in FIELDS:
            if into.values.get(name) is None and loser.values.get(name) is not None:
                into.values[name] = loser.values[name]
        if loser.values.get("created_at") and into.values.get("created_at"):
            into.values["created_at"] = min(loser.values["created_at"], into.values["created_at"])
        if loser.email_norm and self.by_email.get(loser.email_norm) == loser.customer_id:
            del self.by_email[loser.email_norm]
        if into.email_norm:
            self.by_email[into.email_norm] = into.customer_id
        loser.state = "merged"
        loser.merged_into = into.customer_id
        loser.values = {}
        for row in self.rows.values():  # aliases of the loser now name the survivor
            if row.state == "merged" and row.merged_into == loser.customer_id:
                self._touch(row).merged_into = into.customer_id
        self.merges.append((loser.customer_id, into.customer_id))

    def _set(self, row: Row, sent: Mapping[str, Any], now: datetime, source: str) -> None:
        self._touch(row)
        old_email = row.email_norm
        for name in _CONTACT:
            if name in sent and (sent[name] is not None or name != "name"):
                row.values[name] = sent[name]
        if sent.get("created_at") is not None:
            row.values["created_at"] = sent["created_at"]
        at = sent.get("consent_at") or now
        where = sent.get("consent_source") or source
        for channel in CHANNELS:
            key = f"accepts_{channel}_marketing"
            if key not in sent:
                continue
            value = sent[key]
            if value is None:
                for part in ("consent", "consent_at", "consent_source"):
                    row.values[f"{channel}_{part}"] = None
            elif row.values.get(f"{channel}_consent") != value:
                row.values[f"{channel}_consent"] = value
                row.values[f"{channel}_consent_at"] = at
                row.values[f"{channel}_consent_source"] = where
        if row.values.get("name") is None:
            # No name sent for a new customer: the email's local part stands in (or the id).
            row.values["name"] = (row.values.get("email") or row.customer_id).strip().split("@")[0]
        new_email = row.email_norm
        if old_email != new_email:
            if old_email and self.by_email.get(old_email) == row.customer_id:
                del self.by_email[old_email]
            if new_email:
                self.by_email[new_email] = row.customer_id
