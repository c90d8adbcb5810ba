"""The compact layout of the profile cache (issue 15): the sorted text vocabulary and its
prefix ranges and blob scans, values added after the load, the id index, and the cache
keeping the events that arrive while it loads."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from services.segments import cache as cache_module
from services.segments import cache_spawn
from services.segments.cache import ProfileCache
from services.segments.domain.columns import ProfileColumns, SortedText
from services.segments.domain.evaluate import count, mask, matches
from services.segments.domain.profile import Profile
from services.segments.store import cache_load
from shared.envelope import Received, new_event
from shared.rules.rules import parse_rules

NOW = datetime(2026, 6, 1, tzinfo=UTC)

TEXTS = [
    "Zoë Sharma",
    "ZOË",
    "zoe",  # accents count: not 'zoë'
    "",  # an empty string is a value, not NULL
    None,
    "Émile",
    "émile dupont",
    "straße",
    "STRASSE",  # casefold: 'strasse', the same value as 'straße'
    "a",
    "ab",
    "a ",  # trailing space is part of the value
    "ä",
    "日本語テキスト",
    "\U0001f600 smile",  # beyond the BMP: 4 UTF-8 bytes
    "priya@example.com",
    "PRIYA.K@gmail.com",
    "+91 98765 43210",
    "+91 9123",
    "+919876543210",
]


def people() -> list[Profile]:
    return [
        Profile(
            f"c{i:03d}",
            Decimal(i),
            i % 4,
            name=TEXTS[i % len(TEXTS)] or "x",
            email=TEXTS[(i * 7) % len(TEXTS)],
            phone=TEXTS[(i * 3) % len(TEXTS)],
            city=TEXTS[(i * 11) % len(TEXTS)],
        )
        for i in range(len(TEXTS) * 3)
    ]


NEEDLES = ["z", "ZO", "zoë", "é", "émile", "strasse", "STRASSE", "ß", "a", "a ", "ä", "日本"]
NEEDLES += ["\U0001f600", "priya", "gmail", "@", "+91 9", "+91", "9876", "x", "nothing"]


def rule(field: str, op: str, value: Any) -> Any:
    return parse_rules(
        {"combinator": "and", "rules": [{"field": field, "operator": op, "value": value}]}
    )


def agree(columns: ProfileColumns, rows: list[Profile], group: Any) -> int:
    want = [p.customer_id for p in rows if matches(p, group, NOW)]
    got = columns.customer_ids_at(np.flatnonzero(mask(columns, group, NOW)))
    assert sorted(got) == sorted(want), group  # type: ignore[type-var]
    return len(want)


@pytest.mark.parametrize("field", ["name", "email", "phone", "city"])
def test_text_operators_agree_with_the_reference_on_odd_values(field: str) -> None:
    rows = people()
    columns = ProfileColumns.from_profiles(rows)
    total = 0
    for needle in NEEDLES:
        for op in ("beginsWith", "contains", "=", "!="):
            total += agree(columns, rows, rule(field, op, needle))
        total += agree(columns, rows, rule(field, "in", [needle, "ZOË", "nope"]))
    assert total > 0


def test_values_appended_after_the_load_are_found() -> None:
    rows = people()
    columns = ProfileColumns.from_profiles(rows)
    # Warm the caches first, so the later answers must extend them.
    for needle in NEEDLES:
        for op in ("beginsWith", "contains"):
            mask(columns, rule("email", op, needle), NOW)
    extra = [
        Profile("new-1", Decimal(1), 1, name="n", email="Priya.New@GMAIL.com"),
        Profile("new-2", Decimal(2), 1, name="n", email="zoë-new@x.in"),
        Profile("c000", Decimal(3), 1, name="n", email="+91 9 moved"),  # an update in place
    ]
    for p in extra:
        columns.upsert(p)
    current = {p.customer_id: p for p in rows}
    current.update({p.customer_id: p for p in extra})
    for needle in NEEDLES:
        for op in ("beginsWith", "contains", "="):
            agree(columns, list(current.values()), rule("email", op, needle))
    assert columns.index_of("new-2") == len(rows) + 1
    assert columns.customer_ids_at([len(rows) + 1, 0]) == ["new-2", "c000"]


def test_sorted_text_ranges_and_scans() -> None:
    values = sorted({"", "a", "a ", "ab", "abc", "b", "é", "日本", "\U0001f600"})
    vocab = SortedText(values)
    assert len(vocab) == len(values)
    assert [vocab.decode(i) for i in range(len(vocab))] == values
    lo, hi = vocab.prefix_range(b"a")
    assert [vocab.decode(i) for i in range(lo, hi)] == ["a", "a ", "ab", "abc"]
    assert vocab.prefix_range(b"zz") == (6, 6)  # empty, just before "é"
    lo, hi = vocab.prefix_range("\U0001f600".encode())
    assert (lo, hi) == (len(values) - 1, len(values))
    assert vocab.find(b"ab") == values.index("ab") and vocab.find(b"zz") is None
    assert vocab.find(b"") == 0  # the empty string is a value
    hits = vocab.containing(b"b")
    assert [v for v, hit in zip(values, hits, strict=True) if hit] == ["ab", "abc", "b"]
    # No match straddles two values ("a" + separator + "ab" holds no "aa").
    assert not vocab.containing(b"aa").any()
    assert vocab.containing(b"").all()
    assert SortedText([]).containing(b"x").size == 0


def test_contains_restricted_to_a_few_rows_agrees() -> None:
    rows = [
        Profile(f"id{i:05d}", Decimal(i % 100), i % 7, name="n", email=f"user{i}@{d}")
        for i, d in enumerate(["gmail.com", "GMAIL.in", "yahoo.com", None] * 10_000)  # type: ignore[list-item]
    ]
    columns = ProfileColumns.from_profiles(rows)
    group = parse_rules(
        {
            "combinator": "and",
            "rules": [
                {"field": "email", "operator": "contains", "value": "gmail"},  # evaluated last
                {"field": "email", "operator": "beginsWith", "value": "USER12"},
            ],
        }
    )
    want = sum(1 for p in rows if matches(p, group, NOW))
    assert count(columns, group, NOW) == want == 557  # of the 1,111 USER12* ids


def test_containing_over_a_rank_range_matches_the_whole_scan() -> None:
    values = sorted({v.casefold() for v in TEXTS if v is not None})
    vocab = SortedText(values)
    n = len(vocab)
    for needle in (b"a", b"e", b"\xc3", b"ss", "\U0001f600".encode()):
        whole = vocab.containing(needle)
        for lo in range(n):
            for hi in range(lo, n + 1):
                assert vocab.containing(needle, lo, hi).tolist() == whole[lo:hi].tolist()


def test_contains_restricted_to_scattered_rows_agrees() -> None:
    # The rows in play come from another column, so their emails' codes are spread over
    # the vocabulary: the scattered path (values copied out), not the in-place span.
    rows = [
        Profile(f"id{i:05d}", city="Pune" if i % 997 == 0 else "Delhi", email=f"u{i}@{d}")
        for i, d in enumerate(["gmail.com", "yahoo.com", "x.gmail", None] * 5_000)  # type: ignore[list-item]
    ]
    columns = ProfileColumns.from_profiles(rows)
    group = parse_rules(
        {
            "combinator": "and",
            "rules": [
                {"field": "email", "operator": "contains", "value": "GMAIL"},
                {"field": "city", "operator": "=", "value": "pune"},
            ],
        }
    )
    want = sum(1 for p in rows if matches(p, group, NOW))
    assert count(columns, group, NOW) == want == 11  # of the 21 Pune rows


def test_id_index_for_unsorted_and_int_ids() -> None:
    columns = ProfileColumns.from_profiles([Profile("b"), Profile("a"), Profile("c")])
    assert [columns.index_of(i) for i in ("a", "b", "c", "d", 1)] == [1, 0, 2, None, None]
    assert columns.customer_ids_at([2, 1, 0]) == ["c", "a", "b"]
    ints = ProfileColumns.from_profiles([Profile(30), Profile(10), Profile(20)])
    assert [ints.index_of(i) for i in (10, 20, 30, 40, "10")] == [1, 2, 0, None, None]
    with pytest.raises(ValueError, match="unique"):
        ProfileColumns.from_arrays(["b", "a", "b"])


def changed(*items: dict[str, Any]) -> Any:
    return Received.of(new_event("profile.changed", {"profiles": list(items)}, "segments"))


def item(cid: str, revision: int, city: str, spend: str = "1.00") -> dict[str, Any]:
    return {
        "customer_id": cid,
        "revision": revision,
        "total_spend": spend,
        "visits": 1,
        "name": "n",
        "city": city,
    }


async def test_events_during_the_load_are_applied_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded = ProfileColumns.from_profiles(
        [
            Profile("a", Decimal(1), 1, name="n", city="Pune"),
            Profile("b", Decimal(1), 1, name="n", city="Pune"),
        ]
    )
    release = asyncio.Event()

    async def slow_child(url: str) -> tuple[ProfileColumns, Any, float]:
        await release.wait()
        return loaded, np.array([5, 5], np.int64), 0.1  # the load read revision 5 of both

    monkeypatch.setattr(cache_module, "_load_in_children", slow_child)

    class Engine:  # what `load` reads of an engine
        class url:  # noqa: N801
            @staticmethod
            def render_as_string(hide_password: bool) -> str:
                return "mysql+asyncmy://unused"

    cache = ProfileCache()
    task = asyncio.create_task(cache.load(Engine()))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    assert cache.describe() == {"state": "loading", "profiles": 0}
    await cache.apply(changed(item("a", 4, "Goa")))  # older than the load: ignored
    await cache.apply(changed(item("b", 7, "Goa"), item("c", 1, "Goa")))  # newer; new customer
    await cache.apply(changed(item("b", 6, "Delhi")))  # older than the one held: ignored
    release.set()
    await asyncio.wait_for(task, 10)
    assert cache.describe() == {"state": "loaded", "profiles": 3}
    goa = parse_rules(
        {"combinator": "and", "rules": [{"field": "city", "operator": "=", "value": "goa"}]}
    )
    matched = mask(cache.columns, goa, NOW)
    assert sorted(cache.columns.customer_ids_at(np.flatnonzero(matched))) == ["b", "c"]  # type: ignore[type-var]
    await cache.apply(changed(item("a", 6, "Goa")))  # after the load: applied at once
    assert count(cache.columns, goa, NOW) == 3


def test_values_with_nul_characters_take_the_exact_path() -> None:
    rows = [Profile(f"c{i}", name=v) for i, v in enumerate(["a\0", "a", "A\0", "b\0c", "a"])]
    columns = ProfileColumns.from_profiles(rows)
    assert columns.text_column("name").distinct == 3  # "a\0", "a", "b\0c"
    for op, needle in (("=", "a\0"), ("=", "a"), ("beginsWith", "a"), ("contains", "\0")):
        agree(columns, rows, rule("name", op, needle))


def test_names_for_the_sample_keep_their_case() -> None:
    columns = ProfileColumns.from_profiles(
        [Profile("a", name="Zoë Sharma"), Profile("b", name="ZOË SHARMA"), Profile("c")]
    )
    assert columns.names_at([0, 1, 2]) == ["Zoë Sharma", "ZOË SHARMA", None]
    columns.upsert(Profile("c", name="Straße"))  # a value first seen after the load
    columns.upsert(Profile("a"))  # the name removed
    columns.upsert(Profile("d", name="zoë sharma"))  # a new customer
    assert columns.names_at(np.array([0, 1, 2, 3])) == [None, "ZOË SHARMA", "Straße", "zoë sharma"]
    assert columns.names_at([]) == []
    # Without a name column every name is NULL.
    assert ProfileColumns.from_arrays(["x", "y"]).names_at([1, 0]) == [None, None]


def test_the_load_parts_cover_every_field_once() -> None:
    fields = [field for part in cache_spawn.PARTS for field in part]
    assert sorted(fields) == sorted(cache_load.FIELDS)
    assert len(set(fields)) == len(fields)


def test_early_children_are_taken_only_for_the_same_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spawned: list[tuple[str, ...]] = []

    class Child:
        killed = False

        def kill(self) -> None:
            self.killed = True

    def fake_spawn(connect: dict[str, Any], fields: tuple[str, ...]) -> Any:
        spawned.append(fields)
        return Child()

    monkeypatch.setattr(cache_spawn, "spawn", fake_spawn)
    cache_spawn.start_early("mysql+asyncmy://u:p%40ss@db:3307/app_segments")
    early = cache_spawn._early[1]  # type: ignore[index]
    same = cache_spawn.connect_args("mysql+asyncmy://u:p%40ss@db:3307/app_segments?charset=utf8mb4")
    assert same["password"] == "p@ss" and same["port"] == 3307 and same["db"] == "app_segments"
    assert cache_spawn.take_or_spawn(same) == early  # collected, not started again
    assert len(spawned) == len(cache_spawn.PARTS)
    cache_spawn.start_early("mysql+asyncmy://u@db/other")
    other = cache_spawn._early[1]  # type: ignore[index]
    assert cache_spawn.take_or_spawn(same) != other
    assert all(child.killed for child in other)  # type: ignore[union-attr]
    assert len(spawned) == 3 * len(cache_spawn.PARTS)


async def test_parts_that_read_different_customers_are_loaded_again_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.segments.cache_child import LoadedPart

    def part(ids: list[str], fields: tuple[str, ...], digest: bytes) -> LoadedPart:
        columns = ProfileColumns.from_profiles([Profile(i, Decimal(1), 1, name=i) for i in ids])
        return LoadedPart(columns, fields, np.ones(len(ids), np.int64), digest, 0.1)

    answers = {
        "a": part(["x", "y"], cache_spawn.PARTS[0], b"one"),
        "b": part(["x", "y", "z"], cache_spawn.PARTS[1], b"two"),  # z became known between
        "whole": part(["x", "y", "z"], cache_spawn.ALL_FIELDS, b"two"),
    }
    monkeypatch.setattr(cache_spawn, "take_or_spawn", lambda connect: ["a", "b"])
    monkeypatch.setattr(cache_spawn, "spawn", lambda connect, fields: "whole")

    async def answer(child: str) -> tuple[str, LoadedPart]:
        return "ok", answers[child]

    monkeypatch.setattr(cache_spawn, "answer", answer)
    columns, revisions, _ = await cache_module._load_in_children("mysql+asyncmy://u@h/db")
    assert len(columns) == 3 and revisions.tolist() == [1, 1, 1]
