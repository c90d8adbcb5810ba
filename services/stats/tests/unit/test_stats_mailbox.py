"""The per-client mailbox: drop-to-latest, coalescing, subscriptions, bounds."""

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.stats.domain.mailbox import ClientMailbox


def snap(cid: str, revision: int, sent: int = 0) -> dict[str, Any]:
    return {"campaign_id": cid, "revision": revision, "sent": sent}


def sent_revisions(messages: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [
        (m["data"]["campaign_id"], m["data"]["revision"])
        for m in messages
        if m["type"] == "campaign_stats"
    ]


def test_first_change_goes_out_at_once_then_coalesced_latest_wins() -> None:
    box = ClientMailbox(interval=0.25)
    assert box.offer(snap("c1", 1))
    assert box.next_due(0.0) == 0.0
    assert sent_revisions(box.take(0.0)) == [("c1", 1)]
    for revision in (2, 3, 4):  # three changes within the interval: only the newest waits
        assert box.offer(snap("c1", revision))
    assert box.pending() == 1
    assert box.take(0.1) == []
    assert box.next_due(0.1) == 0.15
    assert sent_revisions(box.take(0.25)) == [("c1", 4)]
    assert box.take(10.0) == [] and box.next_due(10.0) is None


def test_older_snapshots_never_follow_newer_ones() -> None:
    box = ClientMailbox(interval=0.25)
    box.offer(snap("c1", 5))
    assert not box.offer(snap("c1", 4))  # pending 5 is kept
    assert sent_revisions(box.take(0.0)) == [("c1", 5)]
    assert not box.offer(snap("c1", 5))  # already sent
    assert not box.offer(snap("c1", 3))
    assert box.take(1.0) == []


def test_campaigns_are_throttled_independently() -> None:
    box = ClientMailbox(interval=0.25)
    box.offer(snap("a", 1))
    box.take(0.0)
    box.offer(snap("a", 2))
    box.offer(snap("b", 1))
    assert sent_revisions(box.take(0.1)) == [("b", 1)]  # b was never throttled
    assert sent_revisions(box.take(0.3)) == [("a", 2)]


def test_subscribe_narrows_and_drops_what_no_longer_fits() -> None:
    box = ClientMailbox()
    box.offer(snap("a", 1))
    box.offer(snap("b", 1))
    box.subscribe(["b"])
    assert not box.offer(snap("a", 2))
    assert sent_revisions(box.take(0.0)) == [("b", 1)]
    box.subscribe([])  # empty list: all again
    assert box.wants("a") and box.offer(snap("a", 3))


def test_a_subscribe_reply_is_due_at_once_and_may_repeat_the_revision() -> None:
    box = ClientMailbox(interval=0.25)
    box.offer(snap("a", 7))
    box.take(0.0)
    assert box.offer(snap("a", 7), reply=True)  # the client asked for the current state
    assert sent_revisions(box.take(0.01)) == [("a", 7)]
    assert not box.offer(snap("a", 6), reply=True)


def test_notices_come_first_and_are_bounded() -> None:
    box = ClientMailbox(max_notices=3)
    box.offer(snap("a", 1))
    for i in range(10):
        box.notice({"type": "error", "message": str(i)})
    out = box.take(0.0)
    assert [m.get("message") for m in out] == ["7", "8", "9", None]


def test_too_many_pending_campaigns_marks_the_client_hopeless() -> None:
    box = ClientMailbox(max_pending=2)
    assert box.offer(snap("a", 1)) and box.offer(snap("b", 1))
    assert box.offer(snap("a", 2))  # replacing a pending campaign is always fine
    assert not box.overflowed
    assert not box.offer(snap("c", 1))
    assert box.overflowed and not box.offer(snap("a", 3))


def test_memory_of_pushes_is_bounded_by_the_interval() -> None:
    box = ClientMailbox(interval=0.25)
    for i in range(1_000):
        box.offer(snap(f"c{i}", 1))
    box.take(0.0)
    box.take(1.0)  # every push is older than the interval now
    assert len(box._pushed_at) == 0


OFFERS = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.integers(1, 30),  # revision, arriving in any order
        st.sampled_from([0.0, 0.01, 0.1, 0.3]),  # time step before the offer
        st.booleans(),  # take after this offer?
    ),
    max_size=60,
)


@given(OFFERS)
def test_any_interleaving_keeps_order_rate_and_ends_on_the_latest(
    steps: list[tuple[str, int, float, bool]],
) -> None:
    box = ClientMailbox(interval=0.25)
    now = 0.0
    pushes: dict[str, list[tuple[float, int]]] = {}
    newest: dict[str, int] = {}

    def take(at: float) -> None:
        for cid, revision in sent_revisions(box.take(at)):
            pushes.setdefault(cid, []).append((at, revision))

    for cid, revision, step, take_now in steps:
        now += step
        box.offer(snap(cid, revision))
        newest[cid] = max(newest.get(cid, 0), revision)
        if take_now:
            take(now)
    take(now + 1.0)  # long after: everything due goes out
    for seen in pushes.values():
        revisions = [r for _, r in seen]
        assert revisions == sorted(set(revisions)), "older after newer, or twice"
        times = [t for t, _ in seen]
        assert all(b - a >= 0.25 for a, b in zip(times, times[1:], strict=False))
    assert {cid: seen[-1][1] for cid, seen in pushes.items()} == newest
    assert box.pending() == 0
