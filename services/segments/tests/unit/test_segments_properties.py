"""Property tests: the columnar NumPy evaluator agrees with the reference `matches`
on random profiles and random rule trees; canonical JSON round-trips; the parser
never fails with anything but `RuleError`."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.segments.domain.columns import ProfileColumns
from services.segments.domain.evaluate import mask, matches
from services.segments.domain.profile import Profile
from shared.rules.fields import FIELDS
from shared.rules.rules import (
    Condition,
    Group,
    Node,
    RuleError,
    parse_rules,
    rules_to_json,
)

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
IST = timezone(timedelta(hours=5, minutes=30))

# Small pools so profiles and rules collide often (equality, boundaries, case folding).
TEXTS = [
    "Ñandú Rāmānujan", "ñandú rāmānujan", "Zoë", "ZOË", "zoe", "देवनागरी", "देव", "Straße",
    "STRASSE", "strasse", "ß", "ss", "Mumbai", "mumbai", "Pune", "a@example.com",
    "A@Example.COM", "İstanbul", "ﬁsh", "FISH", "Σίσυφος", "ΣΊΣΥΦΟΣ", "98765 43210",
]  # fmt: skip
MONEY = st.one_of(
    st.sampled_from([0, 1, 999_999, 1_000_000, 1_000_001, 25_000_050]),
    st.integers(-1_000, 3_000_000),
).map(lambda paise: Decimal(paise).scaleb(-2))
VISITS = st.integers(-1, 12)
DAYS = st.sampled_from([0, 1, 7, 30, 90, 365])


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    days = draw(st.sampled_from([0, 1, 7, 30, 90, 365]) | st.integers(-400, 30))
    nudge = draw(st.sampled_from([0, 0, 1, -1, 3_600_000_000]))  # µs around boundaries
    return NOW - timedelta(days=days, microseconds=nudge)


def profile_dates() -> st.SearchStrategy[datetime]:
    # Profiles may hold naive (UTC) or other-zone datetimes; both evaluators normalise.
    return instants().flatmap(
        lambda dt: st.sampled_from([dt, dt.replace(tzinfo=None), dt.astimezone(IST)])
    )


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


texts = st.sampled_from(TEXTS) | st.text(alphabet="aAßsSëË देव", min_size=1, max_size=6)
Pools = dict[str, list[Any]]


@st.composite
def pools(draw: st.DrawFn) -> Pools:
    """A few values per type that one example's profiles AND rules draw from, so
    equalities and between/before/after boundaries are hit often, not by luck."""
    return {
        "number": draw(st.lists(MONEY, min_size=1, max_size=4)),
        "integer": draw(st.lists(VISITS, min_size=1, max_size=4)),
        "date": draw(st.lists(instants(), min_size=1, max_size=4)),
        "text": draw(st.lists(texts, min_size=1, max_size=5)),
    }


def profile_value(pool: Pools, ftype: str) -> st.SearchStrategy[Any]:
    values = st.sampled_from(pool[ftype])
    if ftype == "date":
        # Profiles may hold naive (UTC) or other-zone datetimes; both evaluators normalise.
        values = values.flatmap(
            lambda dt: st.sampled_from([dt, dt.replace(tzinfo=None), dt.astimezone(IST)])
        )
    return maybe(values)


@st.composite
def profiles(draw: st.DrawFn, pool: Pools, max_size: int = 25) -> list[Profile]:
    n = draw(st.integers(0, max_size))
    return [
        Profile(i, **{name: draw(profile_value(pool, spec.type)) for name, spec in FIELDS.items()})
        for i in range(n)
    ]


# Spellings of one value: upper("straße") is "STRASSE", equal to it only under casefold.
SPELLINGS = [str, str.upper, str.lower, str.casefold, str.title]


def whole_words(words: list[str]) -> st.SearchStrategy[str]:
    """Stripped, non-empty text operands: the pool's values in some spelling."""
    return st.builds(
        lambda word, spell: spell(word).strip() or "Zoë",
        st.sampled_from(words + TEXTS[:3]),
        st.sampled_from(SPELLINGS),
    )


def pieces(words: list[str]) -> st.SearchStrategy[str]:
    """Whole values or substrings of them, for contains/beginsWith."""

    def piece(s: str, ends: tuple[int, int]) -> str:
        a, b = sorted(ends)
        return s[a : b + 1].strip() or s

    whole = whole_words(words)
    return whole | st.builds(piece, whole, st.tuples(st.integers(0, 6), st.integers(0, 6)))


def operand(pool: Pools, ftype: str, op: str) -> st.SearchStrategy[Any]:
    near = st.sampled_from(pool[ftype])
    scalar = {
        "number": near | MONEY,
        "integer": near | VISITS,
        "date": near | instants(),
        "text": pieces(pool["text"])
        if op in ("contains", "beginsWith")
        else whole_words(pool["text"]),
    }[ftype]
    if op in ("null", "notNull"):
        return st.none()
    if op in ("inLastDays", "notInLastDays"):
        return DAYS
    if op == "between":
        return st.tuples(scalar, scalar).map(lambda pair: tuple(sorted(pair)))
    if op == "in":
        return st.lists(scalar, min_size=1, max_size=4, unique_by=lambda v: str(v).casefold()).map(
            tuple
        )
    return scalar


@st.composite
def conditions(draw: st.DrawFn, pool: Pools) -> Condition:
    spec = FIELDS[draw(st.sampled_from(sorted(FIELDS)))]
    op = draw(st.sampled_from(spec.operators))
    return Condition(spec.name, op, draw(operand(pool, spec.type, op)))


def groups(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Group]:
    return st.builds(
        Group,
        st.sampled_from(["and", "or"]),
        st.lists(children, min_size=1, max_size=4).map(tuple),
        st.booleans(),
    )


def trees(pool: Pools, max_leaves: int = 10) -> st.SearchStrategy[Group]:
    # max_leaves keeps trees within the parser's limits (depth 5, 100 rules).
    return groups(st.recursive(conditions(pool), groups, max_leaves=max_leaves))


@st.composite
def scenarios(draw: st.DrawFn, max_leaves: int = 10) -> tuple[list[Profile], Group]:
    pool = draw(pools())
    return draw(profiles(pool)), draw(trees(pool, max_leaves))


@st.composite
def leaf_scenarios(draw: st.DrawFn) -> tuple[list[Profile], Group]:
    """One condition, possibly negated: a wrong leaf cannot hide behind and/or."""
    pool = draw(pools())
    group = Group("and", (draw(conditions(pool)),), draw(st.booleans()))
    return draw(profiles(pool)), group


def depth(node: Node) -> int:
    return 1 + max(map(depth, node.rules)) if isinstance(node, Group) else 0


def assert_evaluators_agree(people: list[Profile], group: Group) -> None:
    expected = [matches(p, group, NOW) for p in people]
    columns = ProfileColumns.from_profiles(people)
    assert mask(columns, group, NOW).tolist() == expected


@settings(max_examples=300, deadline=None)
@given(scenario=leaf_scenarios())
def test_columnar_leaf_agrees_with_reference(scenario: tuple[list[Profile], Group]) -> None:
    assert_evaluators_agree(*scenario)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios())
def test_columnar_tree_agrees_with_reference(scenario: tuple[list[Profile], Group]) -> None:
    assert_evaluators_agree(*scenario)


@st.composite
def event_scenarios(draw: st.DrawFn) -> tuple[list[Profile], list[Profile], Group]:
    pool = draw(pools())
    return draw(profiles(pool, 12)), draw(profiles(pool, 12)), draw(trees(pool, 6))


@settings(max_examples=60, deadline=None)
@given(scenario=event_scenarios())
def test_upserted_columns_agree_with_reference(
    scenario: tuple[list[Profile], list[Profile], Group],
) -> None:
    first, changes, group = scenario
    # Bulk-load, then apply changes as events: ids overlap (updates) and extend (appends).
    columns = ProfileColumns.from_profiles(first)
    columns.upsert_many(changes[: len(changes) // 2])
    for p in changes[len(changes) // 2 :]:
        columns.upsert(p)
    current = {p.customer_id: p for p in first} | {p.customer_id: p for p in changes}
    got = mask(columns, group, NOW)
    for cid, p in current.items():
        index = columns.index_of(cid)
        assert index is not None
        assert bool(got[index]) == matches(p, group, NOW)
    assert len(columns) == len(current)


@settings(max_examples=200, deadline=None)
@given(group=pools().flatmap(trees))
def test_canonical_json_round_trips(group: Group) -> None:
    if depth(group) > 5:
        return
    data = rules_to_json(group)
    assert parse_rules(data) == group
    # and the canonical JSON is a fixed point
    assert rules_to_json(parse_rules(data)) == data


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
rule_like = st.fixed_dictionaries(
    {},
    optional={
        "field": st.sampled_from([*FIELDS, "age"]) | json_values,
        "operator": st.sampled_from(["=", "in", "between", "inLastDays", "x"]) | json_values,
        "value": json_values,
        "id": json_values,
    },
)
group_like = st.recursive(
    rule_like,
    lambda inner: st.fixed_dictionaries(
        {"rules": st.lists(inner, max_size=3)},
        optional={"combinator": st.sampled_from(["and", "or", "xor"]), "not": json_values},
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(data=group_like | json_values)
def test_parser_rejects_garbage_only_with_rule_error(data: object) -> None:
    try:
        parsed = parse_rules(data)
    except RuleError as exc:
        assert exc.errors and all(isinstance(e["path"], str) and e["message"] for e in exc.errors)
    else:
        assert isinstance(parsed, Group)
        assert parse_rules(rules_to_json(parsed)) == parsed


def test_mask_dtype_and_length() -> None:
    columns = ProfileColumns.from_profiles([Profile(1), Profile(2)])
    out = mask(columns, Group("and", (Condition("email", "null"),)), NOW)
    assert out.dtype == np.bool_ and out.tolist() == [True, True]
