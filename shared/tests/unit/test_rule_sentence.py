"""Rules in plain words (issue 27): each operator of each field type, groups, negation,
money in Indian grouping and dates in UTC."""

from __future__ import annotations

from typing import Any

import pytest

from shared.rules.rules import parse_rules
from shared.rules.sentence import describe, describe_node


def rule(*rules: dict[str, Any], combinator: str = "and", negate: bool = False) -> dict[str, Any]:
    return {"combinator": combinator, "rules": list(rules), **({"not": True} if negate else {})}


def leaf(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        (leaf("total_spend", ">", 10000), "spent more than ₹10,000"),
        (leaf("total_spend", ">=", "1234567.5"), "spent at least ₹12,34,567.50"),
        (leaf("total_spend", "<", 99.99), "spent less than ₹99.99"),
        (leaf("total_spend", "between", [500, 100000]), "spent between ₹500 and ₹1,00,000"),
        (leaf("visits", "<=", 3), "visited at most 3 times"),
        (leaf("visits", "=", 1), "visited exactly once"),
        (leaf("visits", ">", 2), "visited more than twice"),
        (leaf("visits", "between", [2, 5]), "visited between 2 and 5 times"),
        (leaf("last_visit_at", "inLastDays", 30), "last visited in the last 30 days"),
        (leaf("last_visit_at", "notInLastDays", 90), "have not visited in the last 90 days"),
        (leaf("last_visit_at", "null"), "have never visited"),
        (leaf("first_visit_at", "before", "2026-01-05"), "first visited before 5 Jan 2026"),
        (
            leaf("created_at", "after", "2026-03-01T10:30:00+05:30"),
            "became customers after 1 Mar 2026 05:00 UTC",
        ),
        (leaf("city", "=", "Pune"), "live in “Pune”"),
        (leaf("city", "!=", "Pune"), "do not live in “Pune”"),
        (leaf("city", "in", ["Pune", "Delhi", "Goa"]), "live in “Pune”, “Delhi” or “Goa”"),
        (leaf("name", "contains", "sh"), "have a name containing “sh”"),
        (leaf("email", "null"), "have no email"),
        (leaf("phone", "beginsWith", "+91"), "have a phone number beginning with “+91”"),
    ],
)
def test_each_condition_reads_as_what_it_matches(condition: dict[str, Any], words: str) -> None:
    group = parse_rules(rule(condition))
    assert describe_node(group.rules[0]) == words
    assert describe(group) == f"Customers who {words}"


def test_groups_read_with_their_combinators_and_brackets() -> None:
    nested = rule(
        leaf("total_spend", ">", 10000),
        rule(leaf("city", "=", "Pune"), leaf("city", "=", "Goa"), combinator="or"),
        rule(leaf("visits", ">", 5), negate=True),
    )
    assert describe(parse_rules(nested)) == (
        "Customers who spent more than ₹10,000, (live in “Pune” or live in “Goa”) and "
        "not (visited more than 5 times)"
    )
    negated = rule(leaf("visits", "=", 1), leaf("email", "null"), negate=True)
    assert describe(parse_rules(negated)) == (
        "Customers except those who visited exactly once and have no email"
    )
