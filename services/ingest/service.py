"""Ingest's use cases, run inside the caller's unit of work (``shared.db.unit_of_work``).

- :func:`store_customers` / :func:`store_orders`: apply a batch of submitted customers or
  orders (the persistence consumer's two handlers): one person per email
  (``domain.identity``), orders upserted by ``order_id``, each import's counts kept.
- :func:`undo_step`: undo part of an import; returns whether more is left.
- :func:`erase`: right to erasure for one person.

Each returns the events to add to the outbox.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.ingest.domain import events
from services.ingest.domain.identity import Directory, Row, Write, normalise_email
from services.ingest.store import customers as customer_store
from services.ingest.store import erasure as erasure_store
from services.ingest.store import imports as import_store
from services.ingest.store import orders as order_store
from shared.db import unit_of_work
from shared.envelope import Envelope
from shared.events import CustomersPayload, OrdersPayload

ANNOUNCE_CHUNK = 1000  # items per outgoing event, as the contract's batches


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _chunks(rows: list[Any]) -> list[list[Any]]:
    return [rows[i : i + ANNOUNCE_CHUNK] for i in range(0, len(rows), ANNOUNCE_CHUNK)]


async def _apply_identities(
    conn: AsyncConnection,
    directory: Directory,
    import_of: dict[str, int | None],
    default_import: int | None,
    now: datetime,
) -> list[Envelope]:
    """Store what the directory changed; returns customer.upserted / customer.merged."""
    writes = directory.writes()
    if not writes:
        return []
    by_import: dict[int | None, list[Write]] = {}
    for w in writes:
        by_import.setdefault(import_of.get(w.row.customer_id, default_import), []).append(w)
    stored: list[Row] = []
    for import_id, group in by_import.items():
        stored += await customer_store.write(conn, group, now, import_id)
        if import_id is not None:
            await import_store.record_changes(
                conn,
                import_id,
                "customer",
                [
                    (w.row.customer_id, customer_store.before_image(w.before), w.row.version)
                    for w in group
                    if w.before is not None and w.before.version
                ],
            )
    for alias, survivor in directory.merges:
        moved = await order_store.move(conn, alias, survivor, now)
        repointed = await customer_store.repoint(conn, alias, survivor, now)
        import_id = import_of.get(alias, default_import)
        if import_id is not None:
            await import_store.record_changes(conn, import_id, "order", moved)
            await import_store.record_changes(conn, import_id, "customer", repointed)
    out = [events.customers_upserted(c) for c in _chunks(customer_store.announced(stored))]
    if directory.merges:
        out.append(events.customers_merged(directory.merges))
    return out


async def _directory(
    conn: AsyncConnection, pepper: bytes, ids: set[str], emails: set[str]
) -> Directory:
    """The customers a batch of customers touches, locked to be changed."""
    rows = await customer_store.load_directory(conn, ids, emails, lock="update")
    erased = await erasure_store.erased(conn, pepper, ids | emails)
    return Directory(rows, erased)


async def store_customers(
    conn: AsyncConnection, submitted: list[CustomersPayload], pepper: bytes
) -> list[Envelope]:
    now = now_utc()
    records = [
        (c, import_id)
        for payload in submitted
        for import_id in (events.import_id_of(payload),)
        for c in events.submitted_customers(payload)
    ]
    emails = {n for c, _ in records if (n := normalise_email(c.email))}
    ids = {c.customer_id for c, _ in records if c.customer_id} | emails
    directory = await _directory(conn, pepper, ids, emails)
    source = await import_store.sources(conn, (i for _, i in records if i is not None))
    counts: dict[int, Counter[str]] = {}
    import_of: dict[str, int | None] = {}
    for customer, import_id in records:
        sent = {name: getattr(customer, name) for name in customer.model_fields_set}
        outcome, customer_id = directory.upsert(
            sent, now=now, source=source.get(import_id, "api") if import_id else "api"
        )
        import_of[customer_id] = import_id
        if import_id is not None:
            tally = counts.setdefault(import_id, Counter())
            tally["processed"] += 1
            tally[outcome] += 1
    default = records[0][1] if records else None
    out = await _apply_identities(conn, directory, import_of, default, now)
    await import_store.add_counts(conn, counts, now)
    return out


async def store_orders(
    conn: AsyncConnection, submitted: list[OrdersPayload], pepper: bytes
) -> list[Envelope]:
    now = now_utc()
    # The rows are the events' own dicts, completed in place (the resolved customer, then
    # what order.recorded says): a batch applied again resolves a resolved id to itself.
    records = [
        (row, import_id)
        for payload in submitted
        for import_id in (events.import_id_of(payload),)
        for row in events.submitted_order_rows(payload)
    ]
    named = {row["customer_id"] for row, _ in records if row.get("customer_id")}
    # Every id an order names has a row (pending until its customer arrives), held with a
    # shared lock: a merge of that id waits for these orders, and then moves them too.
    # Rows for new ids are made first, in a short transaction of their own.
    missing = named - (await customer_store.states(conn, named, lock=False)).keys()
    if missing:
        async with unit_of_work(conn.engine) as side:
            await customer_store.add_pending(side, sorted(missing), now)
    states = await customer_store.states(conn, named)
    emails = {n for row, _ in records if (n := normalise_email(row.get("customer_email")))}
    erased = await erasure_store.erased(conn, pepper, named | emails)
    # An order naming an active or pending id is that id's: the usual case, decided here.
    # One with an email, or naming an alias or someone erased, goes to the directory.
    plain = {cid for cid, state in states.items() if state in ("active", "pending")} - erased
    hard = [r for r, _ in records if r.get("customer_email") or r.get("customer_id") not in plain]
    directory = Directory(
        await customer_store.load_directory(
            conn,
            {r["customer_id"] for r in hard if r.get("customer_id")},
            {n for r in hard if (n := normalise_email(r.get("customer_email")))},
            lock="share",
        )
        if hard
        else [],
        erased,
    )
    counts: dict[int, Counter[str]] = {}
    import_of: dict[str, int | None] = {}
    kept: list[dict[str, Any]] = []
    for row, import_id in records:
        tally = counts.setdefault(import_id, Counter()) if import_id is not None else Counter()
        tally["processed"] += 1
        customer_id = row.get("customer_id")
        if customer_id in plain and not row.get("customer_email"):
            if states[customer_id] != "active":
                tally["no_customer"] += 1
        else:
            owner = directory.order_owner(
                customer_id, row.get("customer_email"), row.get("customer_name"), now=now
            )
            if owner.customer_id is None:
                tally["erased"] += 1
                continue
            if not owner.known:
                tally["no_customer"] += 1
            row["customer_id"] = owner.customer_id
        import_of[row["order_id"]] = import_id
        kept.append(row)
    for row in kept:  # a later order of the batch may have merged an earlier one's customer
        if row["customer_id"] in directory.rows:
            survivor = directory.survivor(row["customer_id"])
            if survivor is not None and survivor.state == "active":
                row["customer_id"] = survivor.customer_id
    default = records[0][1] if records else None
    out = await _apply_identities(conn, directory, {}, default, now)
    recorded = await order_store.upsert(conn, kept, import_of, now)
    for order_id, outcome in recorded.outcome.items():
        import_id = import_of[order_id]
        if import_id is not None:
            counts[import_id][outcome] += 1
    for import_id in {import_of[o] for o in recorded.before} - {None}:
        await import_store.record_changes(
            conn,
            import_id,  # type: ignore[arg-type]
            "order",
            [
                (o, before, before["version"] + 1)
                for o, before in recorded.before.items()
                if import_of[o] == import_id
            ],
        )
    await import_store.add_counts(conn, counts, now)
    return out + [events.orders_recorded(c) for c in _chunks(recorded.announce)]


UNDO_STEP = 2000  # rows an undo handles per transaction; the rest in the next step


async def undo_step(conn: AsyncConnection, import_id: int) -> list[Envelope]:
    """Undo up to ``UNDO_STEP`` rows of an import marked ``undoing``: the orders it
    created are removed, the orders and customers it changed restored, the customers it
    created become bare ids again; a row someone changed since is left as it is (a
    conflict). When rows remain, the events end with the request for the next step."""
    found = await import_store.get(conn, import_id, lock=True)
    if found is None or found["status"] != "undoing":
        return []
    now = now_utc()
    tally: Counter[str] = Counter()
    budget = UNDO_STEP
    announce_orders: list[dict[str, Any]] = []
    announce_customers: list[Row] = []

    created = await order_store.created_by(conn, import_id, budget)
    mine = [r for r in created if r.last_import_id == import_id]
    others = [r.order_id for r in created if r.last_import_id != import_id]
    announce_orders += await order_store.remove(conn, mine, now)
    await order_store.disown(conn, others)
    tally.update(undo_removed=len(mine), undo_conflicts=len(others))
    budget -= len(created)

    if budget > 0:
        changes = await import_store.next_changes(conn, import_id, "order", budget)
        keys = [key for key, _, _ in changes]
        current = await order_store.versions(conn, keys)
        restorable = [
            (k, before, current[k]) for k, before, after in changes if current.get(k) == after
        ]
        announce_orders += await order_store.restore(conn, restorable, now)
        await import_store.forget_changes(conn, import_id, "order", keys)
        tally.update(undo_restored=len(restorable), undo_conflicts=len(changes) - len(restorable))
        budget -= len(changes)

    if budget > 0:
        made = await customer_store.created_by(conn, import_id, budget)
        writes = []
        for row, last_import in made:
            if last_import == import_id:
                before = row.copy()
                row.state, row.merged_into, row.values = "pending", None, {}
                writes.append(Write(row, before))
        announce_customers += await customer_store.write(conn, writes, now, None)
        await customer_store.disown(conn, [row.customer_id for row, _ in made])
        tally.update(undo_removed=len(writes), undo_conflicts=len(made) - len(writes))
        budget -= len(made)

    if budget > 0:
        changes = await import_store.next_changes(conn, import_id, "customer", budget)
        keys = [key for key, _, _ in changes]
        now_rows = await customer_store.current(conn, keys)
        restores = [
            Write(customer_store.from_image(key, before), now_rows[key])
            for key, before, after in changes
            if key in now_rows and now_rows[key].version == after
        ]
        restores.sort(key=lambda w: (w.row.state != "merged", w.row.customer_id))
        announce_customers += await customer_store.write(conn, restores, now, None)
        await import_store.forget_changes(conn, import_id, "customer", keys)
        tally.update(undo_restored=len(restores), undo_conflicts=len(changes) - len(restores))
        budget -= len(changes)

    more = budget <= 0
    await import_store.add_undo_counts(conn, import_id, tally, finished=not more, now=now)
    rows = customer_store.announced(announce_customers) + customer_store.announced_removed(
        announce_customers
    )
    out = [events.customers_upserted(c) for c in _chunks(rows)]
    out += [events.orders_recorded(c) for c in _chunks(announce_orders)]
    if more:
        out.append(events.undo_requested(import_id))
    return out


async def erase(conn: AsyncConnection, customer_id: str, pepper: bytes) -> list[Envelope]:
    """Right to erasure: the person behind ``customer_id`` (and all their ids) becomes a
    tombstone here, and ``customer.erased`` tells every other service."""
    found = await erasure_store.person(conn, customer_id)
    if found is None:
        return []  # erased already, or never a customer
    row, ids = found
    tombstone = await erasure_store.erase(conn, pepper, row, ids, now_utc())
    erased = events.customer_erased(ids, tombstone)
    await erasure_store.remember_event(conn, str(erased.event_id))
    return [erased]
