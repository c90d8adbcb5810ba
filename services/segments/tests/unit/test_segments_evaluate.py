"""Both evaluators on hand-built profiles: operator semantics, NULLs, negation, case
folding, the seed segments, and the columnar store's bulk load and upserts."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from services.segments.domain.columns import ProfileColumns
from services.segments.domain.evaluate import (
    count,
    mask,
    matches,
    sample_customer_ids,
    sample_indices,
)
from services.segments.domain.profile import Profile
from shared.rules.rules import Group, parse_rules

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def segment(*rules: Any, combinator: str = "and", negate: bool = False) -> Group:
    return parse_rules({"combinator": combinator, "rules": list(rules), "not": negate})


def r(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def both(profiles: list[Profile], group: Group) -> list[Any]:
    """Matching customer ids, asserting the two evaluators agree."""
    reference = [p.customer_id for p in profiles if matches(p, group, NOW)]
    columns = ProfileColumns.from_profiles(profiles)
    columnar = columns.customer_ids_at(np.flatnonzero(mask(columns, group, NOW)))
    assert columnar == reference
    assert count(columns, group, NOW) == len(reference)
    return reference


# The seed segments on a hand-built set (see the table in each comment).
SEED = [
    #        spend        visits last visit
    Profile("A", Decimal("15000"), 2, days_ago(10)),
    Profile("B", Decimal("25000.50"), 8, days_ago(200)),
    Profile("C", Decimal("10000.00"), 1, days_ago(100)),  # not > 10,000
    Profile("D", Decimal("10000.01"), 3, days_ago(90)),  # exactly 90 days: still "in"
    Profile("E", Decimal("0"), 0, None),  # never visited
    Profile("F", Decimal("50000"), 4, days_ago(5)),
    Profile("G", Decimal("12000"), 3, days_ago(90) - timedelta(microseconds=1)),
    Profile("H", Decimal("9999.99"), 10, days_ago(365)),
]


def test_seed_segments() -> None:
    spend = r("total_spend", ">", 10000)
    assert both(SEED, segment(spend)) == ["A", "B", "D", "F", "G"]
    assert both(SEED, segment(spend, r("visits", "<=", 3))) == ["A", "D", "G"]
    assert both(SEED, segment(r("last_visit_at", "notInLastDays", 90))) == [
        "B", "C", "E", "G", "H",
    ]  # fmt: skip
    assert both(SEED, segment(r("last_visit_at", "inLastDays", 90))) == ["A", "D", "F"]


PEOPLE = [
    Profile(1, Decimal("100.00"), 1, days_ago(1), days_ago(30), days_ago(40),
            "Ñandú Rāmānujan", "nandu@Example.com", "Pune", "+91 98765 43210"),
    Profile(2, Decimal("250.50"), 2, days_ago(3), days_ago(300), None,
            "Zoë Straße", None, "MUMBAI", None),
    Profile(3, None, None, None, None, None, "देवनागरी नाम", "dev@example.in", None, None),
    Profile(4, Decimal("0"), 0, None, None, datetime(2024, 1, 1),  # naive → UTC
            "ZOË STRASSE", "ZOE@EXAMPLE.COM", "mumbai", "98765"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (r("total_spend", "=", "100"), [1]),
        (r("total_spend", "!=", 100), [2, 4]),  # NULL spend (3) matches neither = nor !=
        (r("total_spend", "<", 100), [4]),
        (r("total_spend", "<=", 100), [1, 4]),
        (r("total_spend", ">=", "250.5"), [2]),
        (r("total_spend", "between", "0,100"), [1, 4]),
        (r("visits", ">", 0), [1, 2]),
        (r("visits", "!=", 1), [2, 4]),
        (r("visits", "null"), [3]),
        (r("last_visit_at", "inLastDays", 2), [1]),
        (r("last_visit_at", "notInLastDays", 2), [2, 3, 4]),
        (r("last_visit_at", "inLastDays", 0), []),
        (r("last_visit_at", "before", days_ago(2).isoformat()), [2]),
        (r("last_visit_at", "after", days_ago(2).isoformat()), [1]),
        (
            r("first_visit_at", "between", [days_ago(300).isoformat(), days_ago(30).isoformat()]),
            [1, 2],
        ),
        (r("created_at", "before", "2024-01-01T00:00:01"), [4]),
        (r("created_at", "after", "2023-12-31T23:00:00-01:00"), [1]),  # = 2024-01-01T00:00Z
        (r("created_at", "notNull"), [1, 4]),
        (r("name", "=", "zoë straße"), [2, 4]),  # casefold: ß == ss
        (r("name", "=", "zoë strasse"), [2, 4]),
        (r("name", "contains", "STRASS"), [2, 4]),
        (r("name", "contains", "नाम"), [3]),
        (r("name", "beginsWith", "ñANDÚ"), [1]),
        (r("name", "!=", "Zoë Straße"), [1, 3]),
        (r("email", "contains", "example.com"), [1, 4]),
        (r("email", "!=", "nobody@example.com"), [1, 3, 4]),  # NULL email (2) excluded
        (r("email", "null"), [2]),
        (r("city", "=", "Mumbai"), [2, 4]),
        (r("city", "in", "pune, Mumbai"), [1, 2, 4]),
        (r("city", "in", ["Delhi"]), []),
        (r("city", "!=", "Pune"), [2, 4]),
        (r("city", "!=", "Delhi"), [1, 2, 4]),  # a value no one has
        (r("phone", "beginsWith", "98765"), [4]),
        (r("phone", "contains", "98765"), [1, 4]),
    ],
)
def test_operator_semantics(rule: dict[str, Any], expected: list[int]) -> None:
    assert both(PEOPLE, segment(rule)) == expected


def test_not_group_is_two_valued() -> None:
    # NULL city (3) is "not in Pune": NOT applies to the leaf's definite False.
    assert both(PEOPLE, segment(r("city", "=", "Pune"), negate=True)) == [2, 3, 4]
    nested = segment(
        r("visits", "notNull"),
        {"combinator": "or", "not": True, "rules": [r("city", "=", "Pune"), r("visits", ">", 1)]},
    )
    assert both(PEOPLE, nested) == [4]
    assert both(PEOPLE, segment(r("email", "null"), r("city", "null"), combinator="or")) == [2, 3]


def test_now_may_be_naive_or_in_any_zone() -> None:
    g = segment(r("last_visit_at", "inLastDays", 2))
    ist = NOW.astimezone(timezone(timedelta(hours=5, minutes=30)))
    for now in (NOW, NOW.replace(tzinfo=None), ist):
        assert [p.customer_id for p in PEOPLE if matches(p, g, now)] == [1]
        assert count(ProfileColumns.from_profiles(PEOPLE), g, now) == 1


def test_upsert_appends_updates_and_grows() -> None:
    columns = ProfileColumns(capacity=2)
    g = segment(r("city", "=", "pune"), r("total_spend", ">", 50))
    assert len(columns) == 0 and count(columns, g, NOW) == 0
    assert columns.upsert_many(PEOPLE) == [0, 1, 2, 3]
    assert columns.capacity >= 4 and len(columns) == 4
    assert count(columns, g, NOW) == 1
    # customer 4 moves to Pune and spends: updated in place, same row
    assert columns.upsert(Profile(4, Decimal("60"), 1, NOW, NOW, None, "Zoë", None, "PUNE")) == 3
    assert count(columns, g, NOW) == 2
    # customer 1 loses the city: the old code stays in the dictionary, no row has it
    columns.upsert(Profile(1, Decimal("100"), name="Ñandú"))
    assert count(columns, g, NOW) == 1
    for i in range(5, 3000):  # many appends through several doublings
        columns.upsert(Profile(i, Decimal(i), i, name=f"n{i}", city="Pune" if i % 2 else "Goa"))
    assert len(columns) == 2999 and columns.capacity >= 2999
    assert count(columns, g, NOW) == 1 + len(range(51, 3000, 2))
    assert columns.index_of(4) == 3 and columns.index_of("nope") is None


def test_bad_upsert_leaves_the_row_untouched() -> None:
    columns = ProfileColumns.from_profiles(PEOPLE)
    with pytest.raises(ValueError, match="2 decimal places"):
        columns.upsert(Profile(1, Decimal("1.005"), city="Goa"))
    with pytest.raises(TypeError):
        columns.upsert(Profile(99, 1.5))  # type: ignore[arg-type]
    assert len(columns) == 4 and columns.index_of(99) is None
    assert count(columns, segment(r("city", "=", "Pune")), NOW) == 1


def test_contains_cache_sees_values_added_later() -> None:
    columns = ProfileColumns.from_profiles(PEOPLE)
    g = segment(r("name", "contains", "zoë"))
    assert count(columns, g, NOW) == 2
    columns.upsert(Profile(10, name="Chloë Zoë"))
    columns.upsert(Profile(11, name="ZOË"))
    assert count(columns, g, NOW) == 4


def test_from_arrays_accepts_encoded_numpy_columns() -> None:
    us = np.datetime64("2025-05-01T00:00:00", "us")
    columns = ProfileColumns.from_arrays(
        np.array([10, 20, 30, 40]),
        total_spend=np.ma.MaskedArray([1_000_001, 5, 0, 7], mask=[False, False, True, False]),
        visits=np.array([3.0, np.nan, 1.0, 0.0]),
        last_visit_at=np.array([us, np.datetime64("NaT"), us, us]),
        created_at=np.array([0, 1, 2, 3], dtype=np.int64),  # epoch µs
        city=["Pune", None, "pune", "Goa"],
    )
    assert count(columns, segment(r("total_spend", ">", 10000)), NOW) == 1
    assert count(columns, segment(r("total_spend", "null")), NOW) == 1
    assert count(columns, segment(r("visits", "null")), NOW) == 1
    assert count(columns, segment(r("last_visit_at", "notInLastDays", 90)), NOW) == 1
    assert (
        count(columns, segment(r("created_at", "before", "1970-01-01T00:00:00.000002")), NOW) == 2
    )
    assert count(columns, segment(r("email", "null")), NOW) == 4  # missing column: all NULL
    assert count(columns, segment(r("city", "=", "PUNE")), NOW) == 2
    assert columns.customer_ids_at([3, 0]) == [40, 10]


def test_from_arrays_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="unique"):
        ProfileColumns.from_arrays([1, 1])
    with pytest.raises(ValueError, match="unknown columns"):
        ProfileColumns.from_arrays([1], age=[3])
    with pytest.raises(ValueError, match="non-integral"):
        ProfileColumns.from_arrays([1], visits=np.array([1.5]))
    with pytest.raises(ValueError, match="shape"):
        ProfileColumns.from_arrays([1, 2], visits=np.array([1]))


def test_sample_indices() -> None:
    matched = np.zeros(100, np.bool_)
    matched[[3, 10, 50, 77, 99]] = True
    assert sample_indices(matched, 10).tolist() == [3, 10, 50, 77, 99]
    picked = sample_indices(matched, 3, rng=7)
    assert len(picked) == 3 and set(picked.tolist()) <= {3, 10, 50, 77, 99}
    assert picked.tolist() == sorted(picked.tolist())
    assert sample_indices(matched, 3, rng=7).tolist() == picked.tolist()  # seeded: stable
    assert sample_indices(matched, 0).size == 0
    with pytest.raises(ValueError):
        sample_indices(matched, -1)
    columns = ProfileColumns.from_profiles(SEED)
    ids = sample_customer_ids(columns, segment(r("total_spend", ">", 10000)), NOW, 2, rng=1)
    assert len(ids) == 2 and set(ids) <= {"A", "B", "D", "F", "G"}


@pytest.mark.parametrize("density", [0.3, 0.01])  # drawn rows, or a choice among members
def test_sample_indices_is_uniform_distinct_and_only_members(density: float) -> None:
    generator = np.random.default_rng(3)
    matched = generator.random(20_000) < density
    members = set(np.flatnonzero(matched).tolist())
    seen = np.zeros(matched.size, np.int64)
    trials = 60 * len(members) // 5
    for _ in range(trials):
        picked = sample_indices(matched, 5, rng=generator, size=len(members)).tolist()
        assert len(set(picked)) == 5 and set(picked) <= members and picked == sorted(picked)
        seen[picked] += 1
    counts = seen[sorted(members)]  # each member expected 60 times
    assert counts.min() > 25 and counts.max() < 110
