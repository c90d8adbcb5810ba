"""The status rule under at-least-once, any-order receipts (property tests).

Receipts are duplicated up to 50 times, shuffled, and cut into batches of any size as the
receipts consumer would see them; each batch is folded (first receipt per message) and
applied with ``next_status``. Whatever the order, the final status of each message is the
first final receipt delivered for it, a status never moves back, and each message is
counted (sent or failed) exactly once.
"""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.delivery.domain.status import (
    FINAL,
    Deltas,
    Receipt,
    Status,
    first_per_message,
    next_status,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
RECEIPT_STATUS = st.sampled_from([Status.SENT, Status.FAILED])


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[str], list[Receipt], list[int]]:
    """(message ids, the delivered receipt stream, batch sizes)."""
    ids = [f"m{i}" for i in range(draw(st.integers(1, 12)))]
    stream: list[Receipt] = []
    for mid in ids:
        # Some messages get no receipt at all; some get conflicting ones (a vendor bug).
        for k in range(draw(st.integers(0, 3))):
            receipt = Receipt(mid, draw(RECEIPT_STATUS), T0 + timedelta(seconds=k), None)
            stream.extend([receipt] * draw(st.integers(1, 50)))
    shuffled = draw(st.permutations(stream))
    sizes = draw(st.lists(st.integers(1, 200), min_size=1, max_size=50))
    return ids, list(shuffled), sizes


def batches(stream: list[Receipt], sizes: list[int]) -> list[list[Receipt]]:
    out, start, i = [], 0, 0
    while start < len(stream):
        size = sizes[i % len(sizes)]
        out.append(stream[start : start + size])
        start += size
        i += 1
    return out


@settings(max_examples=300, deadline=None)
@given(deliveries())
def test_first_final_receipt_wins_in_any_order(
    case: tuple[list[str], list[Receipt], list[int]],
) -> None:
    ids, stream, sizes = case
    state = dict.fromkeys(ids, Status.PENDING)
    deltas = Deltas()
    for batch in batches(stream, sizes):
        for mid, receipt in first_per_message(batch).items():
            before = state[mid]
            moved = next_status(before, receipt.status)
            if moved is None:
                continue
            assert before is Status.PENDING, "a final status was overwritten"
            assert moved in FINAL, "moved somewhere that is not final"
            state[mid] = moved
            deltas.count(moved)

    first: dict[str, Status] = {}
    for receipt in stream:
        first.setdefault(receipt.message_id, receipt.status)
    for mid in ids:
        assert state[mid] == first.get(mid, Status.PENDING), mid
    assert deltas.sent == sum(1 for s in first.values() if s is Status.SENT)
    assert deltas.failed == sum(1 for s in first.values() if s is Status.FAILED)


@given(st.sampled_from(list(Status)), st.sampled_from(list(Status)))
def test_next_status_table(current: Status, receipt: Status) -> None:
    moved = next_status(current, receipt)
    # A cancelled message handed to the vendor just before the cancel did go: its receipt
    # says what became of it. Any other final status stays final.
    movable = current in (Status.PENDING, Status.CANCELLED)
    if movable and receipt in (Status.SENT, Status.FAILED):
        assert moved is receipt
    else:
        assert moved is None  # final stays final; PENDING/HELD_OUT receipts change nothing


def test_final_statuses_never_change() -> None:
    for final in (Status.SENT, Status.FAILED, Status.HELD_OUT):
        for receipt in Status:
            assert next_status(final, receipt) is None


def test_first_per_message_keeps_order_of_arrival() -> None:
    a1 = Receipt("a", Status.FAILED, T0, "x")
    a2 = Receipt("a", Status.SENT, T0, None)
    b1 = Receipt("b", Status.SENT, T0, None)
    assert first_per_message([a1, b1, a2]) == {"a": a1, "b": b1}
    assert first_per_message([]) == {}


def test_deltas_truthiness_and_count() -> None:
    deltas = Deltas()
    assert not deltas
    deltas.count(Status.PENDING)
    assert not deltas
    deltas.count(Status.FAILED)
    assert deltas and deltas.failed == 1
