"""Parsing, validation (with exact error paths) and canonical JSON of rule trees."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from shared.rules.fields import FIELDS
from shared.rules.rules import (
    Condition,
    ErrorItem,
    Group,
    RuleError,
    parse_rules,
    rules_to_json,
)


def rule(field: str, operator: Any, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def group(*rules: Any, combinator: str = "and", **extra: Any) -> dict[str, Any]:
    return {"combinator": combinator, "rules": list(rules), **extra}


def single(field: str, operator: str, value: Any = None) -> Condition:
    parsed = parse_rules(group(rule(field, operator, value)))
    (cond,) = parsed.rules
    assert isinstance(cond, Condition)
    return cond


def errors_of(data: object) -> list[ErrorItem]:
    with pytest.raises(RuleError) as info:
        parse_rules(data)
    return info.value.errors


# --- every operator of every type parses ---------------------------------------------

SAMPLE_VALUES: dict[str, dict[str, tuple[Any, Any]]] = {
    # raw JSON value → normalised value
    "number": {
        "=": ("10000", Decimal("10000")),
        "!=": (10000.5, Decimal("10000.5")),
        "<": (0, Decimal(0)),
        "<=": ("99.99", Decimal("99.99")),
        ">": (10000, Decimal(10000)),
        ">=": (-5, Decimal(-5)),
        "between": ("100,200.50", (Decimal(100), Decimal("200.50"))),
    },
    "integer": {
        "=": ("3", 3),
        "!=": (3.0, 3),
        "<": (3, 3),
        "<=": ("3.0", 3),
        ">": (0, 0),
        ">=": (1, 1),
        "between": ([1, "5"], (1, 5)),
    },
    "date": {
        "before": ("2024-01-31", datetime(2024, 1, 31, tzinfo=UTC)),
        "after": ("2024-01-31T10:00:00", datetime(2024, 1, 31, 10, tzinfo=UTC)),
        "between": (
            "2024-01-01,2024-02-01T05:30:00+05:30",
            (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)),
        ),
        "inLastDays": ("30", 30),
        "notInLastDays": (90, 90),
    },
    "text": {
        "=": (" Pune ", "Pune"),
        "!=": ("Zoë", "Zoë"),
        "contains": ("ñandú", "ñandú"),
        "beginsWith": ("देव", "देव"),
        "in": ("Pune, Mumbai,", ("Pune", "Mumbai")),
    },
}

ALL_CASES = [
    (name, op)
    for name, spec in FIELDS.items()
    for op in spec.operators
    if op not in ("null", "notNull")
]


@pytest.mark.parametrize(("field", "operator"), ALL_CASES)
def test_every_operator_of_every_field_parses(field: str, operator: str) -> None:
    raw, expected = SAMPLE_VALUES[FIELDS[field].type][operator]
    cond = single(field, operator, raw)
    assert cond == Condition(field, operator, expected)
    # and the canonical JSON reads back to the same condition
    assert parse_rules(rules_to_json(Group("and", (cond,)))) == Group("and", (cond,))


@pytest.mark.parametrize("field", list(FIELDS))
@pytest.mark.parametrize("operator", ["null", "notNull"])
@pytest.mark.parametrize("stale_value", [None, "", "anything", 5])
def test_null_operators_apply_to_every_field_and_ignore_the_value(
    field: str, operator: str, stale_value: object
) -> None:
    assert single(field, operator, stale_value) == Condition(field, operator, None)
    assert parse_rules(group({"field": field, "operator": operator})).rules[0].value is None  # type: ignore[union-attr]


def test_the_contract_example_parses_into_a_typed_tree() -> None:
    data = group(
        rule("total_spend", ">", 10000),
        group(
            rule("visits", "<=", 3),
            rule("last_visit_at", "notInLastDays", 90),
            combinator="or",
        ),
    )
    assert parse_rules(data) == Group(
        "and",
        (
            Condition("total_spend", ">", Decimal(10000)),
            Group(
                "or",
                (Condition("visits", "<=", 3), Condition("last_visit_at", "notInLastDays", 90)),
            ),
        ),
    )
    assert rules_to_json(parse_rules(data)) == data


def test_react_querybuilder_extras_are_accepted() -> None:
    data = {
        "id": "root",
        "combinator": "AND",
        "not": False,
        "rules": [
            {"id": "r1", "field": "city", "operator": "=", "value": "Pune", "valueSource": "value"},
            {"id": "g1", "combinator": "or", "not": True, "rules": [rule("visits", ">", "2")]},
            {"id": "r2", "field": "visits", "operator": ">", "value": 1, "disabled": False},
        ],
    }
    parsed = parse_rules(data)
    assert parsed == Group(
        "and",
        (
            Condition("city", "=", "Pune"),
            Group("or", (Condition("visits", ">", 2),), negate=True),
            Condition("visits", ">", 1),
        ),
    )
    assert rules_to_json(parsed) == {
        "combinator": "and",
        "rules": [
            rule("city", "=", "Pune"),
            {"combinator": "or", "rules": [rule("visits", ">", 2)], "not": True},
            rule("visits", ">", 1),
        ],
    }


def test_value_normalisation_details() -> None:
    assert single("total_spend", "between", [100, "200"]).value == (Decimal(100), Decimal(200))
    assert single("total_spend", ">", "1e3").value == Decimal(1000)
    assert single("visits", "=", "1e1").value == 10
    ist = timezone(timedelta(hours=5, minutes=30))
    assert single("created_at", "before", datetime(2024, 1, 1, 5, 30, tzinfo=ist)).value == (
        datetime(2024, 1, 1, tzinfo=UTC)
    )
    assert single("created_at", "after", "2024-01-01T00:00:00Z").value == datetime(
        2024, 1, 1, tzinfo=UTC
    )
    assert single("city", "in", ["Pune", "PUNE", " Delhi "]).value == ("Pune", "Delhi")
    assert single("phone", "=", 9876543210).value == "9876543210"
    assert single("visits", "between", "1, 1").value == (1, 1)  # low == high is fine


def test_canonical_json_of_values() -> None:
    g = Group(
        "or",
        (
            Condition("total_spend", ">", Decimal("10000.50")),
            Condition("total_spend", "between", (Decimal("1.00"), Decimal("2"))),
            Condition("created_at", "after", datetime(2024, 1, 1, 0, 0, 0, 5, tzinfo=UTC)),
            Condition("city", "in", ("Pune", "Zoë")),
            Condition("email", "null"),
        ),
    )
    assert rules_to_json(g)["rules"] == [
        rule("total_spend", ">", 10000.5),
        rule("total_spend", "between", [1, 2]),
        rule("created_at", "after", "2024-01-01T00:00:00.000005Z"),
        rule("city", "in", ["Pune", "Zoë"]),
        rule("email", "null", None),
    ]
    assert parse_rules(rules_to_json(g)) == g
    # 17 significant digits do not survive a float: the canonical form is then a string
    big = Group("and", (Condition("total_spend", ">", Decimal("999999999999999.99")),))
    assert rules_to_json(big)["rules"][0]["value"] == "999999999999999.99"
    assert parse_rules(rules_to_json(big)) == big


# --- errors, with exact paths ---------------------------------------------------------


def test_unknown_field() -> None:
    errors = errors_of(group(rule("visits", ">", 1), rule("age", ">", 30)))
    assert [e["path"] for e in errors] == ["rules[1].field"]
    assert "unknown field 'age'" in errors[0]["message"]


@pytest.mark.parametrize(
    ("field", "operator"),
    [("city", ">"), ("total_spend", "contains"), ("visits", "inLastDays"),
     ("last_visit_at", "="), ("name", "between"), ("email", "before")],
)  # fmt: skip
def test_operator_not_allowed_for_the_field_type(field: str, operator: str) -> None:
    errors = errors_of(group(group(rule("visits", ">", 1), rule(field, operator, "1"))))
    assert [e["path"] for e in errors] == ["rules[0].rules[1].operator"]
    assert "does not apply" in errors[0]["message"]


def test_unknown_operator() -> None:
    errors = errors_of(group(rule("city", "endsWith", "x"), rule("city", None, "x")))
    assert [e["path"] for e in errors] == ["rules[0].operator", "rules[1].operator"]


@pytest.mark.parametrize(
    ("field", "operator", "value", "path", "message"),
    [
        ("total_spend", ">", "lots", "value", "not a number"),
        ("total_spend", ">", True, "value", "boolean"),
        ("total_spend", ">", float("inf"), "value", "finite"),
        ("total_spend", ">", "NaN", "value", "finite"),
        ("total_spend", ">", "10.005", "value", "2 decimal places"),
        ("total_spend", ">", 10**16, "value", "between"),
        ("total_spend", ">", [1], "value", "expected a number"),
        ("visits", "=", 2.5, "value", "whole number"),
        ("visits", "<", None, "value", "expected a number"),
        ("last_visit_at", "inLastDays", -1, "value", "between 0 and 36500"),
        ("last_visit_at", "notInLastDays", 36501, "value", "between 0 and 36500"),
        ("last_visit_at", "inLastDays", "7.5", "value", "whole number"),
        ("created_at", "before", "yesterday", "value", "ISO 8601"),
        ("created_at", "after", 1700000000, "value", "ISO 8601"),
        ("city", "=", "", "value", "empty"),
        ("city", "contains", "   ", "value", "empty"),
        ("city", "=", ["Pune"], "value", "expected text"),
        ("city", "beginsWith", "x" * 501, "value", "at most 500"),
        ("city", "in", ",,", "value", "at least one"),
        ("city", "in", ["Pune", 3.5], "value[1]", "expected text"),
        ("city", "in", 7, "value", "expected a list"),
        ("city", "in", ["c"] * 1001, "value", "at most 1000"),
    ],
)
def test_wrong_value(field: str, operator: str, value: object, path: str, message: str) -> None:
    errors = errors_of(group(rule("visits", ">", 1), rule(field, operator, value)))
    assert [e["path"] for e in errors] == [f"rules[1].{path}"]
    assert message in errors[0]["message"]


def test_missing_value() -> None:
    errors = errors_of(group({"field": "visits", "operator": ">"}))
    assert errors == [{"path": "rules[0].value", "message": "a value is required"}]


@pytest.mark.parametrize(
    ("value", "path", "message"),
    [
        ("20,10", "value", "low <= high"),
        ([20, 10], "value", "low <= high"),
        ("10", "value", "two values"),
        ([1, 2, 3], "value", "two values"),
        (5, "value", "expected a list"),
        ([1, "x"], "value[1]", "not a number"),
        ("x,5", "value", "not a number"),
        (["2024-02-01", "2024-01-01"], "value", "low <= high"),
    ],
)
def test_bad_between(value: object, path: str, message: str) -> None:
    field = "created_at" if "2024" in str(value) else "total_spend"
    errors = errors_of(group(group(rule(field, "between", value), combinator="or")))
    assert [e["path"] for e in errors] == [f"rules[0].rules[0].{path}"]
    assert message in errors[0]["message"]


def test_empty_group_at_any_level() -> None:
    assert errors_of(group()) == [{"path": "rules", "message": "a group needs at least one rule"}]
    errors = errors_of(group(rule("visits", ">", 1), group(rule("visits", ">", 1), group())))
    assert errors == [
        {"path": "rules[1].rules[1].rules", "message": "a group needs at least one rule"}
    ]


def test_depth_five_is_allowed_six_is_not() -> None:
    def nested(depth: int) -> dict[str, Any]:
        node = group(rule("visits", ">", 1))
        for _ in range(depth - 1):
            node = group(rule("visits", ">", 1), node)
        return node

    parse_rules(nested(5))
    errors = errors_of(nested(6))
    assert [e["path"] for e in errors] == ["rules[1].rules[1].rules[1].rules[1].rules[1]"]
    assert "at most 5" in errors[0]["message"]


def test_at_most_100_rules() -> None:
    parse_rules(group(*[rule("visits", ">", i) for i in range(100)]))
    errors = errors_of(
        group(
            *[rule("visits", ">", i) for i in range(60)],
            group(*[rule("visits", ">", i) for i in range(45)]),
        )
    )
    assert [e["path"] for e in errors] == ["rules[60].rules[40]"]  # the 101st rule
    assert "at most 100" in errors[0]["message"] and "found 105" in errors[0]["message"]


def test_structural_errors() -> None:
    assert errors_of([]) == [
        {"path": "", "message": "expected a group object with 'combinator' and 'rules'"}
    ]
    assert [e["path"] for e in errors_of({"combinator": "and"})] == ["rules"]
    assert [e["path"] for e in errors_of({"combinator": "and", "rules": "x"})] == ["rules"]
    assert [e["path"] for e in errors_of(group(rule("visits", ">", 1), combinator="xor"))] == [
        "combinator"
    ]
    assert [e["path"] for e in errors_of(group(rule("visits", ">", 1), **{"not": "yes"}))] == [
        "not"
    ]
    assert [e["path"] for e in errors_of(group("and", rule("visits", ">", 1)))] == ["rules[0]"]
    assert [e["path"] for e in errors_of(group(42))] == ["rules[0]"]


def test_unsupported_react_querybuilder_features() -> None:
    errors = errors_of(
        group(
            {**rule("visits", ">", "total_spend"), "valueSource": "field"},
            {**rule("visits", ">", 1), "disabled": True},
            {**rule("visits", ">", 1), "operater": ">"},
        )
    )
    assert [e["path"] for e in errors] == [
        "rules[0].valueSource",
        "rules[1].disabled",
        "rules[2].operater",
    ]


def test_all_problems_are_collected() -> None:
    data = group(
        rule("age", ">", 1),
        group(
            rule("visits", "contains", 1),
            rule("email", "in", []),
            group(),
            combinator="nand",
        ),
        rule("total_spend", "between", "9,1"),
    )
    errors = errors_of(data)
    assert [e["path"] for e in errors] == [
        "rules[0].field",
        "rules[1].combinator",
        "rules[1].rules[0].operator",
        "rules[1].rules[1].value",
        "rules[1].rules[2].rules",
        "rules[2].value",
    ]
    with pytest.raises(RuleError, match=r"rules\[0\]\.field: unknown field 'age'"):
        parse_rules(data)
