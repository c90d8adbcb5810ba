"""Audience rules as SQL over ``profiles``, with the domain evaluators' semantics.

Each leaf is two-valued, as in ``domain.evaluate``: a comparison with NULL is false (written
``col IS NOT NULL AND ...`` rather than COALESCE so indexes stay usable), so a negated group
means exactly NOT of its members. Text compares under the column's ``utf8mb4_unicode_ci``
collation: case-insensitive like the evaluators' ``casefold`` (the two differ only on rare
characters such as 'ß' and on trailing spaces).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, literal, not_, or_

from services.segments.store.tables import profiles
from shared.rules.fields import FIELDS
from shared.rules.rules import Condition, Group, Node

_ESCAPE = "\\"


def _like_escape(value: str) -> str:
    return value.replace(_ESCAPE, _ESCAPE * 2).replace("%", "\\%").replace("_", "\\_")


def _naive(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return value


def _leaf(cond: Condition, now: datetime) -> ColumnElement[bool]:
    column = profiles.c[cond.field]
    op, value = cond.operator, cond.value
    if op == "null":
        return column.is_(None)
    if op == "notNull":
        return column.is_not(None)
    if op == "notInLastDays":
        assert isinstance(value, int)
        return or_(column.is_(None), column < _naive(now - timedelta(days=value)))
    predicate: ColumnElement[bool]
    if op == "inLastDays":
        assert isinstance(value, int)
        predicate = column >= _naive(now - timedelta(days=value))
    elif op == "between":
        assert isinstance(value, tuple)
        predicate = column.between(_naive(value[0]), _naive(value[1]))
    elif op == "contains":
        predicate = column.like(f"%{_like_escape(str(value))}%", escape=_ESCAPE)
    elif op == "beginsWith":
        predicate = column.like(f"{_like_escape(str(value))}%", escape=_ESCAPE)
    elif op == "in":
        assert isinstance(value, tuple)
        predicate = column.in_([str(v) for v in value])
    elif op in ("=", "!=", "<", "<=", ">", ">=", "before", "after"):
        operand = literal(_naive(value), type_=column.type)
        predicate = {
            "=": column == operand,
            "!=": column != operand,
            "<": column < operand,
            "<=": column <= operand,
            ">": column > operand,
            ">=": column >= operand,
            "before": column < operand,
            "after": column > operand,
        }[op]
    else:  # parse_rules admits no other operator
        raise ValueError(f"operator {op!r} has no SQL form")
    if FIELDS[cond.field].nullable:
        return and_(column.is_not(None), predicate)
    return predicate


def _node(node: Node, now: datetime) -> ColumnElement[bool]:
    if isinstance(node, Condition):
        return _leaf(node, now)
    children = [_node(child, now) for child in node.rules]
    combined = and_(*children) if node.combinator == "and" else or_(*children)
    return not_(combined) if node.negate else combined


def where(group: Group, now: datetime) -> ColumnElement[bool]:
    """The WHERE condition selecting the group's members at time ``now``."""
    return _node(group, now) if group.rules else false()
