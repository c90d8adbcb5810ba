"""Revision ordering: a hub or a client never goes back to an older snapshot."""

from services.stats.domain.revisions import RevisionGate


def test_only_newer_revisions_pass() -> None:
    gate = RevisionGate()
    assert gate.admit("c1", 3)
    assert not gate.admit("c1", 2)
    assert not gate.admit("c1", 3)
    assert gate.admit("c1", 3, allow_equal=True)  # an explicit re-send of the same state
    assert not gate.admit("c1", 2, allow_equal=True)
    assert gate.admit("c1", 10)
    assert gate.admit("c2", 1)  # campaigns are independent
    assert gate.newest("c1") == 10 and gate.newest("nope") is None


def test_bounded_forgets_the_least_recently_changed() -> None:
    gate = RevisionGate(max_entries=2)
    gate.admit("a", 5)
    gate.admit("b", 5)
    gate.admit("a", 6)  # a is now the most recent
    gate.admit("c", 1)  # evicts b
    assert len(gate) == 2
    assert gate.newest("b") is None and gate.newest("a") == 6
