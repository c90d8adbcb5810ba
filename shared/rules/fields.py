"""The field catalogue of audience rules: which customer attributes a segment may
filter on, their value types, and which operators each type allows.

This module is the single source of truth shared by the parser (`rules.py`), both
evaluators (`evaluate.py`, `columns.py`) and the UI, which reads
`fields_description()` through `GET /api/v1/segments/fields`; adding a field here
(plus the matching `Profile` attribute and SQL column) is all a new field needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

FieldType = Literal["number", "integer", "date", "text"]
Arity = Literal["unary", "binary", "ternary"]

# Limits enforced by the parser. They bound the size of the SQL the compiler emits
# and the work one evaluation may do, and they are published to the UI.
MAX_DEPTH = 5  # the top group is depth 1
MAX_RULES = 100  # conditions (leaves) in a whole tree
MAX_IN_ITEMS = 1000
MAX_DAYS = 36_500  # ~100 years: larger windows are surely a typo
MAX_TEXT_LENGTH = 500
MAX_ABS_NUMBER = 10**15  # keeps money in int64 paise and visits in int64 with room to spare


@dataclass(frozen=True, slots=True)
class OperatorSpec:
    name: str  # react-querybuilder operator name, stored in the JSON
    label: str
    # "unary" takes no value (react-querybuilder hides the editor), "ternary" takes two.
    arity: Arity
    # Overrides the field's input type when the operand is not of the field's type,
    # e.g. "in the last N days" on a date field takes a number of days.
    input_type: str | None = None


OPERATORS: Mapping[str, OperatorSpec] = MappingProxyType(
    {
        op.name: op
        for op in (
            OperatorSpec("=", "=", "binary"),
            OperatorSpec("!=", "!=", "binary"),
            OperatorSpec("<", "<", "binary"),
            OperatorSpec("<=", "<=", "binary"),
            OperatorSpec(">", ">", "binary"),
            OperatorSpec(">=", ">=", "binary"),
            OperatorSpec("between", "between", "ternary"),
            OperatorSpec("before", "before", "binary"),
            OperatorSpec("after", "after", "binary"),
            OperatorSpec("inLastDays", "in the last N days", "binary", "number"),
            OperatorSpec("notInLastDays", "not in the last N days", "binary", "number"),
            OperatorSpec("contains", "contains", "binary"),
            OperatorSpec("beginsWith", "begins with", "binary"),
            OperatorSpec("in", "is one of", "binary"),
            OperatorSpec("null", "is empty", "unary"),
            OperatorSpec("notNull", "is not empty", "unary"),
        )
    }
)

_NULL_OPS = ("null", "notNull")  # allowed on every field, nullable or not
OPERATORS_BY_TYPE: Mapping[FieldType, tuple[str, ...]] = MappingProxyType(
    {
        "number": ("=", "!=", "<", "<=", ">", ">=", "between", *_NULL_OPS),
        "integer": ("=", "!=", "<", "<=", ">", ">=", "between", *_NULL_OPS),
        "date": ("before", "after", "between", "inLastDays", "notInLastDays", *_NULL_OPS),
        "text": ("=", "!=", "contains", "beginsWith", "in", *_NULL_OPS),
    }
)

# react-querybuilder `inputType` of the value editor for each field type.
_INPUT_TYPES: Mapping[FieldType, str] = MappingProxyType(
    {"number": "number", "integer": "number", "date": "date", "text": "text"}
)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    label: str
    type: FieldType
    # False promises the profiles column is NOT NULL (the SQL compiler then omits its
    # IS NOT NULL guard). The in-memory evaluators treat None in any field as NULL.
    nullable: bool

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS_BY_TYPE[self.type]

    @property
    def input_type(self) -> str:
        return _INPUT_TYPES[self.type]


FIELDS: Mapping[str, FieldSpec] = MappingProxyType(
    {
        f.name: f
        for f in (
            # Money is DECIMAL with 2 places (INR); a customer without orders has 0.
            FieldSpec("total_spend", "Total spend (₹)", "number", nullable=False),
            FieldSpec("visits", "Visits (orders)", "integer", nullable=False),
            # NULL for a customer with no orders.
            FieldSpec("last_visit_at", "Last visit", "date", nullable=True),
            FieldSpec("first_visit_at", "First visit", "date", nullable=True),
            FieldSpec("created_at", "Customer since", "date", nullable=True),
            FieldSpec("name", "Name", "text", nullable=False),
            FieldSpec("email", "Email", "text", nullable=True),
            FieldSpec("city", "City", "text", nullable=True),
            FieldSpec("phone", "Phone", "text", nullable=True),
        )
    }
)


def get_field(name: object) -> FieldSpec | None:
    """The spec of a field, or None for an unknown name (or a non-string)."""
    return FIELDS.get(name) if isinstance(name, str) else None


def _operator_json(name: str) -> dict[str, Any]:
    op = OPERATORS[name]
    out: dict[str, Any] = {"name": op.name, "label": op.label, "arity": op.arity}
    if op.input_type is not None:
        out["inputType"] = op.input_type
    return out


def fields_description() -> dict[str, Any]:
    """JSON-able body of `GET /api/v1/segments/fields`.

    Each field carries react-querybuilder's keys (`name`, `label`, `inputType`,
    `operators` with `name`/`label`/`arity`) plus our `type` and `nullable`, so the
    UI needs no copy of this catalogue. `limits` lets the UI stop a user before the
    server rejects the tree.
    """
    return {
        "fields": [
            {
                "name": f.name,
                "label": f.label,
                "type": f.type,
                "inputType": f.input_type,
                "nullable": f.nullable,
                "operators": [_operator_json(op) for op in f.operators],
            }
            for f in FIELDS.values()
        ],
        "limits": {
            "maxDepth": MAX_DEPTH,
            "maxRules": MAX_RULES,
            "maxInItems": MAX_IN_ITEMS,
            "maxDays": MAX_DAYS,
            "maxTextLength": MAX_TEXT_LENGTH,
        },
    }
