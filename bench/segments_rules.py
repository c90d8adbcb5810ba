"""The segments benchmark's rule mix and the naive SQL it is checked against.

:func:`rule_mix` is the mix of audience rules the benchmark previews: the seed's three
examples, OR across fields, nested groups, a negated group, text conditions (``in``,
``contains``, ``beginsWith``, case-insensitive ``=``), ``between`` on dates and amounts.
Absolute dates are placed relative to the data set's anchor so they always select a slice
of its three years.

:func:`naive_count_sql` compiles a rule, independently of the service's own compiler, into
what a small CRM without a read model runs: aggregate the orders table at query time and
filter customers on the result. Its semantics are the contract's: a comparison with NULL is
false, each leaf is a definite true/false (``COALESCE(leaf, FALSE)``) so that ``"not": true``
negates exactly, ``notInLastDays`` includes customers who never visited, text compares
case-insensitively (the columns' ``utf8mb4_unicode_ci``; the generated text is ASCII, where
that and Python's ``casefold`` agree), ``between`` is inclusive, a date-only value is 00:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

NAIVE_FROM = (
    "FROM bench_customers c LEFT JOIN (SELECT customer_id, SUM(amount) AS total_spend,"
    " COUNT(*) AS visits, MIN(ordered_at) AS first_visit_at, MAX(ordered_at) AS last_visit_at"
    " FROM bench_orders GROUP BY customer_id) a ON a.customer_id = c.customer_id"
)

# field -> (SQL expression over the naive join, type)
FIELDS: dict[str, tuple[str, str]] = {
    "total_spend": ("COALESCE(a.total_spend, 0)", "number"),
    "visits": ("COALESCE(a.visits, 0)", "integer"),
    "last_visit_at": ("a.last_visit_at", "date"),
    "first_visit_at": ("a.first_visit_at", "date"),
    "created_at": ("c.created_at", "date"),
    "name": ("c.name", "text"),
    "email": ("c.email", "text"),
    "city": ("c.city", "text"),
    "phone": ("c.phone", "text"),
}
_COMPARE = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">=", "before": "<"}
_COMPARE["after"] = ">"


def _rule(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"field": field, "operator": operator}
    if value is not None:
        out["value"] = value
    return out


def _and(*rules: dict[str, Any], negate: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"combinator": "and", "rules": list(rules)}
    if negate:
        out["not"] = True
    return out


def _or(*rules: dict[str, Any], negate: bool = False) -> dict[str, Any]:
    out = _and(*rules, negate=negate)
    out["combinator"] = "or"
    return out


def rule_mix(anchor: datetime) -> list[tuple[str, dict[str, Any]]]:
    """(name, react-querybuilder RuleGroup) of every rule in the mix."""
    day = anchor.date()
    first_lo = (day - timedelta(days=400)).isoformat()
    first_hi = (day - timedelta(days=200)).isoformat()
    return [
        ("seed: spend > 10,000", _and(_rule("total_spend", ">", 10000))),
        (
            "seed: spend > 10,000 and visits <= 3",
            _and(_rule("total_spend", ">", "10000"), _rule("visits", "<=", 3)),
        ),
        ("seed: no visit in 90 days", _and(_rule("last_visit_at", "notInLastDays", 90))),
        (
            "spend > 20,000 or city = Pune",
            _or(_rule("total_spend", ">", 20000), _rule("city", "=", "Pune")),
        ),
        (
            "(spend >= 50,000 or city in Mumbai/Pune) and visit in 30 days",
            _and(
                _or(_rule("total_spend", ">=", 50000), _rule("city", "in", ["Mumbai", "Pune"])),
                _rule("last_visit_at", "inLastDays", 30),
            ),
        ),
        (
            "city in (delhi, MUMBAI, Bengaluru) and visits >= 5",
            _and(_rule("city", "in", "delhi, MUMBAI,Bengaluru"), _rule("visits", ">=", 5)),
        ),
        (
            "name contains 'sharma' or name beginsWith 'PRIYA'",
            _or(_rule("name", "contains", "sharma"), _rule("name", "beginsWith", "PRIYA")),
        ),
        (
            "email beginsWith 'rahul' and email contains 'gmail'",
            _and(_rule("email", "beginsWith", "rahul"), _rule("email", "contains", "gmail")),
        ),
        (
            "first visit between two dates and spend between 1,000 and 5,000",
            _and(
                _rule("first_visit_at", "between", [first_lo, first_hi]),
                _rule("total_spend", "between", "1000,5000.50"),
            ),
        ),
        (
            "not (city in Delhi/Mumbai or visits > 10) and signed up in 365 days",
            _and(
                _or(
                    _rule("city", "in", ["Delhi", "Mumbai"]),
                    _rule("visits", ">", 10),
                    negate=True,
                ),
                _rule("created_at", "inLastDays", 365),
            ),
        ),
        (
            "3-level OR of ANDs incl. email null, phone notNull, city = 'chennai'",
            _or(
                _and(
                    _rule("total_spend", ">=", 5000),
                    _rule("last_visit_at", "inLastDays", 60),
                    _or(_rule("city", "=", "chennai"), _rule("city", "=", "Kochi")),
                ),
                _and(_rule("visits", ">=", 20), _rule("city", "!=", "Delhi")),
                _and(_rule("email", "null"), _rule("phone", "notNull")),
            ),
        ),
        (
            "phone beginsWith '+91 9' and visit in 180 days",
            _and(_rule("phone", "beginsWith", "+91 9"), _rule("last_visit_at", "inLastDays", 180)),
        ),
        ("ever visited (last visit not null)", _and(_rule("last_visit_at", "notNull"))),
    ]


def audience_rule() -> dict[str, Any]:
    """A rule every customer matches (for resolving an audience of everyone)."""
    return _and(_rule("visits", ">=", 0))


# --------------------------------------------------------------------------- naive SQL


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else str(value).split(",")


def _convert(ftype: str, value: Any) -> Any:
    if ftype == "number":
        return Decimal(str(value).strip())
    if ftype == "integer":
        return int(str(value).strip())
    if ftype == "date":
        raw = str(value).strip()
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), datetime.min.time())
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    return str(value).strip()


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _Compiler:
    def __init__(self, now: datetime) -> None:
        self.now = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
        self.params: dict[str, Any] = {}

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def node(self, node: dict[str, Any]) -> str:
        if "rules" not in node:
            return self.leaf(node)
        joiner = " AND " if node["combinator"].lower() == "and" else " OR "
        inner = "(" + joiner.join(self.node(child) for child in node["rules"]) + ")"
        return f"(NOT {inner})" if node.get("not") else inner

    def leaf(self, rule: dict[str, Any]) -> str:
        column, ftype = FIELDS[rule["field"]]
        op, value = rule["operator"], rule.get("value")
        if op == "null":
            return f"({column} IS NULL)"
        if op == "notNull":
            return f"({column} IS NOT NULL)"
        if op in ("inLastDays", "notInLastDays"):
            cutoff = self.param(self.now - timedelta(days=int(str(value))))
            if op == "notInLastDays":
                return f"({column} IS NULL OR {column} < {cutoff})"
            predicate = f"{column} >= {cutoff}"
        elif op == "between":
            low, high = (_convert(ftype, v) for v in _items(value))
            predicate = f"{column} BETWEEN {self.param(low)} AND {self.param(high)}"
        elif op == "in":
            names = ", ".join(self.param(v.strip()) for v in _items(value) if v.strip())
            predicate = f"{column} IN ({names})"
        elif op == "contains":
            pattern = self.param("%" + _like(_convert(ftype, value)) + "%")
            predicate = f"{column} LIKE {pattern} ESCAPE '\\\\'"
        elif op == "beginsWith":
            pattern = self.param(_like(_convert(ftype, value)) + "%")
            predicate = f"{column} LIKE {pattern} ESCAPE '\\\\'"
        else:
            predicate = f"{column} {_COMPARE[op]} {self.param(_convert(ftype, value))}"
        return f"COALESCE({predicate}, FALSE)"


def uses_orders(node: dict[str, Any]) -> bool:
    """Whether a rule reads an aggregate of the orders (else the naive query needs none)."""
    if "rules" in node:
        return any(uses_orders(child) for child in node["rules"])
    return bool(FIELDS[node["field"]][0].startswith(("a.", "COALESCE(a.")))


def naive_count_sql(rules: dict[str, Any], now: datetime) -> tuple[str, dict[str, Any]]:
    """``SELECT COUNT(*)`` of the customers matching ``rules`` at ``now``, over raw orders."""
    compiler = _Compiler(now)
    where = compiler.node(rules)
    return f"SELECT COUNT(*) {NAIVE_FROM} WHERE {where}", compiler.params
