"""An audience rule as one plain sentence: "Customers who spent more than ₹10,000 and
visited at most 3 times".

The builder shows it under the rules, the preview answers it, and a campaign keeps the one
it was launched with, so a person reading the history later knows whom it went to without
reading JSON. It says exactly what the evaluators do (shared/rules and
services/segments/domain/evaluate.py): "not in the last N days" includes people who never
visited; text comparisons ignore case as the collation does. Money is in rupees with Indian
digit grouping (₹1,00,000), dates in UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from .rules import Condition, Group, Node, Value

# How each date field's event reads: "last visited", "first visited", "became customers".
_DATE_VERBS = {
    "last_visit_at": ("last visited", "have never visited", "have visited"),
    "first_visit_at": ("first visited", "have never visited", "have visited"),
    "created_at": ("became customers", "have no sign-up date", "have a sign-up date"),
}
# Text fields: how "= x" reads, how "!= x" reads, what the field is called.
_TEXT = {
    "name": ("are named", "are not named", "name"),
    "email": ("have the email", "do not have the email", "email"),
    "city": ("live in", "do not live in", "city"),
    "phone": ("have the phone number", "do not have the phone number", "phone number"),
}
_COMPARE = {
    ">": "more than",
    ">=": "at least",
    "<": "less than",
    "<=": "at most",
    "=": "exactly",
    "!=": "other than",
}


def describe(group: Group) -> str:
    """The whole rule as a sentence about customers."""
    if not group.rules:
        return "Customers except those who match nothing" if group.negate else "All customers"
    body = _join([_clause(child) for child in group.rules], group.combinator)
    return f"Customers except those who {body}" if group.negate else f"Customers who {body}"


def describe_node(node: Node) -> str:
    """One top-level condition (or subgroup) alone, as a clause: "spent more than ₹10,000"."""
    if isinstance(node, Condition):
        return _condition(node)
    return _group(node)


def _clause(node: Node) -> str:
    """A child inside a group: a subgroup of several is bracketed so the reading is one."""
    if isinstance(node, Condition):
        return _condition(node)
    inner = _group(node)  # a negated one is already "not (...)"
    return inner if len(node.rules) == 1 or node.negate else f"({inner})"


def _group(group: Group) -> str:
    joined = _join([_clause(child) for child in group.rules], group.combinator)
    return f"not ({joined})" if group.negate else joined


def _join(parts: list[str], word: str) -> str:
    if len(parts) <= 2:
        return f" {word} ".join(parts)
    return ", ".join(parts[:-1]) + f" {word} " + parts[-1]


def _condition(c: Condition) -> str:
    if c.field == "total_spend":
        return _amount(c, "spent", "have no recorded spend", "have a recorded spend", _money)
    if c.field == "visits":
        return _amount(c, "visited", "have no visit count", "have a visit count", _times)
    if c.field in _DATE_VERBS:
        return _date(c)
    return _text(c)


def _amount(
    c: Condition, verb: str, is_null: str, not_null: str, show: Callable[[Value], str]
) -> str:
    op, v = c.operator, c.value
    if op == "null":
        return is_null
    if op == "notNull":
        return not_null
    if op == "between" and isinstance(v, tuple):
        low = show(v[0]) if show is _money else str(v[0])
        return f"{verb} between {low} and {show(v[1])}"
    return f"{verb} {_COMPARE.get(op, op)} {show(v)}"


def _money(value: Value) -> str:
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    rupees = int(abs(amount))
    paise = abs(amount) - rupees
    digits = str(rupees)
    # Indian grouping: the last three digits, then pairs (12,34,567).
    head, tail = digits[:-3], digits[-3:]
    groups = [head[max(0, i - 2) : i] for i in range(len(head), 0, -2)][::-1]
    grouped = ",".join([*groups, tail]) if head else tail
    sign = "-" if amount < 0 else ""
    cents = f".{int(paise * 100):02d}" if paise else ""
    return f"{sign}₹{grouped}{cents}"


def _times(value: Value) -> str:
    return "once" if value == 1 else "twice" if value == 2 else f"{value} times"


def _date(c: Condition) -> str:
    verb, never, ever = _DATE_VERBS[c.field]
    op, v = c.operator, c.value
    if op == "null":
        return never
    if op == "notNull":
        return ever
    if op == "inLastDays":
        return f"{verb} in the last {_days(v)}"
    if op == "notInLastDays":
        # It also matches people with no such date at all (see the module doc).
        if c.field == "created_at":
            return f"did not become customers in the last {_days(v)}"
        return f"have not visited in the last {_days(v)}"
    if op == "between" and isinstance(v, tuple):
        return f"{verb} between {_day(v[0])} and {_day(v[1])}"
    return f"{verb} {op} {_day(v)}"


def _days(value: Value) -> str:
    return "day" if value == 1 else f"{value} days"


def _day(value: Value) -> str:
    if not isinstance(value, datetime):
        return str(value)
    at = value.astimezone(UTC)
    day = f"{at.day} {at:%b %Y}"
    return day if (at.hour, at.minute, at.second) == (0, 0, 0) else f"{day} {at:%H:%M} UTC"


def _text(c: Condition) -> str:
    verb, negated, noun = _TEXT.get(c.field, (f"have {c.field}", f"do not have {c.field}", c.field))
    op, v = c.operator, c.value
    if op == "null":
        return f"have no {noun}"
    if op == "notNull":
        return f"have a {noun}"
    if op == "=":
        return f"{verb} “{v}”"
    if op == "!=":
        return f"{negated} “{v}”"
    if op == "contains":
        return f"have a {noun} containing “{v}”"
    if op == "beginsWith":
        return f"have a {noun} beginning with “{v}”"
    if op == "in" and isinstance(v, tuple):
        return f"{verb} {_join([f'“{x}”' for x in v], 'or')}"
    return f"have a {noun} {op} “{v}”"
